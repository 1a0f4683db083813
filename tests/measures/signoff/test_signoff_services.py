"""Sign-off by the zone leader (主体责任) and deputies: each step, four eyes at both levels,
deputies in and out of their range, and the notices."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.access import access_for
from core.roles import Role
from measures import services
from measures.choices import REPORTED_STATES, EventKind, ReportState, TaskStatus
from measures.models import CoordinationRequest, Deputy, ProgressReport, ReportingPeriod, Task
from tests.factories import make_user
from zones.models import Plan, Zone

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user as a new request reads them (access_for caches the roles on the object)."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def plan():
    plan = Plan.objects.get(code="second-batch")
    plan.requires_signoff = True
    plan.save(update_fields=["requires_signoff"])
    return plan


@pytest.fixture
def period(plan):
    return ReportingPeriod.objects.create(
        plan=plan,
        name="2026年第四季度",
        start=datetime.date(2026, 10, 1),
        end=datetime.date(2026, 12, 31),
        deadline=datetime.date(2027, 1, 10),
    )


@pytest.fixture
def task():
    return Task.objects.select_related("zone").get(zone__code="xiqing", number=1)


@pytest.fixture
def officer(task):
    return make_user(Role.OFFICER, zones=[task.zone])


@pytest.fixture
def leader(task):
    return make_user(Role.LEADER, zones=[task.zone], first_name="负责人")


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


def submitted(task, period, officer, **data):
    data = {"status": TaskStatus.ON_TRACK, "percent_complete": 30, "progress": "完成方案编制", **data}
    report = services.save_report(task=task, period=period, user=officer, data=data)
    return services.submit_report(report=report, user=officer)


def kinds(report):
    return list(report.events.order_by("at", "pk").values_list("kind", flat=True))


def test_a_plan_requiring_signoff_holds_the_report_for_the_leader(task, period, officer):
    report = submitted(task, period, officer)
    assert report.state == ReportState.AWAITING_SIGNOFF
    # Not reported yet: no submission time, nothing counted as reported, not in the managers' queue.
    assert report.submitted_at is None and report.submitted_on is None
    assert report.state not in REPORTED_STATES
    assert not ProgressReport.objects.filter(pk=report.pk, state=ReportState.SUBMITTED).exists()
    assert ProgressReport.objects.awaiting_signoff().filter(pk=report.pk).exists()
    assert kinds(report) == [EventKind.CREATED, EventKind.SUBMITTED]
    event = report.events.get(kind=EventKind.SUBMITTED)
    assert event.changes["state"] == [ReportState.DRAFT, ReportState.AWAITING_SIGNOFF]


def test_a_plan_without_signoff_behaves_as_before(task, period, officer):
    Plan.objects.filter(pk=period.plan_id).update(requires_signoff=False)
    report = submitted(task, period, officer)
    assert report.state == ReportState.SUBMITTED and report.submitted_at is not None


def test_leader_signs_off_then_manager_accepts(task, period, officer, leader, manager):
    report = submitted(task, period, officer)
    with pytest.raises(ValidationError):
        # The managers cannot decide what the zone has not signed off.
        services.accept_report(report=report, user=manager)
    report = services.sign_off_report(report=report, user=leader, note="同意报送")
    assert report.state == ReportState.SUBMITTED
    assert report.submitted_at is not None and report.submitted_on == timezone.localdate()
    signed = report.events.get(kind=EventKind.SIGNED_OFF)
    assert (signed.actor, signed.note, signed.on_behalf_of) == (leader, "同意报送", None)
    assert signed.changes["state"] == [ReportState.AWAITING_SIGNOFF, ReportState.SUBMITTED]
    report = services.accept_report(report=report, user=manager)
    assert report.state == ReportState.ACCEPTED
    assert kinds(report) == [
        EventKind.CREATED,
        EventKind.SUBMITTED,
        EventKind.SIGNED_OFF,
        EventKind.ACCEPTED,
    ]


def test_send_back_returns_it_to_the_officer_who_edits_and_resubmits(task, period, officer, leader):
    report = submitted(task, period, officer)
    with pytest.raises(ValidationError) as error:
        services.send_back_report(report=report, user=leader, note="  ")
    assert "note" in error.value.message_dict
    report = services.send_back_report(report=report, user=leader, note="请补充佐证材料")
    assert report.state == ReportState.RETURNED
    sent_back = report.events.get(kind=EventKind.SENT_BACK)
    assert (sent_back.actor, sent_back.note) == (leader, "请补充佐证材料")
    report = services.save_report(
        task=task, period=period, user=officer, data={"progress": "已补充"}, expected_version=report.version
    )
    report = services.submit_report(report=report, user=officer)
    assert report.state == ReportState.AWAITING_SIGNOFF
    report = services.sign_off_report(report=report, user=leader)
    assert report.state == ReportState.SUBMITTED


def test_a_return_from_the_city_goes_to_the_officer_and_needs_signoff_again(
    task, period, officer, leader, manager
):
    report = services.sign_off_report(report=submitted(task, period, officer), user=leader)
    report = services.return_report(report=report, user=manager, note="进度数据需核实")
    assert report.state == ReportState.RETURNED
    report = services.submit_report(report=report, user=officer)
    assert report.state == ReportState.AWAITING_SIGNOFF


def test_the_officer_may_recall_a_report_awaiting_signoff(task, period, officer, leader):
    report = services.recall_report(report=submitted(task, period, officer), user=officer)
    assert report.state == ReportState.DRAFT
    assert not ProgressReport.objects.awaiting_signoff().filter(pk=report.pk).exists()
    with pytest.raises(ValidationError):
        services.sign_off_report(report=report, user=leader)


def test_once_signed_off_the_zone_no_longer_recalls_it_until_a_new_submission(
    task, period, officer, leader, manager
):
    report = services.sign_off_report(report=submitted(task, period, officer), user=leader)
    assert report.state == ReportState.SUBMITTED and report.opened_for_review_at is None
    assert not report.is_recallable
    with pytest.raises(ValidationError, match="单位负责人已签批该报告，不能再撤回"):
        services.recall_report(report=report, user=officer)
    # The way back is the managers' return; the resubmission waits for a new sign-off, recallable.
    report = services.return_report(report=report, user=manager, note="请更正数据")
    report = services.submit_report(report=report, user=officer)
    assert report.state == ReportState.AWAITING_SIGNOFF and report.is_recallable
    assert services.recall_report(report=report, user=officer).state == ReportState.DRAFT


def test_without_signoff_a_submitted_report_stays_recallable_until_opened(task, period, officer, plan):
    plan.requires_signoff = False
    plan.save(update_fields=["requires_signoff"])
    report = ProgressReport.objects.select_related("period__plan").get(pk=submitted(task, period, officer).pk)
    assert report.state == ReportState.SUBMITTED and report.is_recallable


def test_a_signed_off_report_stays_unrecallable_when_the_plan_stops_requiring_signoff(
    task, period, officer, leader, plan
):
    """The sign-off is read from the report's history, not from the plan's setting an administrator
    may change while reports wait: the leader's word stays theirs."""
    report = services.sign_off_report(report=submitted(task, period, officer), user=leader)
    plan.requires_signoff = False
    plan.save(update_fields=["requires_signoff"])
    report = ProgressReport.objects.select_related("period__plan").get(pk=report.pk)
    assert not report.is_recallable
    with pytest.raises(ValidationError, match="单位负责人已签批该报告，不能再撤回"):
        services.recall_report(report=report, user=officer)
    assert ProgressReport.objects.get(pk=report.pk).state == ReportState.SUBMITTED


def test_a_report_submitted_before_the_plan_required_signoff_is_recallable_until_opened(
    task, period, officer, plan
):
    plan.requires_signoff = False
    plan.save(update_fields=["requires_signoff"])
    report = submitted(task, period, officer)
    plan.requires_signoff = True
    plan.save(update_fields=["requires_signoff"])
    report = ProgressReport.objects.select_related("period__plan").get(pk=report.pk)
    # Nobody signed it off: no refusal may say the leader did.
    assert report.state == ReportState.SUBMITTED and report.is_recallable
    assert services.recall_report(report=report, user=officer).state == ReportState.DRAFT


def test_only_the_zones_leader_signs_off(task, period, officer, manager):
    report = submitted(task, period, officer)
    other_leader = make_user(Role.LEADER, zones=[Zone.objects.get(code="wuqing")])
    colleague = make_user(Role.OFFICER, zones=[task.zone])
    for user in (other_leader, colleague, manager):
        with pytest.raises(PermissionDenied):
            services.sign_off_report(report=report, user=user)
        with pytest.raises(PermissionDenied):
            services.send_back_report(report=report, user=user, note="不行")
    assert ProgressReport.objects.get(pk=report.pk).state == ReportState.AWAITING_SIGNOFF


def test_only_a_report_awaiting_signoff_can_be_signed_off(task, period, officer, leader):
    report = services.save_report(
        task=task, period=period, user=officer, data={"progress": "草稿", "status": TaskStatus.ON_TRACK}
    )
    with pytest.raises(ValidationError):
        services.sign_off_report(report=report, user=leader)
    assert ProgressReport.objects.get(pk=report.pk).state == ReportState.DRAFT


def test_four_eyes_no_leader_signs_off_what_they_wrote(task, period, leader):
    # A leader who is also the zone's officer wrote and submitted it: another leader must sign.
    both = make_user(Role.LEADER, zones=[task.zone])
    both.groups.add(*make_user(Role.OFFICER).groups.all())
    both = fresh(both)
    report = submitted(task, period, both)
    for step in (
        lambda: services.sign_off_report(report=report, user=both),
        lambda: services.send_back_report(report=report, user=both, note="自己退回"),
    ):
        with pytest.raises(ValidationError) as error:
            step()
        assert error.value.code == "own_submission"
    assert services.sign_off_report(report=report, user=leader).state == ReportState.SUBMITTED


def test_four_eyes_whoever_signed_off_may_not_accept(task, period, officer, leader, manager):
    # The leader is also a manager: they signed off, so another manager decides for the city.
    leader.groups.add(*manager.groups.all())
    leader = fresh(leader)
    report = services.sign_off_report(report=submitted(task, period, officer), user=leader)
    for step in (
        lambda: services.accept_report(report=report, user=leader),
        lambda: services.return_report(report=report, user=leader, note="退回"),
    ):
        with pytest.raises(ValidationError) as error:
            step()
        assert error.value.code == "own_submission"
    assert services.accept_report(report=report, user=manager).state == ReportState.ACCEPTED


def test_four_eyes_whoever_submitted_may_not_accept_after_signoff(task, period, leader, manager):
    writer = make_user(Role.OFFICER, zones=[task.zone])
    writer.groups.add(*manager.groups.all())
    writer = fresh(writer)
    report = services.sign_off_report(report=submitted(task, period, writer), user=leader)
    with pytest.raises(ValidationError):
        services.accept_report(report=report, user=writer)


def test_support_asked_reaches_the_agency_only_once_signed_off(task, period, officer, leader):
    agency = task.agency_links.select_related("agency").first().agency
    report = submitted(task, period, officer, support_needed="请协调海关", support_agency=agency)
    assert not CoordinationRequest.objects.filter(task=task, period=period).exists()
    services.sign_off_report(report=report, user=leader)
    assert CoordinationRequest.objects.filter(task=task, period=period, agency=agency).count() == 1


# --- deputies ----------------------------------------------------------------------------------


def name(principal, deputy, start, end, **extra):
    return services.name_deputy(
        principal=principal, deputy=deputy, starts_on=start, ends_on=end, user=principal, **extra
    )


TODAY = timezone.localdate


def test_a_leaders_deputy_in_range_signs_off_recorded_for_the_leader(task, period, officer, leader):
    deputy = make_user(Role.OFFICER, zones=[Zone.objects.get(code="wuqing")], first_name="副主任")
    name(
        leader,
        deputy,
        TODAY() - datetime.timedelta(days=1),
        TODAY() + datetime.timedelta(days=1),
        reason="出差",
    )
    deputy = fresh(deputy)
    report = services.sign_off_report(report=submitted(task, period, officer), user=deputy, note="代签")
    event = report.events.get(kind=EventKind.SIGNED_OFF)
    assert (event.actor, event.on_behalf_of) == (deputy, leader)
    # The deputy borrows the sign-off, not the leader's zone as an officer: no report writing there.
    assert task.zone_id not in access_for(deputy).zone_ids
    with pytest.raises(PermissionDenied):
        services.save_report(task=task, period=period, user=deputy, data={"progress": "代写"})
    # ...and reads the zone's tasks while deputising.
    assert Task.objects.visible_to(deputy).filter(pk=task.pk).exists()


@pytest.mark.parametrize(
    ("start", "end"),
    [(-10, -1), (1, 5)],
    ids=["ended-yesterday", "starts-tomorrow"],
)
def test_a_deputy_outside_the_range_has_no_power(task, period, officer, leader, start, end):
    deputy = make_user(Role.OFFICER, zones=[Zone.objects.get(code="wuqing")])
    Deputy.objects.create(
        principal=leader,
        deputy=deputy,
        starts_on=TODAY() + datetime.timedelta(days=start),
        ends_on=TODAY() + datetime.timedelta(days=end),
        created_at=timezone.now(),
        created_by=leader,
    )
    deputy = fresh(deputy)
    report = submitted(task, period, officer)
    with pytest.raises(PermissionDenied):
        services.sign_off_report(report=report, user=deputy)
    assert not Task.objects.visible_to(deputy).filter(pk=task.pk).exists()


def test_a_withdrawn_deputy_has_no_power(task, period, officer, leader):
    deputy = make_user(Role.OFFICER, zones=[Zone.objects.get(code="wuqing")])
    row = name(leader, deputy, TODAY(), TODAY())
    services.withdraw_deputy(deputyship=row, user=leader)
    with pytest.raises(PermissionDenied):
        services.sign_off_report(report=submitted(task, period, officer), user=fresh(deputy))
    assert Deputy.objects.get(pk=row.pk).withdrawn_by == leader


def test_a_managers_deputy_in_range_accepts_recorded_for_the_manager(task, period, officer, leader, manager):
    deputy = make_user(Role.OFFICER, zones=[Zone.objects.get(code="wuqing")])
    name(manager, deputy, TODAY(), TODAY() + datetime.timedelta(days=3))
    deputy = fresh(deputy)
    report = services.sign_off_report(report=submitted(task, period, officer), user=leader)
    report = services.accept_report(report=report, user=deputy, note="代为审核")
    event = report.events.get(kind=EventKind.ACCEPTED)
    assert (event.actor, event.on_behalf_of, event.note) == (deputy, manager, "代为审核")
    # Reviewing reports only: the manager's other powers stay with managers.
    with pytest.raises(PermissionDenied):
        services.lock_period(period=period, user=deputy)


def test_a_managers_deputy_out_of_range_cannot_review(task, period, officer, leader, manager):
    deputy = make_user(Role.OFFICER, zones=[Zone.objects.get(code="wuqing")])
    name(manager, deputy, TODAY() + datetime.timedelta(days=1), TODAY() + datetime.timedelta(days=3))
    report = services.sign_off_report(report=submitted(task, period, officer), user=leader)
    with pytest.raises(PermissionDenied):
        services.accept_report(report=report, user=fresh(deputy))


def test_four_eyes_a_deputy_may_not_sign_for_the_leader_who_wrote_it(task, period, leader):
    writer = make_user(Role.LEADER, zones=[task.zone])
    writer.groups.add(*make_user(Role.OFFICER).groups.all())
    writer = fresh(writer)
    deputy = make_user()
    name(writer, deputy, TODAY(), TODAY())
    report = submitted(task, period, writer)
    with pytest.raises(ValidationError) as error:
        services.sign_off_report(report=report, user=fresh(deputy))
    assert error.value.code == "own_submission"


def test_four_eyes_a_managers_deputy_may_not_accept_what_they_signed_off(
    task, period, officer, leader, manager
):
    # The leader stands in for a manager too: having signed off for the zone, they may not accept.
    name(manager, leader, TODAY(), TODAY())
    leader = fresh(leader)
    report = services.sign_off_report(report=submitted(task, period, officer), user=leader)
    with pytest.raises(ValidationError):
        services.accept_report(report=report, user=leader)


def test_deputy_rules(leader, officer):
    deputy = make_user()
    with pytest.raises(ValidationError) as error:
        name(leader, leader, TODAY(), TODAY())
    assert "deputy" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        name(leader, deputy, TODAY(), TODAY() - datetime.timedelta(days=1))
    assert "ends_on" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        name(leader, deputy, TODAY() - datetime.timedelta(days=5), TODAY() - datetime.timedelta(days=1))
    assert "ends_on" in error.value.message_dict
    # Only leaders and managers name deputies, and only their own (administrators anyone's).
    with pytest.raises(PermissionDenied):
        name(officer, deputy, TODAY(), TODAY())
    with pytest.raises(PermissionDenied):
        services.name_deputy(
            principal=leader, deputy=deputy, starts_on=TODAY(), ends_on=TODAY(), user=officer
        )
    admin = make_user(Role.ADMINISTRATOR)
    row = services.name_deputy(
        principal=leader, deputy=deputy, starts_on=TODAY(), ends_on=TODAY(), user=admin
    )
    assert row.created_by == admin
    # One deputy at a time: an overlapping range is refused, an adjacent one is fine.
    with pytest.raises(ValidationError):
        name(leader, make_user(), TODAY(), TODAY() + datetime.timedelta(days=2))
    name(leader, make_user(), TODAY() + datetime.timedelta(days=1), TODAY() + datetime.timedelta(days=2))


@pytest.mark.parametrize(
    "fields",
    [{"ends_on_shift": -1}, {"self": True}],
    ids=["end-before-start", "own-deputy"],
)
def test_deputy_constraints_hold_in_the_database(leader, fields):
    deputy = leader if fields.get("self") else make_user()
    with pytest.raises(IntegrityError), transaction.atomic():
        Deputy.objects.create(
            principal=leader,
            deputy=deputy,
            starts_on=TODAY(),
            ends_on=TODAY() + datetime.timedelta(days=fields.get("ends_on_shift", 0)),
            created_at=timezone.now(),
            created_by=leader,
        )


# --- notices -----------------------------------------------------------------------------------


def notices(user, kind):
    return list(user.notifications.filter(kind=kind).values_list("title", flat=True))


def test_the_leader_and_their_deputy_are_told_the_officer_hears_of_a_send_back(task, period, officer, leader):
    deputy = make_user()
    name(leader, deputy, TODAY(), TODAY())
    report = submitted(task, period, officer)
    assert len(notices(leader, "signoff_requested")) == 1
    assert len(notices(deputy, "signoff_requested")) == 1
    assert notices(officer, "signoff_requested") == []
    services.send_back_report(report=report, user=leader, note="请补充")
    assert len(notices(officer, "report_sent_back")) == 1


def test_a_return_from_the_city_tells_the_officer_and_the_leader(task, period, officer, leader, manager):
    report = services.sign_off_report(report=submitted(task, period, officer), user=leader)
    services.return_report(report=report, user=manager, note="数据需核实")
    assert len(notices(officer, "report_returned")) == 1
    assert len(notices(leader, "report_returned")) == 1


def test_a_return_without_signoff_tells_only_the_officer(task, period, officer, leader, manager):
    Plan.objects.filter(pk=period.plan_id).update(requires_signoff=False)
    report = submitted(task, period, officer)
    services.return_report(report=report, user=manager, note="数据需核实")
    assert len(notices(officer, "report_returned")) == 1
    assert notices(leader, "report_returned") == []
