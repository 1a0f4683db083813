"""Telling people about the end of their session, so it never silently costs them what they typed
(issue 14, item 8). The typed text itself is kept in the browser by static/js/drafts.js; this
module gives that script the time left (context processor and keep-alive view) and says on the
sign-in page that the session ended, rather than showing it as if nothing had happened.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from .security import LOGIN_AT, SEEN_AT

# Set while someone is signed in, removed when they sign out. A request that arrives without a
# session but with this cookie comes from a session that ended (idle limit, or its cookie gone).
MARKER = "ftz_signed_in"
MARKER_MAX_AGE = 30 * 24 * 3600


def seconds_left(session, now=None):
    """Seconds until the idle or the absolute limit ends the session, whichever comes first."""
    now = int(time.time()) if now is None else now
    idle = session.get(SEEN_AT, now) + settings.SESSION_COOKIE_AGE - now
    limit = settings.FTZ_SESSION_ABSOLUTE_SECONDS
    left = min(idle, session.get(LOGIN_AT, now) + limit - now) if limit else idle
    return max(int(left), 0)


class SessionEndedMiddleware:
    """Keeps MARKER in step with the sign-in, and when a request comes with MARKER but without a
    session, leaves a message for the sign-in page the user is sent to. Placed before
    SessionLimitsMiddleware, whose absolute-limit sign-out brings its own message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        marked = bool(request.COOKIES.get(MARKER))
        ended = marked and not request.user.is_authenticated
        if ended:
            messages.warning(
                request,
                _(
                    "Your session ended (after %(minutes)s minutes without activity, or it was closed), so "
                    "you were signed out. Sign in again: text you were typing in this browser is kept and "
                    "comes back in its form."
                )
                % {"minutes": settings.SESSION_COOKIE_AGE // 60},
            )
        response = self.get_response(request)
        if request.user.is_authenticated:
            if not marked:
                response.set_cookie(
                    MARKER,
                    "1",
                    max_age=MARKER_MAX_AGE,
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
        elif marked:
            response.delete_cookie(MARKER, samesite="Lax")
        return response


def session_guard(request):
    """For base.html: the seconds the session has left, which drafts.js counts down."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"session_ends_in": seconds_left(request.session)}


def keep_alive(request):
    """The "Stay signed in" button: renews the idle limit and says how long is left now.
    401 (not a redirect to the sign-in page) once the session has ended."""
    if not request.user.is_authenticated:
        response = JsonResponse({"ends_in": 0}, status=401)
    else:
        request.session[SEEN_AT] = int(time.time())
        response = JsonResponse({"ends_in": seconds_left(request.session)})
    add_never_cache_headers(response)
    return response
