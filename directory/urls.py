from django.urls import path

from . import views

# The names mozilla-django-oidc reverses.
urlpatterns = [
    path("authenticate/", views.authenticate, name="oidc_authentication_init"),
    path("callback/", views.callback, name="oidc_authentication_callback"),
]
