"""CSRF is enforced on every POST the project answers, and nothing opts out of it.

Every URL pattern is walked from the root resolver (admin, auth, i18n and the apps alike), filled
in with sample arguments, checked to resolve back to the same view, and posted to by a signed-in
user whose browser holds a CSRF cookie but sends no token: a cross-site form post. Views that
refuse POST are included on purpose: the CSRF check runs before any view, so they must fail it
too, and a view that starts accepting POST later is then already covered.
"""

import ast
import logging
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve
from django.utils.regex_helper import normalize

SAMPLE_ARGUMENTS = {
    "code": "xiqing",
    "app_label": "auth",
    "url": "no-such-page/",
    "token": "12345678-1234-5678-1234-567812345678",
    "fmt": "csv",
}
DEFAULT_ARGUMENT = "1"
# The opt-out decorator's name, split so this file does not match its own search.
OPT_OUT = "csrf" + "_exempt"


def url_patterns(patterns=None, chain=()):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern.url_patterns, (*chain, pattern))
        else:
            yield (*chain, pattern)


def sample_url(chain):
    parts = []
    for pattern in chain:
        template, params = normalize(pattern.pattern.regex.pattern)[0]
        parts.append(template % {name: SAMPLE_ARGUMENTS.get(name, DEFAULT_ARGUMENT) for name in params})
    return "/" + "".join(parts)


def all_views():
    """(url, pattern) for every route, each URL checked to reach the route it was built from."""
    views, unreachable = [], []
    for chain in url_patterns():
        url, pattern = sample_url(chain), chain[-1]
        if resolve(url).func is pattern.callback:
            views.append((url, pattern))
        else:
            unreachable.append(f"{url} ({pattern.pattern})")
    assert unreachable == [], "add sample arguments so these routes can be reached"
    return views


def test_the_walk_reaches_every_kind_of_route():
    urls = {url for url, _ in all_views()}
    assert len(urls) > 150  # the admin alone has well over a hundred
    for known in [
        "/accounts/login/",
        "/accounts/logout/",
        "/i18n/setlang/",
        "/admin/auth/user/1/change/",
        "/zones/xiqing/tasks/1/periods/1/report/",
        "/zones/xiqing/tasks/1/periods/1/evidence/file/",
        "/zones/xiqing/tasks/1/milestones/",
        "/reports/period/1/upload/",
        "/periods/1/lock/",
    ]:
        assert known in urls


@pytest.mark.parametrize("role", ["manager", "officer"])
def test_every_post_without_a_token_is_refused(world, role, caplog):
    client = Client(enforce_csrf_checks=True)
    client.force_login(getattr(world, role))
    client.get("/accounts/login/")  # the browser now holds a CSRF cookie, as a victim's would
    assert settings.CSRF_COOKIE_NAME in client.cookies
    caplog.set_level(logging.WARNING, logger="django.security.csrf")
    not_refused = []
    for url, _ in all_views():
        caplog.clear()
        response = client.post(url, {"description": "x"})
        refused_for_csrf = any("CSRF" in record.getMessage() for record in caplog.records)
        if response.status_code != 403 or not refused_for_csrf:
            not_refused.append(f"{url}: {response.status_code}")
    assert not_refused == []


def test_the_same_post_with_the_token_goes_through(world):
    # Control: the refusals above come from the missing token, not from a client that cannot post.
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.officer)
    client.get("/accounts/login/")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    url = f"/zones/xiqing/tasks/1/milestones/{world.milestone.pk}/done/"
    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 302


def test_no_view_is_exempt_at_run_time():
    exempt = [url for url, pattern in all_views() if getattr(pattern.callback, OPT_OUT, False)]
    assert exempt == []


def project_python_files():
    base = Path(settings.BASE_DIR)
    skip = [base / ".venv", base / "staticfiles", base / "node_modules"]
    return [path for path in base.rglob("*.py") if not any(path.is_relative_to(folder) for folder in skip)]


def test_no_source_file_mentions_the_exemption():
    files = project_python_files()
    assert any(path.name == "settings.py" for path in files)
    found = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if OPT_OUT in line
    ]
    assert found == []


def test_no_source_file_turns_the_check_off_another_way():
    # request._dont_enforce_csrf_checks is what the exemption sets; nothing should set it by hand.
    found = []
    for path in project_python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "_dont_enforce_csrf_checks":
                found.append(f"{path.relative_to(settings.BASE_DIR)}:{node.lineno}")
    assert found == []


@pytest.mark.django_db
def test_a_nul_character_in_any_parameter_is_a_400_not_a_server_error(client):
    from core.roles import Role
    from tests.factories import make_user

    client.force_login(make_user(Role.MANAGER))
    assert client.get("/tasks/", {"zone": "xi\x00qing"}).status_code == 400
    assert client.get("/outcomes/", {"q": "\x00"}).status_code == 400
    assert client.get("/tasks/", {"zone": "xiqing"}).status_code == 200
