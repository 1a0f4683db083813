"""Routes of the period report (exports); included from measures/urls.py under the measures namespace."""

from django.urls import path

from measures.exports import views as exports

PERIOD = "reports/period/<int:period_id>/"

urlpatterns = [
    path("reports/", exports.choose, name="period-report"),
    path(PERIOD, exports.report_html, name="period-report-html"),
    path(PERIOD + "xlsx", exports.report_xlsx, name="period-report-xlsx"),
    path(PERIOD + "csv", exports.report_csv, name="period-report-csv"),
    path(PERIOD + "docx", exports.report_docx, name="period-report-docx"),
]
