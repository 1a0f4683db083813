from django.urls import path

from measures.zone_pages import views

app_name = "zones"
urlpatterns = [
    path("zones/", views.zone_list, name="list"),
    path("zones/<slug:code>/", views.zone_detail, name="detail"),
    path("agencies/", views.AgencyListView.as_view(), name="agency-list"),
    path("agencies/<int:pk>/", views.agency_detail, name="agency-detail"),
    path(
        "agencies/<int:pk>/requests/<int:request_pk>/answer/",
        views.answer_request,
        name="agency-request-answer",
    ),
]
