"""An open period's figures for the chart across periods are kept too (LockedPeriodFigures, made
stale by triggers, migration 0021): after every kind of write the dashboard shows what a count
from the reports gives, and what was kept is read back while nothing changed."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import ReportState, TaskStatus
from measures.dashboard import figures
from measures.dashboard import services as kept_figures
from measures.models import LockedPeriodFigures, ProgressReport, ReportingPeriod, Task, TaskCategory
from tests.factories import make_user
from tests.helpers import SESSION
from tests.measures.dashboard.test_dashboard import manager, period, report, reported  # noqa: F401 (fixtures)
from zones.models import Zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def current(reported):  # noqa: F811
    """The period after the fixture's: open, its deadline ahead; the dashboard shows it, and its
    chart across periods both periods."""
    today = timezone.localdate()
    return ReportingPeriod.objects.create(
        plan=reported.plan,
        name="下期",
        start=reported.end + datetime.timedelta(days=1),
        end=today + datetime.timedelta(days=80),
        deadline=today + datetime.timedelta(days=95),
    )


def history(client, shown):
    context = client.get("/", {"plan": shown.plan.code, "period": shown.pk}).context
    return {
        (series["zone"].code, point["period"].pk): (point["average"], point["on_time"], point["due"])
        for series in context["history"]["series"]
        for point in series["points"]
    }


def holding():
    return {
        (row.period_id, row.zone_id)
        for row in LockedPeriodFigures.objects.all()
        if row.final or row.counted_at == row.changes
    }


def recounted(client, shown):
    LockedPeriodFigures.objects.all().delete()
    return history(client, shown)


def xiqing(number):
    return Task.objects.get(zone__code="xiqing", number=number)


def test_every_write_leaves_the_figures_equal_to_a_count(client, manager, reported, current):  # noqa: F811
    client.force_login(manager)
    zone = Zone.objects.get(code="xiqing")
    officer = make_user(Role.OFFICER, zones=[zone])
    reviewer = make_user(Role.MANAGER)
    state = {}
    draft = {"status": TaskStatus.ON_TRACK, "percent_complete": 70, "progress": "推进中"}

    def save():
        state["report"] = services.save_report(task=xiqing(1), period=current, user=officer, data=draft)

    def submit():
        state["report"] = services.submit_report(report=state["report"], user=officer)

    def recall():
        state["report"] = services.recall_report(report=state["report"], user=officer)

    def resubmit():
        state["report"] = services.save_and_submit_report(
            task=xiqing(1), period=current, user=officer, data={**draft, "percent_complete": 80}
        )

    def return_it():
        state["report"] = services.return_report(report=state["report"], user=reviewer, note="请补充")

    def accept_past():
        past = ProgressReport.objects.get(task=xiqing(1), period=reported)
        services.accept_report(report=past, user=reviewer)

    def return_past():
        past = ProgressReport.objects.get(task=xiqing(2), period=reported)
        services.return_report(report=past, user=reviewer, note="请补充")

    def close_off():
        # 销号 before the past period's end: the task is no longer open in it.
        Task.objects.filter(pk=xiqing(3).pk).update(
            closed_at=timezone.make_aware(datetime.datetime(2000, 1, 1))
        )

    def undo_close_off():
        Task.objects.filter(pk=xiqing(3).pk).update(closed_at=None)

    def withdraw():
        # 撤销 (a plan revision's withdrawal), before the past period ended.
        Task.objects.filter(pk=xiqing(2).pk).update(
            withdrawn_at=timezone.make_aware(datetime.datetime(2000, 1, 1))
        )

    def move_zone():
        # A plan revision moving a task to another zone of the plan.
        Task.objects.filter(pk=xiqing(1).pk).update(zone=Zone.objects.get(code="wuqing"), number=999)

    def lock():
        services.lock_period(period=reported, user=manager, confirm_waiting=True)

    def reopen():
        services.reopen_period(period=reported, user=manager, reason="更正")

    def bulk_update():
        ProgressReport.objects.filter(period=reported).update(percent_complete=5)

    def late():
        ProgressReport.objects.filter(period=reported, state=ReportState.SUBMITTED).update(
            submitted_on=reported.deadline + datetime.timedelta(days=1)
        )

    def delete():
        gone = ProgressReport.objects.filter(period=reported, task__zone__code="wuqing").first()
        gone.events.all().delete()
        gone.delete()

    def edit_deadline():
        ReportingPeriod.objects.filter(pk=reported.pk).update(
            deadline=reported.deadline - datetime.timedelta(days=30)
        )

    writes = [save, submit, recall, resubmit, return_it, accept_past, return_past, close_off, undo_close_off]
    writes += [withdraw, move_zone, lock, reopen, bulk_update, late, delete, edit_deadline]
    for write in writes:
        history(client, current)
        kept = holding()
        # Kept for both periods and every zone shown, so the next view counts nothing.
        assert {shown for shown, _zone in kept} >= {reported.pk, current.pk}, write.__name__
        write()
        shown = history(client, current)
        assert shown == recounted(client, current), write.__name__


def test_figures_counted_before_a_write_are_not_kept_as_holding(client, manager, reported, current):  # noqa: F811
    """The race a page and a write can run: the page reads what was kept, a report is written,
    the page keeps what it counted before the write. The write's change is not lost."""
    client.force_login(manager)
    counted_before = history(client, current)
    zones = list(Zone.objects.filter(plan=reported.plan).values_list("pk", flat=True))
    LockedPeriodFigures.objects.update(counted_at=None)
    _found, missing, stamps = figures.kept([reported], zones)
    assert missing == [reported]
    stale = figures.counted(Task.objects.filter(zone__plan=reported.plan), [reported])
    ProgressReport.objects.filter(period=reported, task=xiqing(1)).update(percent_complete=99)
    kept_figures.keep_period_figures(periods=[reported], found=stale, stamps=stamps)
    shown = history(client, current)
    assert shown != counted_before
    assert shown == recounted(client, current)


def test_a_report_written_marks_only_its_period_and_zone(client, manager, reported, current):  # noqa: F811
    client.force_login(manager)
    history(client, current)
    before = holding()
    officer = make_user(Role.OFFICER, zones=[xiqing(1).zone])
    report(xiqing(6), current, officer, submit=False)
    assert before - holding() == {(current.pk, xiqing(6).zone_id)}


def test_the_command_keeps_every_started_period_and_the_next_view_counts_nothing(
    client,
    manager,  # noqa: F811
    reported,  # noqa: F811
    current,
    django_assert_num_queries,
):
    client.force_login(manager)
    counted = history(client, current)
    LockedPeriodFigures.objects.all().delete()
    out = StringIO()
    call_command("keep_dashboard_figures", stdout=out)
    assert out.getvalue().startswith("2 periods")
    assert {reported.pk, current.pk} <= {kept for kept, _zone in holding()}
    client.get("/", {"plan": current.plan.code, "period": current.pk})
    # As test_dashboard's pin for a view reading what was kept, with the movers ranked.
    with django_assert_num_queries(SESSION + 11):
        assert history(client, current) == counted
    call_command("keep_dashboard_figures", stdout=out)
    assert out.getvalue().endswith("0 periods counted and kept.\n")


def test_a_zone_deleted_with_its_reports_takes_its_kept_figures_along(client, manager, reported, current):  # noqa: F811
    """The triggers write a row for each report and task deleted; the zone's deletion removes
    them too, so the foreign keys hold at commit (and a test database's flush works)."""
    client.force_login(manager)
    history(client, current)
    wuqing = Zone.objects.get(code="wuqing")
    assert LockedPeriodFigures.objects.filter(zone=wuqing).exists()
    assert ProgressReport.objects.filter(task__zone=wuqing).exists()
    for kept_report in ProgressReport.objects.filter(task__zone=wuqing):
        kept_report.events.all().delete()
    ProgressReport.objects.filter(task__zone=wuqing).delete()
    assert LockedPeriodFigures.objects.filter(zone=wuqing).exists()
    Task.objects.filter(zone=wuqing).delete()
    TaskCategory.objects.filter(zone=wuqing).delete()
    wuqing.delete()
    assert not LockedPeriodFigures.objects.filter(zone_id=wuqing.pk).exists()
    assert history(client, current) == recounted(client, current)


def test_a_view_that_cannot_keep_its_figures_still_shows_what_it_counted(
    client,
    manager,  # noqa: F811
    reported,  # noqa: F811
    current,
    monkeypatch,
):
    """Keeping is a write a GET makes; SQLite's busy timeout under a burst of writes must not turn
    the dashboard into an error page."""
    from django.db import OperationalError

    from measures.dashboard import selectors

    client.force_login(manager)
    counted = recounted(client, current)
    LockedPeriodFigures.objects.all().delete()

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(selectors.services, "_keep_period_figures", locked)
    assert history(client, current) == counted
    assert not LockedPeriodFigures.objects.exists()


def test_a_view_waits_briefly_for_the_lock_to_keep_its_figures(
    client,
    manager,  # noqa: F811
    reported,  # noqa: F811
    current,
    monkeypatch,
):
    """A GET that keeps what it counted gives way to writes: it waits VIEW_LOCK_WAIT_MS for the
    lock, not the busy timeout people's writes wait (nor, on PostgreSQL, until a deadlock is
    broken), and leaves its connection's own wait as it found it (the connection is kept open)."""
    from django.db import connection

    from measures.dashboard import selectors

    def wait_now():
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                return cursor.execute("PRAGMA busy_timeout").fetchone()[0]
            cursor.execute("SHOW lock_timeout")
            return cursor.fetchone()[0]

    keep, seen = selectors.services._keep_period_figures, []

    def keep_and_look(**kwargs):
        seen.append(wait_now())
        return keep(**kwargs)

    client.force_login(manager)
    before = wait_now()
    LockedPeriodFigures.objects.all().delete()
    monkeypatch.setattr(selectors.services, "_keep_period_figures", keep_and_look)
    client.get("/", {"plan": current.plan.code, "period": current.pk})
    brief = kept_figures.VIEW_LOCK_WAIT_MS
    assert seen == [brief if connection.vendor == "sqlite" else f"{brief}ms"]
    assert before != seen[0] and wait_now() == before
    assert LockedPeriodFigures.objects.filter(period=current).exists()
