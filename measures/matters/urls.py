from django.urls import path

from measures.matters import views as matters

urlpatterns = [
    path("matters/", matters.MatterListView.as_view(), name="matter-list"),
    path("matters/new/", matters.raise_matter, name="matter-create"),
    path("matters/<int:pk>/", matters.matter_detail, name="matter-detail"),
    path("matters/<int:pk>/respond/", matters.respond, name="matter-respond"),
    path("matters/<int:pk>/close/", matters.close, name="matter-close"),
]
