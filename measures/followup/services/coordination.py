"""Coordination requests (需协调事项): open → answered → closed, or answered → open again when the
answer did not help (asked again)."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import can_answer, can_report, can_review, require
from measures.choices import EventKind, RequestState
from measures.history import record
from measures.models import CoordinationRequest
from notifications.models import EscalationRule


def _describe(request):
    return {"request": request.pk, "agency": request.agency.name}


def default_reply_by(task, today=None):
    """The reply-by date when the asker names none: the plan's active escalation rule's "reply
    expected within" days, else FTZ_REQUEST_REPLY_DAYS, from today."""
    days = (
        EscalationRule.objects.filter(plan_id=task.zone.plan_id, active=True)
        .values_list("request_reply_days", flat=True)
        .first()
    )
    if days is None:
        days = settings.FTZ_REQUEST_REPLY_DAYS
    return (today or timezone.localdate()) + datetime.timedelta(days=days)


def _checked_reply_by(task, reply_by):
    today = timezone.localdate()
    if reply_by is None:
        return default_reply_by(task, today)
    if reply_by < today:
        raise ValidationError({"reply_by": _("The reply-by date cannot be in the past.")})
    return reply_by


@transaction.atomic
def ask_agency(*, task, user, agency, question, period=None, reply_by=None):
    require(can_report(user, task))
    if not question.strip():
        raise ValidationError({"question": _("Say what you need from the agency.")})
    request = CoordinationRequest(
        task=task,
        agency=agency,
        period=period,
        question=question.strip(),
        reply_by=_checked_reply_by(task, reply_by),
        asked_by=user,
        asked_at=timezone.now(),
    )
    request.full_clean()
    request.save()
    record(
        kind=EventKind.REQUEST_OPENED,
        actor=user,
        task=task,
        period=period,
        changes={**_describe(request), "reply_by": request.reply_by.isoformat()},
        note=request.question,
    )
    return request


def _locked(request):
    return CoordinationRequest.objects.select_for_update().select_related("task", "agency").get(pk=request.pk)


@transaction.atomic
def answer_request(*, request, user, answer):
    request = _locked(request)
    require(can_answer(user, request))
    if not answer.strip():
        raise ValidationError({"answer": _("Write the answer.")})
    if request.state == RequestState.CLOSED:
        raise ValidationError(_("This request has been closed."))
    request.answer = answer.strip()
    request.answered_by = user
    request.answered_at = timezone.now()
    request.state = RequestState.ANSWERED
    request.full_clean()
    request.save(update_fields=["answer", "answered_by", "answered_at", "state"])
    record(
        kind=EventKind.REQUEST_ANSWERED,
        actor=user,
        task=request.task,
        period=request.period,
        changes=_describe(request),
        note=request.answer,
    )
    return request


@transaction.atomic
def close_request(*, request, user):
    """The asking zone (or a manager) closes a request once it no longer needs help."""
    request = _locked(request)
    require(can_report(user, request.task) or can_review(user))
    if request.state == RequestState.CLOSED:
        raise ValidationError(_("This request has already been closed."))
    request.state = RequestState.CLOSED
    request.closed_by = user
    request.closed_at = timezone.now()
    request.full_clean()
    request.save(update_fields=["state", "closed_by", "closed_at"])
    record(
        kind=EventKind.REQUEST_CLOSED,
        actor=user,
        task=request.task,
        period=request.period,
        changes=_describe(request),
    )
    return request


@transaction.atomic
def reopen_request(*, request, user, note, reply_by=None):
    """The asking zone asks again when an answer did not help: the request is open again, with a
    new reply-by date, the note saying what is still needed; the answer given stays (and in the
    history), so the agency sees what it said before."""
    request = _locked(request)
    require(can_report(user, request.task))
    if not note.strip():
        raise ValidationError({"note": _("Say why the answer did not help.")})
    if request.state != RequestState.ANSWERED:
        raise ValidationError(_("Only an answered request can be asked again."))
    request.state = RequestState.OPEN
    request.reply_by = _checked_reply_by(request.task, reply_by)
    request.reopened_at = timezone.now()
    request.reopen_note = note.strip()
    request.full_clean()
    request.save(update_fields=["state", "reply_by", "reopened_at", "reopen_note"])
    record(
        kind=EventKind.REQUEST_REOPENED,
        actor=user,
        task=request.task,
        period=request.period,
        changes={**_describe(request), "reply_by": request.reply_by.isoformat()},
        note=request.reopen_note,
    )
    return request
