"""Innovation outcomes: draft → submitted → evaluated → recommended → replicated, or not
recommended. Each step is one transaction with its history row."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import can_record_outcome, can_review, ensure_four_eyes, require
from core.history import as_json
from core.merge import three_way
from measures.choices import OUTCOME_EVIDENCE_OPEN_STATES, EventKind, OutcomeState
from measures.evidence.services import file_evidence, store_then_record
from measures.history import record
from measures.models import Evidence, InnovationOutcome

OUTCOME_FIELDS = ["title", "description", "type", "period"]
# The code of a refusal caused by the outcome's state, not the user's role: the views show it
# as an error message on the outcome page (the form it came from may not be shown in that state).
STATE_ERROR = "outcome_state"


class OutcomeConflict(Exception):
    """Someone saved the outcome after the form was opened and changed some of the same fields
    (merge.conflicts); nothing was written."""

    def __init__(self, outcome, merge):
        self.outcome = outcome
        self.merge = merge
        super().__init__(f"outcome {outcome.pk} changed since the form was opened")


def _tasks_key(pks):
    return ",".join(str(pk) for pk in sorted(pks))


def outcome_values(outcome):
    """{field: value} of the edited fields as the form's base keeps them (linked tasks as ids)."""
    return {
        "title": outcome.title,
        "description": outcome.description,
        "type": outcome.type,
        "period": outcome.period_id,
        "tasks": _tasks_key(outcome.tasks.values_list("pk", flat=True)),
    }


def _locked(outcome):
    return InnovationOutcome.objects.select_for_update().select_related("zone").get(pk=outcome.pk)


def _check_tasks(zone, tasks):
    if any(task.zone_id != zone.pk for task in tasks):
        raise ValidationError({"tasks": _("Link only tasks of the outcome's own zone.")})


@transaction.atomic
def create_outcome(*, zone, user, title, description, type, period=None, tasks=()):
    require(can_record_outcome(user, zone))
    _check_tasks(zone, tasks)
    now = timezone.now()
    outcome = InnovationOutcome(
        zone=zone,
        title=title.strip(),
        description=description.strip(),
        type=type,
        period=period,
        created_by=user,
        created_at=now,
        updated_at=now,
    )
    outcome.full_clean()
    outcome.save()
    outcome.tasks.set(tasks)
    record(
        kind=EventKind.OUTCOME_CREATED,
        actor=user,
        outcome=outcome,
        period=period,
        changes={"title": outcome.title, "type": outcome.type, "tasks": [t.pk for t in tasks]},
    )
    return outcome


@transaction.atomic
def update_outcome(*, outcome, user, data, tasks=None, base=None):
    """Edit a draft outcome. With `base` (the form's fields when it was opened) a save after
    someone else's is merged three ways (core.merge): only what the user changed is written,
    and fields both changed raise OutcomeConflict; the returned outcome's `merged` says what."""
    outcome = _locked(outcome)
    require(can_record_outcome(user, outcome.zone))
    if outcome.state != OutcomeState.DRAFT:
        raise ValidationError(_("Only a draft outcome can be edited."), code=STATE_ERROR)
    merged = None
    if base is not None:
        mine = dict(data)
        if tasks is not None:
            mine["tasks"] = _tasks_key(task.pk for task in tasks)
        merged = three_way(base=base, mine=mine, theirs=outcome_values(outcome))
        if not merged.clean:
            raise OutcomeConflict(outcome, merged)
        data = {field: value for field, value in data.items() if field in merged.data}
        if "tasks" not in merged.data:
            tasks = None
    outcome.merged = merged
    changes = {}
    for field, value in data.items():
        if field not in OUTCOME_FIELDS:
            raise ValueError(f"not an outcome field: {field}")
        old = getattr(outcome, field)
        value = value.strip() if isinstance(value, str) else value
        if old != value:
            changes[field] = [as_json(getattr(old, "pk", old)), as_json(getattr(value, "pk", value))]
            setattr(outcome, field, value)
    if tasks is not None:
        _check_tasks(outcome.zone, tasks)
        before = sorted(outcome.tasks.values_list("pk", flat=True))
        after = sorted(task.pk for task in tasks)
        if before != after:
            changes["tasks"] = [before, after]
            outcome.tasks.set(tasks)
    if not changes:
        return outcome
    outcome.updated_at = timezone.now()
    outcome.full_clean()
    outcome.save(update_fields=[*(f for f in data if f in changes), "updated_at"])
    record(kind=EventKind.OUTCOME_EDITED, actor=user, outcome=outcome, period=outcome.period, changes=changes)
    return outcome


def outcome_authors(outcome):
    """Who recorded or submitted the outcome: none of them may evaluate, return or decide it."""
    return {outcome.created_by_id, outcome.submitted_by_id}


def _step(outcome, user, *, allowed, target, kind, note="", changes=None):
    if outcome.state not in allowed:
        raise ValidationError(
            _("An outcome that is %(state)s cannot be %(action)s.")
            % {"state": outcome.get_state_display().lower(), "action": OutcomeState(target).label.lower()},
            code=STATE_ERROR,
        )
    previous = outcome.state
    outcome.state = target
    outcome.updated_at = timezone.now()
    record(
        kind=kind,
        actor=user,
        outcome=outcome,
        period=outcome.period,
        changes={"state": [previous, target], **(changes or {})},
        note=note,
    )


@transaction.atomic
def submit_outcome(*, outcome, user):
    outcome = _locked(outcome)
    require(can_record_outcome(user, outcome.zone))
    if outcome.state == OutcomeState.DRAFT and not outcome.evidence.active().exists():
        # The page asks for it (attach evidence, then submit): an outcome is evaluated on its evidence.
        raise ValidationError(
            _("Attach at least one piece of evidence before submitting the outcome."), code=STATE_ERROR
        )
    _step(
        outcome,
        user,
        allowed={OutcomeState.DRAFT},
        target=OutcomeState.SUBMITTED,
        kind=EventKind.OUTCOME_SUBMITTED,
    )
    outcome.submitted_by = user
    outcome.submitted_at = outcome.updated_at
    outcome.full_clean()
    outcome.save(update_fields=["state", "updated_at", "submitted_by", "submitted_at"])
    return outcome


@transaction.atomic
def evaluate_outcome(*, outcome, user, score, notes):
    outcome = _locked(outcome)
    require(can_review(user))
    ensure_four_eyes(user, outcome_authors(outcome))
    if not (notes or "").strip():
        raise ValidationError({"notes": _("Write the evaluation notes.")})
    _step(
        outcome,
        user,
        allowed={OutcomeState.SUBMITTED, OutcomeState.EVALUATED},
        target=OutcomeState.EVALUATED,
        kind=EventKind.OUTCOME_EVALUATED,
        note=notes.strip(),
        changes={"score": as_json(score)},
    )
    outcome.score = score
    outcome.evaluation = notes.strip()
    outcome.evaluated_by = user
    outcome.evaluated_at = outcome.updated_at
    outcome.full_clean()
    outcome.save(update_fields=["state", "updated_at", "score", "evaluation", "evaluated_by", "evaluated_at"])
    return outcome


@transaction.atomic
def return_outcome(*, outcome, user, note):
    """退回修改: a submitted or evaluated outcome goes back to the zone as a draft, so it leaves
    the submission list and the indicator counts until it is resubmitted. The note is the
    history row's; the outcome page shows it while the outcome is a draft. The evaluation is
    cleared so a resubmission is evaluated afresh (the history keeps the old one)."""
    outcome = _locked(outcome)
    require(can_review(user))
    ensure_four_eyes(user, outcome_authors(outcome))
    if not (note or "").strip():
        raise ValidationError({"note": _("Say what the zone should change.")})
    if outcome.state not in {OutcomeState.SUBMITTED, OutcomeState.EVALUATED}:
        raise ValidationError(
            _("Only a submitted or evaluated outcome can be returned; this one is %(state)s.")
            % {"state": outcome.get_state_display().lower()},
            code=STATE_ERROR,
        )
    previous = outcome.state
    outcome.state = OutcomeState.DRAFT
    outcome.updated_at = timezone.now()
    outcome.submitted_by = None
    outcome.submitted_at = None
    outcome.score = None
    outcome.evaluation = ""
    outcome.evaluated_by = None
    outcome.evaluated_at = None
    outcome.full_clean()
    outcome.save(
        update_fields=[
            "state",
            "updated_at",
            "submitted_by",
            "submitted_at",
            "score",
            "evaluation",
            "evaluated_by",
            "evaluated_at",
        ]
    )
    record(
        kind=EventKind.OUTCOME_RETURNED,
        actor=user,
        outcome=outcome,
        period=outcome.period,
        changes={"state": [previous, OutcomeState.DRAFT]},
        note=note.strip(),
    )
    return outcome


def _decide(outcome, user, *, target, kind, note):
    """Recommend or not: the manager's decision after evaluation, with its note."""
    outcome = _locked(outcome)
    require(can_review(user))
    ensure_four_eyes(user, outcome_authors(outcome))
    _step(outcome, user, allowed={OutcomeState.EVALUATED}, target=target, kind=kind, note=note)
    outcome.decision_note = note
    outcome.decided_at = outcome.updated_at
    outcome.full_clean()
    outcome.save(update_fields=["state", "updated_at", "decision_note", "decided_at"])
    return outcome


@transaction.atomic
def recommend_outcome(*, outcome, user, note=""):
    """推荐全市复制推广."""
    return _decide(
        outcome, user, target=OutcomeState.RECOMMENDED, kind=EventKind.OUTCOME_RECOMMENDED, note=note.strip()
    )


@transaction.atomic
def decline_outcome(*, outcome, user, reason):
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for not recommending it.")})
    return _decide(
        outcome,
        user,
        target=OutcomeState.NOT_RECOMMENDED,
        kind=EventKind.OUTCOME_DECLINED,
        note=reason.strip(),
    )


@transaction.atomic
def record_replication(*, outcome, user, where, on):
    outcome = _locked(outcome)
    require(can_review(user))
    errors = {}
    if not (where or "").strip():
        errors["where"] = _("Say where it was replicated.")
    if on is None:
        errors["on"] = _("Give the date it was replicated.")
    elif on > timezone.localdate():
        errors["on"] = _("The replication date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    _step(
        outcome,
        user,
        allowed={OutcomeState.RECOMMENDED, OutcomeState.REPLICATED},
        target=OutcomeState.REPLICATED,
        kind=EventKind.OUTCOME_REPLICATED,
        changes={"where": where.strip(), "on": on.isoformat()},
    )
    outcome.replicated_where = where.strip()
    outcome.replicated_on = on
    outcome.full_clean()
    outcome.save(update_fields=["state", "updated_at", "replicated_where", "replicated_on"])
    return outcome


def add_outcome_file(*, outcome, user, uploaded_file, description):
    """Evidence on an outcome follows the report evidence rules: content-checked, server names.
    The file is stored first and recorded in one transaction; if anything fails, the commit
    included, the stored file is deleted again."""
    require(can_record_outcome(user, outcome.zone))
    if not (description or "").strip():
        raise ValidationError({"description": _("Say what this evidence shows.")})
    return store_then_record(
        uploaded_file=uploaded_file,
        record_file=lambda name, accepted: _record_outcome_file(
            outcome=outcome, user=user, name=name, accepted=accepted, description=description.strip()
        ),
    )


def _ensure_draft(outcome, message):
    if outcome.state != OutcomeState.DRAFT:
        raise ValidationError(message, code=STATE_ERROR)


@transaction.atomic
def _record_outcome_file(*, outcome, user, name, accepted, description):
    outcome = _locked(outcome)
    if outcome.state not in OUTCOME_EVIDENCE_OPEN_STATES:
        raise ValidationError(
            _("Evidence can be added until the outcome has been evaluated."), code=STATE_ERROR
        )
    evidence = file_evidence(
        name=name, accepted=accepted, description=description, user=user, outcome=outcome
    )
    evidence.full_clean()
    evidence.save()
    record(
        kind=EventKind.EVIDENCE_ADDED,
        actor=user,
        outcome=outcome,
        changes={"evidence": evidence.pk, "name": evidence.original_name, "sha256": evidence.sha256},
    )
    return evidence


@transaction.atomic
def withdraw_outcome_evidence(*, evidence, user, reason):
    """Withdrawn, never deleted: the file stays for the record, the outcome stops listing it.
    Only while the outcome is a draft, so what a manager evaluated stays as it was."""
    evidence = Evidence.objects.select_for_update(of=("self",)).select_related("outcome").get(pk=evidence.pk)
    outcome = _locked(evidence.outcome)
    require(can_record_outcome(user, outcome.zone))
    _ensure_draft(outcome, _("Evidence can be withdrawn while the outcome is a draft."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for withdrawing this evidence.")})
    if evidence.is_withdrawn:
        raise ValidationError(_("This evidence has already been withdrawn."))
    evidence.withdrawn_at = timezone.now()
    evidence.withdrawn_by = user
    evidence.withdraw_reason = reason.strip()
    evidence.full_clean()
    evidence.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
    record(
        kind=EventKind.EVIDENCE_WITHDRAWN,
        actor=user,
        outcome=outcome,
        note=evidence.withdraw_reason,
        changes={"evidence": evidence.pk, "name": evidence.original_name},
    )
    return evidence


def may_delete_outcome(user, outcome):
    """The rule of who may delete an outcome: its author, while it is a draft."""
    return (
        outcome.state == OutcomeState.DRAFT
        and outcome.created_by_id == getattr(user, "pk", None)
        and can_record_outcome(user, outcome.zone)
    )


@transaction.atomic
def delete_outcome(*, outcome, user):
    """Its author deletes a draft: it leaves every list and page, while the row, its evidence and
    its history stay for the record (the state says deleted; the history row says who and when)."""
    outcome = _locked(outcome)
    require(can_record_outcome(user, outcome.zone))
    if outcome.created_by_id != user.pk:
        raise ValidationError(_("Only the person who recorded this outcome can delete it."), code=STATE_ERROR)
    _ensure_draft(outcome, _("Only a draft outcome can be deleted."))
    outcome.state = OutcomeState.DELETED
    outcome.updated_at = timezone.now()
    outcome.full_clean()
    outcome.save(update_fields=["state", "updated_at"])
    record(
        kind=EventKind.OUTCOME_DELETED,
        actor=user,
        outcome=outcome,
        period=outcome.period,
        changes={"state": [OutcomeState.DRAFT, OutcomeState.DELETED], "title": outcome.title},
    )
    return outcome
