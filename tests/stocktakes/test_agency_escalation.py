"""The escalation ladder (三色督办) of items assigned to an agency, with the clock moved forward: blue to
its liaisons, yellow to them and the manager who assigned the item, red to the managers (on the
dashboard and in the period report), each once, recorded in the item's history, stopped by closing
the item, and seen only by the agency's liaisons and the managers."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from notifications.choices import Level, NoticeKind, Subject
from notifications.models import Escalation, EscalationRule, Notification
from stocktakes import escalation, services
from stocktakes.choices import ItemEventKind
from stocktakes.models import AssignedItem
from tests.factories import make_period, make_user
from zones.models import Agency

pytestmark = pytest.mark.django_db
DUE = datetime.date(2026, 5, 20)


def at(days_after_due):
    """Noon, local time, this many days after the item's due date."""
    day = DUE + datetime.timedelta(days=days_after_due)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def levels_for(user):
    return sorted(
        Notification.objects.filter(recipient=user, kind=NoticeKind.ESCALATION).values_list(
            "level", flat=True
        )
    )


@pytest.fixture
def customs():
    return Agency.objects.get(name="天津海关")


@pytest.fixture
def other_agency(customs):
    """Another agency that supports tasks of the plan, so its liaison reads the period report too."""
    return Agency.objects.exclude(pk=customs.pk).filter(task_links__isnull=False).order_by("pk").first()


@pytest.fixture
def setting(plan, manager, other_manager, officer, leader, customs, other_agency, today):
    period = make_period(plan, 2026, 2)  # April to June: the due date lapses in it
    EscalationRule.objects.create(plan=plan, blue_days=3, yellow_days=10, red_days=20)
    meeting = services.schedule_stocktake(
        user=manager, plan=plan, agency=customs, title="海关调度会", held_on=DUE - datetime.timedelta(days=30)
    )
    item = services.assign_item(
        stocktake=meeting, user=manager, title="完成通关便利化方案", agency=customs, due=today
    )
    AssignedItem.objects.filter(pk=item.pk).update(due=DUE)
    item.refresh_from_db()
    return {
        "plan": plan,
        "period": period,
        "meeting": meeting,
        "item": item,
        "manager": manager,
        "other_manager": other_manager,
        "officer": officer,
        "leader": leader,
        "liaison": make_user(Role.LIAISON, agency=customs),
        "other_liaison": make_user(Role.LIAISON, agency=other_agency),
    }


def test_blue_yellow_red_once_each_then_closing_stops_the_ladder(setting):
    item, liaison, manager, other_manager = (
        setting[k] for k in ("item", "liaison", "manager", "other_manager")
    )
    assert escalation.escalate(now=at(2)) == 0  # not late enough for blue
    assert escalation.escalate(now=at(3)) == 1
    assert escalation.escalate(now=at(4)) == 0  # the same lapse is never escalated twice
    assert levels_for(liaison) == [Level.BLUE] and levels_for(manager) == []

    assert escalation.escalate(now=at(10)) == 1
    assert levels_for(liaison) == [Level.BLUE, Level.YELLOW]
    # Yellow: the manager who assigned the item, not the managers as a body.
    assert levels_for(manager) == [Level.YELLOW] and levels_for(other_manager) == []

    assert escalation.escalate(now=at(20)) == 1
    assert escalation.escalate(now=at(25)) == 0
    assert levels_for(manager) == [Level.RED, Level.YELLOW] and levels_for(other_manager) == [Level.RED]
    assert levels_for(liaison) == [Level.BLUE, Level.YELLOW]
    # Nobody of a zone, nor another agency's liaison, hears of the agency's item.
    for key in ("officer", "leader", "other_liaison"):
        assert levels_for(setting[key]) == []
    red = Notification.objects.get(recipient=other_manager)
    assert red.to_managers and red.needs_action and red.url == item.get_absolute_url()
    assert red.agency_id == item.agency_id and red.zone_id is None

    steps = Escalation.objects.filter(subject=Subject.ASSIGNED_ITEM, object_id=item.pk).order_by("days_late")
    assert [step.level for step in steps] == [Level.BLUE, Level.YELLOW, Level.RED]
    assert {(s.zone_id, s.agency_id, s.plan_id, s.period_id, s.lapse) for s in steps} == {
        (None, item.agency_id, setting["plan"].pk, setting["period"].pk, DUE)
    }
    history = item.events.filter(kind=ItemEventKind.ESCALATED).order_by("at")
    assert [event.changes["level"] for event in history] == ["blue", "yellow", "red"]
    assert [event.changes["days_late"] for event in history] == [3, 10, 20]

    services.report_progress(
        item=item, user=liaison, note="方案已印发", link="https://example.cn/plan", description="文件"
    )
    services.close_item(item=item, user=manager, note="办结", confirmed=True)
    assert not steps.open().exists()  # settling the item closed its ladder
    assert escalation.escalate(now=at(40)) == 0
    assert steps.count() == 3 and Notification.objects.filter(kind=NoticeKind.ESCALATION).count() == 5


def test_yellow_goes_to_the_managers_once_the_assigner_is_no_longer_one(setting):
    setting["manager"].groups.clear()
    assert escalation.escalate(now=at(10)) == 2  # blue and yellow
    assert levels_for(setting["other_manager"]) == [Level.YELLOW]
    assert levels_for(setting["liaison"]) == [Level.BLUE, Level.YELLOW]


def test_a_step_names_a_zone_or_an_agency_and_exists_once_per_lapse(setting):
    escalation.escalate(now=at(3))
    step = Escalation.objects.get()
    again = {
        field.attname: getattr(step, field.attname)
        for field in Escalation._meta.concrete_fields
        if field.name != "id"
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Escalation.objects.create(**again)
    with pytest.raises(IntegrityError), transaction.atomic():
        Escalation.objects.create(**again | {"object_id": step.object_id + 1000, "agency_id": None})


def test_the_red_step_is_on_the_dashboard_in_the_period_report_and_in_the_pack(client, setting):
    escalation.escalate(now=at(21))
    label = Escalation.objects.get(level=Level.RED).label
    assert "天津海关" in label and "完成通关便利化方案" in label
    plan, period = setting["plan"], setting["period"]
    client.force_login(setting["other_manager"])
    page = client.get(reverse("home"), {"plan": plan.code, "period": period.pk}).content.decode()
    assert 'id="red-escalations"' in page and label in page
    report_url = reverse("measures:period-report-html", args=[period.pk])
    report = client.get(report_url).content.decode()
    assert 'id="red-escalations"' in report and label in report
    # A report of one zone lists that zone's steps only.
    assert label not in client.get(report_url, {"zone": "xiqing"}).content.decode()
    # Not in the report of a period the item did not lapse in.
    later = make_period(plan, 2026, 3)
    assert label not in client.get(reverse("measures:period-report-html", args=[later.pk])).content.decode()
    # The agency's meeting pack, on the page and in its Word file.
    meeting = setting["meeting"]
    assert label in client.get(meeting.get_absolute_url()).content.decode()
    assert client.get(reverse("stocktakes:pack-docx", args=[meeting.pk])).status_code == 200


def test_a_zone_items_red_step_is_in_the_period_report_too(client, setting, xiqing, today):
    item = services.assign_item(
        stocktake=setting["meeting"], user=setting["manager"], title="西青事项", zone=xiqing, due=today
    )
    AssignedItem.objects.filter(pk=item.pk).update(due=DUE)
    escalation.escalate(now=at(21))
    label = Escalation.objects.get(level=Level.RED, zone=xiqing).label
    client.force_login(setting["manager"])
    report_url = reverse("measures:period-report-html", args=[setting["period"].pk])
    assert label in client.get(report_url, {"zone": "xiqing"}).content.decode()
    client.force_login(setting["officer"])
    assert label in client.get(report_url).content.decode()


def test_only_the_agency_and_the_managers_see_its_steps(client, setting, other_agency):
    """The period report's red list, the item page and the notification centre, as each role."""
    escalation.escalate(now=at(21))
    label = Escalation.objects.get(level=Level.RED).label
    item, liaison = setting["item"], setting["liaison"]
    report_url = reverse("measures:period-report-html", args=[setting["period"].pk])
    client.force_login(liaison)
    response = client.get(report_url)
    assert response.status_code == 200 and label in response.content.decode()
    assert client.get(item.get_absolute_url()).status_code == 200
    yellow = Notification.objects.get(recipient=liaison, level=Level.YELLOW)
    assert yellow.title in client.get(reverse("notifications:list")).content.decode()

    for key in ("other_liaison", "officer", "leader"):
        client.force_login(setting[key])
        response = client.get(report_url)
        assert response.status_code == 200 and label not in response.content.decode(), key
        assert client.get(item.get_absolute_url()).status_code == 404, key

    # A liaison moved to another agency no longer sees the notices about the first one's items.
    liaison.profile.agency = other_agency
    liaison.profile.save()
    client.force_login(liaison)
    page = client.get(reverse("notifications:list")).content.decode()
    assert yellow.title not in page and "完成通关便利化方案" not in page


def test_the_red_lists_read_as_many_queries_for_many_steps(client, setting, xiqing, customs, today):
    """The dashboard and the period report with one red step of an agency and one of a zone, then
    with many: the same number of queries."""
    plan, period, meeting, manager = (setting[k] for k in ("plan", "period", "meeting", "manager"))

    def overdue(count, **assignee):
        for n in range(count):
            made = services.assign_item(
                stocktake=meeting, user=manager, title=f"事项{n}", due=today, **assignee
            )
            AssignedItem.objects.filter(pk=made.pk).update(due=DUE)

    overdue(1, zone=xiqing)
    escalation.escalate(now=at(21))
    client.force_login(setting["other_manager"])
    pages = [
        (reverse("home"), {"plan": plan.code, "period": period.pk}),
        (reverse("measures:period-report-html", args=[period.pk]), {}),
    ]
    counts = []
    for url, params in pages:
        client.get(url, params)  # the first visit remembers the plan in the session (a write)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, params).status_code == 200
        counts.append(len(queries))
    overdue(5, zone=xiqing)
    overdue(5, agency=customs)
    escalation.escalate(now=at(22))
    assert Escalation.objects.red().count() == 12
    for (url, params), count in zip(pages, counts, strict=True):
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url, params).content.decode()
        assert len(queries) == count and html.count("事项4") == 2


def test_who_goes_silent_counts_an_agencys_item_steps(setting, customs):
    from measures.dashboard.silence import silence

    escalation.escalate(now=at(3))
    escalation.escalate(now=at(10))
    rows = {row["pk"]: row for row in silence(plan=setting["plan"], periods=[setting["period"]])["agencies"]}
    # No coordination request was asked of it, yet it is chased for its item: its row says so.
    assert rows[customs.pk]["escalations"] == 2 and rows[customs.pk]["received"] == 0


def test_going_back_before_agency_steps_refuses_rather_than_deletes_them(setting):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("notifications.migrations.0005_escalation_plan_and_agency")
    migration.refuse_agency_only_steps(apps, None)  # nothing to lose yet: going back may proceed
    escalation.escalate(now=at(3))
    with pytest.raises(RuntimeError, match="1 escalation step"):
        migration.refuse_agency_only_steps(apps, None)
    assert Escalation.objects.filter(zone__isnull=True).count() == 1
