"""The end of a session is said, not silent (issue 14, item 8): the sign-in page tells someone whose
session ended, the pages give drafts.js the seconds left, and "stay signed in" renews the session."""

import time

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session

from ftztracker.security import SEEN_AT
from ftztracker.session_notice import MARKER, seconds_left

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PAGE = "/my/"
KEEP_ALIVE = "/accounts/session/"


@pytest.fixture
def user():
    return get_user_model().objects.create_user("officer_n", password=PASSWORD)


def sign_in(client):
    response = client.post(LOGIN, {"username": "officer_n", "password": PASSWORD})
    assert response.status_code == 302
    return response


def shown_messages(response):
    return [str(message) for message in response.context["messages"]] if response.context else []


def test_an_ended_session_is_said_on_the_sign_in_page(client, user):
    sign_in(client)
    assert client.cookies[MARKER].value == "1"
    # The idle limit: the server's session is gone while the browser still has the marker.
    Session.objects.all().delete()
    response = client.post(
        "/zones/xiqing/tasks/1/periods/1/report/", {"progress": "打了很久的字"}, follow=True
    )
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    [message] = shown_messages(response)
    assert str(settings.SESSION_COOKIE_AGE // 60) in message
    # Said once: the marker is gone, so the next visit is an ordinary sign-in page.
    assert client.cookies[MARKER].value == ""
    assert shown_messages(client.get(LOGIN)) == []


def test_signing_out_is_not_reported_as_an_ended_session(client, user):
    sign_in(client)
    client.post("/accounts/logout/")
    assert client.cookies[MARKER].value == ""
    assert shown_messages(client.get(LOGIN)) == []


def test_a_first_visit_says_nothing_about_sessions(client, user):
    response = client.get(PAGE, follow=True)
    assert shown_messages(response) == []


def test_pages_carry_the_seconds_left_for_the_warning(client, user):
    sign_in(client)
    page = client.get(PAGE).content.decode()
    assert 'id="session-guard"' in page
    left = int(page.split('data-ends-in="')[1].split('"')[0])
    assert settings.SESSION_COOKIE_AGE - 120 <= left <= settings.SESSION_COOKIE_AGE
    assert "js/drafts.js" in page


def test_seconds_left_is_the_sooner_of_the_two_limits(settings):
    settings.SESSION_COOKIE_AGE = 3600
    settings.FTZ_SESSION_ABSOLUTE_SECONDS = 7200
    now = 1_000_000
    assert seconds_left({SEEN_AT: now - 600, "ftz_login_at": now - 1000}, now) == 3000
    assert seconds_left({SEEN_AT: now - 60, "ftz_login_at": now - 7000}, now) == 200
    assert seconds_left({SEEN_AT: now - 4000, "ftz_login_at": now - 4000}, now) == 0


def test_staying_signed_in_renews_the_idle_limit(client, user):
    sign_in(client)
    session = client.session
    session[SEEN_AT] = int(time.time()) - 1800
    session.save()
    response = client.get(KEEP_ALIVE)
    assert response.status_code == 200
    assert response.json()["ends_in"] >= settings.SESSION_COOKIE_AGE - 5
    assert "no-store" in response["Cache-Control"]
    assert int(time.time()) - client.session[SEEN_AT] < 5


def test_keep_alive_after_the_end_answers_401_not_a_redirect(client, user):
    response = client.get(KEEP_ALIVE)
    assert response.status_code == 401
    assert response.json() == {"ends_in": 0}


@pytest.mark.parametrize(
    ("language", "restored", "warn"),
    [
        ("zh-hans", "已恢复您于 %s 在此输入但尚未保存的内容", "您的会话将在 %s 分钟后结束"),
        ("en", "Restored what you typed here on %s,", "Your session ends in %s min"),
    ],
)
def test_the_guards_texts_with_a_placeholder_are_in_the_users_language(
    client, user, language, restored, warn
):
    # The template tag looks these up with % doubled; the script fills in the %s.
    sign_in(client)
    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    guard = page.split('id="session-guard"')[1].split("</div>")[0]
    assert restored in guard.split('data-t-restored="')[1].split('"')[0]
    assert warn in guard.split('data-t-warn="')[1].split('"')[0]
