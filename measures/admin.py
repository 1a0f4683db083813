from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Task, TaskAgency, TaskCategory


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
        return super().get_queryset(request).annotate(task_count=Count("tasks"))

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
    list_display = ["number", "title", "zone", "category", "source_ref", "agency_count"]
    list_display_links = ["number", "title"]
    list_filter = ["zone__plan", "zone", "agency_links__agency"]
    list_select_related = ["zone", "category__zone"]
    search_fields = ["title", "title_en", "text", "source_ref", "agency_links__agency__name"]
    autocomplete_fields = ["category"]
    inlines = [TaskAgencyInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(agency_count=Count("agency_links"))

    @admin.display(description=_("agencies"), ordering="agency_count")
    def agency_count(self, task):
        return task.agency_count


@admin.register(TaskAgency)
class TaskAgencyAdmin(admin.ModelAdmin):
    list_display = ["task", "position", "agency"]
    list_filter = ["task__zone", "agency"]
    list_select_related = ["task__zone", "agency"]
    search_fields = ["task__title", "agency__name", "agency__name_en"]
    autocomplete_fields = ["task", "agency"]
