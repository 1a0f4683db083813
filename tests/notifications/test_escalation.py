"""The escalation ladder (三色督办) with the clock moved forward: blue, yellow and red once each, recorded in
the task's history, and nothing more once the report is submitted."""

import datetime
import importlib

import pytest
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import EventKind, TaskStatus
from measures.followup.services.escalation import escalate
from measures.models import ReportEvent, ReportingPeriod
from notifications.choices import Level, NoticeKind, Subject
from notifications.models import Escalation, EscalationRule, Notification
from tests.factories import make_agency, make_category, make_task, make_user, make_zone

pytestmark = pytest.mark.django_db
DEADLINE = datetime.date(2026, 7, 10)


def at(days_after_deadline):
    """Noon, local time, this many days after the deadline."""
    day = DEADLINE + datetime.timedelta(days=days_after_deadline)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


@pytest.fixture
def setting():
    zone = make_zone()
    task = make_task(zone=zone, category=make_category(zone), agencies=[make_agency()])
    period = ReportingPeriod.objects.create(
        plan=zone.plan,
        name="2026年第二季度",
        start=datetime.date(2026, 4, 1),
        end=datetime.date(2026, 6, 30),
        deadline=DEADLINE,
    )
    EscalationRule.objects.create(plan=zone.plan, blue_days=3, yellow_days=10, red_days=20)
    return {
        "zone": zone,
        "task": task,
        "period": period,
        "officer": make_user(Role.OFFICER, zones=[zone]),
        "leader": make_user(Role.LEADER, zones=[zone]),
        "manager": make_user(Role.MANAGER),
        "other_leader": make_user(Role.LEADER, zones=[make_zone(plan=zone.plan)]),
    }


def levels_for(user):
    return sorted(
        Notification.objects.filter(recipient=user, kind=NoticeKind.ESCALATION).values_list(
            "level", flat=True
        )
    )


def test_blue_yellow_red_once_each_then_settled_by_submission(setting):
    task, officer, leader, manager = (setting[k] for k in ("task", "officer", "leader", "manager"))
    assert escalate(now=at(2)) == 0  # not late enough for blue
    assert escalate(now=at(3)) == 1
    assert escalate(now=at(4)) == 0  # the same lapse is never escalated twice
    assert levels_for(officer) == [Level.BLUE] and levels_for(leader) == [] and levels_for(manager) == []

    assert escalate(now=at(10)) == 1
    assert levels_for(officer) == [Level.BLUE, Level.YELLOW] and levels_for(leader) == [Level.YELLOW]
    assert levels_for(manager) == []
    assert escalate(now=at(20)) == 1
    assert escalate(now=at(25)) == 0
    assert levels_for(manager) == [Level.RED]
    assert levels_for(setting["other_leader"]) == []  # leaders of other zones hear nothing

    red = Notification.objects.get(recipient=manager)
    assert red.to_managers and red.needs_action and red.url.endswith(f"?period={setting['period'].pk}#report")
    history = ReportEvent.objects.filter(task=task, kind=EventKind.ESCALATED).order_by("at")
    assert [event.changes["level"] for event in history] == ["blue", "yellow", "red"]
    assert [event.changes["days_late"] for event in history] == [3, 10, 20]
    assert Escalation.objects.open().red().count() == 1

    report = services.save_report(
        task=task,
        period=setting["period"],
        user=officer,
        data={"status": TaskStatus.ON_TRACK, "percent_complete": 50, "progress": "推进中"},
    )
    services.submit_report(report=report, user=officer)
    assert escalate(now=at(40)) == 0
    assert not Escalation.objects.open().exists()  # settling the item closed its ladder
    assert (
        Escalation.objects.count() == 3
        and Notification.objects.filter(kind=NoticeKind.ESCALATION).count() == 4
    )


def test_a_closed_off_or_withdrawn_task_is_not_escalated(setting):
    task = setting["task"]
    task.withdrawn_at = timezone.now()
    task.save(update_fields=["withdrawn_at"])
    assert escalate(now=at(30)) == 0


def test_an_unanswered_request_climbs_to_the_agency_then_the_leader_then_the_managers(setting):
    agency = setting["task"].agency_links.get().agency
    liaison = make_user(Role.LIAISON, agency=agency)
    rule = EscalationRule.objects.get()
    rule.include_milestones = False
    rule.save()
    # Reports are not the subject here: the period has not lapsed at the time the request is judged.
    ReportingPeriod.objects.update(deadline=datetime.date(2028, 1, 10))
    request = services.ask_agency(
        task=setting["task"], user=setting["officer"], agency=agency, question="请协调用地指标"
    )
    asked = timezone.localdate(request.asked_at)
    lapse = asked + datetime.timedelta(days=rule.request_reply_days)

    def on(days):
        return timezone.make_aware(
            datetime.datetime.combine(lapse + datetime.timedelta(days=days), datetime.time(12))
        )

    assert escalate(now=on(3)) == 1 and levels_for(liaison) == [Level.BLUE]
    assert escalate(now=on(10)) == 1 and levels_for(setting["leader"]) == [Level.YELLOW]
    assert levels_for(liaison) == [Level.BLUE, Level.YELLOW]
    # A request's steps belong to the asking zone's task and to the agency asked.
    assert set(Escalation.objects.values_list("zone", "agency", "plan", "task_id")) == {
        (setting["zone"].pk, agency.pk, setting["zone"].plan_id, setting["task"].pk)
    }
    services.answer_request(request=request, user=liaison, answer="已协调")
    assert escalate(now=on(30)) == 0
    step = Escalation.objects.get(subject=Subject.REQUEST, level=Level.BLUE)
    assert step.settled_at is not None


def test_the_migration_gives_request_steps_their_agency(setting):
    """Steps issued before escalation rows named an agency get the agency of their request."""
    from django.apps import apps

    migration = importlib.import_module("notifications.migrations.0005_escalation_plan_and_agency")
    agency = setting["task"].agency_links.get().agency
    ReportingPeriod.objects.update(deadline=datetime.date(2028, 1, 10))
    request = services.ask_agency(
        task=setting["task"], user=setting["officer"], agency=agency, question="请协调"
    )
    escalate(
        now=timezone.make_aware(datetime.datetime.combine(request.reply_by, datetime.time(12)))
        + datetime.timedelta(days=5)
    )
    Escalation.objects.update(agency=None)
    migration.fill_plan_and_agency(apps, None)
    assert list(Escalation.objects.values_list("agency", "plan")) == [(agency.pk, setting["zone"].plan_id)]


def test_an_overdue_milestone_is_escalated(setting):
    ReportingPeriod.objects.update(deadline=datetime.date(2028, 1, 10))
    services.add_milestone(
        confirm_past=True,
        task=setting["task"],
        user=setting["officer"],
        title="完成可研",
        due=datetime.date(2026, 8, 1),
    )
    issued = escalate(now=timezone.make_aware(datetime.datetime(2026, 8, 5, 12)))
    assert issued == 1 and levels_for(setting["officer"]) == [Level.BLUE]
    assert Escalation.objects.get().subject == Subject.MILESTONE


def test_the_rule_is_checked():
    from django.core.exceptions import ValidationError

    rule = EscalationRule(plan=make_zone().plan, blue_days=10, yellow_days=5, red_days=20)
    with pytest.raises(ValidationError):
        rule.full_clean()


def test_red_steps_are_listed_on_the_dashboard_and_in_the_period_report(client, setting):
    from django.urls import reverse

    escalate(now=at(21))
    client.force_login(setting["manager"])
    plan, period = setting["zone"].plan, setting["period"]
    page = client.get(reverse("home"), {"plan": plan.code, "period": period.pk}).content.decode()
    assert 'id="red-escalations"' in page and "21" in page
    label = Escalation.objects.get(level=Level.RED).label
    assert label in page
    report = client.get(reverse("measures:period-report-html", args=[period.pk])).content.decode()
    assert 'id="red-escalations"' in report and label in report
    # An officer's pages carry no managers' list.
    client.force_login(setting["officer"])
    assert client.get(reverse("home")).status_code in (302, 403)


def test_a_period_before_tracking_started_is_never_escalated(setting):
    """A fresh install started after the deadline owes nothing for that period (issue 14, item 10)."""
    plan = setting["zone"].plan
    plan.tracking_start = DEADLINE + datetime.timedelta(days=1)
    plan.save(update_fields=["tracking_start"])
    assert escalate(now=at(30)) == 0
    assert not Escalation.objects.exists() and levels_for(setting["officer"]) == []
