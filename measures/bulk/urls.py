"""Routes of the bulk update from a spreadsheet; included from measures/urls.py under the measures namespace."""

from django.urls import path

from measures.bulk import views as imports

PERIOD = "reports/period/<int:period_id>/"

urlpatterns = [
    path(PERIOD + "template.xlsx", imports.template_xlsx, name="bulk-template-xlsx"),
    path(PERIOD + "template.csv", imports.template_csv, name="bulk-template-csv"),
    path(PERIOD + "upload/", imports.upload, name="bulk-upload"),
]
