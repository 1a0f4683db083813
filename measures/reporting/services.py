"""Progress reports: drafting, submitting, review, and closing off (销号) a finished task."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core import workflow
from core.access import (
    can_report,
    can_review,
    decides_own_submission,
    ensure_four_eyes,
    require,
    review_capacity,
)
from core.history import as_json
from core.merge import merged_save
from measures.choices import (
    AWAITING_SIGNOFF_STATES,
    EDITABLE_STATES,
    Assessment,
    EventKind,
    ReportState,
    TaskStatus,
)
from measures.followup.services.coordination import ask_agency
from measures.history import record
from measures.models import CoordinationRequest, ProgressReport, ReportEvent, ReportingPeriod, Task
from measures.reporting.models import AUTHOR_KINDS, REPORT_FIELDS


class ReportConflict(Exception):
    """Someone saved the report after the form was opened; `changes` says what they changed.
    With the form's base known, `merge` says which fields both sides changed (merge.conflicts):
    only those are left for the user to choose; the rest is already merged in merge.data."""

    def __init__(self, report, changes, merge=None):
        self.report = report
        self.changes = changes
        self.merge = merge
        super().__init__(f"report {report.pk} changed since version was read")


def report_values(report):
    """{field: value} of the report's fields as a form sends them back (agency as its id)."""
    if report is None:
        report = ProgressReport()
    return {field: _value(report, field) for field in REPORT_FIELDS}


def _value(report, field):
    """A comparable value: the agency's id rather than the agency."""
    return getattr(report, f"{field}_id" if field == "support_agency" else field)


def _locked_message():
    return _("This reporting period is locked; its reports can no longer change.")


def _task_refusal(closed_at, withdrawn_at):
    if withdrawn_at is not None:
        return _("This task has been withdrawn from the plan; it is no longer reported on.")
    if closed_at is not None:
        return _("This task has been closed off; reopen it before changing it.")
    return None


def _report_refusal(report):
    if report is not None and report.state not in EDITABLE_STATES:
        return _("This report has been %(state)s and can no longer be edited.") % {
            "state": report.get_state_display().lower()
        }
    return None


def ensure_period_open(period):
    # Read the lock from the database: the caller's object may predate a manager's lock.
    period = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
    if period.is_locked:
        raise ValidationError(_locked_message())
    return period


def _not_started_message(period):
    return _(
        "The period %(period)s has not started yet (it starts on %(start)s); it cannot be reported on."
    ) % {
        "period": period.name,
        "start": date_format(period.start),
    }


def ensure_period_started(period):
    if not period.has_started():
        raise ValidationError(_not_started_message(period))


def ensure_task_open(task):
    closed_at, withdrawn_at = Task.objects.filter(pk=task.pk).values_list("closed_at", "withdrawn_at").get()
    refusal = _task_refusal(closed_at, withdrawn_at)
    if refusal:
        raise ValidationError(refusal)


def ensure_report_editable(report):
    refusal = _report_refusal(report)
    if refusal:
        raise ValidationError(refusal)


def edit_refusal(*, task, period, report):
    """Why the report of `task` for `period` cannot be written now, or None: the rules
    save_report enforces, read from the objects at hand (no query) so the edit page can say
    so before anything is typed rather than on save."""
    if period.is_locked:
        return _locked_message()
    if not period.has_started():
        return _not_started_message(period)
    return _task_refusal(task.closed_at, task.withdrawn_at) or _report_refusal(report)


def locked_report(report):
    """Re-read the row under a lock so the checks below see the latest committed state."""
    return ProgressReport.objects.select_for_update().select_related("period__plan", "task").get(pk=report.pk)


def _changes_since(report, version):
    changes = {}
    for event in report.events.filter(kind__in=[EventKind.CREATED, EventKind.EDITED]).order_by("at", "pk"):
        if event.changes.get("_version", 0) > version:
            changes.update({k: v for k, v in event.changes.items() if not k.startswith("_")})
    return changes


def _check_conflict(report, expected_version):
    if expected_version is not None and report.version != expected_version:
        raise ReportConflict(report, _changes_since(report, expected_version))


@transaction.atomic
def save_report(*, task, period, user, data, expected_version=None, base=None):
    """Create or edit the draft report of `task` for `period`.

    `expected_version` is the version the user's form was built from; when another
    save came in between, ReportConflict carries what changed and nothing is written.
    `base` (the form's field values at that version) allows a three-way merge instead: the
    fields only the user changed are written over the newer version, those only the other
    person changed are kept, and only fields both changed raise ReportConflict. The returned
    report's `merged` (a Merge or None) says what was merged.
    """
    require(can_report(user, task))
    ensure_period_open(period)
    ensure_period_started(period)
    ensure_task_open(task)
    unknown = set(data) - set(REPORT_FIELDS)
    if unknown:
        raise ValueError(f"not report fields: {sorted(unknown)}")
    existing = ProgressReport.objects.select_for_update().filter(task=task, period=period).first()
    now = timezone.now()
    if existing is None:
        report = ProgressReport(task=task, period=period, updated_by=user, updated_at=now, **data)
        report.full_clean()
        report.save()
        changes = {field: [None, as_json(_value(report, field))] for field in data}
        changes["_version"] = report.version
        record(kind=EventKind.CREATED, actor=user, report=report, changes=changes)
        return report

    report = existing
    data, merged = merged_save(
        version=report.version,
        expected_version=expected_version,
        base=base,
        mine=data,
        theirs=report_values(report),
        conflict=lambda merge: ReportConflict(report, _changes_since(report, expected_version), merge),
    )
    ensure_report_editable(report)
    report.merged = merged
    changes = {}
    for field, new in data.items():
        old = _value(report, field)
        setattr(report, field, new)
        current = _value(report, field)
        if current != old:
            changes[field] = [as_json(old), as_json(current)]
    if not changes:
        return report
    report.version += 1
    report.updated_by = user
    report.updated_at = now
    report.full_clean()
    report.save(update_fields=[*data.keys(), "version", "updated_by", "updated_at"])
    changes["_version"] = report.version
    record(kind=EventKind.EDITED, actor=user, report=report, changes=changes)
    return report


@transaction.atomic
def start_from_previous(*, task, period, user):
    """Start this period's report as a copy of the latest earlier report of the task."""
    require(can_report(user, task))
    if ProgressReport.objects.filter(task=task, period=period).exists():
        raise ValidationError(_("This period's report has already been started."))
    previous = (
        ProgressReport.objects.filter(
            task=task, period__plan_id=period.plan_id, period__start__lt=period.start
        )
        .order_by("-period__start")
        .first()
    )
    if previous is None:
        raise ValidationError(_("There is no earlier report of this task to start from."))
    data = {field: getattr(previous, field) for field in REPORT_FIELDS}
    report = save_report(task=task, period=period, user=user, data=data)
    report.events.filter(kind=EventKind.CREATED).update(
        note=_("Started from the report for %(period)s.") % {"period": previous.period.name}
    )
    return report


def transition_report(
    *, report, user, allowed, target, kind, note="", expected_version=None, on_behalf_of=None, extra=None
):
    """Move a report along the workflow (core.workflow.transition) under its lock, with its
    history row; `on_behalf_of` is the absent person a deputy acts for (measures.signoff).
    `extra(report)`, given the locked report, returns {field: value} to write with the state
    (the assessment when accepting): saved in the same row write and listed in the same history row."""
    report = locked_report(report)
    ensure_period_open(report.period)
    _check_conflict(report, expected_version)
    extra = extra(report) if extra else {}
    changes = {field: [as_json(getattr(report, field)), as_json(value)] for field, value in extra.items()}

    def stamp(report, now):
        report.updated_by = user
        if target in AWAITING_SIGNOFF_STATES:
            # Not yet reported: the zone reports, and meets the deadline, when its leader signs off.
            return ["updated_by"]
        if target == ReportState.SUBMITTED:
            # The day counts for the deadline, in the zone's time.
            report.submitted_on = timezone.localdate(now)
            # A new submission waits to be opened afresh: the zone may recall it until then.
            report.opened_for_review_at = None
            report.opened_for_review_by = None
            return ["updated_by", "submitted_on", "opened_for_review_at", "opened_for_review_by"]
        report.reviewed_at = now
        for field, value in extra.items():
            setattr(report, field, value)
        return ["updated_by", "reviewed_at", *extra]

    return workflow.transition(
        row=report,
        allowed=allowed,
        target=target,
        states=ReportState,
        refusal=_("A report that is %(state)s cannot be %(action)s."),
        submitted=ReportState.SUBMITTED,
        stamp=stamp,
        record=lambda previous: record(
            kind=kind,
            actor=user,
            report=report,
            changes={"state": [previous, target], **changes, "_version": report.version},
            note=note,
            on_behalf_of=on_behalf_of,
        ),
    )


def submission_problems(report):
    """{field: message} for what stops `report` from being submitted. It reads only the
    report's own fields, so the edit view can also ask it about an unsaved report built from
    a form's valid values and list these problems together with the form's field errors."""
    errors = {}
    if not report.progress.strip():
        errors["progress"] = _("Describe the progress this period before submitting.")
    if report.status in (TaskStatus.DELAYED, TaskStatus.BLOCKED) and not report.problems.strip():
        errors["problems"] = _("Describe the problems when a task is delayed or blocked.")
    if report.support_needed.strip() and not report.support_agency_id:
        errors["support_agency"] = _("Name the supporting agency whose help is needed.")
    return errors


def _check_complete_enough(report):
    errors = submission_problems(report)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def submit_report(*, report, user, expected_version=None):
    """Submit to the managers' review, or, where the plan requires it (Plan.requires_signoff),
    to the zone leader's sign-off first (measures.signoff.services.sign_off_report)."""
    require(can_report(user, report.task))
    ensure_task_open(report.task)
    current = locked_report(report)
    _check_complete_enough(current)
    needs_signoff = current.period.plan.requires_signoff
    report = transition_report(
        report=report,
        user=user,
        allowed=EDITABLE_STATES,
        target=ReportState.AWAITING_SIGNOFF if needs_signoff else ReportState.SUBMITTED,
        kind=EventKind.SUBMITTED,
        expected_version=expected_version,
    )
    if not needs_signoff:
        forward_support_request(report, user)
    return report


def forward_support_request(report, user):
    """Support asked for in a report reaches the agency as a coordination request, once."""
    question = report.support_needed.strip()
    if not question or not report.support_agency_id:
        return
    already = CoordinationRequest.objects.filter(
        task=report.task, agency_id=report.support_agency_id, period=report.period, question=question
    ).exists()
    if not already:
        ask_agency(
            task=report.task, user=user, agency=report.support_agency, question=question, period=report.period
        )


@transaction.atomic
def save_and_submit_report(*, task, period, user, data, expected_version=None, base=None):
    """Save the form and submit it as one step: if it cannot be submitted, nothing is saved."""
    report = save_report(
        task=task, period=period, user=user, data=data, expected_version=expected_version, base=base
    )
    submitted = submit_report(report=report, user=user)
    submitted.merged = getattr(report, "merged", None)
    return submitted


def recall_refusal(report):
    """Why `report` cannot be recalled now, or None: the recall rule (ProgressReport.is_recallable)
    in words, for the service's refusal and the page."""
    if report.is_recallable:
        return None
    if report.state == ReportState.SUBMITTED and report.opened_for_review_at is None:
        return _(
            "The zone leader has signed this report off, so it can no longer be recalled. "
            "Ask a manager to return it if it needs changes."
        )
    if report.state == ReportState.SUBMITTED:
        return _(
            "A manager has already opened this report for review, so it can no longer be recalled. "
            "Ask the manager to return it if it needs changes."
        )
    return _("Only a submitted report can be recalled; this one is %(state)s.") % {
        "state": report.get_state_display().lower()
    }


@transaction.atomic
def recall_report(*, report, user):
    """The zone takes a submitted report back as a draft, while the recall rule allows it."""
    require(can_report(user, report.task))
    report = locked_report(report)
    ensure_period_open(report.period)
    ensure_task_open(report.task)
    refusal = recall_refusal(report)
    if refusal:
        raise ValidationError(refusal)
    previous = report.state
    report.state = ReportState.DRAFT
    report.version += 1
    report.updated_at = timezone.now()
    report.updated_by = user
    report.full_clean()
    report.save(update_fields=["state", "version", "updated_at", "updated_by"])
    record(
        kind=EventKind.RECALLED,
        actor=user,
        report=report,
        changes={"state": [previous, ReportState.DRAFT], "_version": report.version},
    )
    return report


def note_opened_for_review(*, report, user):
    """Record that a reviewer (a manager, or a manager's deputy for them) first opened a submitted
    report for review (from then on the zone can no longer recall it). Opening it again, or by its
    own author (four eyes: they cannot review it; for a deputy, nor the manager's own), changes
    nothing. Returns True when this call recorded the opening. Read from the report in hand first,
    so a page showing an opened or unsubmitted report pays no query for it."""
    capacity = review_capacity(user)
    if capacity is None or report.state != ReportState.SUBMITTED or report.opened_for_review_at:
        return False
    return _record_opening(report, user, capacity)


@transaction.atomic
def _record_opening(report, user, capacity):
    authors = report_authors(report)
    if decides_own_submission(user, authors) or decides_own_submission(capacity.on_behalf_of, authors):
        return False
    now = timezone.now()
    updated = ProgressReport.objects.filter(
        pk=report.pk, state=ReportState.SUBMITTED, opened_for_review_at__isnull=True
    ).update(opened_for_review_at=now, opened_for_review_by=user)
    if not updated:
        return False
    report.opened_for_review_at, report.opened_for_review_by = now, user
    record(kind=EventKind.OPENED_FOR_REVIEW, actor=user, report=report, on_behalf_of=capacity.on_behalf_of)
    return True


# Who signed it off for the zone: they may not also accept or return it for the city.
SIGNOFF_KINDS = (EventKind.SIGNED_OFF,)


def _actors(report, kinds):
    rows = ReportEvent.objects.filter(report=report, kind__in=kinds).values_list(
        "actor_id", "on_behalf_of_id"
    )
    return {person for row in rows for person in row if person is not None}


def report_authors(report):
    return _actors(report, AUTHOR_KINDS)


def report_deciders_barred(report):
    """Four eyes at the city's level: whoever wrote, submitted or signed off the report (a deputy
    and the person they stood in for alike) may not accept or return it."""
    return _actors(report, AUTHOR_KINDS + SIGNOFF_KINDS)


def ensure_four_eyes_in_capacity(user, capacity, barred):
    """Four eyes for the one acting and, when a deputy acts, for the person they stand in for."""
    ensure_four_eyes(user, barred)
    if capacity.on_behalf_of is not None:
        ensure_four_eyes(capacity.on_behalf_of, barred)


def _reviewer(user, report):
    capacity = review_capacity(user)
    require(capacity is not None)
    ensure_four_eyes_in_capacity(user, capacity, report_deciders_barred(report))
    return capacity


@transaction.atomic
def return_report(*, report, user, note, expected_version=None):
    capacity = _reviewer(user, report)
    if not note.strip():
        raise ValidationError({"note": _("Say what needs to change when returning a report.")})
    return transition_report(
        report=report,
        user=user,
        allowed={ReportState.SUBMITTED},
        target=ReportState.RETURNED,
        kind=EventKind.RETURNED,
        note=note.strip(),
        expected_version=expected_version,
        on_behalf_of=capacity.on_behalf_of,
    )


ASSESSMENT_REASON_MAX = ProgressReport._meta.get_field("assessment_reason").max_length


def assessment_values(report, *, assessment, reason="", verified_percent=None):
    """The verified-progress fields an acceptance writes, checked against the report as locked.

    No assessment: nothing is written (an acceptance without one stays possible for callers that
    do not assess, e.g. older API clients; the review forms ask for it). With one, the verified
    percent defaults to the zone's own (to 100 for 已完成); a percent that differs from the zone's
    needs a reason, so the correction is explained where the zone will read it."""
    reason = (reason or "").strip()
    if not assessment:
        if reason or verified_percent is not None:
            raise ValidationError({"assessment": _("Choose the assessed completion.")})
        return {}
    if assessment not in Assessment.values:
        raise ValidationError({"assessment": _("Choose one of the listed assessments.")})
    if verified_percent is None:
        verified_percent = 100 if assessment == Assessment.COMPLETED else report.percent_complete
    if not 0 <= verified_percent <= 100:
        raise ValidationError(
            {"verified_percent": _("The verified percent is a whole number from 0 to 100.")}
        )
    if assessment == Assessment.COMPLETED and verified_percent != 100:
        raise ValidationError(
            {"verified_percent": _("A task assessed as completed is 100 percent complete.")}
        )
    if verified_percent != report.percent_complete and not reason:
        raise ValidationError(
            {
                "assessment_reason": _(
                    "Say why the verified percent (%(verified)s%%) differs from the zone's (%(reported)s%%)."
                )
                % {"verified": verified_percent, "reported": report.percent_complete}
            }
        )
    if len(reason) > ASSESSMENT_REASON_MAX:
        raise ValidationError(
            {
                "assessment_reason": _("Keep the reason short (at most %(max)s characters).")
                % {"max": ASSESSMENT_REASON_MAX}
            }
        )
    return {"assessment": assessment, "verified_percent": verified_percent, "assessment_reason": reason}


@transaction.atomic
def accept_report(
    *,
    report,
    user,
    note="",
    expected_version=None,
    assessment="",
    assessment_reason="",
    verified_percent=None,
):
    """Accept a submitted report, with the manager's assessed completion (verified progress) when
    given: written with the state, in the same history row."""
    capacity = _reviewer(user, report)
    return transition_report(
        report=report,
        user=user,
        allowed={ReportState.SUBMITTED},
        target=ReportState.ACCEPTED,
        kind=EventKind.ACCEPTED,
        note=note.strip(),
        expected_version=expected_version,
        on_behalf_of=capacity.on_behalf_of,
        extra=lambda locked: assessment_values(
            locked, assessment=assessment, reason=assessment_reason, verified_percent=verified_percent
        ),
    )


@transaction.atomic
def comment_on_report(*, report, user, note):
    """A review note that neither returns nor accepts; the officer sees it on the task."""
    capacity = review_capacity(user)
    require(capacity is not None)
    if not note.strip():
        raise ValidationError({"note": _("Write the comment.")})
    report = locked_report(report)
    ensure_period_open(report.period)
    return record(
        kind=EventKind.COMMENTED,
        actor=user,
        report=report,
        note=note.strip(),
        on_behalf_of=capacity.on_behalf_of,
    )


def final_report(task):
    """The report a close-off rests on: the task's latest one."""
    return (
        ProgressReport.objects.filter(task=task).order_by("-period__start").select_related("period").first()
    )


def close_off_refusal(task, latest):
    """Why `task` cannot be closed off (销号), or None: the close-off rule, read from the task and its
    final report (督查督办: a completed task, its final report accepted and backed by evidence)."""
    if task.is_withdrawn:
        return _("This task has been withdrawn from the plan.")
    if task.is_closed:
        return _("This task has already been closed off.")
    if latest is None or not latest.closes_off_task:
        return _("Only a task whose latest report says completed and has been accepted can be closed off.")
    return None


@transaction.atomic
def close_task(*, task, user, note=""):
    """销号: only a completed task whose latest report has been accepted, and has evidence (a file
    or link on the final report; measures.evidence.services.close_task adds the close-off's own
    first, in the same transaction), can be closed off."""
    require(can_review(user))
    task = Task.objects.select_for_update().get(pk=task.pk)
    latest = final_report(task)
    refusal = close_off_refusal(task, latest)
    if refusal:
        raise ValidationError(refusal)
    if not latest.evidence.active().exists():
        raise ValidationError(
            {
                "evidence": _(
                    "Closing off needs evidence: attach a file or a link here, or on the final report."
                )
            }
        )
    task.closed_at = timezone.now()
    task.closed_by = user
    task.close_note = note.strip()
    task.full_clean()
    task.save(update_fields=["closed_at", "closed_by", "close_note"])
    record(kind=EventKind.TASK_CLOSED, actor=user, task=task, period=latest.period, note=task.close_note)
    return task


@transaction.atomic
def reopen_task(*, task, user, reason):
    require(can_review(user))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for reopening a closed-off task.")})
    task = Task.objects.select_for_update().get(pk=task.pk)
    if not task.is_closed:
        raise ValidationError(_("This task is not closed off."))
    task.closed_at = None
    task.closed_by = None
    task.full_clean()
    task.save(update_fields=["closed_at", "closed_by"])
    record(kind=EventKind.TASK_REOPENED, actor=user, task=task, note=reason.strip())
    return task
