from django.urls import path

from . import views

# The names mozilla-django-oidc reverses.
oidc_urlpatterns = [
    path("authenticate/", views.authenticate, name="oidc_authentication_init"),
    path("callback/", views.callback, name="oidc_authentication_callback"),
]
cas_urlpatterns = [
    # Sends the browser to the CAS server, and takes the ticket it comes back with.
    path("login/", views.cas_login, name="cas_ng_login"),
]
