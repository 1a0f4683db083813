from django.urls import path, re_path

from measures.tasks import views

# Every task-level route starts here; the reporting, evidence, follow-up and adjustment routes build on it.
TASK = "zones/<slug:code>/tasks/<int:number>/"
REPORT = TASK + "periods/<int:period_id>/"

urlpatterns = [
    path("tasks/", views.TaskListView.as_view(), name="task-list"),
    re_path(
        r"^tasks/export\.(?P<fmt>xlsx|csv)$", views.TaskListExportView.as_view(), name="task-list-export"
    ),
    path(TASK, views.task_detail, name="task-detail"),
]
