from django.urls import path

from measures.signoff import views
from measures.tasks.urls import REPORT

urlpatterns = [
    path("signoff/", views.signoff_list, name="signoff-list"),
    path(REPORT + "signoff/", views.signoff_report, name="report-signoff"),
    path("my/deputy/", views.deputies, name="deputies"),
    path("my/deputy/<int:pk>/withdraw/", views.withdraw_deputy, name="deputy-withdraw"),
]
