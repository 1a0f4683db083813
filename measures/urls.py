from django.urls import include, path

from .views import evidence, followup, my, outcomes, periods, reports, tasks

app_name = "measures"
TASK = "zones/<slug:code>/tasks/<int:number>/"
REPORT = TASK + "periods/<int:period_id>/"

urlpatterns = [
    path("my/", my.my_page, name="my"),
    path("tasks/", tasks.TaskListView.as_view(), name="task-list"),
    path(TASK, tasks.task_detail, name="task-detail"),
    path(REPORT + "report/", reports.edit_report, name="report-edit"),
    path(REPORT + "start-from-previous/", reports.start_from_previous, name="report-start-from-previous"),
    path(REPORT + "submit/", reports.submit_report, name="report-submit"),
    path(REPORT + "review/", reports.review_report, name="report-review"),
    path(REPORT + "evidence/file/", evidence.add_file, name="evidence-add-file"),
    path(REPORT + "evidence/link/", evidence.add_link, name="evidence-add-link"),
    path("evidence/<int:pk>/download/", evidence.download, name="evidence-download"),
    path("evidence/<int:pk>/withdraw/", evidence.withdraw, name="evidence-withdraw"),
    path(TASK + "close/", reports.close_task, name="task-close"),
    path(TASK + "reopen/", reports.reopen_task, name="task-reopen"),
    path(TASK + "milestones/", followup.add_milestone, name="milestone-add"),
    path(TASK + "milestones/<int:pk>/edit/", followup.edit_milestone, name="milestone-edit"),
    path(TASK + "milestones/<int:pk>/done/", followup.complete_milestone, name="milestone-done"),
    path(TASK + "milestones/<int:pk>/reopen/", followup.reopen_milestone, name="milestone-reopen"),
    path(TASK + "requests/", followup.ask_agency, name="request-add"),
    path(TASK + "requests/<int:pk>/answer/", followup.answer_request, name="request-answer"),
    path(TASK + "requests/<int:pk>/close/", followup.close_request, name="request-close"),
    path("zones/<slug:code>/chase/", followup.chase_zone, name="zone-chase"),
    path("periods/", periods.period_list, name="period-list"),
    path("periods/<int:pk>/lock/", periods.lock_period, name="period-lock"),
    path("periods/<int:pk>/reopen/", periods.reopen_period, name="period-reopen"),
    path("outcomes/", outcomes.OutcomeListView.as_view(), name="outcome-list"),
    path("outcomes/new/", outcomes.create_outcome, name="outcome-create"),
    path("outcomes/<int:pk>/", outcomes.outcome_detail, name="outcome-detail"),
    path("outcomes/<int:pk>/edit/", outcomes.edit_outcome, name="outcome-edit"),
    path("outcomes/<int:pk>/submit/", outcomes.submit, name="outcome-submit"),
    path("outcomes/<int:pk>/evaluate/", outcomes.evaluate, name="outcome-evaluate"),
    path("outcomes/<int:pk>/recommend/", outcomes.recommend, name="outcome-recommend"),
    path("outcomes/<int:pk>/decline/", outcomes.decline, name="outcome-decline"),
    path("outcomes/<int:pk>/replicate/", outcomes.replicate, name="outcome-replicate"),
    path("outcomes/<int:pk>/evidence/", outcomes.add_file, name="outcome-evidence"),
    path("outcomes/list/<int:period_id>.xlsx", outcomes.submission_list_xlsx, name="outcome-list-xlsx"),
    path("outcomes/list/<int:period_id>.docx", outcomes.submission_list_docx, name="outcome-list-docx"),
    path("", include("measures.urls_exports")),
    path("", include("measures.urls_imports")),
]
