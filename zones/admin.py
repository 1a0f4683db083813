from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from core.roles import Role, group_label

from .models import Agency, AgencyAlias, Block, Plan, PlanUpload, Profile, SubPlot, Zone


class ZoneInline(admin.TabularInline):
    model = Zone
    fields = ["annex_number", "code", "name", "name_en", "area_km2"]
    extra = 0
    show_change_link = True


class RecordProtectedAdmin(SimpleHistoryAdmin):
    """Deleting a row the record needs (escalation steps, plan revisions: PROTECT) is refused with
    the list of what stands in the way, not as a permission the administrator lacks: those rows
    cannot be deleted by anyone, so the admin's "no permission" message would mislead."""

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set() if protected else perms_needed, protected


@admin.register(Plan)
class PlanAdmin(RecordProtectedAdmin):
    list_display = ["title", "code", "status", "issuer", "source_file", "tracking_start", "requires_signoff"]
    list_filter = ["status", "requires_signoff"]
    search_fields = ["title", "title_en", "code", "issuer"]
    inlines = [ZoneInline]


class BlockInline(admin.TabularInline):
    model = Block
    fields = ["number", "name", "area_km2", "boundary"]
    extra = 0
    show_change_link = True


@admin.register(Zone)
class ZoneAdmin(RecordProtectedAdmin):
    list_display = [
        "name",
        "code",
        "plan",
        "annex_number",
        "dev_zone_name",
        "area_km2",
        "summed_area_display",
    ]
    list_filter = ["plan"]
    list_select_related = ["plan"]
    search_fields = ["name", "name_en", "code", "dev_zone_name"]
    inlines = [BlockInline]

    def get_queryset(self, request):
        return super().get_queryset(request).with_totals()

    @admin.display(description=_("sum of blocks (km²)"))
    def summed_area_display(self, zone):
        if zone.area_mismatch:
            return f"{zone.summed_area} ⚠"
        return zone.summed_area


class SubPlotInline(admin.TabularInline):
    model = SubPlot
    extra = 0


@admin.register(Block)
class BlockAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "zone", "number", "name", "area_km2"]
    list_filter = ["zone__plan", "zone"]
    list_select_related = ["zone"]
    search_fields = ["name", "boundary", "text", "zone__name"]
    inlines = [SubPlotInline]


@admin.register(SubPlot)
class SubPlotAdmin(admin.ModelAdmin):
    list_display = ["__str__", "block", "number", "boundary"]
    list_filter = ["block__zone"]
    list_select_related = ["block__zone"]
    search_fields = ["boundary", "block__name", "block__zone__name"]


class AgencyAliasInline(admin.TabularInline):
    model = AgencyAlias
    extra = 1


@admin.register(Agency)
class AgencyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "name_en", "task_count"]
    list_filter = [("aliases", admin.EmptyFieldListFilter)]
    search_fields = ["name", "name_en", "aliases__alias"]
    inlines = [AgencyAliasInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(task_count=Count("task_links", distinct=True))

    @admin.display(description=_("tasks"), ordering="task_count")
    def task_count(self, agency):
        return agency.task_count


@admin.register(AgencyAlias)
class AgencyAliasAdmin(admin.ModelAdmin):
    list_display = ["alias", "agency"]
    list_filter = ["agency"]
    list_select_related = ["agency"]
    search_fields = ["alias", "agency__name", "agency__name_en"]
    autocomplete_fields = ["agency"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "agency", "zone_names"]
    list_filter = ["zones", "agency"]
    list_select_related = ["user", "agency"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "agency__name"]
    autocomplete_fields = ["agency", "zones", "user"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("zones")

    @admin.display(description=_("zones"))
    def zone_names(self, profile):
        return "、".join(zone.name for zone in profile.zones.all())


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    autocomplete_fields = ["agency", "zones"]
    verbose_name_plural = _("zones and agency")
    # The help the onboarding form gives, in the user's language (the model fields carry none).
    HELP = {"zones": _("For zone officers and zone leaders."), "agency": _("For agency liaisons.")}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in self.HELP:
            field.help_text = self.HELP[db_field.name]
        return field


class RoleFilter(admin.SimpleListFilter):
    """The groups filter with the roles' names in the user's language."""

    title = pgettext_lazy("user", "Role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset):
        if self.value() in Role.values:
            return queryset.filter(groups__name=Role(self.value()).group_name)
        return queryset


User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class FtzUserAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_filter = ["is_staff", "is_superuser", "is_active", RoleFilter]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups":
            field.label_from_instance = lambda group: group_label(group.name)
        return field


@admin.register(Group)
class FtzGroupAdmin(GroupAdmin):
    list_display = ["name", "role_name"]

    @admin.display(description=pgettext_lazy("user", "Role"))
    def role_name(self, group):
        return group_label(group.name)


@admin.register(PlanUpload)
class PlanUploadAdmin(admin.ModelAdmin):
    """The record of plan imports; imports themselves go through /plans/import/."""

    list_display = [
        "file_name",
        "plan_code",
        "layout",
        "created_by",
        "created_at",
        "applied_by",
        "applied_at",
    ]
    list_filter = ["layout", "applied_at"]
    search_fields = ["file_name", "plan_code", "sha256"]
    readonly_fields = [field.name for field in PlanUpload._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
