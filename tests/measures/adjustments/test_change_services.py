"""Plan adjustments: propose, approve (applied, with history), reject, cancel; stale approvals;
one open proposal per task and kind; a withdrawn task leaves the lists that count reports."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from core.roles import Role
from measures import services
from measures.choices import AdjustmentKind, AdjustmentState, EventKind
from measures.followup.services.reminders import outstanding_tasks
from measures.models import Milestone, PlanAdjustment, ReportEvent, ReportingPeriod, Task
from portal import selectors
from tests.factories import make_user
from zones.models import Agency, Zone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    # Messages are asserted in their source language; the site's default is Chinese.
    with translation.override("en"):
        yield


@pytest.fixture
def xiqing():
    return Zone.objects.get(code="xiqing")


@pytest.fixture
def task(xiqing):
    return Task.objects.get(zone=xiqing, number=1)


@pytest.fixture
def officer(xiqing):
    return make_user(Role.OFFICER, zones=[xiqing])


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


def propose_text(task, user, text="新的任务表述。", reason="政策调整"):
    return services.propose_adjustment(
        task=task, user=user, kind=AdjustmentKind.TEXT, text=text, reason=reason
    )


def kinds(task):
    return list(ReportEvent.objects.filter(task=task).order_by("at", "pk").values_list("kind", flat=True))


def test_text_change_applies_on_approval_with_history_and_snapshots(task, officer, manager):
    old_text = task.text
    adjustment = propose_text(task, officer)
    assert adjustment.state == AdjustmentState.PROPOSED
    assert adjustment.before["text"] == old_text
    assert Task.objects.get(pk=task.pk).text == old_text  # nothing applied yet

    adjustment = services.approve_adjustment(adjustment=adjustment, user=manager, note="同意")
    task.refresh_from_db()
    assert task.text == "新的任务表述。"
    assert adjustment.state == AdjustmentState.APPROVED
    assert adjustment.decided_by == manager and adjustment.decision_note == "同意"
    assert adjustment.after["text"] == "新的任务表述。" and adjustment.before["text"] == old_text
    # django-simple-history keeps the task as it was and as it became.
    latest = task.history.latest()
    assert latest.text == "新的任务表述。" and latest.history_user == manager
    assert latest.prev_record.text == old_text
    assert kinds(task)[-2:] == [EventKind.ADJUSTMENT_PROPOSED, EventKind.ADJUSTMENT_APPROVED]


def test_agencies_change_replaces_the_list_in_order(task, officer, manager):
    customs, finance = Agency.objects.get(name="天津海关"), Agency.objects.get(name="天津金融监管局")
    adjustment = services.propose_adjustment(
        task=task, user=officer, kind=AdjustmentKind.AGENCIES, agencies=[finance, customs], reason="职能调整"
    )
    services.approve_adjustment(adjustment=adjustment, user=manager)
    assert [a.name for a in Task.objects.get(pk=task.pk).ordered_agencies] == ["天津金融监管局", "天津海关"]
    adjustment.refresh_from_db()
    assert [a["name"] for a in adjustment.after["agencies"]] == ["天津金融监管局", "天津海关"]
    assert adjustment.before["agencies"] != adjustment.after["agencies"]
    assert task.history.latest().history_change_reason == f"Plan adjustment #{adjustment.pk}"
    assert task.history.count() == 2  # as loaded, and as adjusted


def test_milestones_add_move_and_drop(task, officer, manager):
    today = timezone.localdate()
    keep = services.add_milestone(confirm_past=True, task=task, user=officer, title="完成方案", due=today)
    gone = services.add_milestone(confirm_past=True, task=task, user=officer, title="旧节点", due=today)
    later = today + datetime.timedelta(days=30)
    adjustment = services.propose_adjustment(
        task=task,
        user=officer,
        kind=AdjustmentKind.MILESTONES,
        add=[("新增验收", later)],
        move=[(keep, later)],
        drop=[gone],
        reason="进度调整",
    )
    services.approve_adjustment(adjustment=adjustment, user=manager)
    milestones = {m.title: m.due for m in Milestone.objects.filter(task=task)}
    assert milestones == {"完成方案": later, "新增验收": later}
    adjustment.refresh_from_db()
    assert {m["title"] for m in adjustment.before["milestones"]} == {"完成方案", "旧节点"}


def test_milestone_proposal_needs_a_change_and_complete_rows(task, officer):
    with pytest.raises(ValidationError) as error:
        services.propose_adjustment(task=task, user=officer, kind=AdjustmentKind.MILESTONES, reason="调整")
    assert "milestones" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.propose_adjustment(
            task=task, user=officer, kind=AdjustmentKind.MILESTONES, add=[("", None)], reason="调整"
        )


def test_withdrawal_marks_the_task_and_drops_it_from_reporting(task, xiqing, officer, manager):
    period = ReportingPeriod.objects.filter(plan=xiqing.plan).first() or ReportingPeriod.objects.create(
        plan=xiqing.plan,
        name="2026Q4",
        start=datetime.date(2026, 10, 1),
        end=datetime.date(2026, 12, 31),
        deadline=datetime.date(2027, 1, 15),
    )
    assert task in outstanding_tasks(period=period, zone=xiqing)
    adjustment = services.propose_adjustment(
        task=task, user=officer, kind=AdjustmentKind.WITHDRAWAL, reason="已由国家层面统一实施"
    )
    services.approve_adjustment(adjustment=adjustment, user=manager)
    task.refresh_from_db()
    assert (
        task.is_withdrawn and task.withdrawn_by == manager and task.withdraw_reason == "已由国家层面统一实施"
    )
    assert not task.is_closed  # withdrawal is not a close-off (销号)
    assert task not in outstanding_tasks(period=period, zone=xiqing)
    assert task not in Task.objects.reportable()
    page = selectors.my_page(officer)
    assert task.pk not in {t.pk for t in page["to_report"]}
    assert task.pk in {t.pk for t in page["tasks"]}  # still listed, marked withdrawn
    # Nothing more can be reported or adjusted on it.
    with pytest.raises(ValidationError):
        services.add_milestone(
            confirm_past=True, task=task, user=officer, title="x", due=timezone.localdate()
        )
    with pytest.raises(ValidationError):
        propose_text(task, officer)
    assert task.history.latest().withdrawn_at is not None


def test_reject_needs_a_reason_and_leaves_the_task(task, officer, manager):
    adjustment = propose_text(task, officer)
    with pytest.raises(ValidationError):
        services.reject_adjustment(adjustment=adjustment, user=manager, reason=" ")
    adjustment = services.reject_adjustment(adjustment=adjustment, user=manager, reason="依据不足")
    assert adjustment.state == AdjustmentState.REJECTED and adjustment.decision_note == "依据不足"
    assert Task.objects.get(pk=task.pk).text == task.text
    with pytest.raises(ValidationError):
        services.approve_adjustment(adjustment=adjustment, user=manager)
    assert kinds(task)[-1] == EventKind.ADJUSTMENT_REJECTED


def test_only_the_proposer_cancels(task, officer, manager, xiqing):
    adjustment = propose_text(task, officer)
    other = make_user(Role.OFFICER, zones=[xiqing])
    with pytest.raises(PermissionDenied):
        services.cancel_adjustment(adjustment=adjustment, user=other)
    adjustment = services.cancel_adjustment(adjustment=adjustment, user=officer)
    assert adjustment.state == AdjustmentState.CANCELLED
    # A cancelled proposal no longer blocks a new one of the same kind.
    assert propose_text(task, officer, text="再次提出。").state == AdjustmentState.PROPOSED


def test_stale_approval_is_refused(task, officer, manager):
    adjustment = propose_text(task, officer)
    Task.objects.filter(pk=task.pk).update(text="管理员在后台改过的表述。")
    with pytest.raises(ValidationError) as error:
        services.approve_adjustment(adjustment=adjustment, user=manager)
    assert "changed after this adjustment was proposed" in " ".join(error.value.messages)
    assert Task.objects.get(pk=task.pk).text == "管理员在后台改过的表述。"
    assert PlanAdjustment.objects.get(pk=adjustment.pk).state == AdjustmentState.PROPOSED


def test_a_change_to_another_part_does_not_make_it_stale(task, officer, manager):
    adjustment = propose_text(task, officer)
    services.add_milestone(confirm_past=True, task=task, user=officer, title="节点", due=timezone.localdate())
    assert services.approve_adjustment(adjustment=adjustment, user=manager).state == AdjustmentState.APPROVED


def test_one_open_proposal_per_task_and_kind(task, officer, manager):
    propose_text(task, officer)
    with pytest.raises(ValidationError) as error:
        propose_text(task, officer, text="另一种表述。")
    assert "already has an open proposal" in " ".join(error.value.messages)
    # Another kind is fine.
    services.propose_adjustment(task=task, user=officer, kind=AdjustmentKind.WITHDRAWAL, reason="撤销")
    # The database itself refuses a second open one, whatever bypasses the service.
    first = PlanAdjustment.objects.get(task=task, kind=AdjustmentKind.TEXT)
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanAdjustment.objects.create(
            task=task,
            kind=AdjustmentKind.TEXT,
            reason="x",
            proposed_by=officer,
            proposed_at=first.proposed_at,
        )


def test_who_may_propose_and_decide(task, officer, manager):
    foreign = make_user(Role.OFFICER, zones=[Zone.objects.get(code="wuqing")])
    with pytest.raises(PermissionDenied):
        propose_text(task, foreign)
    with pytest.raises(PermissionDenied):
        propose_text(task, make_user(Role.LIAISON, agency=Agency.objects.get(name="天津海关")))
    adjustment = propose_text(task, manager)  # managers may propose too
    with pytest.raises(PermissionDenied):
        services.approve_adjustment(adjustment=adjustment, user=officer)
    with pytest.raises(PermissionDenied):
        services.reject_adjustment(adjustment=adjustment, user=officer, reason="不同意")


def test_proposal_needs_a_reason_and_a_real_change(task, officer):
    with pytest.raises(ValidationError) as error:
        propose_text(task, officer, text=task.text, reason="")
    assert set(error.value.message_dict) == {"reason", "text"}
    assert not PlanAdjustment.objects.exists()


def test_the_version_kept_before_an_adjustment_is_marked_in_no_ones_language(task, officer, manager):
    """The version of a task loaded in bulk that an approval keeps first carries LOADED_VERSION as
    written, not the approving manager's translation of it (the as-of reads accept both)."""
    from measures.tasks.models import LOADED_VERSION

    assert not task.history.exists()
    adjustment = propose_text(task, officer)
    with translation.override("zh-hans"):
        assert translation.gettext(LOADED_VERSION) != LOADED_VERSION  # the test could fail
        services.approve_adjustment(adjustment=adjustment, user=manager)
    kept = task.history.earliest("history_date", "history_id")
    assert (kept.history_type, kept.history_change_reason) == ("~", LOADED_VERSION)


def test_an_agency_the_adjustment_keeps_keeps_its_role(task, officer, manager):
    """Reordering or adding agencies does not demote the lead (牵头): its liaison's scope is kept,
    and the links' history records the change of list, not a change of role."""
    from measures.choices import AgencyRole
    from measures.models import AgencyLinkChange, TaskAgency

    customs, finance = Agency.objects.get(name="天津海关"), Agency.objects.get(name="天津金融监管局")
    TaskAgency.objects.filter(task=task, agency=customs).update(role=AgencyRole.LEAD)
    assert TaskAgency.objects.filter(task=task, agency=customs).exists()
    adjustment = services.propose_adjustment(
        task=task, user=officer, kind=AdjustmentKind.AGENCIES, agencies=[finance, customs], reason="职能调整"
    )
    services.approve_adjustment(adjustment=adjustment, user=manager)
    roles = dict(TaskAgency.objects.filter(task=task).values_list("agency__name", "role"))
    assert roles["天津海关"] == AgencyRole.LEAD and roles["天津金融监管局"] == AgencyRole.SUPPORTING
    assert not AgencyLinkChange.objects.filter(task=task, kind="role").exists()
    assert AgencyLinkChange.objects.filter(
        task=task, kind="added", agency=finance, cause="adjustment"
    ).exists()
