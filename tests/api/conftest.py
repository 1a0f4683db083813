"""A small world for the API tests, built through the services: xiqing task 1 with a current period
and a report, an outcome of xiqing, an indicator value of xiqing, and clients holding tokens."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.roles import Role
from indicators import services as indicator_services
from indicators.choices import Computation
from indicators.models import Dimension, Indicator
from measures import services
from measures.choices import OutcomeType, TaskStatus
from measures.models import Task
from tests.factories import make_period, make_user
from tests.helpers import fresh_copy, rows_for_the_module
from zones.models import Agency, Zone

REPORT = {
    "status": TaskStatus.ON_TRACK,
    "percent_complete": 40,
    "progress": "完成集成电路产业政策梳理",
    "problems": "",
    "next_steps": "推进保税研发试点",
    "support_needed": "",
    "support_agency": None,
}


@pytest.fixture(autouse=True)
def fresh_throttle_counts():
    # Throttle counts live in the cache, which outlives each test's database rollback; user ids are
    # reused after a rollback on SQLite, so one test's requests must not count against the next.
    cache.clear()
    yield
    cache.clear()


def token_client(user):
    """An API client that sends `user`'s token, as another system would; anonymous for None."""
    client = APIClient()
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def build_world():
    task = Task.objects.select_related("zone__plan").get(zone__code="xiqing", number=1)
    period = make_period(task.zone.plan)
    officer = make_user(Role.OFFICER, zones=[task.zone])
    manager = make_user(Role.MANAGER)
    report = services.save_report(task=task, period=period, user=officer, data=REPORT)
    outcome = services.create_outcome(
        zone=task.zone,
        user=officer,
        title="保税研发监管创新",
        description="集成电路保税研发新模式",
        type=OutcomeType.INSTITUTIONAL,
        period=period,
        tasks=[task],
    )
    dimension = Dimension.objects.get_or_create(plan=task.zone.plan, name="经济发展", defaults={"order": 2})[
        0
    ]
    indicator = Indicator.objects.create(
        plan=task.zone.plan,
        dimension=dimension,
        code="api-gdp",
        name="地区生产总值增速",
        unit="%",
        computation=Computation.MANUAL,
        target=8,
    )
    value = indicator_services.save_value(
        indicator=indicator,
        zone=task.zone,
        period=period,
        user=officer,
        data={"value": "6.5", "source": "区统计局月报", "note": ""},
    )
    customs = Agency.objects.get(name="天津海关")
    # An agency that supports xiqing tasks and none of wuqing's, so only xiqing's officer (and
    # managers) see it.
    xiqing_only = (
        Agency.objects.filter(task_links__task__zone__code="xiqing")
        .exclude(task_links__task__zone__code="wuqing")
        .exclude(pk=customs.pk)
        .order_by("name")
        .first()
    )
    return SimpleNamespace(
        task=task,
        zone=task.zone,
        plan=task.zone.plan,
        block=task.zone.blocks.order_by("number").first(),
        period=period,
        officer=officer,
        manager=manager,
        report=report,
        outcome=outcome,
        indicator=indicator,
        value=value,
        customs=customs,
        agency=xiqing_only,
        wuqing=Zone.objects.get(code="wuqing"),
    )


@pytest.fixture(scope="module")
def api_world(django_db_setup, django_db_blocker):
    """Built once per module; each test's rows roll back and it reads the world's rows afresh."""
    yield from rows_for_the_module(django_db_blocker, build_world)


@pytest.fixture
def world(api_world, db):
    return fresh_copy(api_world)
