from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from zones.admin import AgencyAdmin as BaseAgencyAdmin
from zones.models import Agency, AgencyAlias

from .agencies import merge_agencies
from .models import PlanRevision


@admin.register(PlanRevision)
class PlanRevisionAdmin(admin.ModelAdmin):
    """Applied plan loads, read only: they are the record of what each version changed."""

    list_display = [
        "applied_at",
        "plan",
        "source_name",
        "tasks_added",
        "tasks_changed",
        "tasks_renumbered",
        "tasks_withdrawn",
        "agency_changes",
        "conflicts",
        "applied_by",
        "applied_via",
    ]
    list_filter = ["plan"]
    list_select_related = ["plan", "applied_by"]
    search_fields = ["source_name", "source_sha256", "document"]
    exclude = ["snapshot"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name != "snapshot"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.unregister(Agency)


@admin.register(Agency)
class AgencyAdmin(BaseAgencyAdmin):
    """Renaming in the form keeps the row (tasks, liaisons, requests) and the old name as an alias;
    the merge action folds duplicates into one agency keeping every link."""

    actions = ["merge_selected"]

    def save_model(self, request, obj, form, change):
        old = form.initial.get("name") if change else None
        super().save_model(request, obj, form, change)
        if old and old != obj.name:
            AgencyAlias.objects.filter(alias=obj.name, agency=obj).delete()
            AgencyAlias.objects.get_or_create(alias=old, defaults={"agency": obj})
            self.message_user(
                request, _("%(old)s is kept as an alias of %(new)s.") % {"old": old, "new": obj.name}
            )

    @admin.action(description=_("Merge the selected agencies into one, keeping every link"))
    def merge_selected(self, request, queryset):
        agencies = list(queryset.order_by("name"))
        if len(agencies) < 2:
            self.message_user(request, _("Select at least two agencies to merge."), messages.WARNING)
            return None
        target_id = request.POST.get("target")
        if request.POST.get("confirm") and target_id:
            target = next((a for a in agencies if str(a.pk) == target_id), None)
            if target is None:
                self.message_user(request, _("Choose one of the selected agencies."), messages.ERROR)
                return None
            try:
                merge_agencies(target=target, others=agencies, user=request.user)
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.ERROR)
                return None
            self.message_user(
                request,
                ngettext(
                    "%(count)d agency merged into %(target)s; its name is kept as an alias.",
                    "%(count)d agencies merged into %(target)s; their names are kept as aliases.",
                    len(agencies) - 1,
                )
                % {"count": len(agencies) - 1, "target": target.name},
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Merge agencies"),
            "agencies": agencies,
            "queryset": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/plans/merge_agencies.html", context)
