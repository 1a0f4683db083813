from django.urls import path

from measures.followup import views as followup
from measures.tasks.urls import TASK

urlpatterns = [
    path(TASK + "milestones/", followup.add_milestone, name="milestone-add"),
    path(TASK + "milestones/<int:pk>/edit/", followup.edit_milestone, name="milestone-edit"),
    path(TASK + "milestones/<int:pk>/done/", followup.complete_milestone, name="milestone-done"),
    path(TASK + "milestones/<int:pk>/delete/", followup.delete_milestone, name="milestone-delete"),
    path(TASK + "milestones/<int:pk>/reopen/", followup.reopen_milestone, name="milestone-reopen"),
    path(TASK + "requests/", followup.ask_agency, name="request-add"),
    path(TASK + "requests/<int:pk>/answer/", followup.answer_request, name="request-answer"),
    path(TASK + "requests/<int:pk>/close/", followup.close_request, name="request-close"),
    path(TASK + "requests/<int:pk>/reopen/", followup.reopen_request, name="request-reopen"),
    path("zones/<slug:code>/chase/", followup.chase_zone, name="zone-chase"),
    path("requests/", followup.RequestListView.as_view(), name="request-list"),
    path("requests/overdue/", followup.overdue_requests, name="requests-overdue"),
]
