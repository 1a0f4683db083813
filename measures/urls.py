"""The measures namespace: each domain package brings its own routes (URL names are unchanged).

ftztracker/urls.py adds the my page (portal) to this namespace, as it also draws on indicators."""

from django.urls import include, path

from .dashboard.silence_views import silence_page
from .dashboard.views import dashboard_tables

app_name = "measures"

DOMAINS = [
    "tasks",
    "reporting",
    "evidence",
    "followup",
    "periods",
    "outcomes",
    "adjustments",
    "matters",
    "exports",
    "bulk",
    "signoff",
    "review",
]

urlpatterns = [path("", include(f"measures.{domain}.urls")) for domain in DOMAINS]
urlpatterns.append(path("silence/", silence_page, name="silence"))
urlpatterns.append(path("dashboard/tables/", dashboard_tables, name="dashboard-tables"))
