"""Every change to an indicator value: enter, submit, review, attach evidence.

Officers of the value's zone (and administrators) enter and submit; managers review. Each step
runs in one transaction with its IndicatorEvent, like the progress reports in measures.services.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import workflow
from core.access import can_record_outcome, can_review, ensure_four_eyes, require
from core.history import as_json
from core.merge import merged_save
from core.uploads import inspect_upload, safe_display_name
from measures.services import ensure_period_open, store_then_record

from .choices import IndicatorEventKind, ValueState
from .models import IndicatorEvent, IndicatorValue

VALUE_FIELDS = ["value", "source", "note"]
EDITABLE_STATES = {ValueState.DRAFT, ValueState.RETURNED}


class ValueConflict(Exception):
    """Someone saved the value after the form was opened; nothing was written. With the form's
    base known, `merge` says which fields both changed (only those are left to choose)."""

    def __init__(self, value, merge=None):
        self.value = value
        self.merge = merge
        super().__init__(f"indicator value {value.pk} changed since the form was opened")


def value_values(value):
    """{field: value} of the entered fields, as a form shows them (None: no value yet)."""
    if value is None:
        return {"value": None, "source": "", "note": ""}
    return {"value": value.display_value, "source": value.source, "note": value.note}


def can_enter(user, zone):
    """The zone's officers enter its values; the same rule as for its outcomes."""
    return can_record_outcome(user, zone)


def _record(*, value, kind, actor, note="", changes=None):
    event = IndicatorEvent(
        value=value, kind=kind, actor=actor, at=timezone.now(), note=note, changes=changes or {}
    )
    event.full_clean()
    event.save()
    return event


def _locked(value):
    return (
        IndicatorValue.objects.select_for_update()
        .select_related("indicator", "zone", "period")
        .get(pk=value.pk)
    )


def _check_conflict(value, expected_version):
    if expected_version is not None and value.version != expected_version:
        raise ValueConflict(value)


def _ensure_editable(value):
    if not value.is_editable:
        raise ValidationError(
            _("This value has been %(state)s and can no longer be changed.")
            % {"state": value.get_state_display().lower()}
        )


@transaction.atomic
def save_value(*, indicator, zone, period, user, data, expected_version=None, base=None):
    """Create or edit the draft value of `indicator` for `zone` and `period`.

    `expected_version` is the version the form was built from (0: none existed); a save in
    between raises ValueConflict and writes nothing, unless `base` (the form's fields at that
    version) lets the fields be merged three ways (core.merge): then only fields
    both people changed are a conflict, and the returned value's `merged` says what was merged.
    """
    require(can_enter(user, zone))
    unknown = set(data) - set(VALUE_FIELDS)
    if unknown:
        raise ValueError(f"not value fields: {sorted(unknown)}")
    if not indicator.is_manual:
        raise ValidationError(_("This indicator is computed by the app; it takes no entered values."))
    ensure_period_open(period)
    data = {**data, "source": (data.get("source") or "").strip(), "note": (data.get("note") or "").strip()}
    existing = (
        IndicatorValue.objects.select_for_update()
        .filter(indicator=indicator, zone=zone, period=period)
        .first()
    )
    now = timezone.now()
    if existing is None:
        value = IndicatorValue(
            indicator=indicator,
            zone=zone,
            period=period,
            entered_by=user,
            entered_at=now,
            updated_at=now,
            **data,
        )
        value.full_clean()
        value.save()
        changes = {field: [None, as_json(getattr(value, field))] for field in data}
        _record(value=value, kind=IndicatorEventKind.CREATED, actor=user, changes=changes)
        return value
    value = existing
    data, merged = merged_save(
        version=value.version,
        expected_version=expected_version,
        base=base,
        mine=data,
        theirs=value_values(value),
        conflict=lambda merge: ValueConflict(value, merge),
    )
    _ensure_editable(value)
    value.merged = merged
    changes = {}
    for field, new in data.items():
        # Compare as the column holds it: "6.5" typed is 6.5000 read back, and no change.
        new = IndicatorValue._meta.get_field(field).to_python(new)
        old = getattr(value, field)
        setattr(value, field, new)
        if old != new:
            changes[field] = [as_json(old), as_json(new)]
    if not changes:
        return value
    value.version += 1
    value.updated_at = now
    value.full_clean()
    value.save(update_fields=[*data.keys(), "version", "updated_at"])
    _record(value=value, kind=IndicatorEventKind.EDITED, actor=user, changes=changes)
    return value


def _transition(*, value, user, allowed, target, kind, note="", expected_version=None):
    value = _locked(value)
    ensure_period_open(value.period)
    _check_conflict(value, expected_version)

    def stamp(value, now):
        if target == ValueState.SUBMITTED:
            return []
        value.reviewed_by = user
        value.reviewed_at = now
        value.review_note = note
        return ["reviewed_by", "reviewed_at", "review_note"]

    return workflow.transition(
        row=value,
        allowed=allowed,
        target=target,
        states=ValueState,
        refusal=_("A value that is %(state)s cannot be %(action)s."),
        submitted=ValueState.SUBMITTED,
        stamp=stamp,
        record=lambda previous: _record(
            value=value, kind=kind, actor=user, note=note, changes={"state": [previous, target]}
        ),
    )


@transaction.atomic
def submit_value(*, value, user, expected_version=None):
    require(can_enter(user, value.zone))
    current = _locked(value)
    if not current.source.strip():
        raise ValidationError({"source": _("Say where the figure comes from before submitting it.")})
    kind = (
        IndicatorEventKind.RESUBMITTED
        if current.state == ValueState.RETURNED
        else IndicatorEventKind.SUBMITTED
    )
    return _transition(
        value=current,
        user=user,
        allowed=EDITABLE_STATES,
        target=ValueState.SUBMITTED,
        kind=kind,
        expected_version=expected_version,
    )


# Who entered, changed or submitted a value: none of them may accept or return it.
AUTHOR_KINDS = (
    IndicatorEventKind.CREATED,
    IndicatorEventKind.EDITED,
    IndicatorEventKind.SUBMITTED,
    IndicatorEventKind.RESUBMITTED,
)


def value_authors(value):
    actors = IndicatorEvent.objects.filter(value=value, kind__in=AUTHOR_KINDS).values_list(
        "actor_id", flat=True
    )
    return {value.entered_by_id, *actors}


@transaction.atomic
def return_value(*, value, user, note, expected_version=None):
    require(can_review(user))
    ensure_four_eyes(user, value_authors(value))
    if not (note or "").strip():
        raise ValidationError({"note": _("Say what needs to change when returning a value.")})
    return _transition(
        value=value,
        user=user,
        allowed={ValueState.SUBMITTED},
        target=ValueState.RETURNED,
        kind=IndicatorEventKind.RETURNED,
        note=note.strip(),
        expected_version=expected_version,
    )


@transaction.atomic
def accept_value(*, value, user, note="", expected_version=None):
    require(can_review(user))
    ensure_four_eyes(user, value_authors(value))
    return _transition(
        value=value,
        user=user,
        allowed={ValueState.SUBMITTED},
        target=ValueState.ACCEPTED,
        kind=IndicatorEventKind.ACCEPTED,
        note=(note or "").strip(),
        expected_version=expected_version,
    )


def check_evidence(*, uploaded_file):
    """add_value_evidence's checks with nothing stored, so a form can refuse a file before it
    writes any row; raises UploadRejected (a ValidationError) with the reason."""
    return inspect_upload(uploaded_file=uploaded_file)


def add_value_evidence(*, value, user, uploaded_file):
    """Store the file, then record it in one transaction; on any failure, the commit included,
    the stored file is deleted again, so no file is ever left without its record."""
    require(can_enter(user, value.zone))
    return store_then_record(
        uploaded_file=uploaded_file,
        record_file=lambda name, accepted: _record_evidence(
            value=value, user=user, name=name, accepted=accepted
        ),
    )


@transaction.atomic
def _record_evidence(*, value, user, name, accepted):
    value = _locked(value)
    ensure_period_open(value.period)
    _ensure_editable(value)
    # A replaced file stays in storage: what was once attached is never destroyed.
    previous = {"name": value.evidence_name, "sha256": value.evidence_sha256} if value.evidence_file else None
    value.evidence_file = name
    value.evidence_name = safe_display_name(accepted.original_name)
    value.evidence_type = accepted.content_type
    value.evidence_size = accepted.size
    value.evidence_sha256 = accepted.sha256
    value.version += 1
    value.updated_at = timezone.now()
    value.full_clean()
    value.save(
        update_fields=[
            "evidence_file",
            "evidence_name",
            "evidence_type",
            "evidence_size",
            "evidence_sha256",
            "version",
            "updated_at",
        ]
    )
    changes = {"name": value.evidence_name, "size": value.evidence_size, "sha256": value.evidence_sha256}
    if previous:
        changes["replaced"] = previous
    _record(value=value, kind=IndicatorEventKind.EVIDENCE_ADDED, actor=user, changes=changes)
    return value
