"""Who may read which API route: the whole matrix of roles × routes, cell by cell.

The rule is the pages' (core/access.py, measures/scoping.py): no credentials or a revoked token → 401; an object
outside the user's scope is absent from lists and 404 on its own URL; in scope → 200.
Every row reads one object of the same world: xiqing, its first block and task 1 (supported by
天津海关), that task's report, an outcome and an indicator value of xiqing, and an agency that
supports xiqing tasks only.
"""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from api.urls import urlpatterns
from core.roles import Role
from tests.factories import make_user
from zones.models import Agency, Zone

from .conftest import token_client

pytestmark = pytest.mark.django_db

IN, OUT = "listed", "not listed"  # a list answers 200 with or without the world's object

ROLES = [
    "anonymous",
    "revoked",  # a token an administrator has deleted
    "officer-own",  # officer of xiqing
    "officer-foreign",  # officer of wuqing, same plan
    "liaison-customs",  # liaison of 天津海关, which supports xiqing task 1
    "manager",
    "admin",
    "no-role",  # a token, but in no group
]

# fmt: off
MATRIX = {
    #                          anon revoked own  foreign customs mgr  admin no-role
    "plan-list":              (401, 401,    IN,  IN,     IN,     IN,  IN,   OUT),
    "plan-detail":            (401, 401,    200, 200,    200,    200, 200,  404),
    "zone-list":              (401, 401,    IN,  OUT,    IN,     IN,  IN,   OUT),
    "zone-detail":            (401, 401,    200, 404,    200,    200, 200,  404),
    "block-list":             (401, 401,    IN,  OUT,    IN,     IN,  IN,   OUT),
    "block-detail":           (401, 401,    200, 404,    200,    200, 200,  404),
    "agency-list":            (401, 401,    IN,  OUT,    OUT,    IN,  IN,   OUT),
    "agency-detail":          (401, 401,    200, 404,    404,    200, 200,  404),
    "task-list":              (401, 401,    IN,  OUT,    IN,     IN,  IN,   OUT),
    "task-detail":            (401, 401,    200, 404,    200,    200, 200,  404),
    # The world's report is a draft: a liaison reads submitted and accepted reports only (issue 15).
    "report-list":            (401, 401,    IN,  OUT,    OUT,    IN,  IN,   OUT),
    "report-detail":          (401, 401,    200, 404,    404,    200, 200,  404),
    "outcome-list":           (401, 401,    IN,  OUT,    IN,     IN,  IN,   OUT),
    "outcome-detail":         (401, 401,    200, 404,    200,    200, 200,  404),
    # The world's value is a draft: the scorecard shows a liaison accepted values only (issue 14).
    "indicator-value-list":   (401, 401,    IN,  OUT,    OUT,    IN,  IN,   OUT),
    "indicator-value-detail": (401, 401,    200, 404,    404,    200, 200,  404),
    # The schema describes routes, not rows: any token holder may read it.
    "schema":                 (401, 401,    200, 200,    200,    200, 200,  200),
}
# fmt: on

# The world's object each row reads: (url, the id a list shows it by).
ROUTES = {
    "plan": (lambda w: reverse("api:plan-detail", args=[w.plan.code]), lambda w: w.plan.pk),
    "zone": (lambda w: reverse("api:zone-detail", args=[w.zone.code]), lambda w: w.zone.pk),
    "block": (lambda w: reverse("api:block-detail", args=[w.block.pk]), lambda w: w.block.pk),
    "agency": (lambda w: reverse("api:agency-detail", args=[w.agency.pk]), lambda w: w.agency.pk),
    "task": (lambda w: reverse("api:task-detail", args=[w.task.pk]), lambda w: w.task.pk),
    "report": (lambda w: reverse("api:report-detail", args=[w.report.pk]), lambda w: w.report.pk),
    "outcome": (lambda w: reverse("api:outcome-detail", args=[w.outcome.pk]), lambda w: w.outcome.pk),
    "indicator-value": (
        lambda w: reverse("api:indicator-value-detail", args=[w.value.pk]),
        lambda w: w.value.pk,
    ),
}

CELLS = [
    pytest.param(row, role, expected, id=f"{row}-{role}")
    for row, expectations in MATRIX.items()
    for role, expected in zip(ROLES, expectations, strict=True)
]


def client_for(role, w):
    if role == "revoked":
        user = make_user(Role.MANAGER)
        client = token_client(user)
        Token.objects.filter(user=user).delete()
        return client
    user = {
        "anonymous": lambda: None,
        "officer-own": lambda: w.officer,
        "officer-foreign": lambda: make_user(Role.OFFICER, zones=[Zone.objects.get(code="wuqing")]),
        "liaison-customs": lambda: make_user(Role.LIAISON, agency=Agency.objects.get(name="天津海关")),
        "manager": lambda: w.manager,
        "admin": lambda: make_user(Role.ADMINISTRATOR),
        "no-role": lambda: make_user(),
    }[role]()
    return token_client(user)


def every_id(client, url, params=None):
    """The ids of every row of a list (filtered by `params`), page after page."""
    ids, page = [], 1
    while True:
        response = client.get(url, {**(params or {}), "page": page, "page_size": 200})
        assert response.status_code == 200, response.content
        body = response.json()
        ids += [row["id"] for row in body["results"]]
        if not body["next"]:
            return ids
        page += 1


# Pages for people in a browser, checked in test_docs_page_is_for_signed_in_browsers below.
BROWSER_ROUTES = {"docs"}


def test_matrix_covers_every_api_route():
    # A new route without a row fails here, so it cannot slip in unchecked.
    names = {pattern.name for pattern in urlpatterns}
    assert names == set(MATRIX) | BROWSER_ROUTES


def test_docs_page_is_for_signed_in_browsers(client, world):
    url = reverse("api:docs")
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    # A token alone is no browser session: the page sends it to sign in too.
    assert token_client(world.manager).get(url).status_code == 302
    client.force_login(make_user())  # any signed-in user: the page holds no data
    response = client.get(url)
    assert response.status_code == 200 and b'id="swagger-ui"' in response.content
    script = client.get(url, {"script": ""})
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


@pytest.mark.parametrize(("row", "role", "expected"), CELLS)
def test_permission_matrix(world, row, role, expected):
    client = client_for(role, world)
    name, _, kind = row.rpartition("-")
    if row == "schema":
        url = reverse("api:schema")
    elif kind == "list":
        url = reverse(f"api:{name}-list")
    else:
        url = ROUTES[name][0](world)
    if expected in (IN, OUT):
        response = client.get(url)
        assert response.status_code == 200, response.content
        listed = ROUTES[name][1](world) in every_id(client, url)
        assert listed is (expected == IN)
        return
    response = client.get(url)
    assert response.status_code == expected, response.content[:300]
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"


def test_revoking_a_token_locks_its_holder_out_at_once(world):
    client = token_client(world.manager)
    url = reverse("api:task-list")
    assert client.get(url).status_code == 200
    Token.objects.filter(user=world.manager).delete()  # what the admin's delete does
    response = client.get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_deactivated_users_token_is_refused(world):
    client = token_client(world.manager)
    world.manager.is_active = False
    world.manager.save(update_fields=["is_active"])
    assert client.get(reverse("api:task-list")).status_code == 401


def test_a_signed_in_browser_reads_with_its_session(client, world):
    client.force_login(world.officer)
    response = client.get(reverse("api:task-detail", args=[world.task.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_the_api_is_read_only(world):
    client = APIClient(enforce_csrf_checks=True)  # as a real client: the test client skips CSRF
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.manager).key}")
    for url in [reverse("api:task-list"), reverse("api:task-detail", args=[world.task.pk])]:
        # Refused by the CSRF middleware before anything else: the API's routes are not exempt.
        assert client.post(url, {}, format="json").status_code == 403
        assert client.put(url, {}, format="json").status_code == 403
        assert client.patch(url, {}, format="json").status_code == 403
        assert client.delete(url).status_code == 403
    # With a valid CSRF token (a signed-in browser's form), the view itself refuses the method.
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(world.manager)
    browser.get("/accounts/login/")
    csrf = browser.cookies["csrftoken"].value
    url = reverse("api:task-list")
    assert browser.post(url, {}, format="json", HTTP_X_CSRFTOKEN=csrf).status_code == 405


def test_only_json_no_browsable_pages(world):
    client = token_client(world.manager)
    response = client.get(reverse("api:task-list"), HTTP_ACCEPT="text/html")
    # The browsable API is not installed: a browser asking for HTML is refused, never given a page.
    assert response.status_code == 406


def test_each_user_is_throttled_on_their_own(world, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    # The rates are read once when DRF loads; a tiny one here instead of 2,000 requests.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/hour"})
    busy, other = token_client(world.manager), token_client(world.officer)
    url = reverse("api:plan-list")
    assert [busy.get(url).status_code for _ in range(3)] == [200, 200, 200]
    refused = busy.get(url)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert other.get(url).status_code == 200


def test_an_administrator_issues_and_revokes_a_token_in_the_admin(client, world):
    client.force_login(make_user(Role.ADMINISTRATOR))
    system = make_user(Role.MANAGER, username="system.stats")
    response = client.post(reverse("admin:authtoken_tokenproxy_add"), {"user": system.pk})
    assert response.status_code == 302
    key = Token.objects.get(user=system).key
    caller = APIClient()
    caller.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert caller.get(reverse("api:plan-list")).status_code == 200
    # The admin lists tokens by user; its delete page revokes the token.
    delete = reverse("admin:authtoken_tokenproxy_delete", args=[system.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not Token.objects.filter(user=system).exists()
    assert caller.get(reverse("api:plan-list")).status_code == 401
