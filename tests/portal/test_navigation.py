"""The top bar: what waits for a manager's decision, counted in one query, and the "More" menu."""

import re
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from core.roles import Role
from indicators import services as indicator_services
from measures import services
from measures.choices import AdjustmentKind, OutcomeType
from measures.models import ReportingPeriod, Task
from portal.context_processors import STAND_IN, pending_for_managers, pending_query, section_of
from tests.factories import make_period, make_user, submit_outcome_with_evidence
from tests.indicators.conftest import make_indicator
from zones.models import Zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings):
    xiqing = Zone.objects.get(code="xiqing")
    return xiqing, make_user(Role.OFFICER, zones=[xiqing]), make_user(Role.MANAGER)


def fill(xiqing, officer, n):
    """`n` of each thing a manager decides, submitted by xiqing's officer."""
    tasks = list(Task.objects.filter(zone=xiqing).order_by("number")[:n])
    today = timezone.localdate()
    period = make_period(xiqing.plan, today.year, (today.month - 1) // 3 + 1)
    for k, task in enumerate(tasks):
        services.raise_matter(zone=xiqing, user=officer, title=f"事项{k}", description="说明")
        services.propose_adjustment(
            task=task, user=officer, kind=AdjustmentKind.TEXT, text=f"调整后的表述{k}。", reason="政策调整"
        )
        outcome = services.create_outcome(
            zone=xiqing, user=officer, title=f"成果{k}", description="说明", type=OutcomeType.STRESS_TEST
        )
        submit_outcome_with_evidence(outcome=outcome, user=officer)
        value = indicator_services.save_value(
            indicator=make_indicator(xiqing.plan, code=f"nav-{k}"),
            zone=xiqing,
            period=period,
            user=officer,
            data={"value": "6.5", "source": "区统计局", "note": ""},
        )
        indicator_services.submit_value(value=value, user=officer)
        report = services.save_report(
            task=task,
            period=period,
            user=officer,
            data={"status": "on_track", "percent_complete": 10, "progress": f"进展{k}"},
        )
        services.submit_report(report=report, user=officer)


def test_pending_counts_come_in_one_query_whatever_their_number(world, django_assert_num_queries):
    xiqing, officer, manager = world
    with django_assert_num_queries(1):
        assert pending_for_managers(manager) == {
            "reports": 0,
            "matters": 0,
            "adjustments": 0,
            "outcomes": 0,
            "indicator_values": 0,
            "red_escalations": 0,
        }
    fill(xiqing, officer, 3)
    with django_assert_num_queries(1):
        assert pending_for_managers(manager) == {
            "reports": 3,
            "matters": 3,
            "adjustments": 3,
            "outcomes": 3,
            "indicator_values": 3,
            "red_escalations": 0,
        }


def test_the_query_built_once_differs_for_each_manager_only_in_their_id(world):
    """pending_for_managers runs SQL built once with a stand-in id: every parameter but the user's
    id must be the same for everyone (no date or other per-call value may be frozen in it)."""
    xiqing, officer, manager = world
    fill(xiqing, officer, 1)
    stand_in = pending_query(get_user_model()(pk=STAND_IN)).query.sql_with_params()
    for user in (manager, officer, make_user(Role.ADMINISTRATOR)):
        sql, params = pending_query(user).query.sql_with_params()
        assert sql == stand_in[0]
        assert params == tuple(user.pk if value == STAND_IN else value for value in stand_in[1])
        assert params.count(user.pk) == stand_in[1].count(STAND_IN) >= 6
        assert pending_for_managers(user) == pending_query(user).get()


def test_managers_see_a_badge_per_kind_and_officers_none(client, world):
    xiqing, officer, manager = world
    fill(xiqing, officer, 2)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(manager)
    page = client.get("/my/").content.decode()
    for title in (
        "2 major matters await a response",
        "2 plan adjustments await a decision",
        "2 outcomes await evaluation",
        "2 indicator values await review",
        "2 reports await review",
    ):
        assert f'<span class="nav-badge" title="{title}">2</span>' in page
    client.force_login(officer)
    assert "nav-badge" not in client.get("/my/").content.decode()


def test_less_frequent_destinations_sit_in_the_more_menu(client, world):
    _xiqing, officer, manager = world
    client.force_login(manager)
    menu = (
        client.get("/my/").content.decode().split('<details class="nav-more', 1)[1].split("</details>", 1)[0]
    )
    assert 'href="/agencies/"' in menu and 'href="/periods/"' in menu
    client.force_login(officer)
    menu = (
        client.get("/my/").content.decode().split('<details class="nav-more', 1)[1].split("</details>", 1)[0]
    )
    assert 'href="/agencies/"' in menu and 'href="/periods/"' not in menu


def path_section(path):
    """The rule the top bar used before, by path prefix; the URL-name rule must agree with it."""
    exact = {
        "/": "dashboard",
        "/my/": "my",
        "/tasks/": "tasks",
        "/periods/": "periods",
        "/silence/": "silence",
        "/notifications/": "notices",
        "/signoff/": "signoff",
        "/reviews/": "reviews",
    }
    prefixes = {
        "/zones/": "zones",
        "/outcomes/": "outcomes",
        "/indicators/": "indicators",
        "/adjustments/": "changes",
        "/matters/": "matters",
        "/stocktakes/": "stocktakes",
        "/assigned/": "stocktakes",
        "/reviews/": "reviews",
        "/reports/": "reports",
        "/agencies/": "agencies",
        "/requests/": "requests",
        "/people/": "people",
        "/my/": "my",
    }
    if path in exact:
        return exact[path]
    return next((section for prefix, section in prefixes.items() if path.startswith(prefix)), "")


def site_routes(resolver=None, prefix="", namespace=""):
    """(route, view name, URL keyword names) of every page of the site, admin and API left out."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(("admin/", "api/")):
            continue
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace or ""]))
            yield from site_routes(pattern, route, inner)
        elif pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield route, name, re.findall(r"<(?:\w+:)?(\w+)>", route)


def test_sections_from_url_names_agree_with_the_paths_for_every_page():
    routes = list(site_routes())
    assert len(routes) > 50
    for route, view_name, kwargs in routes:
        namespace = view_name.rpartition(":")[0]
        match = SimpleNamespace(view_name=view_name, namespace=namespace, kwargs=dict.fromkeys(kwargs, "x"))
        assert section_of(match) == path_section("/" + route), view_name
    assert section_of(None) == ""


def test_the_current_section_is_marked_in_the_top_bar(client, world):
    xiqing, officer, manager = world
    client.force_login(manager)
    task = Task.objects.filter(zone=xiqing).order_by("number").first()
    for url, link in (
        ("/my/", "/my/"),
        (task.get_absolute_url(), "/zones/"),
        ("/adjustments/", "/adjustments/"),
        ("/periods/", "/periods/"),
    ):
        page = client.get(url).content.decode()
        assert re.findall(r'<a href="([^"]*)" aria-current="page"', page) == [link], url


@pytest.mark.parametrize(("language", "title"), [("en", "reports await review"), ("zh-hans", "份报告待审核")])
def test_the_review_link_and_badge_reach_whoever_the_workbench_lets_in(client, world, language, title):
    """A manager's deputy in range reaches the workbench (core.access.can_review_report), so the top
    bar shows them Review with the count they may decide (four eyes: not their own submission);
    out of range, or an officer, no link."""
    from tests.measures.review.test_review_workbench import name_managers_deputy

    xiqing, officer, manager = world
    fill(xiqing, officer, 2)
    deputy = make_user(Role.OFFICER, zones=[xiqing])
    later = make_user(Role.OFFICER, zones=[xiqing])
    name_managers_deputy(manager, deputy)
    name_managers_deputy(manager, later, starts_in=3)
    # One more report waits, submitted by the deputy: the manager may decide it, the deputy not.
    task = Task.objects.filter(zone=xiqing).order_by("-number").first()
    period = ReportingPeriod.objects.get(
        plan=xiqing.plan, start__lte=timezone.localdate(), end__gte=timezone.localdate()
    )
    report = services.save_report(
        task=task,
        period=period,
        user=deputy,
        data={"status": "on_track", "percent_complete": 5, "progress": "进展"},
    )
    services.submit_report(report=report, user=deputy)
    client.cookies["django_language"] = language
    link = re.compile(
        r'<a href="/reviews/" id="nav-review"[^>]*>[^<]*(?:<span class="nav-badge" title="([^"]+)">(\d+))?'
    )
    for user, expected in ((manager, "3"), (deputy, "2")):
        client.force_login(user)
        found = link.search(client.get("/my/").content.decode())
        assert found and found[2] == expected and title in found[1], (user, found)
        assert client.get("/reviews/").status_code == 200
    for user in (later, officer):
        client.force_login(user)
        assert 'id="nav-review"' not in client.get("/my/").content.decode()
        assert client.get("/reviews/").status_code == 403
