"""The OpenID Connect and CAS sign-in views, answering 404 while their way in is off."""

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_cas_ng.views import LoginView as CASLoginView
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

security_log = logging.getLogger("django.security.directory")


def oidc_enabled():
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


def cas_enabled():
    return bool(getattr(settings, "CAS_SERVER_URL", None))


def provider_name():
    return getattr(settings, "FTZ_OIDC_NAME", "") or _("the office directory")


def cas_name():
    return getattr(settings, "FTZ_CAS_NAME", "") or _("the office's single sign-on")


def _failed(request, provider):
    messages.error(
        request,
        _("Signing in with %(provider)s did not succeed. Please try again, or ask an administrator.")
        % {"provider": provider},
    )
    return redirect(settings.LOGIN_URL)


class CallbackView(OIDCAuthenticationCallbackView):
    def get(self, request):
        try:
            return super().get(request)
        except SuspiciousOperation as exc:
            # An unknown state, or an id token with a bad signature, audience or issuer: nobody is
            # signed in, and the person gets the sign-in page with a message instead of a bare 400.
            security_log.warning("OpenID Connect callback refused: %s", exc)
            return self.login_failure()

    def login_failure(self):
        return _failed(self.request, provider_name())


class CASView(CASLoginView):
    def successful_login(self, request, next_page):
        # django-cas-ng takes ?next= (or the Referer) as it comes; only this site's own pages are
        # followed, as Django's sign-in view does.
        safe = url_has_allowed_host_and_scheme(
            next_page, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        return super().successful_login(
            request, next_page if safe else resolve_url(settings.LOGIN_REDIRECT_URL)
        )

    def get(self, request):
        try:
            return super().get(request)
        except PermissionDenied:
            # django-cas-ng's answer to a ticket the server did not confirm.
            return _failed(request, cas_name())


def _only_when(enabled, view_class):
    def view(request, *args, **kwargs):
        if not enabled():
            raise Http404
        # Built per request: the views read their settings when constructed.
        return view_class.as_view()(request, *args, **kwargs)

    return view


authenticate = _only_when(oidc_enabled, OIDCAuthenticationRequestView)
callback = _only_when(oidc_enabled, CallbackView)
cas_login = _only_when(cas_enabled, CASView)
