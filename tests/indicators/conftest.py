"""A small indicator world on the real second-batch plan: xiqing's officer, a manager, a period."""

from types import SimpleNamespace

import pytest
from django.utils import timezone

from core.roles import Role
from indicators.choices import Computation
from indicators.models import Dimension, Indicator
from tests.factories import make_period, make_user
from zones.models import Plan, Zone


def make_indicator(plan, dimension=None, **fields):
    dimension = (
        dimension or Dimension.objects.get_or_create(plan=plan, name="经济发展", defaults={"order": 2})[0]
    )
    fields.setdefault("code", f"ind-{Indicator.objects.count() + 1}")
    fields.setdefault("name", "地区生产总值增速")
    fields.setdefault("unit", "%")
    fields.setdefault("computation", Computation.MANUAL)
    return Indicator.objects.create(plan=plan, dimension=dimension, **fields)


@pytest.fixture
def ind(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    plan = Plan.objects.get(code="second-batch")
    today = timezone.localdate()
    period = make_period(plan, today.year, (today.month - 1) // 3 + 1)
    xiqing = Zone.objects.get(code="xiqing")
    return SimpleNamespace(
        plan=plan,
        period=period,
        zone=xiqing,
        wuqing=Zone.objects.get(code="wuqing"),
        officer=make_user(Role.OFFICER, zones=[xiqing]),
        manager=make_user(Role.MANAGER),
        indicator=make_indicator(plan, target=8, baseline=5),
        today=today,
    )


VALUE = {"value": "6.5", "source": "区统计局月报", "note": ""}
