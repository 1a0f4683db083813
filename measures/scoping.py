"""What a user may see of the plan's records: zones, agencies, outcomes, matters and adjustments.

Tasks are scoped by `Task.objects.visible_to(user)`; the rules of who may do what are in core.access.
"""

from django.db.models import Q

from core.access import access_for
from measures.choices import OutcomeState
from measures.models import AgencyLinkChange, InnovationOutcome, MajorMatter, PlanAdjustment, Task
from zones.models import Agency, Zone


def visible_zones(user, linked_before=None):
    """`linked_before`: as Task.objects.visible_to's, for a view as of a past day."""
    access = access_for(user)
    zones = Zone.objects.all()
    if access.sees_everything:
        return zones
    condition = Q(pk__in=access.seen_zone_ids)
    if access.agency_id and linked_before is not None:
        linked = Task.objects.filter(
            AgencyLinkChange.objects.tasks_linked_then(access.agency_id, linked_before)
        )
        condition |= Q(pk__in=linked.values("zone_id"))
    elif access.agency_id:
        condition |= Q(tasks__agency_links__agency_id=access.agency_id)
    return zones.filter(pk__in=zones.filter(condition).values("pk"))


def visible_agencies(user):
    access = access_for(user)
    agencies = Agency.objects.all()
    if access.sees_everything:
        return agencies
    condition = Q(pk=access.agency_id) if access.agency_id else Q(pk__in=[])
    if access.zone_ids:
        condition |= Q(task_links__task__zone_id__in=access.zone_ids)
    return agencies.filter(pk__in=agencies.filter(condition).values("pk"))


def visible_outcomes(user):
    # A draft its author deleted is kept for the record but shown to no one.
    return InnovationOutcome.objects.filter(zone__in=visible_zones(user)).exclude(state=OutcomeState.DELETED)


def visible_matters(user):
    """Major matters go to the leadership: managers see all, officers their zones', nobody else any."""
    access = access_for(user)
    matters = MajorMatter.objects.all()
    if access.sees_everything:
        return matters
    return matters.filter(zone_id__in=access.zone_ids if access.is_officer else [])


def visible_adjustments(user):
    """Plan adjustments are seen with their task."""
    return PlanAdjustment.objects.filter(task__in=Task.objects.visible_to(user))
