"""The period list's counts (measures.periods.selectors.period_overview): each period's reports by
state and those waiting for review equal the ORM's counts by the named rule, in queries that do not
grow with the reports."""

import pytest
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import ReportState, TaskStatus
from measures.models import ProgressReport, Task
from measures.periods.selectors import period_overview
from tests.factories import make_period, make_user
from tests.helpers import SESSION
from zones.models import Zone

pytestmark = pytest.mark.django_db


def submit(task, period, officer, submitted=True):
    data = {"status": TaskStatus.ON_TRACK, "percent_complete": 30, "progress": "进展", "problems": ""}
    if submitted:
        services.save_and_submit_report(task=task, period=period, user=officer, data=data)
    else:
        services.save_report(task=task, period=period, user=officer, data=data)


@pytest.mark.parametrize("rows", [1, 4])
def test_the_counts_are_the_named_rules_and_queries_stay_fixed(client, rows, django_assert_num_queries):
    xiqing = Zone.objects.get(code="xiqing")
    officer, manager = make_user(Role.OFFICER, zones=[xiqing]), make_user(Role.MANAGER)
    now, before = make_period(), make_period(shift=-1)
    tasks = list(Task.objects.filter(zone=xiqing).order_by("number")[: rows + 2])
    for task in tasks[:rows]:
        submit(task, now, officer)
        submit(task, before, officer)
    submit(tasks[rows], now, officer, submitted=False)
    # A submitted report of a task withdrawn since: not waiting for review.
    submit(tasks[rows + 1], now, officer)
    Task.objects.filter(pk=tasks[rows + 1].pk).update(withdrawn_at=timezone.now())
    services.lock_period(period=before, user=manager, confirm_waiting=True)
    client.force_login(manager)
    # access, the periods, their reports by state, the tasks by plan, the submitted reports of
    # withdrawn tasks, and the top bar's counts
    with django_assert_num_queries(SESSION + 6):
        page = client.get(reverse("measures:period-list"))
    listed = {period.pk: period for period in page.context["periods"]}
    assert set(listed) >= {now.pk, before.pk}
    for period in period_overview():
        reports = ProgressReport.objects.filter(period=period)
        for state in ReportState.values:
            assert getattr(period, f"n_{state}") == reports.filter(state=state).count()
        assert period.n_waiting == ProgressReport.objects.awaiting_review().filter(period=period).count()
        assert period.task_count == Task.objects.filter(zone__plan_id=period.plan_id).count()
    assert listed[now.pk].n_waiting == rows and listed[now.pk].n_submitted == rows + 1
    assert listed[before.pk].n_submitted == rows and listed[before.pk].n_waiting == 0
