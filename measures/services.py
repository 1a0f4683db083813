"""Every write to a progress report or a reporting period, each with its history row.

Views, forms and the admin call these; none of them changes a report directly.
Each function runs in one transaction: the change and its ReportEvent land together
or not at all.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import EventKind, ReportState
from .models import ProgressReport, ReportEvent

REPORT_FIELDS = [
    "status",
    "percent_complete",
    "progress",
    "problems",
    "next_steps",
    "support_needed",
    "support_agency",
]


class ReportConflict(Exception):
    """Someone saved the report after the form was opened; `changes` says what they changed."""

    def __init__(self, report, changes):
        self.report = report
        self.changes = changes
        super().__init__(f"report {report.pk} changed since version was read")


def _value(report, field):
    """A comparable value: the agency's id rather than the agency."""
    return getattr(report, f"{field}_id" if field == "support_agency" else field)


def _record(*, period, kind, actor, report=None, changes=None, note=""):
    event = ReportEvent(
        report=report,
        period=period,
        kind=kind,
        actor=actor,
        at=timezone.now(),
        changes=changes or {},
        note=note,
    )
    event.full_clean()
    event.save()
    return event


def _ensure_open(period):
    # Read the lock from the database: the caller's object may predate a manager's lock.
    period = type(period).objects.select_for_update().get(pk=period.pk)
    if period.is_locked:
        raise ValidationError(_("This reporting period is locked; its reports can no longer change."))


def _locked_report(report):
    """Re-read the row under a lock so the checks below see the latest committed state."""
    return ProgressReport.objects.select_for_update().select_related("period", "task").get(pk=report.pk)


def _changes_since(report, version):
    changes = {}
    events = report.events.filter(kind=EventKind.EDITED).order_by("at", "pk")
    for event in events:
        if event.changes.get("_version", 0) > version:
            changes.update({k: v for k, v in event.changes.items() if not k.startswith("_")})
    return changes


@transaction.atomic
def save_report(*, task, period, user, data, expected_version=None):
    """Create or edit the draft report of `task` for `period`.

    `expected_version` is the version the user's form was built from; when another
    save came in between, ReportConflict carries what changed and nothing is written.
    """
    _ensure_open(period)
    unknown = set(data) - set(REPORT_FIELDS)
    if unknown:
        raise ValueError(f"not report fields: {sorted(unknown)}")
    existing = ProgressReport.objects.select_for_update().filter(task=task, period=period).first()
    now = timezone.now()
    if existing is None:
        report = ProgressReport(task=task, period=period, updated_by=user, updated_at=now, **data)
        report.full_clean()
        report.save()
        changes = {field: [None, _json(_value(report, field))] for field in data}
        changes["_version"] = report.version
        _record(period=period, kind=EventKind.CREATED, actor=user, report=report, changes=changes)
        return report

    report = existing
    if expected_version is not None and report.version != expected_version:
        raise ReportConflict(report, _changes_since(report, expected_version))
    if report.state in (ReportState.SUBMITTED, ReportState.ACCEPTED):
        raise ValidationError(
            _("This report has been %(state)s and can no longer be edited.")
            % {"state": report.get_state_display()}
        )
    changes = {}
    for field, new in data.items():
        old = _value(report, field)
        setattr(report, field, new)
        current = _value(report, field)
        if current != old:
            changes[field] = [_json(old), _json(current)]
    if not changes:
        return report
    report.version += 1
    report.updated_by = user
    report.updated_at = now
    report.full_clean()
    report.save(update_fields=[*data.keys(), "version", "updated_by", "updated_at"])
    changes["_version"] = report.version
    _record(period=period, kind=EventKind.EDITED, actor=user, report=report, changes=changes)
    return report


def _json(value):
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def _transition(*, report, user, allowed, target, kind, note="", expected_version=None):
    report = _locked_report(report)
    _ensure_open(report.period)
    if expected_version is not None and report.version != expected_version:
        raise ReportConflict(report, _changes_since(report, expected_version))
    if report.state not in allowed:
        raise ValidationError(
            _("A report that is %(state)s cannot be %(action)s.")
            % {"state": report.get_state_display(), "action": ReportState(target).label}
        )
    previous = report.state
    now = timezone.now()
    report.state = target
    report.version += 1
    report.updated_by = user
    report.updated_at = now
    fields = ["state", "version", "updated_by", "updated_at"]
    if target == ReportState.SUBMITTED:
        report.submitted_at = now
        fields.append("submitted_at")
    else:
        report.reviewed_at = now
        fields.append("reviewed_at")
    report.full_clean()
    report.save(update_fields=fields)
    _record(
        period=report.period,
        kind=kind,
        actor=user,
        report=report,
        changes={"state": [previous, target], "_version": report.version},
        note=note,
    )
    return report


@transaction.atomic
def submit_report(*, report, user, expected_version=None):
    return _transition(
        report=report,
        user=user,
        allowed={ReportState.DRAFT, ReportState.RETURNED},
        target=ReportState.SUBMITTED,
        kind=EventKind.SUBMITTED,
        expected_version=expected_version,
    )


@transaction.atomic
def return_report(*, report, user, note):
    if not note.strip():
        raise ValidationError({"note": _("Say what needs to change when returning a report.")})
    return _transition(
        report=report,
        user=user,
        allowed={ReportState.SUBMITTED},
        target=ReportState.RETURNED,
        kind=EventKind.RETURNED,
        note=note.strip(),
    )


@transaction.atomic
def accept_report(*, report, user, note=""):
    return _transition(
        report=report,
        user=user,
        allowed={ReportState.SUBMITTED},
        target=ReportState.ACCEPTED,
        kind=EventKind.ACCEPTED,
        note=note.strip(),
    )


@transaction.atomic
def lock_period(*, period, user):
    period = type(period).objects.select_for_update().get(pk=period.pk)
    if period.is_locked:
        raise ValidationError(_("This period is already locked."))
    period.locked_at = timezone.now()
    period.locked_by = user
    period.full_clean()
    period.save(update_fields=["locked_at", "locked_by"])
    _record(period=period, kind=EventKind.PERIOD_LOCKED, actor=user)
    return period


@transaction.atomic
def reopen_period(*, period, user, reason):
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for reopening a locked period.")})
    period = type(period).objects.select_for_update().get(pk=period.pk)
    if not period.is_locked:
        raise ValidationError(_("This period is not locked."))
    period.locked_at = None
    period.locked_by = None
    period.full_clean()
    period.save(update_fields=["locked_at", "locked_by"])
    _record(period=period, kind=EventKind.PERIOD_REOPENED, actor=user, note=reason.strip())
    return period
