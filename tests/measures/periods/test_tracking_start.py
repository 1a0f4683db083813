"""Tracking starts at a date the administrator sets (issue 14, item 10): a fresh install does not
owe the year's earlier periods. One rule (ReportingPeriod.objects.owed / is_owed) for /my/, the
dashboard's rates, the period report, reminders and chases."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from core.roles import Role
from measures import services
from measures.choices import TaskStatus
from measures.models import ReportingPeriod, Task
from measures.periods.services import quarter_bounds
from tests.factories import make_user
from zones.models import Plan, Zone

pytestmark = pytest.mark.django_db

# A December install: Q1 to Q3 are past their deadlines, Q4 is being reported.
TODAY = datetime.date(2026, 12, 5)


@pytest.fixture
def plan():
    plan = Plan.objects.get(code="second-batch")
    plan.tracking_start = TODAY
    plan.save()
    return plan


@pytest.fixture
def quarters(plan):
    periods = []
    for quarter in (1, 2, 3, 4):
        start, end = quarter_bounds(2026, quarter)
        periods.append(
            ReportingPeriod.objects.create(
                plan=plan,
                name=f"2026年第{quarter}季度",
                start=start,
                end=end,
                deadline=end + datetime.timedelta(days=15),
            )
        )
    return periods


@pytest.fixture
def xiqing():
    return Zone.objects.get(code="xiqing")


@pytest.fixture
def officer(xiqing):
    return make_user(Role.OFFICER, zones=[xiqing], email="officer@xiqing.example.cn")


@pytest.fixture
def manager():
    return make_user(Role.MANAGER, email="manager@example.cn")


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args: TODAY)
    now = datetime.datetime.combine(TODAY, datetime.time(9), tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: now)


def test_a_new_plan_tracks_from_the_day_it_is_loaded():
    plan = Plan.objects.create(code="fresh", title="新方案")
    assert plan.tracking_start == timezone.localdate()


def test_only_periods_due_on_or_after_the_start_are_owed(plan, quarters):
    assert list(ReportingPeriod.objects.filter(plan=plan).owed().order_by("start")) == quarters[3:]
    assert [period.is_owed for period in quarters] == [False, False, False, True]
    plan.tracking_start = quarters[1].deadline
    plan.save()
    assert list(ReportingPeriod.objects.filter(plan=plan).owed().order_by("start")) == quarters[1:]


def test_officer_owes_nothing_for_periods_before_tracking(client, frozen, quarters, officer, xiqing):
    client.force_login(officer)
    context = client.get("/my/").context
    assert context["overdue_periods"] == []
    # The current period is still to report, every open task of the zone.
    assert {task.period for task in context["to_report"]} == {quarters[3]}
    assert len(context["to_report"]) == Task.objects.filter(zone=xiqing).reportable().count()


def test_officer_still_owes_the_periods_after_the_start(client, frozen, plan, quarters, officer, xiqing):
    plan.tracking_start = quarters[2].deadline
    plan.save()
    client.force_login(officer)
    owed = client.get("/my/").context["overdue_periods"]
    assert [period for period, _tasks in owed] == [quarters[2]]


def test_reminders_do_not_chase_periods_before_tracking(frozen, mailoutbox, quarters, officer):
    sent = services.send_reminders(today=TODAY, days_before=7, chase_every=7)
    assert sent == []
    assert mailoutbox == []
    # A later day within a week of Q4's deadline reminds about Q4 alone.
    sent = services.send_reminders(today=datetime.date(2027, 1, 10), days_before=7, chase_every=7)
    assert {reminder.period for reminder in sent} == {quarters[3]}


def test_a_manager_cannot_chase_a_period_before_tracking(frozen, quarters, manager, officer, xiqing):
    with pytest.raises(ValidationError, match=TODAY.isoformat()):
        services.chase_zone(period=quarters[0], zone=xiqing, user=manager)


def test_dashboard_has_no_rate_for_a_period_before_tracking(
    client, frozen, quarters, manager, officer, xiqing
):
    task = Task.objects.filter(zone=xiqing).reportable().first()
    report = services.save_report(
        task=task,
        period=quarters[0],
        user=officer,
        data={"status": TaskStatus.ON_TRACK, "percent_complete": 20, "progress": "推进"},
    )
    services.submit_report(report=report, user=officer)
    client.force_login(manager)
    response = client.get("/", {"plan": "second-batch", "period": quarters[0].pk})
    context = response.context
    assert context["owed"] is False
    assert context["total"].rate is None
    assert all(row["tally"].rate is None for row in context["zones"])
    assert context["ranking"] == []
    # Nothing is red for a missing report nobody owed, and there is no chase button.
    assert context["total"].by_light.get("red", 0) == 0
    assert b'id="not-owed"' in response.content
    assert b"zone-chase" not in response.content and "/chase/" not in response.content.decode()
    # Nor does the chart across periods count the periods before tracking.
    current = client.get("/", {"plan": "second-batch", "period": quarters[3].pk}).context
    assert current["owed"] is True
    assert current["history"]["periods"] == [quarters[3]]
    assert current["total"].rate == 0


def test_period_report_calls_missing_reports_not_owed(client, frozen, quarters, manager):
    client.force_login(manager)
    page = client.get(reverse("measures:period-report-html", args=[quarters[0].pk]))
    assert page.status_code == 200
    assert page.context["timeliness_labels"]["missing"] == gettext("Not owed")
    assert page.context["report"].counts["light"].get("red", 0) == 0
    assert quarters[0].plan.tracking_start.isoformat() in page.context["summary"][0]
    owed = client.get(reverse("measures:period-report-html", args=[quarters[3].pk]))
    assert owed.context["timeliness_labels"]["missing"] == gettext("Not submitted")


def test_migration_keeps_what_an_install_with_history_owed(plan, quarters, officer, xiqing):
    migration = importlib.import_module("zones.migrations.0005_plan_tracking_start")
    task = Task.objects.filter(zone=xiqing).first()
    services.save_report(task=task, period=quarters[1], user=officer, data={"status": TaskStatus.NOT_STARTED})
    migration.keep_what_was_owed(apps, None)
    plan.refresh_from_db()
    assert plan.tracking_start == quarters[1].deadline
    assert [period.is_owed for period in ReportingPeriod.objects.filter(plan=plan).order_by("start")] == [
        False,
        True,
        True,
        True,
    ]
