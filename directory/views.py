"""The OpenID Connect sign-in views, answering 404 while OpenID Connect is off."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView


def oidc_enabled():
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


def provider_name():
    return getattr(settings, "FTZ_OIDC_NAME", "") or _("the office directory")


class CallbackView(OIDCAuthenticationCallbackView):
    def login_failure(self):
        messages.error(
            self.request,
            _("Signing in with %(provider)s did not succeed. Please try again, or ask an administrator.")
            % {"provider": provider_name()},
        )
        return redirect(settings.LOGIN_URL)


def _only_when_enabled(view_class):
    def view(request, *args, **kwargs):
        if not oidc_enabled():
            raise Http404
        # Built per request: the views read their settings when constructed.
        return view_class.as_view()(request, *args, **kwargs)

    return view


authenticate = _only_when_enabled(OIDCAuthenticationRequestView)
callback = _only_when_enabled(CallbackView)
