"""Site-wide security pieces that belong to no app: the idle and absolute session limits and the
glue for django-axes (sign-in throttling). The settings that drive them are in ftztracker/settings.py.
"""

import ipaddress
import math
import time
from pathlib import Path

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

# Seconds since the epoch (JSON-serialisable, unlike a datetime): when the user signed in, and
# when the session was last renewed for the idle limit.
LOGIN_AT = "ftz_login_at"
SEEN_AT = "ftz_seen_at"
# How stale SEEN_AT may get before a request renews the session: the idle limit is exact to
# within this, and a busy user costs one session write a minute instead of one per request.
RENEW_EVERY_SECONDS = 60


@receiver(user_logged_in, dispatch_uid="ftztracker.security.stamp_login")
def stamp_login(sender, request, user, **kwargs):
    # Django keeps the session's data when the same user signs in again, so the stamps are
    # renewed here rather than only set when missing: signing in again restarts both limits.
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT] = request.session[SEEN_AT] = int(time.time())


class SessionLimitsMiddleware:
    """The two session limits; see the Security section of ftztracker/settings.py.

    Idle: Django's session expires SESSION_COOKIE_AGE after it was last saved. Touching SEEN_AT
    (at most once a minute) marks the session modified, so SessionMiddleware saves it with a new
    expiry and sends a fresh cookie: the age counts from the last activity, not from sign-in.
    (SESSION_SAVE_EVERY_REQUEST would do the same with a database write on every request.)

    Absolute: FTZ_SESSION_ABSOLUTE_SECONDS after sign-in the user is signed out however active,
    so a stolen or forgotten session cannot be kept alive for ever. A session without a stamp
    (signed in before this middleware existed) is stamped on its first request, so the limit
    still applies from then on.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            session = request.session
            now = int(time.time())
            limit = settings.FTZ_SESSION_ABSOLUTE_SECONDS
            signed_in_at = session.setdefault(LOGIN_AT, now)
            if limit and now - signed_in_at >= limit:
                logout(request)
                messages.info(
                    request,
                    _(
                        "For your security you were signed out: your session reached its maximum length. "
                        "Please sign in again."
                    ),
                )
                return redirect_to_login(request.get_full_path())
            if now - session.get(SEEN_AT, 0) >= RENEW_EVERY_SECONDS:
                session[SEEN_AT] = now
        return self.get_response(request)


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' throttling backend, except for calls that bring no request.

    Axes locks a (user name, client address) pair, and without a request there is no address;
    plain axes raises ValueError then. Such calls come only from code (the test client's
    login(), the shell); every sign-in over HTTP goes through Django's login views, which pass
    the request. tests/security/test_login_throttle.py checks that the project's own code never
    calls authenticate() without one.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def password_free_sign_in(request, credentials):
    """Axes' whitelist: a sign-in that carries no password is not axes' to count.

    An OpenID Connect callback (directory/) authenticates with a one-time code, not a user name and
    password: the provider checks the password and throttles guesses itself. Counted, its failures
    would all share the user name None, so a few broken callbacks from one office's address would
    lock the provider's button for everyone behind it.
    """
    return not (credentials or {}).get("password")


def from_trusted_proxy(request):
    """Whether the request came through our proxy: FTZ_BEHIND_PROXY is on and the peer's address
    is one of FTZ_TRUSTED_PROXIES. Anyone else's X-Forwarded-* headers are their own invention."""
    if not getattr(settings, "FTZ_BEHIND_PROXY", False):
        return False
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    for entry in getattr(settings, "FTZ_TRUSTED_PROXIES", ()):
        try:
            if peer in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


class UntrustedForwardedHeadersMiddleware:
    """Drop X-Forwarded-For and X-Forwarded-Proto unless a trusted proxy sent the request, so a
    client that reaches the app server directly can neither pick the address the sign-in lockout
    counts nor claim to be on HTTPS."""

    HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not from_trusted_proxy(request):
            for header in self.HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)


class PrivateResponsesMiddleware:
    """Cache-Control: private, no-store on every answer to a signed-in user or an API caller
    (DRF puts the token's user on the request too), so no browser history, back button or shared
    proxy keeps a page or figures meant for one person."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if getattr(user, "is_authenticated", False) or request.path.startswith("/api/"):
            patch_cache_control(response, private=True, no_store=True)
            # "public" or a lifetime for shared caches would contradict the two above.
            response.headers["Cache-Control"] = ", ".join(
                part
                for part in (p.strip() for p in response["Cache-Control"].split(","))
                if part != "public"
                and not part.startswith("s-maxage")
                and not (part.startswith("max-age") and part != "max-age=0")
            )
        return response


def clean_upload_temp_dir(now=None):
    """Delete Django's upload spool files (*.upload*) older than FTZ_UPLOAD_TEMP_MAX_AGE from
    FILE_UPLOAD_TEMP_DIR; the age spares uploads other processes are receiving right now. Run at
    every process start (ftztracker/wsgi.py). Returns how many were removed."""
    folder = getattr(settings, "FILE_UPLOAD_TEMP_DIR", None)
    if not folder:
        return 0
    cutoff = (now or time.time()) - settings.FTZ_UPLOAD_TEMP_MAX_AGE
    removed = 0
    for path in Path(folder).glob("*.upload*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # another process cleaned it first
    return removed


def client_ip(request):
    """The client's address for axes: REMOTE_ADDR, or behind our proxy the address it saw.

    With FTZ_BEHIND_PROXY the proxy appends the peer it saw to X-Forwarded-For; the entries
    before that last one come from the client and could be forged, so only the last is used,
    and only when the request came from a trusted proxy (FTZ_TRUSTED_PROXIES).
    Anything that is not an address falls back to REMOTE_ADDR: axes stores it in an IP column.
    """
    remote = request.META.get("REMOTE_ADDR")
    if not from_trusted_proxy(request):
        return remote
    candidate = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def lockout_response(request, original_response=None, credentials=None):
    """The page shown instead of the sign-in form's answer while a user name is locked out.

    429 Too Many Requests, with Retry-After, so scripts and monitoring see what happened; the
    page itself extends base.html and speaks the user's language.
    """
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 0
    response = render(
        request,
        "registration/locked_out.html",
        {
            "failure_limit": get_failure_limit(request, credentials),
            "minutes": math.ceil(seconds / 60) if seconds else None,
        },
        status=429,
    )
    if seconds:
        response["Retry-After"] = str(seconds)
    return response


class RejectNulBytesMiddleware:
    """A NUL character is never valid input here, and PostgreSQL refuses it in text columns; answer
    400 up front instead of letting it reach a query and fail there with a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            "\x00" in request.path
            or _has_nul(request.GET)
            or (request.method == "POST" and _has_nul(request.POST))
        ):
            return HttpResponseBadRequest(_("The request contains a NUL character, which is not allowed."))
        return self.get_response(request)


def _has_nul(query_dict):
    return any(
        "\x00" in key or any("\x00" in value for value in values) for key, values in query_dict.lists()
    )
