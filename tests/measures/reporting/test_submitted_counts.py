"""The count of reports awaiting review as the top bar reads it (SubmittedReportCount, kept by
triggers) equals the rule counted row by row, through every way a report's state, period, task
or period lock changes."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import ReportState
from measures.models import ProgressReport, SubmittedReportCount, Task
from measures.reporting.models import awaiting_review_count
from tests.factories import make_period, make_user
from zones.models import Zone

pytestmark = pytest.mark.django_db

DATA = {"status": "on_track", "percent_complete": 10, "progress": "进展"}


@pytest.fixture
def world():
    xiqing = Zone.objects.get(code="xiqing")
    today = timezone.localdate()
    current = make_period(xiqing.plan, today.year, (today.month - 1) // 3 + 1)
    previous = make_period(xiqing.plan, shift=-1)
    officer = make_user(Role.OFFICER, zones=[xiqing])
    manager = make_user(Role.MANAGER)
    # Writes reports of xiqing and decides others' reports.
    both = make_user(Role.OFFICER, zones=[xiqing])
    both.groups.add(Group.objects.get(name=Role.MANAGER.group_name))
    tasks = list(Task.objects.filter(zone=xiqing).order_by("number")[:6])
    return xiqing, current, previous, officer, manager, both, tasks


def counted(user):
    return get_user_model().objects.filter(pk=user.pk).annotate(n=awaiting_review_count(user)).get().n


def assert_counts_agree(*users):
    for user in users:
        expected = ProgressReport.objects.awaiting_review().not_authored_by(user).count()
        assert counted(user) == expected, user


def test_the_stored_count_follows_every_change(world):
    _xiqing, current, previous, officer, manager, both, tasks = world
    assert_counts_agree(manager, both)
    reports = [
        services.save_and_submit_report(task=task, period=period, user=officer, data=DATA)
        for task, period in zip(tasks[:4], [current, current, current, previous], strict=True)
    ]
    mine = services.save_and_submit_report(task=tasks[4], period=current, user=both, data=DATA)
    services.save_report(task=tasks[5], period=current, user=officer, data=DATA)
    assert counted(manager) == 5 and counted(both) == 4
    assert_counts_agree(manager, both)

    services.accept_report(report=reports[0], user=manager)
    services.return_report(report=reports[1], user=manager, note="请补充")
    assert counted(manager) == 3
    assert_counts_agree(manager, both)

    # Writes that bypass the services (bulk updates, a report moved to another period, deletions)
    # move the count too.
    ProgressReport.objects.filter(pk=reports[1].pk).update(state=ReportState.SUBMITTED)
    ProgressReport.objects.filter(pk=reports[2].pk).update(period=previous)
    ProgressReport.objects.filter(pk=mine.pk).update(state=ReportState.DRAFT)
    assert_counts_agree(manager, both)
    ProgressReport.objects.filter(pk=mine.pk).update(state=ReportState.SUBMITTED)
    reports[3].events.all().delete()
    ProgressReport.objects.filter(pk=reports[3].pk).delete()
    assert_counts_agree(manager, both)

    # A withdrawn task's report and a locked period's reports wait for no one.
    Task.objects.filter(pk=tasks[1].pk).update(withdrawn_at=timezone.now())
    assert_counts_agree(manager, both)
    type(current).objects.filter(pk=current.pk).update(locked_at=timezone.now())
    assert counted(manager) == 1  # reports[2], moved to the previous period
    assert_counts_agree(manager, both)
    type(current).objects.filter(pk=current.pk).update(locked_at=None)
    assert_counts_agree(manager, both)

    stored = dict(SubmittedReportCount.objects.values_list("period_id", "submitted"))
    for period in (current, previous):
        assert (
            stored.get(period.pk, 0)
            == ProgressReport.objects.filter(period=period, state=ReportState.SUBMITTED).count()
        )


def test_a_managers_deputys_badge_reads_the_kept_count(world):
    """The badge of a manager's deputy (deputy_waiting_count, from SubmittedReportCount) equals the queue
    they may decide counted row by row (waiting_for): four eyes for them and their principal."""
    from measures.review.selectors import deputy_waiting_count, waiting_for
    from tests.measures.review.test_review_workbench import name_managers_deputy

    xiqing, current, _previous, officer, _manager, both, tasks = world
    deputy = make_user(Role.OFFICER, zones=[xiqing])
    name_managers_deputy(both, deputy)
    services.save_and_submit_report(task=tasks[0], period=current, user=officer, data=DATA)
    services.save_and_submit_report(task=tasks[1], period=current, user=both, data=DATA)
    services.save_and_submit_report(task=tasks[2], period=current, user=deputy, data=DATA)
    # Neither the principal's nor the deputy's own submission is theirs to decide (could fail: the
    # count of the deputy's own alone would be 2).
    assert counted(deputy) == 2
    assert deputy_waiting_count(deputy) == waiting_for(deputy).count() == 1
    Task.objects.filter(pk=tasks[0].pk).update(withdrawn_at=timezone.now())
    assert deputy_waiting_count(deputy) == waiting_for(deputy).count() == 0
