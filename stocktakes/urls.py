from django.urls import path

from . import views

app_name = "stocktakes"

urlpatterns = [
    path("stocktakes/", views.StocktakeListView.as_view(), name="list"),
    path("stocktakes/new/", views.schedule, name="create"),
    path("stocktakes/<int:pk>/", views.detail, name="detail"),
    path("stocktakes/<int:pk>/pack.docx", views.pack_docx, name="pack-docx"),
    path("stocktakes/<int:pk>/items/", views.assign, name="assign"),
    path("assigned/", views.ItemListView.as_view(), name="items"),
    path("assigned/<int:pk>/", views.item_detail, name="item"),
    path("assigned/<int:pk>/progress/", views.report_progress, name="item-progress"),
    path("assigned/<int:pk>/close/", views.close, name="item-close"),
    path("assigned/<int:pk>/reopen/", views.reopen, name="item-reopen"),
    path("assigned/evidence/<int:pk>/", views.download_evidence, name="evidence-download"),
]
