"""Sign-in throttling with django-axes: five failures lock the (user name, client address) pair for
the cool-off, the right password is refused meanwhile, and the lockout page says so in both languages."""

import ast
import datetime
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.utils import timezone

from ftztracker.security import client_ip

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LOCKED_EN = "Too many failed sign-in attempts."


@pytest.fixture
def user():
    return get_user_model().objects.create_user("officer_x", password=PASSWORD)


def sign_in(client, password, username="officer_x", url=LOGIN, **extra):
    return client.post(url, {"username": username, "password": password}, HTTP_ACCEPT_LANGUAGE="en", **extra)


def signed_in(client):
    return "_auth_user_id" in client.session


def fail(client, times, **kwargs):
    return [sign_in(client, "wrong-password", **kwargs).status_code for _ in range(times)]


def test_settings_match_the_issue():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 30 * 60  # FTZ_LOGIN_COOLOFF_MINUTES' default
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AUTHENTICATION_BACKENDS[0] == "ftztracker.security.LoginThrottleBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_the_fifth_failure_locks_and_the_right_password_is_refused(client, user):
    # Four failures only show the usual message; the fifth locks.
    for _ in range(4):
        response = sign_in(client, "wrong-password")
        assert response.status_code == 200 and "did not match" in response.content.decode()
    assert sign_in(client, "wrong-password").status_code == 429
    locked = sign_in(client, PASSWORD)
    assert locked.status_code == 429
    assert not signed_in(client)
    assert locked["Retry-After"] == str(30 * 60)
    page = locked.content.decode()
    assert LOCKED_EN in page and "30 minutes" in page
    # The lockout page is a page of the site: base layout, the page CSP, a way back.
    assert 'class="topbar"' in page and f'href="{LOGIN}"' in page
    assert "default-src 'self'" in locked["Content-Security-Policy"]


def test_exactly_five_failures(client, user):
    statuses = fail(client, 5)
    assert statuses == [200, 200, 200, 200, 429]


def test_the_lock_ends_after_the_cool_off(client, user):
    fail(client, 5)
    assert sign_in(client, PASSWORD).status_code == 429
    # Thirty minutes and a second later (the last attempt restarted the wait).
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=30, seconds=1))
    response = sign_in(client, PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_cool_off_comes_from_the_environment_setting(client, user, settings):
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=5)
    fail(client, 5)
    locked = sign_in(client, PASSWORD)
    assert "5 minutes" in locked.content.decode() and locked["Retry-After"] == "300"


def test_the_lock_is_per_user_name_and_address(client, user):
    fail(client, 5)
    # The same user from another address is not locked out by someone else's guessing...
    assert sign_in(client, PASSWORD, REMOTE_ADDR="10.1.2.3").status_code == 302
    client.post("/accounts/logout/")
    # ...nor is another user from the same address (one office behind one NAT address).
    get_user_model().objects.create_user("colleague", password=PASSWORD)
    assert sign_in(client, PASSWORD, username="colleague").status_code == 302


def test_a_success_forgets_earlier_failures(client, user):
    fail(client, 4)
    assert sign_in(client, PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    assert fail(client, 4) == [200] * 4


def test_unknown_user_names_are_locked_the_same_way(client):
    # No difference that would tell a guesser which names exist.
    assert fail(client, 5, username="nobody") == [200, 200, 200, 200, 429]


def test_the_admin_sign_in_is_throttled_too(client, user):
    user.is_staff = True
    user.save()
    fail(client, 5, url="/admin/login/")
    response = sign_in(client, PASSWORD, url="/admin/login/")
    assert response.status_code == 429 and not signed_in(client)


def test_lockout_page_in_english_and_chinese(client, user):
    fail(client, 5)
    en = sign_in(client, PASSWORD).content.decode()
    assert LOCKED_EN in en and '<html lang="en">' in en
    zh_response = client.post(
        LOGIN, {"username": "officer_x", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="zh-CN"
    )
    assert zh_response.status_code == 429
    zh = zh_response.content.decode()
    assert '<html lang="zh-hans">' in zh
    assert "登录失败次数过多。" in zh and "30 分钟" in zh and LOCKED_EN not in zh


def test_test_client_sign_in_helpers_still_work(client, user):
    # client.login() calls authenticate() without a request; the throttle lets it through.
    assert client.login(username="officer_x", password=PASSWORD)
    assert client.get("/my/").status_code == 200
    client.logout()
    client.force_login(user)
    assert client.get("/my/").status_code == 200


def test_project_code_always_passes_the_request_to_authenticate():
    # The throttle cannot work on a call without a request (LoginThrottleBackend lets it pass),
    # so none of the project's own code may make one.
    venv, tests = Path(settings.BASE_DIR) / ".venv", Path(settings.BASE_DIR) / "tests"
    offenders = []
    for path in Path(settings.BASE_DIR).rglob("*.py"):
        if path.is_relative_to(venv) or path.is_relative_to(tests):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            passes_request = node.args or "request" in {keyword.arg for keyword in node.keywords}
            if name in {"authenticate", "aauthenticate"} and not passes_request:
                offenders.append(f"{path}:{node.lineno}")
    assert offenders == []


def request_from(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post(LOGIN, **extra)


def test_client_address_without_a_proxy_ignores_forwarded_headers(settings):
    settings.FTZ_BEHIND_PROXY = False
    assert client_ip(request_from("198.51.100.7", "203.0.113.9")) == "198.51.100.7"


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.9", "203.0.113.9"),
        # Entries before the last were sent by the client and may be forged.
        ("1.2.3.4, 203.0.113.9", "203.0.113.9"),
        ("2001:db8::1", "2001:db8::1"),
        ("not-an-address", "127.0.0.1"),
        ("", "127.0.0.1"),
        (None, "127.0.0.1"),
    ],
)
def test_client_address_behind_the_proxy(settings, forwarded, expected):
    settings.FTZ_BEHIND_PROXY = True
    assert client_ip(request_from("127.0.0.1", forwarded)) == expected


def test_behind_the_proxy_each_client_address_is_locked_separately(client, user, settings):
    settings.FTZ_BEHIND_PROXY = True
    fail(client, 5, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert sign_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    assert sign_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 302
