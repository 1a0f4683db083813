from django.urls import path

from . import views

app_name = "measures"
urlpatterns = [
    path("tasks/", views.TaskListView.as_view(), name="task-list"),
    path("zones/<slug:code>/tasks/<int:number>/", views.task_detail, name="task-detail"),
]
