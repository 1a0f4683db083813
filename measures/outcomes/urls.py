from django.urls import path

from measures.outcomes import views as outcomes

urlpatterns = [
    path("outcomes/", outcomes.OutcomeListView.as_view(), name="outcome-list"),
    path("outcomes/new/", outcomes.create_outcome, name="outcome-create"),
    path("outcomes/<int:pk>/", outcomes.outcome_detail, name="outcome-detail"),
    path("outcomes/<int:pk>/edit/", outcomes.edit_outcome, name="outcome-edit"),
    path("outcomes/<int:pk>/submit/", outcomes.submit, name="outcome-submit"),
    path("outcomes/<int:pk>/evaluate/", outcomes.evaluate, name="outcome-evaluate"),
    path("outcomes/<int:pk>/return/", outcomes.return_for_changes, name="outcome-return"),
    path("outcomes/<int:pk>/recommend/", outcomes.recommend, name="outcome-recommend"),
    path("outcomes/<int:pk>/decline/", outcomes.decline, name="outcome-decline"),
    path("outcomes/<int:pk>/replicate/", outcomes.replicate, name="outcome-replicate"),
    path("outcomes/<int:pk>/evidence/", outcomes.add_file, name="outcome-evidence"),
    path("outcomes/<int:pk>/delete/", outcomes.delete, name="outcome-delete"),
    path(
        "outcomes/<int:pk>/evidence/<int:evidence_pk>/withdraw/",
        outcomes.withdraw_evidence,
        name="outcome-evidence-withdraw",
    ),
    path("outcomes/list/<int:period_id>.xlsx", outcomes.submission_list_xlsx, name="outcome-list-xlsx"),
    path("outcomes/list/<int:period_id>.docx", outcomes.submission_list_docx, name="outcome-list-docx"),
]
