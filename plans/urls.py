"""Routes of the plan import (/plans/import/), for administrators."""

from django.urls import path

from plans import views_import

app_name = "plans"
urlpatterns = [
    path("plans/import/", views_import.plan_import, name="plan-import"),
    path("plans/import/<uuid:token>/", views_import.plan_import_preview, name="plan-import-preview"),
    path("plans/import/<uuid:token>/confirm/", views_import.plan_import_confirm, name="plan-import-confirm"),
    path("plans/import/<uuid:token>/cancel/", views_import.plan_import_cancel, name="plan-import-cancel"),
]
