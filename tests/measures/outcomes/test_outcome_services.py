"""Innovation outcome workflow: each step a service with one history row; who may do what."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import EventKind, OutcomeState, OutcomeType
from measures.models import Evidence, InnovationOutcome, ReportEvent, Task
from measures.outcomes.services import STATE_ERROR
from tests.factories import make_user, submit_outcome_with_evidence
from tests.measures.upload_samples import PDF, upload
from zones.models import Zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def xiqing():
    return Zone.objects.get(code="xiqing")


@pytest.fixture
def officer(xiqing):
    return make_user(Role.OFFICER, zones=[xiqing])


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


def new_outcome(zone, officer, **fields):
    fields = {
        "title": "集成电路保税研发监管新模式",
        "description": "对集成电路企业研发用料件实行保税监管。",
        "type": OutcomeType.FIRST_OF_KIND,
        "tasks": [Task.objects.get(zone=zone, number=1)],
        **fields,
    }
    return services.create_outcome(zone=zone, user=officer, **fields)


def kinds(outcome):
    return list(
        ReportEvent.objects.filter(outcome=outcome).order_by("at", "pk").values_list("kind", flat=True)
    )


def test_full_path_to_replication_writes_one_event_per_step(xiqing, officer, manager):
    outcome = new_outcome(xiqing, officer)
    outcome = submit_outcome_with_evidence(outcome=outcome, user=officer)
    outcome = services.evaluate_outcome(
        outcome=outcome, user=manager, score=Decimal("86.5"), notes="首创性强"
    )
    outcome = services.recommend_outcome(outcome=outcome, user=manager, note="建议全市推广")
    outcome = services.record_replication(
        outcome=outcome, user=manager, where="滨海新区、东丽区", on=timezone.localdate()
    )
    assert outcome.state == OutcomeState.REPLICATED and outcome.score == Decimal("86.5")
    assert kinds(outcome) == [
        EventKind.OUTCOME_CREATED,
        EventKind.OUTCOME_SUBMITTED,
        EventKind.OUTCOME_EVALUATED,
        EventKind.OUTCOME_RECOMMENDED,
        EventKind.OUTCOME_REPLICATED,
    ]
    assert list(outcome.tasks.values_list("number", flat=True)) == [1]


def test_not_recommended_needs_a_reason(xiqing, officer, manager):
    outcome = submit_outcome_with_evidence(outcome=new_outcome(xiqing, officer), user=officer)
    outcome = services.evaluate_outcome(outcome=outcome, user=manager, score=40, notes="推广价值有限")
    with pytest.raises(ValidationError) as caught:
        services.decline_outcome(outcome=outcome, user=manager, reason=" ")
    assert "reason" in caught.value.message_dict
    outcome = services.decline_outcome(outcome=outcome, user=manager, reason="已有同类经验在全市推广")
    assert outcome.state == OutcomeState.NOT_RECOMMENDED
    with pytest.raises(ValidationError):
        services.recommend_outcome(outcome=outcome, user=manager)


def test_steps_out_of_order_are_refused(xiqing, officer, manager):
    outcome = new_outcome(xiqing, officer)
    with pytest.raises(ValidationError):
        services.evaluate_outcome(outcome=outcome, user=manager, score=80, notes="好")
    with pytest.raises(ValidationError):
        services.record_replication(outcome=outcome, user=manager, where="全市", on=timezone.localdate())
    assert kinds(outcome) == [EventKind.OUTCOME_CREATED]


def test_roles(xiqing, officer, manager):
    other = make_user(Role.OFFICER, zones=[Zone.objects.get(code="wuqing")])
    with pytest.raises(PermissionDenied):
        new_outcome(xiqing, other)
    with pytest.raises(PermissionDenied):
        new_outcome(xiqing, manager)
    outcome = submit_outcome_with_evidence(outcome=new_outcome(xiqing, officer), user=officer)
    with pytest.raises(PermissionDenied):
        services.evaluate_outcome(outcome=outcome, user=officer, score=90, notes="自评")


def test_score_and_replication_date_are_checked(xiqing, officer, manager):
    outcome = submit_outcome_with_evidence(outcome=new_outcome(xiqing, officer), user=officer)
    with pytest.raises(ValidationError) as caught:
        services.evaluate_outcome(outcome=outcome, user=manager, score=Decimal("120"), notes="好")
    assert "score" in caught.value.message_dict
    outcome = services.evaluate_outcome(outcome=outcome, user=manager, score=90, notes="好")
    outcome = services.recommend_outcome(outcome=outcome, user=manager)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        services.record_replication(outcome=outcome, user=manager, where="全市", on=tomorrow)
    assert "on" in caught.value.message_dict


def test_only_own_zone_tasks_can_be_linked(xiqing, officer):
    with pytest.raises(ValidationError) as caught:
        new_outcome(xiqing, officer, tasks=[Task.objects.get(zone__code="wuqing", number=1)])
    assert "tasks" in caught.value.message_dict
    assert not InnovationOutcome.objects.exists()


def test_edits_only_while_draft_and_record_what_changed(xiqing, officer):
    outcome = new_outcome(xiqing, officer)
    outcome = services.update_outcome(
        outcome=outcome, user=officer, data={"title": "新标题", "description": "同上"}
    )
    edit = ReportEvent.objects.filter(outcome=outcome, kind=EventKind.OUTCOME_EDITED).get()
    assert edit.changes["title"] == ["集成电路保税研发监管新模式", "新标题"]
    submit_outcome_with_evidence(outcome=outcome, user=officer)
    with pytest.raises(ValidationError):
        services.update_outcome(outcome=outcome, user=officer, data={"title": "再改"})


def test_outcome_evidence_follows_the_upload_rules(xiqing, officer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    outcome = new_outcome(xiqing, officer)
    evidence = services.add_outcome_file(
        outcome=outcome, user=officer, uploaded_file=upload(PDF, "经验材料.pdf"), description="经验总结"
    )
    assert evidence.outcome == outcome and evidence.report is None
    assert evidence.content_type == "application/pdf" and (tmp_path / evidence.file.name).exists()
    with pytest.raises(ValidationError):
        services.add_outcome_file(
            outcome=outcome, user=officer, uploaded_file=upload(b"MZ\x90\x00", "x.pdf"), description="坏文件"
        )
    assert Evidence.objects.filter(outcome=outcome).count() == 1


def test_outcome_evidence_is_withdrawn_with_a_reason_never_deleted(
    xiqing, officer, manager, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    outcome = new_outcome(xiqing, officer)
    evidence = services.add_outcome_file(
        outcome=outcome, user=officer, uploaded_file=upload(PDF, "经验材料.pdf"), description="经验总结"
    )
    with pytest.raises(ValidationError):
        services.withdraw_outcome_evidence(evidence=evidence, user=officer, reason="  ")
    with pytest.raises(PermissionDenied):
        services.withdraw_outcome_evidence(evidence=evidence, user=manager, reason="不是本区")
    services.withdraw_outcome_evidence(evidence=evidence, user=officer, reason="上传错了文件")
    evidence.refresh_from_db()
    assert evidence.is_withdrawn and evidence.withdraw_reason == "上传错了文件"
    assert (tmp_path / evidence.file.name).exists()  # the file stays for the record
    assert kinds(outcome)[-1] == EventKind.EVIDENCE_WITHDRAWN
    with pytest.raises(ValidationError, match="已经撤回"):
        services.withdraw_outcome_evidence(evidence=evidence, user=officer, reason="再次撤回")
    # Once submitted, what the manager evaluates stays as it was.
    other = services.add_outcome_file(
        outcome=outcome, user=officer, uploaded_file=upload(PDF, "附件.pdf"), description="附件"
    )
    submit_outcome_with_evidence(outcome=outcome, user=officer)
    with pytest.raises(ValidationError):
        services.withdraw_outcome_evidence(evidence=other, user=officer, reason="晚了")


def test_a_failed_outcome_file_record_leaves_no_stored_file(xiqing, officer, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    outcome = new_outcome(xiqing, officer)

    def crash(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("measures.outcomes.services.record", crash)
    with pytest.raises(RuntimeError):
        services.add_outcome_file(
            outcome=outcome, user=officer, uploaded_file=upload(PDF, "经验材料.pdf"), description="经验总结"
        )
    assert not Evidence.objects.filter(outcome=outcome).exists()
    assert not any(path.is_file() for path in tmp_path.rglob("*"))


def test_a_manager_returns_a_submitted_or_evaluated_outcome_to_draft_with_a_note(xiqing, officer, manager):
    outcome = submit_outcome_with_evidence(outcome=new_outcome(xiqing, officer), user=officer)
    with pytest.raises(ValidationError) as caught:
        services.return_outcome(outcome=outcome, user=manager, note="  ")
    assert "note" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        services.return_outcome(outcome=outcome, user=officer, note="自己退回")
    outcome = services.evaluate_outcome(outcome=outcome, user=manager, score=60, notes="材料不全")
    outcome = services.return_outcome(outcome=outcome, user=manager, note=" 请补充复制推广条件 ")
    assert outcome.state == OutcomeState.DRAFT
    assert outcome.submitted_at is None and outcome.score is None and outcome.evaluation == ""
    event = ReportEvent.objects.filter(outcome=outcome).order_by("-at", "-pk").first()
    assert event.kind == EventKind.OUTCOME_RETURNED and event.note == "请补充复制推广条件"
    assert event.changes["state"] == [OutcomeState.EVALUATED, OutcomeState.DRAFT]
    # The zone edits and resubmits; the manager evaluates afresh.
    services.update_outcome(outcome=outcome, user=officer, data={"title": "补充后的成果"})
    outcome = submit_outcome_with_evidence(outcome=outcome, user=officer)
    assert outcome.state == OutcomeState.SUBMITTED and outcome.submitted_at is not None
    assert kinds(outcome)[-3:] == [
        EventKind.OUTCOME_RETURNED,
        EventKind.OUTCOME_EDITED,
        EventKind.OUTCOME_SUBMITTED,
    ]


@pytest.mark.parametrize("state", ["draft", "recommended"])
def test_only_a_submitted_or_evaluated_outcome_can_be_returned(xiqing, officer, manager, state):
    outcome = new_outcome(xiqing, officer)
    if state == "recommended":
        submit_outcome_with_evidence(outcome=outcome, user=officer)
        services.evaluate_outcome(outcome=outcome, user=manager, score=90, notes="好")
        services.recommend_outcome(outcome=outcome, user=manager)
    with pytest.raises(ValidationError) as caught:
        services.return_outcome(outcome=outcome, user=manager, note="退回")
    assert caught.value.error_list[0].code == STATE_ERROR
    assert not ReportEvent.objects.filter(outcome=outcome, kind=EventKind.OUTCOME_RETURNED).exists()


def test_a_returned_outcome_leaves_the_submission_list_and_the_indicator_counts(xiqing, officer, manager):
    from indicators.selectors import COUNTED_OUTCOME_STATES
    from measures.exports.outcome_list import LISTED_STATES

    outcome = submit_outcome_with_evidence(outcome=new_outcome(xiqing, officer), user=officer)
    outcome = services.return_outcome(outcome=outcome, user=manager, note="请修改")
    assert outcome.state not in LISTED_STATES and outcome.state not in COUNTED_OUTCOME_STATES
