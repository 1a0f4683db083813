import datetime

import pytest
from django.utils import timezone

from core.roles import Role
from stocktakes import services
from tests.factories import make_agency, make_user
from zones.models import Plan, Zone


@pytest.fixture
def plan():
    return Plan.objects.get(code="second-batch")


@pytest.fixture
def xiqing():
    return Zone.objects.get(code="xiqing")


@pytest.fixture
def wuqing():
    return Zone.objects.get(code="wuqing")


@pytest.fixture
def agency():
    return make_agency(name="测试商务局")


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


@pytest.fixture
def other_manager():
    return make_user(Role.MANAGER)


@pytest.fixture
def officer(xiqing):
    return make_user(Role.OFFICER, zones=[xiqing])


@pytest.fixture
def leader(xiqing):
    return make_user(Role.LEADER, zones=[xiqing])


@pytest.fixture
def foreign_officer(wuqing):
    return make_user(Role.OFFICER, zones=[wuqing])


@pytest.fixture
def liaison(agency):
    return make_user(Role.LIAISON, agency=agency)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def meeting(plan, xiqing, manager, today):
    return services.schedule_stocktake(
        user=manager, plan=plan, zone=xiqing, title="西青调度会", held_on=today, notes="第一次"
    )


@pytest.fixture
def item(meeting, xiqing, manager, officer, leader, today):
    return services.assign_item(
        stocktake=meeting,
        user=manager,
        title="完成跨境电商平台对接",
        description="两周内",
        zone=xiqing,
        due=today + datetime.timedelta(days=14),
    )
