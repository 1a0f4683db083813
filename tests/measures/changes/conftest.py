"""What the tests of this folder share: reporting quarters, a report written through the services,
and the world of the as-of tests (test_as_of, test_as_of_verified_and_silence): two periods reported
in 西青 and 武清 and everything in them dated before a day D, so that what happens after D can be
undone by the pages as of D."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import TaskStatus
from measures.models import Milestone, ProgressReport, ReportEvent, ReportingPeriod, Task
from tests.factories import CLOSE_OFF_LINK, make_task, make_user
from zones.models import Plan, Zone

TODAY = timezone.localdate()
# D: after the period's end and five days before its deadline (a missing report is yellow on D,
# red today), so the day matters for the lights too.
D = TODAY - datetime.timedelta(days=30)
WRITTEN = timezone.make_aware(datetime.datetime.combine(D - datetime.timedelta(days=3), datetime.time(10)))


def quarter(start, days=90, grace=10, name=None):
    return ReportingPeriod.objects.create(
        plan=Plan.objects.get(code="second-batch"),
        name=name or f"{start:%Y-%m-%d}起",
        start=start,
        end=start + datetime.timedelta(days=days),
        deadline=start + datetime.timedelta(days=days + grace),
    )


def write(task, period, officer, status, percent, problems="", submit=True):
    report = services.save_report(
        task=task,
        period=period,
        user=officer,
        data={"status": status, "percent_complete": percent, "progress": "推进中", "problems": problems},
    )
    return services.submit_report(report=report, user=officer) if submit else report


@pytest.fixture
def world():
    """Both periods reported in xiqing and wuqing, a close-off and milestones, all dated before D."""
    before = quarter(TODAY - datetime.timedelta(days=220), name="上期")
    now = quarter(D - datetime.timedelta(days=95), name="本期")
    xiqing, wuqing = Zone.objects.get(code="xiqing"), Zone.objects.get(code="wuqing")
    officer = make_user(Role.OFFICER, zones=[xiqing, wuqing])
    manager, reviewer = make_user(Role.MANAGER), make_user(Role.MANAGER)
    task = {n: Task.objects.get(zone=xiqing, number=n) for n in range(1, 11)}
    write(task[1], before, officer, TaskStatus.ON_TRACK, 40)
    write(task[1], now, officer, TaskStatus.ON_TRACK, 50)
    write(task[2], before, officer, TaskStatus.ON_TRACK, 30)
    write(task[2], now, officer, TaskStatus.DELAYED, 35, problems="审批慢")
    write(task[3], before, officer, TaskStatus.BLOCKED, 10, problems="用地")
    accepted = write(task[4], now, officer, TaskStatus.ON_TRACK, 70)
    services.accept_report(report=accepted, user=reviewer)
    done = write(task[6], before, officer, TaskStatus.COMPLETED, 100)
    services.accept_report(report=done, user=reviewer)
    services.close_task(task=task[6], user=manager, note="完成", url=CLOSE_OFF_LINK)
    overdue = services.add_milestone(
        confirm_past=True, task=task[7], user=officer, title="签约", due=D - datetime.timedelta(days=5)
    )
    late = services.add_milestone(
        confirm_past=True, task=task[8], user=officer, title="开工", due=D - datetime.timedelta(days=10)
    )
    moved = services.add_milestone(
        confirm_past=True, task=task[9], user=officer, title="验收", due=D + datetime.timedelta(days=10)
    )
    # Moved and dropped after D by an approved plan adjustment (no milestone history row of their own).
    shifted = services.add_milestone(
        confirm_past=True, task=task[10], user=officer, title="评估", due=D + datetime.timedelta(days=5)
    )
    dropped = services.add_milestone(
        confirm_past=True, task=task[10], user=officer, title="试运行", due=D - datetime.timedelta(days=2)
    )
    write(Task.objects.get(zone=wuqing, number=1), now, officer, TaskStatus.ON_TRACK, 20, submit=False)
    ReportEvent.objects.update(at=WRITTEN)
    ProgressReport.objects.filter(submitted_at__isnull=False).update(
        submitted_at=WRITTEN, submitted_on=WRITTEN.date(), updated_at=WRITTEN
    )
    Task.objects.filter(closed_at__isnull=False).update(closed_at=WRITTEN)
    Milestone.objects.update(created_at=WRITTEN, updated_at=WRITTEN)
    return {
        "before": before,
        "now": now,
        "task": task,
        "officer": officer,
        "manager": manager,
        "reviewer": reviewer,
        "milestones": (overdue, late, moved),
        "adjusted": (shifted, dropped),
        "xiqing": xiqing,
        "wuqing": wuqing,
    }


def task_before_the_day(zone):
    """A new task in `zone` whose history dates its creation before D: the pages of D count it (a
    task created after the day is not shown), so it adds rows to what they read."""
    task = make_task(zone=zone)
    Task.history.filter(id=task.pk).update(history_date=WRITTEN)
    return task


def as_of_query_counts(client, world, day):
    """The queries of the dashboard, 西青's period report and the all-zones report as of `day`, each
    read by the world's manager and answering 200."""
    client.force_login(world["manager"])
    report = reverse("measures:period-report-html", args=[world["now"].pk])
    counts = []
    for target, params in (("/", {"period": world["now"].pk}), (report, {"zone": "xiqing"}), (report, {})):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(target, {**params, "as_of": day.isoformat()}).status_code == 200
        counts.append(len(queries))
    return counts
