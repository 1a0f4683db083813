from django.urls import path

from measures.reporting import views as reports
from measures.tasks.urls import REPORT, TASK

urlpatterns = [
    path(REPORT + "report/", reports.edit_report, name="report-edit"),
    path(REPORT + "start-from-previous/", reports.start_from_previous, name="report-start-from-previous"),
    path(REPORT + "submit/", reports.submit_report, name="report-submit"),
    path(REPORT + "recall/", reports.recall_report, name="report-recall"),
    path(REPORT + "review/", reports.review_report, name="report-review"),
    path(TASK + "close/", reports.close_task, name="task-close"),
    path(TASK + "reopen/", reports.reopen_task, name="task-reopen"),
]
