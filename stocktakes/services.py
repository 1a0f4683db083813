"""Writes of stocktakes and assigned items: keyword-only, atomic, each step one ItemEvent.

assigned → in progress (the assignee reports, with evidence if they have it) → closed (a manager,
with evidence on the item and a confirmation) → reopened (a reason) → in progress … Files go
through core.uploads' checks and measures' store_then_record, so no file is kept without its row.
"""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import ensure_four_eyes, require
from core.uploads import UploadRejected, safe_display_name
from measures.choices import EvidenceKind
from measures.history import one_line
from measures.services import store_then_record
from notifications.choices import Subject
from notifications.models import Escalation

from .access import can_hold_stocktakes, can_report_on_item
from .choices import ItemEventKind, ItemState
from .models import AssignedItem, ItemEvent, ItemEvidence, Stocktake
from .notices import on_item_event


def _text(value):
    return (value or "").strip()


@transaction.atomic
def schedule_stocktake(*, user, plan, title, held_on, zone=None, agency=None, notes=""):
    require(can_hold_stocktakes(user))
    if zone is not None and agency is not None:
        raise ValidationError(_("A meeting is for the whole plan, one zone or one agency, not both."))
    if zone is not None and zone.plan_id != plan.pk:
        raise ValidationError({"zone": _("Choose a zone of the meeting's plan.")})
    stocktake = Stocktake(
        plan=plan,
        zone=zone,
        agency=agency,
        title=one_line(title),
        held_on=held_on,
        notes=_text(notes),
        created_by=user,
        created_at=timezone.now(),
    )
    stocktake.full_clean()
    stocktake.save()
    return stocktake


def _record(*, item, kind, actor, changes=None, note=""):
    event = ItemEvent(item=item, kind=kind, actor=actor, at=timezone.now(), changes=changes or {}, note=note)
    event.full_clean()
    event.save()
    on_item_event(event)
    return event


def _locked(item):
    return (
        AssignedItem.objects.select_for_update(of=("self",))
        .select_related("zone", "agency", "stocktake", "created_by")
        .get(pk=item.pk)
    )


@transaction.atomic
def assign_item(*, stocktake, user, title, due, zone=None, agency=None, description=""):
    """Record a decision of the meeting as an item for one zone or one agency."""
    require(can_hold_stocktakes(user))
    if (zone is None) == (agency is None):
        raise ValidationError(_("Assign the item to one zone or one agency."))
    if zone is not None and zone.plan_id != stocktake.plan_id:
        raise ValidationError({"zone": _("Choose a zone of the meeting's plan.")})
    item = AssignedItem(
        stocktake=stocktake,
        title=one_line(title),
        description=_text(description),
        zone=zone,
        agency=agency,
        due=due,
        created_by=user,
        created_at=timezone.now(),
    )
    item.full_clean()
    item.save()
    _record(
        item=item,
        kind=ItemEventKind.ASSIGNED,
        actor=user,
        changes={"to": item.assignee_name, "due": due.isoformat()},
        note=item.description,
    )
    return item


def _check_link(url):
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(
            {"link": _("Enter a full web address starting with http:// or https://.")}
        ) from None


def _evidence_rows(*, item, event, user, stored=None, link="", description=""):
    rows = []
    now = timezone.now()
    if stored is not None:
        name, accepted = stored
        rows.append(
            ItemEvidence(
                item=item,
                event=event,
                kind=EvidenceKind.FILE,
                description=description,
                file=name,
                original_name=safe_display_name(accepted.original_name),
                content_type=accepted.content_type,
                size=accepted.size,
                sha256=accepted.sha256,
                added_by=user,
                added_at=now,
            )
        )
    if link:
        rows.append(
            ItemEvidence(
                item=item,
                event=event,
                kind=EvidenceKind.LINK,
                description=description,
                url=link,
                added_by=user,
                added_at=now,
            )
        )
    for row in rows:
        row.full_clean()
        row.save()
    event.changes["evidence"] = [
        {"kind": row.kind, "name": row.original_name, "sha256": row.sha256, "url": row.url} for row in rows
    ]
    if rows:
        ItemEvent.objects.filter(pk=event.pk).update(changes=event.changes)
    return rows


def _with_upload(uploaded_file, write):
    """Run `write(stored)` in one transaction, with the file checked and stored first (or None)."""
    if uploaded_file is None:
        return write(None)
    try:
        return store_then_record(
            uploaded_file=uploaded_file, record_file=lambda name, accepted: write((name, accepted))
        )
    except UploadRejected as error:
        raise ValidationError({"file": error.messages}) from None


def _evidence_input(uploaded_file, link, description):
    link, description = _text(link), _text(description)
    if link:
        _check_link(link)
    if (uploaded_file is not None or link) and not description:
        raise ValidationError({"description": _("Say what this evidence shows.")})
    return link, description


def _step(locked, *, state, fields, kind, user, note, evidence):
    """What progress and close share once the item is locked and checked: the item saved in its
    new `state` (with `fields` the caller set), one history row with the move, the evidence under it."""
    previous = locked.state
    locked.state = state
    locked.full_clean()
    locked.save(update_fields=["state", *fields])
    event = _record(item=locked, kind=kind, actor=user, changes={"state": [previous, state]}, note=note)
    _evidence_rows(item=locked, event=event, user=user, **evidence)
    return locked


def report_progress(*, item, user, note, uploaded_file=None, link="", description=""):
    """The assignee says where the item stands, with a file or link as evidence if they have one."""
    require(can_report_on_item(user, item))
    note = _text(note)
    if not note:
        raise ValidationError({"note": _("Say what has been done.")})
    link, description = _evidence_input(uploaded_file, link, description)

    @transaction.atomic
    def write(stored):
        locked = _locked(item)
        if locked.is_closed:
            raise ValidationError(_("This item has been closed; a manager may reopen it."))
        locked.progress = note
        locked.progress_at = timezone.now()
        return _step(
            locked,
            state=ItemState.IN_PROGRESS,
            fields=["progress", "progress_at"],
            kind=ItemEventKind.PROGRESS,
            user=user,
            note=note,
            evidence={"stored": stored, "link": link, "description": description},
        )

    return _with_upload(uploaded_file, write)


def close_item(*, item, user, note, confirmed, uploaded_file=None, link="", description=""):
    """A manager closes (办结) an item: it must carry evidence (the assignee's or attached now), and the
    manager confirms it is done. Four eyes: not someone who reported its progress themselves."""
    require(can_hold_stocktakes(user))
    if not confirmed:
        raise ValidationError({"confirmed": _("Confirm that the item has been carried out.")})
    note = _text(note)
    if not note:
        raise ValidationError({"note": _("Say how the item was carried out.")})
    link, description = _evidence_input(uploaded_file, link, description)

    @transaction.atomic
    def write(stored):
        locked = _locked(item)
        if locked.is_closed:
            raise ValidationError(_("This item is already closed."))
        reporters = set(locked.events.filter(kind=ItemEventKind.PROGRESS).values_list("actor_id", flat=True))
        ensure_four_eyes(user, reporters)
        if stored is None and not link and not locked.evidence.exists():
            raise ValidationError({"file": _("An item is closed with evidence: attach a file or a link.")})
        locked.closed_by = user
        locked.closed_at = timezone.now()
        # Closing settles the item's escalation ladder at once (the daily job would, a day later).
        Escalation.objects.open().filter(subject=Subject.ASSIGNED_ITEM, object_id=locked.pk).update(
            settled_at=locked.closed_at
        )
        return _step(
            locked,
            state=ItemState.CLOSED,
            fields=["closed_by", "closed_at"],
            kind=ItemEventKind.CLOSED,
            user=user,
            note=note,
            evidence={"stored": stored, "link": link, "description": description},
        )

    return _with_upload(uploaded_file, write)


@transaction.atomic
def reopen_item(*, item, user, reason, due=None):
    """A manager reopens a closed item, saying why; a new due date may come with it."""
    require(can_hold_stocktakes(user))
    reason = _text(reason)
    if not reason:
        raise ValidationError({"reason": _("Say why the item is reopened.")})
    locked = _locked(item)
    if not locked.is_closed:
        raise ValidationError(_("Only a closed item can be reopened."))
    changes = {"state": [locked.state, ItemState.IN_PROGRESS if locked.progress_at else ItemState.ASSIGNED]}
    locked.state = changes["state"][1]
    locked.closed_by = None
    locked.closed_at = None
    fields = ["state", "closed_by", "closed_at"]
    if due is not None and due != locked.due:
        changes["due"] = [locked.due.isoformat(), due.isoformat()]
        locked.due = due
        fields.append("due")
    locked.full_clean()
    locked.save(update_fields=fields)
    _record(item=locked, kind=ItemEventKind.REOPENED, actor=user, changes=changes, note=reason)
    return locked
