"""Reads of milestones, coordination requests and the reminders sent."""

from django.db.models import (
    Case,
    Count,
    Min,
    Q,
    When,
)

from core.access import access_for
from measures.choices import RequestState
from measures.followup.models import request_overdue
from measures.models import CoordinationRequest, Milestone, Task


def overdue_milestones(tasks, today):
    return (
        Milestone.objects.overdue(today)
        .filter(task__in=tasks)
        .select_related("task__zone")
        .order_by("due", "task__zone__annex_number", "task__number")
    )


def open_requests(user):
    """Coordination requests still open for the user: asked by their zones, or addressed to their agency."""
    access = access_for(user)
    requests = CoordinationRequest.objects.exclude(state=RequestState.CLOSED).select_related(
        "task__zone", "agency", "asked_by"
    )
    if access.sees_everything:
        return requests.order_by("-asked_at")
    condition = Q(pk__in=[])
    if access.zone_ids:
        condition |= Q(task__zone_id__in=access.zone_ids)
    if access.agency_id:
        condition |= Q(agency_id=access.agency_id)
    return requests.filter(condition).order_by("-asked_at")


def requests_for_agency(user, agency):
    """Requests addressed to `agency` on tasks the user may see; open ones first."""
    return (
        CoordinationRequest.objects.filter(agency=agency, task__in=Task.objects.visible_to(user))
        .select_related("task__zone", "asked_by", "answered_by")
        .order_by(
            Case(When(state=RequestState.OPEN, then=0), When(state=RequestState.ANSWERED, then=1), default=2),
            "-asked_at",
        )
    )


def requests_listed(user, today=None):
    """Coordination requests on tasks the user may see, for the request list: each with `overdue`
    (the one rule, CoordinationRequest.objects.overdue), the most urgent reply-by date first."""
    return (
        CoordinationRequest.objects.filter(task__in=Task.objects.visible_to(user))
        .with_overdue(today)
        .select_related("task__zone", "agency", "asked_by")
        .order_by("-overdue", "reply_by", "pk")
    )


def overdue_by_agency(requests, today=None):
    """One row per agency with open requests among `requests` (already filtered): how many are
    open, how many overdue, and when the oldest open one was asked; one query, most overdue first."""
    return (
        requests.filter(state=RequestState.OPEN)
        .order_by()
        .values("agency_id", "agency__name")
        .annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=request_overdue(today)),
            oldest=Min("asked_at"),
        )
        .order_by("-overdue", "-open", "agency__name")
    )
