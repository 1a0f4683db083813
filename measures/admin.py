from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from measures import services
from measures.models import (
    AgencyLinkChange,
    CoordinationRequest,
    Deputy,
    Evidence,
    MajorMatter,
    Milestone,
    PlanAdjustment,
    ProgressReport,
    Reminder,
    ReportEvent,
    ReportingPeriod,
    Task,
    TaskAgency,
    TaskCategory,
)
from measures.signoff.services import deputy_problems
from measures.tasks.models import LinkChangeCause
from measures.tasks.services import links_of, record_link_changes


class TaskInline(admin.TabularInline):
    model = Task
    fields = ["number", "title", "title_en", "source_ref"]
    extra = 0
    show_change_link = True


@admin.register(TaskCategory)
class TaskCategoryAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "zone", "number", "title", "title_en", "task_count"]
    list_filter = ["zone__plan", "zone"]
    list_select_related = ["zone"]
    search_fields = ["title", "title_en", "intro", "zone__name"]
    inlines = [TaskInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(task_count=Count("tasks", distinct=True))

    @admin.display(description=_("tasks"), ordering="task_count")
    def task_count(self, category):
        return category.task_count


class TaskAgencyInline(admin.TabularInline):
    model = TaskAgency
    fields = ["position", "agency"]
    autocomplete_fields = ["agency"]
    extra = 1
    ordering = ["position"]


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ["number", "title", "zone", "source_ref", "agency_count"]
    list_display_links = ["number", "title"]
    list_filter = ["zone__plan", "zone", "agency_links__agency"]
    list_select_related = ["zone", "category__zone"]
    search_fields = ["title", "title_en", "text", "source_ref", "agency_links__agency__name"]
    autocomplete_fields = ["category"]
    # Withdrawal (撤销) only comes from an approved plan adjustment, which records why and who.
    readonly_fields = ["withdrawn_at", "withdrawn_by", "withdraw_reason"]
    inlines = [TaskAgencyInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(agency_count=Count("agency_links", distinct=True))

    def save_related(self, request, form, formsets, change):
        # The agencies edited here are recorded like a revision's, in the admin's transaction.
        task = form.instance
        before = links_of([task.pk])
        super().save_related(request, form, formsets, change)
        record_link_changes(
            before=before,
            after=links_of([task.pk]),
            cause=LinkChangeCause.EDIT,
            by=request.user,
            reason="Edited in the administration",
        )

    @admin.display(description=_("agencies"), ordering="agency_count")
    def agency_count(self, task):
        return task.agency_count


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(admin.ModelAdmin):
    list_display = ["name", "plan", "start", "end", "deadline", "locked_at", "locked_by"]
    list_filter = ["plan", ("locked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["plan", "locked_by"]
    search_fields = ["name", "plan__title"]
    readonly_fields = ["locked_at", "locked_by"]
    actions = ["lock_selected"]

    @admin.action(description=_("Lock selected periods"))
    def lock_selected(self, request, queryset):
        for period in queryset:
            try:
                services.lock_period(period=period, user=request.user)
            except ValidationError as error:
                self.message_user(request, f"{period}: {' '.join(error.messages)}", messages.WARNING)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Reports and their history change only through measures.services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnlyAdmin):
    list_display = ["task", "period", "status", "percent_complete", "state", "updated_at", "updated_by"]
    list_filter = ["period", "state", "status", "task__zone"]
    list_select_related = ["task__zone", "period", "updated_by"]
    # The model's ordering (period, task) joins the plan, zone and task to sort every report for each
    # page (2.5 s at 500,000); the newest first by primary key reads the page off the index, and
    # the unfiltered total is not counted a second time.
    ordering = ["-pk"]
    show_full_result_count = False
    search_fields = ["task__title", "progress", "problems", "next_steps"]


@admin.register(AgencyLinkChange)
class AgencyLinkChangeAdmin(ReadOnlyAdmin):
    list_display = ["at", "task", "agency", "kind", "role_before", "role_after", "cause", "by", "derived"]
    list_filter = ["cause", "kind", "derived", "task__zone"]
    list_select_related = ["task__zone", "agency", "by"]
    search_fields = ["task__title", "agency__name", "reason"]


@admin.register(ReportEvent)
class ReportEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "actor", "on_behalf_of", "task", "period", "note"]
    list_filter = ["kind", "period", "task__zone"]
    list_select_related = ["actor", "on_behalf_of", "task__zone", "period"]
    search_fields = ["note", "actor__username", "task__title"]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["added_at", "report", "kind", "original_name", "url", "size", "added_by", "withdrawn_at"]
    list_filter = ["kind", ("withdrawn_at", admin.EmptyFieldListFilter), "report__period"]
    list_select_related = ["report__task__zone", "report__period", "added_by"]
    search_fields = ["description", "original_name", "url", "sha256"]


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdmin):
    list_display = ["due", "title", "task", "done_on", "created_by"]
    list_filter = [("done_on", admin.EmptyFieldListFilter), "task__zone"]
    list_select_related = ["task__zone", "created_by"]
    search_fields = ["title", "task__title"]


@admin.register(CoordinationRequest)
class CoordinationRequestAdmin(ReadOnlyAdmin):
    list_display = ["asked_at", "task", "agency", "state", "asked_by", "answered_at"]
    list_filter = ["state", "agency", "task__zone"]
    list_select_related = ["task__zone", "agency", "asked_by"]
    search_fields = ["question", "answer", "task__title"]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = [
        "sent_at",
        "kind",
        "zone",
        "period",
        "recipient",
        "email",
        "task_count",
        "delivered",
        "sent_by",
    ]
    list_filter = ["kind", "delivered", "period", "zone"]
    list_select_related = ["zone", "period", "recipient", "sent_by"]
    search_fields = ["recipient__username", "email", "subject"]


@admin.register(PlanAdjustment)
class PlanAdjustmentAdmin(ReadOnlyAdmin):
    """Read-only: proposals and decisions go through the pages (measures.adjustments.services)."""

    list_display = ["proposed_at", "task", "kind", "state", "proposed_by", "decided_by", "decided_at"]
    list_filter = ["kind", "state", "task__zone"]
    list_select_related = ["task__zone", "proposed_by", "decided_by"]
    search_fields = ["reason", "decision_note", "task__title"]


@admin.register(MajorMatter)
class MajorMatterAdmin(ReadOnlyAdmin):
    """Read-only: matters are raised, answered and closed on their pages (measures.matters.services)."""

    list_display = ["raised_at", "title", "zone", "task", "urgency", "state", "raised_by", "notified_count"]
    list_filter = ["urgency", "state", "zone"]
    list_select_related = ["zone", "task", "raised_by"]
    search_fields = ["title", "description", "response"]


class DeputyAdminForm(forms.ModelForm):
    class Meta:
        model = Deputy
        fields = ["principal", "deputy", "starts_on", "ends_on", "reason"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        problems, _row = deputy_problems(
            principal=data["principal"],
            deputy=data["deputy"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            reason=data.get("reason", ""),
            user=self.admin_user,
        )
        for field, messages_ in problems.items():
            self.add_error(field if field in self.fields else None, messages_)
        return data


@admin.register(Deputy)
class DeputyAdmin(admin.ModelAdmin):
    """Administrators name anyone's deputy through the same service as the deputy page; a
    deputyship is never edited or deleted (what a deputy signed says whom they stood in for):
    it is withdrawn."""

    form = DeputyAdminForm
    list_display = ["deputy", "principal", "starts_on", "ends_on", "reason", "withdrawn_at", "created_by"]
    list_filter = [("withdrawn_at", admin.EmptyFieldListFilter), "starts_on"]
    list_select_related = ["deputy", "principal", "created_by"]
    search_fields = ["deputy__username", "principal__username", "reason"]
    raw_id_fields = ["principal", "deputy"]
    actions = ["withdraw_selected"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.admin_user = request.user
        return form

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        row = services.name_deputy(user=request.user, **form.cleaned_data)
        obj.pk = row.pk

    @admin.action(description=_("Withdraw selected deputies"))
    def withdraw_selected(self, request, queryset):
        for row in queryset.filter(withdrawn_at__isnull=True):
            services.withdraw_deputy(deputyship=row, user=request.user)
