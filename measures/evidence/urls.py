from django.urls import path

from measures.evidence import views as evidence
from measures.tasks.urls import REPORT

urlpatterns = [
    path(REPORT + "evidence/file/", evidence.add_file, name="evidence-add-file"),
    path(REPORT + "evidence/link/", evidence.add_link, name="evidence-add-link"),
    path("evidence/<int:pk>/download/", evidence.download, name="evidence-download"),
    path("evidence/<int:pk>/withdraw/", evidence.withdraw, name="evidence-withdraw"),
]
