from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import ProgressReport, ReportEvent, ReportingPeriod, Task, TaskAgency, TaskCategory


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
    inlines = [TaskAgencyInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(agency_count=Count("agency_links", distinct=True))

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
    search_fields = ["task__title", "progress", "problems", "next_steps"]


@admin.register(ReportEvent)
class ReportEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "actor", "report", "period", "note"]
    list_filter = ["kind", "period"]
    list_select_related = ["actor", "report__task__zone", "report__period", "period"]
    search_fields = ["note", "actor__username", "report__task__title"]
