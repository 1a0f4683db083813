from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("people/", views.UserListView.as_view(), name="list"),
    path("people/new/", views.onboard, name="onboard"),
]
