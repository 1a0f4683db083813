"""Reads of milestones, coordination requests and the reminders sent."""

from django.db.models import (
    Case,
    Q,
    When,
)

from core.access import access_for
from measures.choices import RequestState
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
