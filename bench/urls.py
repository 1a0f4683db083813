"""The app's URLs plus a second admin site whose task changelist shows 25 rows a page, as the
task list does, so the two are compared on the same rows (the stock admin shows 100).

Only the benchmark uses this URLconf (through override_settings); the app never routes here."""

from django.contrib import admin
from django.urls import include, path

from measures.admin import TaskAdmin, TaskCategoryAdmin
from measures.models import Task, TaskCategory
from measures.tasks.views import TaskListView

site = admin.AdminSite(name="bench-admin")


class SamePageTaskAdmin(TaskAdmin):
    list_per_page = TaskListView.paginate_by


site.register(Task, SamePageTaskAdmin)
# TaskAdmin's autocomplete on category needs the category registered on the same site.
site.register(TaskCategory, TaskCategoryAdmin)

urlpatterns = [
    path("bench-admin/", site.urls),
    path("", include("ftztracker.urls")),
]
