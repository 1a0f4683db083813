"""Sessions: a new key at sign-in, an idle timeout and an absolute one."""

import datetime
import time

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.utils import timezone

from ftztracker.security import LOGIN_AT, RENEW_EVERY_SECONDS, SEEN_AT

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PAGE = "/my/"


@pytest.fixture
def user():
    return get_user_model().objects.create_user("officer_s", password=PASSWORD)


def session_key(client):
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def sign_in(client):
    response = client.post(LOGIN, {"username": "officer_s", "password": PASSWORD})
    assert response.status_code == 302
    return response


def set_session(client, **values):
    session = client.session
    session.update(values)
    session.save()


def test_sign_in_gives_a_new_session_key(client, user):
    # An anonymous session (e.g. one an attacker planted: session fixation) is not reused.
    set_session(client, probe=1)
    before = session_key(client)
    sign_in(client)
    after = session_key(client)
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.get(session_key=after).get_decoded()["_auth_user_id"] == str(user.pk)


def test_signing_out_ends_the_session_on_the_server(client, user):
    sign_in(client)
    key = session_key(client)
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=key).exists()


def test_settings():
    assert settings.SESSION_COOKIE_AGE == 2 * 3600
    assert settings.FTZ_SESSION_ABSOLUTE_SECONDS == 12 * 3600
    # The middleware renews sessions itself, without a write on every request.
    assert not settings.SESSION_SAVE_EVERY_REQUEST
    assert "ftztracker.security.SessionLimitsMiddleware" in settings.MIDDLEWARE


def expiry(client):
    return Session.objects.get(session_key=session_key(client)).expire_date


def test_activity_moves_the_idle_deadline(client, user):
    sign_in(client)
    # Last renewed over a minute ago, and idle for nearly the whole age since.
    set_session(client, **{SEEN_AT: int(time.time()) - RENEW_EVERY_SECONDS})
    Session.objects.filter(session_key=session_key(client)).update(
        expire_date=timezone.now() + datetime.timedelta(seconds=5)
    )
    response = client.get(PAGE)
    assert response.status_code == 200
    remaining = expiry(client) - timezone.now()
    assert abs(remaining.total_seconds() - settings.SESSION_COOKIE_AGE) < 60
    # The browser's cookie is renewed with it.
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE


def test_requests_within_a_minute_do_not_write_the_session(client, user):
    sign_in(client)
    client.get(PAGE)
    deadline = expiry(client)
    response = client.get(PAGE)
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert expiry(client) == deadline


def test_an_idle_session_has_ended(client, user):
    sign_in(client)
    Session.objects.filter(session_key=session_key(client)).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.get(PAGE)
    assert response.status_code == 302 and response.url.startswith(LOGIN + "?next=")


def test_sign_in_records_when(client, user):
    before = int(time.time())
    sign_in(client)
    assert before <= client.session[LOGIN_AT] <= int(time.time())


def test_the_absolute_limit_signs_out_an_active_user(client, user, settings):
    settings.FTZ_SESSION_ABSOLUTE_SECONDS = 3600
    sign_in(client)
    # Inside the hour with a margin: at 3,599 s a loaded machine's one-second tick signed it out.
    set_session(client, **{LOGIN_AT: int(time.time()) - 3540})
    assert client.get(PAGE).status_code == 200  # still inside the hour, however recent the last request
    set_session(client, **{LOGIN_AT: int(time.time()) - 3600})
    key = session_key(client)
    response = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response.url == f"{LOGIN}?next={PAGE}"
    assert not Session.objects.filter(session_key=key).exists()
    # The sign-in page says why.
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "your session reached its maximum length" in page
    assert client.get(PAGE).status_code == 302


def test_signing_in_again_restarts_the_absolute_limit(client, user, settings):
    settings.FTZ_SESSION_ABSOLUTE_SECONDS = 3600
    sign_in(client)
    set_session(client, **{LOGIN_AT: int(time.time()) - 3500})
    sign_in(client)  # the same user, without signing out: Django keeps the session's data
    assert client.session[LOGIN_AT] >= int(time.time()) - 5
    assert client.get(PAGE).status_code == 200


def test_a_session_from_before_the_limit_existed_is_stamped_not_dropped(client, user):
    client.force_login(user)
    session = client.session
    session.pop(LOGIN_AT, None)
    session.save()
    assert client.get(PAGE).status_code == 200
    assert abs(client.session[LOGIN_AT] - time.time()) < 5
