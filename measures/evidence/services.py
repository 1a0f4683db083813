"""Evidence on a report: files checked by content and stored under server names, or links.

Evidence is never deleted; withdrawing keeps the row, the file and a reason.
"""

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import can_report, can_review, require
from core.uploads import inspect_upload, safe_display_name, stored_name
from measures.choices import EventKind, EvidenceKind
from measures.history import record
from measures.models import Evidence
from measures.reporting.services import close_task as close_task_on_evidence
from measures.reporting.services import (
    ensure_period_open,
    ensure_report_editable,
    ensure_task_open,
    final_report,
    locked_report,
    save_report,
    submit_report,
)


def _ensure_can_attach(report, user):
    report = locked_report(report)
    require(can_report(user, report.task))
    ensure_period_open(report.period)
    ensure_task_open(report.task)
    ensure_report_editable(report)
    return report


def _describe(evidence):
    details = {"evidence": evidence.pk, "kind": evidence.kind, "description": evidence.description}
    if evidence.kind == EvidenceKind.FILE:
        details.update(name=evidence.original_name, size=evidence.size, sha256=evidence.sha256)
    else:
        details["url"] = evidence.url
    return details


def _clean_description(description):
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": _("Say what this evidence shows.")})
    return description


def store_then_record(*, uploaded_file, record_file):
    """Check an uploaded file by content, store it under a server-generated name, then call
    `record_file(name=, accepted=)`, which writes its record in one transaction. If anything
    fails, the commit included, the stored file is deleted again, so there is never a file
    without its record (the transaction guarantees there is never a record without its file).
    Report, outcome and indicator evidence all go through here."""
    accepted = inspect_upload(uploaded_file=uploaded_file)
    name = default_storage.save(stored_name(extension=accepted.extension), uploaded_file)
    try:
        return record_file(name=name, accepted=accepted)
    except BaseException:
        default_storage.delete(name)
        raise


def file_evidence(*, name, accepted, description, user, report=None, outcome=None):
    """The unsaved Evidence row of a stored file, on a report or on an outcome."""
    return Evidence(
        report=report,
        outcome=outcome,
        kind=EvidenceKind.FILE,
        description=description,
        file=name,
        original_name=safe_display_name(accepted.original_name),
        content_type=accepted.content_type,
        size=accepted.size,
        sha256=accepted.sha256,
        added_by=user,
        added_at=timezone.now(),
    )


def add_file_evidence(*, report, user, uploaded_file, description):
    require(can_report(user, report.task))
    description = _clean_description(description)
    return store_then_record(
        uploaded_file=uploaded_file,
        record_file=lambda name, accepted: _record_file(
            report=report, user=user, name=name, accepted=accepted, description=description
        ),
    )


@transaction.atomic
def _record_file(*, report, user, name, accepted, description):
    report = _ensure_can_attach(report, user)
    evidence = file_evidence(name=name, accepted=accepted, description=description, user=user, report=report)
    evidence.full_clean()
    evidence.save()
    record(kind=EventKind.EVIDENCE_ADDED, actor=user, report=report, changes=_describe(evidence))
    return evidence


@transaction.atomic
def add_link_evidence(*, report, user, url, description):
    report = _ensure_can_attach(report, user)
    description = _clean_description(description)
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(
            {"url": _("Enter a full web address starting with http:// or https://.")}
        ) from None
    evidence = Evidence(
        report=report,
        kind=EvidenceKind.LINK,
        description=description,
        url=url,
        added_by=user,
        added_at=timezone.now(),
    )
    evidence.full_clean()
    evidence.save()
    record(kind=EventKind.EVIDENCE_ADDED, actor=user, report=report, changes=_describe(evidence))
    return evidence


@transaction.atomic
def withdraw_evidence(*, evidence, user, reason):
    # Lock only the evidence row: its report is on the nullable side of the join (outcome evidence).
    evidence = (
        Evidence.objects.select_for_update(of=("self",)).select_related("report__task").get(pk=evidence.pk)
    )
    require(can_report(user, evidence.report.task))
    ensure_period_open(evidence.report.period)
    ensure_task_open(evidence.report.task)
    # What a reviewer has seen stays as it was: withdraw while the report is still the zone's.
    ensure_report_editable(evidence.report)
    if not reason.strip():
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
        report=evidence.report,
        changes=_describe(evidence),
        note=evidence.withdraw_reason,
    )
    return evidence


# The report form's evidence fields, and which of the evidence service's field names each is.
FORM_EVIDENCE_FIELDS = {
    "file": "evidence_file",
    "description": "evidence_description",
    "url": "evidence_url",
}


def _on_form_fields(error):
    """The evidence services' errors named after the report form's evidence fields: an upload
    check speaks about the file; a missing description about the description."""
    if not hasattr(error, "error_dict"):
        return ValidationError({FORM_EVIDENCE_FIELDS["file"]: error.error_list})
    return ValidationError(
        {FORM_EVIDENCE_FIELDS.get(field, field): errors for field, errors in error.error_dict.items()}
    )


def save_report_with_evidence(
    *,
    task,
    period,
    user,
    data,
    submit=False,
    uploaded_file=None,
    url="",
    description="",
    expected_version=None,
    base=None,
):
    """The report form with its evidence, as one step: save the report, attach the file and/or the
    link, then submit if asked. The upload is checked by content first; if anything is refused
    (the file, the link, the report, the submission), nothing is saved and the stored file is
    deleted again, so the officer's typing comes back in the form with the reason."""
    url = (url or "").strip()
    if (uploaded_file is not None or url) and not (description or "").strip():
        raise ValidationError({FORM_EVIDENCE_FIELDS["description"]: _("Say what this evidence shows.")})

    reached = []

    @transaction.atomic
    def save_all(name=None, accepted=None):
        reached.append(True)
        report = save_report(
            task=task, period=period, user=user, data=data, expected_version=expected_version, base=base
        )
        merged = getattr(report, "merged", None)
        try:
            if name is not None:
                _record_file(report=report, user=user, name=name, accepted=accepted, description=description)
            if url:
                add_link_evidence(report=report, user=user, url=url, description=description)
        except ValidationError as error:
            raise _on_form_fields(error) from None
        if submit:
            report = submit_report(report=report, user=user)
        report.merged = merged
        return report

    require(can_report(user, task))
    if uploaded_file is None:
        return save_all()
    try:
        return store_then_record(uploaded_file=uploaded_file, record_file=save_all)
    except ValidationError as error:
        if reached:
            raise
        # Refused by the upload checks before anything was saved: about the file.
        raise _on_form_fields(error) from None


def close_task(*, task, user, note="", uploaded_file=None, url="", description=""):
    """销号 with its evidence, as one step: a file and/or link given here is attached to the final
    report (the close-off's own evidence, recorded as such), then the task is closed off, which
    needs evidence on that report. If anything is refused, nothing is saved and a stored file is
    deleted again."""
    require(can_review(user))
    url = (url or "").strip()
    description = (description or "").strip() or _("Close-off evidence (销号)")

    @transaction.atomic
    def close(name=None, accepted=None):
        latest = final_report(task)
        if latest is not None and (name is not None or url):
            latest = locked_report(latest)
            if name is not None:
                evidence = file_evidence(
                    name=name, accepted=accepted, description=description, user=user, report=latest
                )
            else:
                evidence = Evidence(report=latest, kind=EvidenceKind.LINK, description=description, url=url)
                evidence.added_by, evidence.added_at = user, timezone.now()
            _attach_close_off(evidence, latest, user)
            if name is not None and url:
                link = Evidence(report=latest, kind=EvidenceKind.LINK, description=description, url=url)
                link.added_by, link.added_at = user, timezone.now()
                _attach_close_off(link, latest, user)
        return close_task_on_evidence(task=task, user=user, note=note)

    if uploaded_file is None:
        return close()
    return store_then_record(uploaded_file=uploaded_file, record_file=close)


def _attach_close_off(evidence, report, user):
    if evidence.kind == EvidenceKind.LINK:
        try:
            URLValidator(schemes=["http", "https"])(evidence.url)
        except ValidationError:
            raise ValidationError(
                {"url": _("Enter a full web address starting with http:// or https://.")}
            ) from None
    evidence.full_clean()
    evidence.save()
    record(
        kind=EventKind.EVIDENCE_ADDED,
        actor=user,
        report=report,
        changes=_describe(evidence),
        note=_("Close-off evidence (销号)"),
    )
