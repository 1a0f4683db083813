"""Plan adjustments (及时调整试点内容和政策措施): proposed → approved | rejected, or cancelled by
the proposer. Approval applies the change to the task in the same transaction, keeps the task
as it was and as it became on the adjustment, adds a historical row to the task's history and
a history entry to its timeline."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.access import can_propose_adjustment, can_review, ensure_four_eyes, require
from measures.choices import AdjustmentKind, AdjustmentState, AgencyRole, EventKind
from measures.history import record
from measures.models import Milestone, PlanAdjustment, Task, TaskAgency
from measures.tasks.models import LOADED_VERSION, LinkChangeCause
from measures.tasks.services import links_of, record_link_changes

# The parts of the task each kind changes; a proposal is stale once one of them has changed.
PARTS = {
    AdjustmentKind.TEXT: ["text"],
    AdjustmentKind.AGENCIES: ["agencies"],
    AdjustmentKind.MILESTONES: ["milestones"],
    AdjustmentKind.WITHDRAWAL: ["withdrawn", "closed"],
}
PART_LABELS = {
    "text": gettext_lazy("text"),
    "agencies": gettext_lazy("supporting agencies"),
    "milestones": gettext_lazy("milestones"),
    "withdrawn": gettext_lazy("withdrawal"),
    "closed": gettext_lazy("close-off"),
}

# Kept untranslated in the record, as the revision's reasons are.
LINK_REASON = "Plan adjustment #%(pk)s"


def snapshot(task):
    """The task as an adjustment sees it: text, agencies in order, milestones, withdrawal."""
    links = TaskAgency.objects.filter(task=task).select_related("agency").order_by("position")
    milestones = Milestone.objects.filter(task=task).order_by("due", "pk")
    return {
        "title": task.title,
        "text": task.text,
        "agencies": [{"id": link.agency_id, "name": link.agency.name} for link in links],
        "milestones": [
            {
                "id": m.pk,
                "title": m.title,
                "due": m.due.isoformat(),
                "done_on": m.done_on.isoformat() if m.done_on else None,
            }
            for m in milestones
        ],
        "withdrawn": task.withdrawn_at is not None,
        "closed": task.closed_at is not None,
    }


def _comparable(snap, part):
    value = snap.get(part)
    if part == "agencies":
        return [a["id"] for a in value or []]
    if part == "milestones":
        # Marking a milestone done does not make a proposal to move or drop it stale.
        return [(m["id"], m["title"], m["due"]) for m in value or []]
    return value


def _ensure_adjustable(task):
    if task.is_withdrawn:
        raise ValidationError(_("This task has been withdrawn from the plan; it can no longer be adjusted."))
    if task.is_closed:
        raise ValidationError(_("This task has been closed off; reopen it before adjusting it."))


def _text_proposal(task, text):
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the new text of the task.")})
    if text == task.text.strip():
        raise ValidationError({"text": _("The new text is the same as the current text.")})
    return {"text": text}


def _agencies_proposal(task, agencies):
    agencies = list(agencies or [])
    if len({a.pk for a in agencies}) != len(agencies):
        raise ValidationError({"agencies": _("Name each agency once.")})
    current = list(
        TaskAgency.objects.filter(task=task).order_by("position").values_list("agency_id", flat=True)
    )
    if [a.pk for a in agencies] == current:
        raise ValidationError({"agencies": _("These are already the task's supporting agencies.")})
    return {"agencies": [{"id": a.pk, "name": a.name} for a in agencies]}


def _milestones_proposal(task, add=(), move=(), drop=()):
    """add: [(title, due)]; move: [(milestone, new due)]; drop: [milestone]."""
    errors = []
    dropped = {m.pk for m in drop}
    for milestone in [*(m for m, _due in move), *drop]:
        if milestone.task_id != task.pk:
            raise ValidationError({"milestones": _("Change only this task's milestones.")})
    moves = []
    for milestone, due in move:
        if milestone.pk in dropped:
            errors.append(_("“%(title)s” cannot be both moved and dropped.") % {"title": milestone.title})
        elif due != milestone.due:
            moves.append(
                {
                    "milestone": milestone.pk,
                    "title": milestone.title,
                    "from": milestone.due.isoformat(),
                    "due": due.isoformat(),
                }
            )
    adds = []
    for title, due in add:
        title = (title or "").strip()
        if not title or due is None:
            errors.append(_("A new milestone needs both a title and a due date."))
        else:
            adds.append({"title": title[:200], "due": due.isoformat()})
    if errors:
        raise ValidationError({"milestones": errors})
    drops = [{"milestone": m.pk, "title": m.title, "due": m.due.isoformat()} for m in drop]
    if not (adds or moves or drops):
        raise ValidationError({"milestones": _("Add, move or drop at least one milestone.")})
    return {"add": adds, "move": moves, "drop": drops}


@transaction.atomic
def propose_adjustment(*, task, user, kind, reason, text=None, agencies=None, add=(), move=(), drop=()):
    task = Task.objects.select_for_update().get(pk=task.pk)
    require(can_propose_adjustment(user, task))
    _ensure_adjustable(task)
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = _("Give the reason for the change.")
    try:
        if kind == AdjustmentKind.TEXT:
            proposal = _text_proposal(task, text)
        elif kind == AdjustmentKind.AGENCIES:
            proposal = _agencies_proposal(task, agencies)
        elif kind == AdjustmentKind.MILESTONES:
            proposal = _milestones_proposal(task, add, move, drop)
        elif kind == AdjustmentKind.WITHDRAWAL:
            proposal = {}
        else:
            raise ValueError(f"not an adjustment kind: {kind}")
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    adjustment = PlanAdjustment(
        task=task,
        kind=kind,
        reason=reason.strip(),
        proposal=proposal,
        before=snapshot(task),
        proposed_by=user,
        proposed_at=timezone.now(),
    )
    adjustment.full_clean()
    adjustment.save()
    record(
        kind=EventKind.ADJUSTMENT_PROPOSED,
        actor=user,
        task=task,
        changes={"adjustment": adjustment.pk, "kind": kind},
        note=adjustment.reason,
    )
    return adjustment


def _locked(adjustment):
    adjustment = PlanAdjustment.objects.select_for_update().get(pk=adjustment.pk)
    # The task is locked too, so no other change slips in between the stale check and the write.
    adjustment.task = Task.objects.select_for_update().select_related("zone").get(pk=adjustment.task_id)
    return adjustment


def _ensure_proposed(adjustment):
    if adjustment.state != AdjustmentState.PROPOSED:
        raise ValidationError(
            _("This adjustment has already been %(state)s.")
            % {"state": adjustment.get_state_display().lower()}
        )


def _ensure_current(adjustment):
    now = snapshot(adjustment.task)
    changed = [
        str(PART_LABELS[part])
        for part in PARTS[adjustment.kind]
        if _comparable(now, part) != _comparable(adjustment.before, part)
    ]
    if changed:
        raise ValidationError(
            _(
                "The task's %(parts)s changed after this adjustment was proposed, so approving it "
                "would overwrite a change nobody has seen. Reject it and propose again from the "
                "current task."
            )
            % {"parts": ", ".join(changed)}
        )


def _apply(adjustment, user, now):
    task = adjustment.task
    proposal = adjustment.proposal
    reason = _("Plan adjustment #%(pk)s") % {"pk": adjustment.pk}
    if not task.history.exists():
        # Tasks loaded in bulk from the plan have no history row yet; keep the "before" one.
        # A change, not a creation: a view as of an earlier day reads it as the task before this.
        Task.history.bulk_history_create([task], update=True, default_change_reason=LOADED_VERSION)
    if adjustment.kind == AdjustmentKind.TEXT:
        task.text = proposal["text"]
        fields = ["text"]
    elif adjustment.kind == AdjustmentKind.WITHDRAWAL:
        task.withdrawn_at = now
        task.withdrawn_by = user
        task.withdraw_reason = adjustment.reason
        fields = ["withdrawn_at", "withdrawn_by", "withdraw_reason"]
    elif adjustment.kind == AdjustmentKind.AGENCIES:
        before = links_of([task.pk])
        TaskAgency.objects.filter(task=task).delete()
        # An agency the task keeps keeps its role (a lead stays the lead); a new one supports.
        roles = before[task.pk]
        TaskAgency.objects.bulk_create(
            TaskAgency(
                task=task,
                agency_id=agency["id"],
                position=position,
                role=roles.get(agency["id"], AgencyRole.SUPPORTING),
            )
            for position, agency in enumerate(proposal["agencies"], start=1)
        )
        record_link_changes(
            before=before,
            after=links_of([task.pk]),
            cause=LinkChangeCause.ADJUSTMENT,
            by=user,
            reason=LINK_REASON % {"pk": adjustment.pk},
            at=now,
        )
        fields = []
    else:
        _apply_milestones(task, proposal, user, now)
        fields = []
    task._history_user = user
    task._change_reason = reason
    if fields:
        task.full_clean()
        task.save(update_fields=fields)
    else:
        # Agencies and milestones live in their own tables; the task's history still gets a row
        # saying when and by whom it was adjusted (the adjustment keeps the before and after).
        Task.history.bulk_history_create([task], update=True, default_user=user, default_change_reason=reason)


def _apply_milestones(task, proposal, user, now):
    Milestone.objects.filter(task=task, pk__in=[d["milestone"] for d in proposal["drop"]]).delete()
    for move in proposal["move"]:
        Milestone.objects.filter(task=task, pk=move["milestone"]).update(
            due=datetime.date.fromisoformat(move["due"]), updated_at=now
        )
    for add in proposal["add"]:
        milestone = Milestone(
            task=task,
            title=add["title"],
            due=datetime.date.fromisoformat(add["due"]),
            created_by=user,
            created_at=now,
            updated_at=now,
        )
        milestone.full_clean()
        milestone.save()


@transaction.atomic
def approve_adjustment(*, adjustment, user, note=""):
    adjustment = _locked(adjustment)
    require(can_review(user))
    ensure_four_eyes(user, {adjustment.proposed_by_id})
    _ensure_proposed(adjustment)
    _ensure_adjustable(adjustment.task)
    _ensure_current(adjustment)
    now = timezone.now()
    _apply(adjustment, user, now)
    adjustment.after = snapshot(adjustment.task)
    adjustment.state = AdjustmentState.APPROVED
    adjustment.decided_by = user
    adjustment.decided_at = now
    adjustment.decision_note = (note or "").strip()
    adjustment.full_clean()
    adjustment.save(update_fields=["after", "state", "decided_by", "decided_at", "decision_note"])
    record(
        kind=EventKind.ADJUSTMENT_APPROVED,
        actor=user,
        task=adjustment.task,
        changes={"adjustment": adjustment.pk, "kind": adjustment.kind},
        note=adjustment.decision_note,
    )
    return adjustment


def _close(adjustment, user, *, state, kind, note):
    adjustment.state = state
    adjustment.decided_by = user
    adjustment.decided_at = timezone.now()
    adjustment.decision_note = note
    adjustment.full_clean()
    adjustment.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    record(
        kind=kind,
        actor=user,
        task=adjustment.task,
        changes={"adjustment": adjustment.pk, "kind": adjustment.kind},
        note=note,
    )
    return adjustment


@transaction.atomic
def reject_adjustment(*, adjustment, user, reason):
    adjustment = _locked(adjustment)
    require(can_review(user))
    ensure_four_eyes(user, {adjustment.proposed_by_id})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for rejecting the adjustment.")})
    _ensure_proposed(adjustment)
    return _close(
        adjustment,
        user,
        state=AdjustmentState.REJECTED,
        kind=EventKind.ADJUSTMENT_REJECTED,
        note=reason.strip(),
    )


@transaction.atomic
def cancel_adjustment(*, adjustment, user):
    """The proposer takes their proposal back before it is decided."""
    adjustment = _locked(adjustment)
    require(adjustment.proposed_by_id == user.pk)
    _ensure_proposed(adjustment)
    return _close(
        adjustment, user, state=AdjustmentState.CANCELLED, kind=EventKind.ADJUSTMENT_CANCELLED, note=""
    )
