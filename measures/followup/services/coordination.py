"""Coordination requests (需协调事项): open → answered → closed."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import can_answer, can_report, can_review, require
from measures.choices import EventKind, RequestState
from measures.history import record
from measures.models import CoordinationRequest


def _describe(request):
    return {"request": request.pk, "agency": request.agency.name}


@transaction.atomic
def ask_agency(*, task, user, agency, question, period=None):
    require(can_report(user, task))
    if not question.strip():
        raise ValidationError({"question": _("Say what you need from the agency.")})
    request = CoordinationRequest(
        task=task,
        agency=agency,
        period=period,
        question=question.strip(),
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
        changes=_describe(request),
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
