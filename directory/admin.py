from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import DirectoryAccount, DirectoryRule, DirectorySignIn


@admin.register(DirectoryRule)
class DirectoryRuleAdmin(SimpleHistoryAdmin):
    list_display = ["value", "claim", "source", "role", "zone_list", "agency", "is_active"]
    list_filter = ["source", "role", "is_active"]
    list_select_related = ["agency"]
    search_fields = ["value", "claim", "note", "agency__name", "zones__name"]
    autocomplete_fields = ["agency"]
    filter_horizontal = ["zones"]
    fieldsets = [
        (None, {"fields": ["source", "claim", "value", "is_active", "note"]}),
        (_("Grants"), {"fields": ["role", "zones", "agency"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("zones")

    @admin.display(description=_("zones"))
    def zone_list(self, rule):
        return "、".join(zone.name for zone in rule.zones.all())


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written only by sign-ins: a trace nobody edits."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DirectoryAccount)
class DirectoryAccountAdmin(ReadOnlyAdmin):
    list_display = ["user", "source", "subject", "linked_at", "last_sign_in"]
    list_filter = ["source"]
    list_select_related = ["user"]
    search_fields = ["user__username", "subject"]

    def has_delete_permission(self, request, obj=None):
        # Unlinking lets an administrator give the account back to local roles (or remove a leaver).
        return request.user.is_superuser


@admin.register(DirectorySignIn)
class DirectorySignInAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "source", "subject", "changed"]
    list_filter = ["source", "at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "subject"]
    date_hierarchy = "at"
    fields = ["user", "source", "subject", "at", "directory_values", "rules", "before", "after", "note"]

    @admin.display(boolean=True, description=_("changed"))
    def changed(self, sign_in):
        return sign_in.changed
