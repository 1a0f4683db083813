"""Report and period services: state machine, history rows, locks and conflicts."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from core.roles import Role
from measures import services
from measures.choices import EventKind, ReportState, TaskStatus
from measures.models import ProgressReport, ReportEvent, ReportingPeriod, Task
from tests.factories import make_agency, make_user
from zones.models import Plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def period():
    return ReportingPeriod.objects.create(
        plan=Plan.objects.get(code="second-batch"),
        name="2026年第四季度",
        start=datetime.date(2026, 10, 1),
        end=datetime.date(2026, 12, 31),
        deadline=datetime.date(2027, 1, 10),
    )


@pytest.fixture
def task():
    return Task.objects.get(zone__code="xiqing", number=1)


@pytest.fixture
def officer(task):
    return make_user(Role.OFFICER, zones=[task.zone])


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


def draft(task, period, officer, **data):
    data = {"status": TaskStatus.ON_TRACK, "percent_complete": 30, "progress": "完成方案编制", **data}
    return services.save_report(task=task, period=period, user=officer, data=data)


def test_create_writes_one_created_event(task, period, officer):
    report = draft(task, period, officer)
    assert report.state == ReportState.DRAFT and report.version == 1
    events = list(report.events.all())
    assert [e.kind for e in events] == [EventKind.CREATED]
    assert events[0].changes["percent_complete"] == [None, 30]
    assert events[0].actor == officer


def test_edit_records_only_what_changed(task, period, officer):
    report = draft(task, period, officer)
    report = services.save_report(
        task=task, period=period, user=officer, data={"percent_complete": 45, "progress": "完成方案编制"}
    )
    assert report.version == 2
    edit = report.events.get(kind=EventKind.EDITED)
    assert {k: v for k, v in edit.changes.items() if k != "_version"} == {"percent_complete": [30, 45]}
    # Saving the same values again writes nothing.
    services.save_report(task=task, period=period, user=officer, data={"percent_complete": 45})
    assert report.events.count() == 2


def test_full_cycle_submit_return_resubmit_accept(task, period, officer, manager):
    report = draft(task, period, officer)
    report = services.submit_report(report=report, user=officer)
    assert report.state == ReportState.SUBMITTED and report.submitted_at
    report = services.return_report(report=report, user=manager, note="请补充进度佐证材料")
    assert report.state == ReportState.RETURNED
    report = services.save_report(task=task, period=period, user=officer, data={"progress": "已补充材料"})
    report = services.submit_report(report=report, user=officer)
    report = services.accept_report(report=report, user=manager)
    assert report.state == ReportState.ACCEPTED
    kinds = list(report.events.values_list("kind", flat=True))
    assert kinds == ["created", "submitted", "returned", "edited", "submitted", "accepted"]
    assert report.events.get(kind="returned").note == "请补充进度佐证材料"


def test_submitted_and_accepted_reports_cannot_be_edited(task, period, officer, manager):
    report = services.submit_report(report=draft(task, period, officer), user=officer)
    with pytest.raises(ValidationError):
        services.save_report(task=task, period=period, user=officer, data={"percent_complete": 90})
    services.accept_report(report=report, user=manager)
    with pytest.raises(ValidationError):
        services.return_report(report=report, user=manager, note="x")
    assert ProgressReport.objects.get(pk=report.pk).percent_complete == 30


def test_return_needs_a_note(task, period, officer, manager):
    report = services.submit_report(report=draft(task, period, officer), user=officer)
    with pytest.raises(ValidationError) as caught:
        services.return_report(report=report, user=manager, note="  ")
    assert "note" in caught.value.message_dict
    assert ProgressReport.objects.get(pk=report.pk).state == ReportState.SUBMITTED


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"percent_complete": 140}, "percent_complete"),
        ({"status": "finished"}, "status"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_saved(task, period, officer, data, field):
    report = draft(task, period, officer)
    with pytest.raises(ValidationError) as caught:
        services.save_report(task=task, period=period, user=officer, data=data)
    assert field in caught.value.message_dict
    report.refresh_from_db()
    assert report.percent_complete == 30 and report.status == TaskStatus.ON_TRACK
    assert report.events.count() == 1


def test_support_agency_must_support_the_task(task, period, officer):
    outsider = make_agency()
    with pytest.raises(ValidationError) as caught:
        draft(task, period, officer, support_agency=outsider)
    assert "support_agency" in caught.value.message_dict
    customs = task.ordered_agencies[1]
    assert draft(task, period, officer, support_agency=customs).support_agency == customs


def test_conflicting_save_is_refused_with_what_changed(task, period, officer, manager):
    first = draft(task, period, officer)
    opened_at = first.version
    other = make_user(Role.OFFICER, zones=[task.zone])
    services.save_report(
        task=task, period=period, user=other, data={"problems": "用地指标紧张"}, expected_version=opened_at
    )
    with pytest.raises(services.ReportConflict) as caught:
        services.save_report(
            task=task, period=period, user=officer, data={"problems": "资金不足"}, expected_version=opened_at
        )
    assert caught.value.changes == {"problems": ["", "用地指标紧张"]}
    assert ProgressReport.objects.get(pk=first.pk).problems == "用地指标紧张"


def test_locked_period_refuses_changes_and_reopen_needs_reason(task, period, officer, manager):
    report = draft(task, period, officer)
    services.lock_period(period=period, user=manager)
    with pytest.raises(ValidationError):
        services.save_report(task=task, period=period, user=officer, data={"percent_complete": 50})
    with pytest.raises(ValidationError):
        services.submit_report(report=report, user=officer)
    with pytest.raises(ValidationError):
        services.reopen_period(period=period, user=manager, reason="")
    services.reopen_period(period=period, user=manager, reason="西青补报材料")
    services.save_report(task=task, period=period, user=officer, data={"percent_complete": 50})
    kinds = list(ReportEvent.objects.filter(period=period).values_list("kind", flat=True))
    assert kinds == ["created", "period_locked", "period_reopened", "edited"]


def test_period_dates_are_checked():
    period = ReportingPeriod(
        plan=Plan.objects.get(code="second-batch"),
        name="错误",
        start=datetime.date(2026, 10, 1),
        end=datetime.date(2026, 9, 30),
        deadline=datetime.date(2026, 9, 1),
    )
    with pytest.raises(ValidationError) as caught:
        period.full_clean()
    assert set(caught.value.message_dict) >= {"end", "deadline"}


@pytest.mark.parametrize(
    ("status", "percent", "refused"),
    [
        (TaskStatus.NOT_STARTED, 20, True),
        (TaskStatus.NOT_STARTED, 0, False),
        (TaskStatus.COMPLETED, 90, True),
        (TaskStatus.COMPLETED, 100, False),
    ],
)
def test_status_and_percent_must_agree(task, period, officer, status, percent, refused):
    if refused:
        with pytest.raises(ValidationError) as error:
            draft(task, period, officer, status=status, percent_complete=percent)
        assert "percent_complete" in error.value.message_dict
        assert not ProgressReport.objects.filter(task=task, period=period).exists()
    else:
        assert (
            draft(task, period, officer, status=status, percent_complete=percent).percent_complete == percent
        )


def test_a_period_not_yet_started_cannot_be_reported_on(task, officer):
    today = datetime.date.today()
    future = ReportingPeriod.objects.create(
        plan=task.zone.plan,
        name="下一季度",
        start=today + datetime.timedelta(days=40),
        end=today + datetime.timedelta(days=130),
        deadline=today + datetime.timedelta(days=145),
    )
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        draft(task, future, officer)
    assert "尚未开始" in " ".join(refused.value.messages)
    assert not ProgressReport.objects.filter(period=future).exists()
    assert not ReportEvent.objects.filter(report__period=future).exists()
