"""Every API list reads a fixed number of queries, however many rows it returns.

Each list is read once on the world (one row of its kind where the world has one), then again
after more rows of that kind are added; both reads must cost exactly the pinned count. The counts
include the token look-up (1) and the user's roles and zones (1)."""

import pytest
from django.urls import reverse

from core.roles import Role
from indicators import services as indicator_services
from measures import services
from measures.choices import OutcomeType
from measures.models import Task
from tests.factories import make_agency, make_block, make_task, make_user, make_zone
from zones.models import SubPlot

from .conftest import REPORT, token_client

pytestmark = pytest.mark.django_db


def more_plans(w):
    # New zones in new plans, the officer's too, so both roles see more.
    w.officer.profile.zones.add(*[make_zone() for _ in range(3)])


def more_zones(w):
    plan = make_zone().plan
    w.officer.profile.zones.add(*[make_zone(plan=plan) for _ in range(3)])


def more_blocks(w):
    for zone in (w.zone, w.wuqing):
        for _ in range(3):
            block = make_block(zone, number=zone.blocks.count() + 1)
            SubPlot.objects.create(block=block, number=1, boundary="东至海河")
            SubPlot.objects.create(block=block, number=2, boundary="西至津港公路")


def new_xiqing_tasks(w, count, **fields):
    top = Task.objects.filter(zone=w.zone).order_by("-number").first().number
    return [make_task(zone=w.zone, number=top + n, **fields) for n in range(1, count + 1)]


def more_agencies(w):
    for _ in range(3):
        new_xiqing_tasks(w, 1, agencies=[make_agency(), make_agency()])


def more_tasks(w):
    # New tasks with agencies and reports: more rows, more agencies, more latest reports.
    for task in new_xiqing_tasks(w, 3, agencies=[make_agency()]):
        services.save_report(task=task, period=w.period, user=w.officer, data=REPORT)


def xiqing_tasks(w, count):
    return list(Task.objects.filter(zone=w.zone).exclude(pk=w.task.pk).order_by("number")[:count])


def more_reports(w):
    for task in xiqing_tasks(w, 4):
        services.save_report(task=task, period=w.period, user=w.officer, data=REPORT)


def more_outcomes(w):
    for task in xiqing_tasks(w, 4):
        services.create_outcome(
            zone=w.zone,
            user=w.officer,
            title=f"{task.title}经验",
            description="做法",
            type=OutcomeType.STRESS_TEST,
            period=w.period,
            tasks=[task, w.task],
        )


def more_values(w):
    from indicators.models import Indicator

    for code in ("api-a", "api-b", "api-c"):
        indicator = Indicator.objects.create(
            plan=w.plan, dimension=w.indicator.dimension, code=code, name=code, computation="manual"
        )
        indicator_services.save_value(
            indicator=indicator, zone=w.zone, period=w.period, user=w.officer, data={"value": "1"}
        )


# list route: (queries, how to add rows of its kind)
PINNED = {
    # token, access, count, plans
    "plan-list": (4, more_plans),
    # token, access, count, zones with their totals as subqueries
    "zone-list": (4, more_zones),
    # token, access, count, blocks, their plots
    "block-list": (5, more_blocks),
    # token, access, count, agencies with task and zone counts, their aliases
    "agency-list": (5, more_agencies),
    # token, access, count, tasks with their latest report's id, agencies, those reports
    "task-list": (6, more_tasks),
    # token, access, count, reports with task, zone, period and agency joined
    "report-list": (4, more_reports),
    # token, access, count, outcomes, their linked tasks
    "outcome-list": (5, more_outcomes),
    # token, access, count, values with indicator, dimension, plan, zone and period joined
    "indicator-value-list": (4, more_values),
}


def test_every_list_route_is_pinned():
    from api.urls import urlpatterns

    assert {p.name for p in urlpatterns if p.name.endswith("-list")} == set(PINNED)


@pytest.mark.parametrize("route", PINNED)
@pytest.mark.parametrize("role", ["manager", "officer"])
def test_list_query_count_is_fixed(world, django_assert_num_queries, route, role):
    queries, add_rows = PINNED[route]
    client = token_client(getattr(world, role))
    url = reverse(f"api:{route}")
    with django_assert_num_queries(queries):
        before = client.get(url).json()["count"]
    add_rows(world)
    with django_assert_num_queries(queries):
        after = client.get(url).json()["count"]
    assert after > before >= 1


def test_a_full_page_of_tasks_costs_the_same(world, django_assert_num_queries):
    client = token_client(world.manager)
    admin = make_user(Role.ADMINISTRATOR)
    for task in Task.objects.filter(zone__plan=world.plan).order_by("pk")[:30]:
        if task.pk != world.task.pk:
            services.save_report(task=task, period=world.period, user=admin, data=REPORT)
    with django_assert_num_queries(6):
        body = client.get(reverse("api:task-list"), {"page_size": 200}).json()
    assert sum(1 for row in body["results"] if row["latest_report"]) >= 20


# detail route: (queries, the world's object's URL arguments)
DETAIL = {
    "plan-detail": (3, lambda w: [w.plan.code]),  # token, access, plan
    "zone-detail": (3, lambda w: [w.zone.code]),  # token, access, zone with totals
    "block-detail": (4, lambda w: [w.block.pk]),  # + plots
    "agency-detail": (4, lambda w: [w.agency.pk]),  # + aliases
    "task-detail": (5, lambda w: [w.task.pk]),  # + agencies, latest report
    "report-detail": (3, lambda w: [w.report.pk]),
    "outcome-detail": (4, lambda w: [w.outcome.pk]),  # + linked tasks
    "indicator-value-detail": (3, lambda w: [w.value.pk]),
}


def test_every_detail_route_is_pinned():
    from api.urls import urlpatterns

    assert {p.name for p in urlpatterns if p.name.endswith("-detail")} == set(DETAIL)


@pytest.mark.parametrize("route", DETAIL)
def test_detail_query_count(world, django_assert_num_queries, route):
    queries, args = DETAIL[route]
    client = token_client(world.officer)
    with django_assert_num_queries(queries):
        assert client.get(reverse(f"api:{route}", args=args(world))).status_code == 200
