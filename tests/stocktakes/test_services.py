"""Stocktake and assigned-item services, called directly: each step, its history row, its notices,
the refusals, the evidence rule, four eyes, the due-date notices and the escalation ladder."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from notifications.choices import Level, NoticeKind, Subject
from notifications.models import Escalation, EscalationRule, Notification
from stocktakes import escalation, services
from stocktakes.choices import ItemEventKind, ItemState
from stocktakes.models import AssignedItem, ItemEvidence
from stocktakes.notices import announce_due_dates
from tests.measures.upload_samples import EXE, PDF, upload

pytestmark = pytest.mark.django_db


def kinds(item):
    return list(item.events.order_by("at", "pk").values_list("kind", flat=True))


def test_only_managers_schedule_and_assign(plan, officer, meeting, xiqing, today):
    with pytest.raises(PermissionDenied):
        services.schedule_stocktake(user=officer, plan=plan, title="x", held_on=today)
    with pytest.raises(PermissionDenied):
        services.assign_item(stocktake=meeting, user=officer, title="x", zone=xiqing, due=today)


def test_a_meeting_names_one_scope_within_its_plan(plan, manager, xiqing, agency, today):
    with pytest.raises(ValidationError):
        services.schedule_stocktake(
            user=manager, plan=plan, zone=xiqing, agency=agency, title="x", held_on=today
        )
    from tests.factories import make_zone

    other = make_zone()
    with pytest.raises(ValidationError) as error:
        services.schedule_stocktake(user=manager, plan=plan, zone=other, title="x", held_on=today)
    assert "zone" in error.value.message_dict


def test_an_item_goes_to_one_zone_or_one_agency(meeting, manager, xiqing, agency, today):
    for assignee in ({}, {"zone": xiqing, "agency": agency}):
        with pytest.raises(ValidationError):
            services.assign_item(stocktake=meeting, user=manager, title="x", due=today, **assignee)
    assert not AssignedItem.objects.exists()


def test_assigning_writes_history_and_tells_the_zone(item, officer, leader, manager):
    assert kinds(item) == [ItemEventKind.ASSIGNED]
    told = Notification.objects.filter(kind=NoticeKind.ITEM_ASSIGNED)
    assert set(told.values_list("recipient", flat=True)) == {officer.pk, leader.pk}
    assert all(notice.zone_id == item.zone_id and notice.url == item.get_absolute_url() for notice in told)


def test_agency_items_tell_the_liaison(meeting, manager, agency, liaison, today):
    item = services.assign_item(stocktake=meeting, user=manager, title="政策支持", agency=agency, due=today)
    notice = Notification.objects.get(kind=NoticeKind.ITEM_ASSIGNED)
    assert notice.recipient == liaison and notice.agency_id == agency.pk
    assert services.report_progress(item=item, user=liaison, note="已出台").state == ItemState.IN_PROGRESS


def test_progress_close_reopen_each_one_history_row(
    settings, tmp_path, item, officer, manager, other_manager
):
    settings.MEDIA_ROOT = tmp_path
    services.report_progress(
        item=item, user=officer, note="平台已上线", uploaded_file=upload(PDF, "上线.pdf"), description="截图"
    )
    item.refresh_from_db()
    assert item.state == ItemState.IN_PROGRESS and item.progress == "平台已上线"
    evidence = ItemEvidence.objects.get()
    assert evidence.original_name == "上线.pdf" and len(evidence.sha256) == 64
    assert Notification.objects.filter(kind=NoticeKind.ITEM_PROGRESS, recipient=manager).exists()
    # The assignee's evidence is enough to close on, with a confirmation.
    with pytest.raises(ValidationError) as error:
        services.close_item(item=item, user=manager, note="已办结", confirmed=False)
    assert "confirmed" in error.value.message_dict
    services.close_item(item=item, user=manager, note="已办结", confirmed=True)
    item.refresh_from_db()
    assert item.state == ItemState.CLOSED and item.closed_by == manager
    assert Notification.objects.filter(kind=NoticeKind.ITEM_CLOSED, recipient=officer).exists()
    with pytest.raises(ValidationError):
        services.report_progress(item=item, user=officer, note="再报")
    with pytest.raises(ValidationError) as error:
        services.reopen_item(item=item, user=other_manager, reason=" ")
    assert "reason" in error.value.message_dict
    new_due = item.due + datetime.timedelta(days=7)
    services.reopen_item(item=item, user=other_manager, reason="佐证不足", due=new_due)
    item.refresh_from_db()
    assert item.state == ItemState.IN_PROGRESS and item.due == new_due and item.closed_at is None
    assert kinds(item) == [
        ItemEventKind.ASSIGNED,
        ItemEventKind.PROGRESS,
        ItemEventKind.CLOSED,
        ItemEventKind.REOPENED,
    ]
    assert item.events.get(kind=ItemEventKind.REOPENED).changes["due"][1] == new_due.isoformat()


def test_no_close_without_evidence(item, manager):
    with pytest.raises(ValidationError) as error:
        services.close_item(item=item, user=manager, note="已办结", confirmed=True)
    assert "file" in error.value.message_dict
    services.close_item(
        item=item,
        user=manager,
        note="已办结",
        confirmed=True,
        link="https://example.cn/done",
        description="公告",
    )
    assert AssignedItem.objects.get().state == ItemState.CLOSED
    assert ItemEvidence.objects.get().event.kind == ItemEventKind.CLOSED


def test_a_bad_file_is_refused_and_nothing_is_written(settings, tmp_path, item, officer):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationError) as error:
        services.report_progress(
            item=item, user=officer, note="见附件", uploaded_file=upload(EXE, "报告.pdf"), description="报告"
        )
    assert "file" in error.value.message_dict
    assert kinds(item) == [ItemEventKind.ASSIGNED] and not list(tmp_path.iterdir())


def test_only_the_assignee_reports(item, foreign_officer, leader, liaison):
    for user in (foreign_officer, leader, liaison):
        with pytest.raises(PermissionDenied):
            services.report_progress(item=item, user=user, note="x")


def test_four_eyes_no_one_closes_what_they_reported(item, xiqing):
    from core.roles import Role
    from tests.factories import make_user

    both = make_user(Role.OFFICER, zones=[xiqing])
    both.groups.add(*make_user(Role.MANAGER).groups.all())
    services.report_progress(
        item=item, user=both, note="完成", link="https://example.cn/a", description="公告"
    )
    both = type(both).objects.get(pk=both.pk)
    with pytest.raises(ValidationError):
        services.close_item(item=item, user=both, note="办结", confirmed=True)
    assert AssignedItem.objects.get().state != ItemState.CLOSED


def test_due_soon_and_overdue_are_told_once_per_due_date(item, officer, today):
    AssignedItem.objects.filter(pk=item.pk).update(due=today + datetime.timedelta(days=2))
    announce_due_dates()
    announce_due_dates()
    # The officer and the leader, once each.
    assert Notification.objects.filter(kind=NoticeKind.ITEM_DUE_SOON).count() == 2
    AssignedItem.objects.filter(pk=item.pk).update(due=today - datetime.timedelta(days=1))
    announce_due_dates()
    assert Notification.objects.filter(kind=NoticeKind.ITEM_OVERDUE, recipient=officer).count() == 1
    announce_due_dates()
    assert Notification.objects.filter(kind=NoticeKind.ITEM_OVERDUE, recipient=officer).count() == 1


def test_the_ladder_climbs_once_per_level_and_closing_settles_it(item, plan, officer, leader, manager, today):
    EscalationRule.objects.create(plan=plan, blue_days=1, yellow_days=5, red_days=10)
    AssignedItem.objects.filter(pk=item.pk).update(due=today - datetime.timedelta(days=6))
    assert escalation.escalate() == 2  # blue and yellow
    assert escalation.escalate() == 0
    steps = Escalation.objects.filter(subject=Subject.ASSIGNED_ITEM, object_id=item.pk)
    assert set(steps.values_list("level", flat=True)) == {Level.BLUE, Level.YELLOW}
    assert item.events.filter(kind=ItemEventKind.ESCALATED).count() == 2
    yellow = Notification.objects.filter(kind=NoticeKind.ESCALATION, level=Level.YELLOW)
    assert set(yellow.values_list("recipient", flat=True)) == {officer.pk, leader.pk}
    services.close_item(
        item=item, user=manager, note="办结", confirmed=True, link="https://e.cn/x", description="d"
    )
    assert not steps.open().exists()
    AssignedItem.objects.filter(pk=item.pk).update(due=today - datetime.timedelta(days=30))
    assert escalation.escalate() == 0  # a closed item is not overdue


def test_the_next_meeting_opens_with_the_previous_items(meeting, item, manager, plan, xiqing, today):
    later = services.schedule_stocktake(
        user=manager, plan=plan, zone=xiqing, title="第二次", held_on=today + datetime.timedelta(days=30)
    )
    other_scope = services.schedule_stocktake(user=manager, plan=plan, title="全体", held_on=today)
    assert later.previous() == meeting and meeting.previous() is None and other_scope.previous() is None
