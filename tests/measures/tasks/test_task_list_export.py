"""The task list's export (/tasks/export.csv, .xlsx): every task with its supporting agencies in the
plan's order and its labels in the user's language, read in a number of queries that does not grow
with the tasks (the agencies as plain rows, not prefetched model instances per task)."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.roles import Role
from measures import services
from tests.factories import make_agency, make_period, make_plan, make_task, make_user, make_zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan_tasks():
    plan = make_plan()
    zone = make_zone(plan)
    period = make_period(plan)
    first, second, third = (make_agency(name=name) for name in ("乙单位", "甲单位", "丙单位"))
    officer = make_user(Role.OFFICER, zones=[zone])
    task = make_task(zone, agencies=[first, second])
    report = services.save_report(
        task=task,
        period=period,
        user=officer,
        data={"status": "on_track", "percent_complete": 40, "progress": "进展"},
    )
    services.submit_report(report=report, user=officer, expected_version=report.version)
    make_task(zone, agencies=[third])
    return plan, zone, [first, second, third]


def rows_of(client, plan):
    response = client.get(reverse("measures:task-list-export", args=["csv"]), {"plan": plan.code})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]


def test_export_lists_agencies_in_the_plans_order_and_labels_in_chinese(client, plan_tasks):
    plan, _zone, _agencies = plan_tasks
    client.force_login(make_user(Role.MANAGER))
    rows = rows_of(client, plan)
    assert [row[-1] for row in rows] == ["乙单位、甲单位", "丙单位"]
    # Status and report state as the page shows them, translated; none for the unreported task.
    assert rows[0][5:8] == ["按计划推进", "40", "已报送"]
    assert rows[1][5:8] == ["", "", ""]


def test_export_queries_do_not_grow_with_the_tasks(client, plan_tasks):
    plan, zone, agencies = plan_tasks
    client.force_login(make_user(Role.MANAGER))
    rows_of(client, plan)  # warm-up: session, content types
    with CaptureQueriesContext(connection) as few:
        rows_of(client, plan)
    for _ in range(15):
        make_task(zone, agencies=agencies)
    with CaptureQueriesContext(connection) as many:
        assert len(rows_of(client, plan)) == 17
    assert len(many) == len(few)
