"""Reads for the zone and agency pages: fixed query counts whatever the plan's size.

Every read takes the user and goes through measures.scoping, so a zone, agency or task
outside the user's scope is not found.
"""

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from measures.choices import REPORTED_STATES, Light
from measures.followup import selectors as followup_selectors
from measures.models import Task, TaskCategory
from measures.periods import selectors as period_selectors
from measures.scoping import visible_agencies, visible_zones
from measures.tasks import selectors as task_selectors
from zones.models import Block, Zone


def zone_list(user):
    return (
        Zone.objects.with_totals()
        .filter(pk__in=visible_zones(user).values("pk"))
        .order_by("plan__code", "annex_number")
    )


def zone_detail(user, code, today=None):
    """A zone with blocks (and plots) and categories (with tasks, agencies and lights)."""
    today = today or timezone.localdate()
    periods = period_selectors.current_periods(today)
    tasks = task_selectors.with_period_report(
        Task.objects.visible_to(user).select_related("zone").order_by("number").with_agencies(),
        [p.pk for p in periods.values()],
        today,
        user=user,
    )
    categories = TaskCategory.objects.order_by("number").prefetch_related(Prefetch("tasks", queryset=tasks))
    queryset = zone_list(user).prefetch_related(
        Prefetch("blocks", queryset=Block.objects.order_by("number").prefetch_related("subplots")),
        Prefetch("categories", queryset=categories),
    )
    zone = get_object_or_404(queryset, code=code)
    zone.period = periods.get(zone.plan_id)
    zone.visible_categories = [c for c in zone.categories.all() if c.tasks.all()]
    all_tasks = [task for category in zone.visible_categories for task in category.tasks.all()]
    task_selectors.attach_lights(all_tasks, periods, today, user=user)
    zone.light_counts = _count_lights(all_tasks)
    zone.reported_count = sum(
        1
        for t in all_tasks
        if t.closed_at is None and t.withdrawn_at is None and t.report_state in REPORTED_STATES
    )
    zone.open_task_count = sum(1 for t in all_tasks if t.closed_at is None and t.withdrawn_at is None)
    # Only the tasks the user may see: a liaison sees a zone through the tasks their agency
    # supports, not the rest of its work.
    zone.overdue_milestones = list(
        followup_selectors.overdue_milestones(Task.objects.visible_to(user).filter(zone=zone), today)
    )
    return zone


def _count_lights(tasks):
    """[(light, count)] worst first, leaving out lights no task has."""
    counts = {}
    for task in tasks:
        counts[task.light] = counts.get(task.light, 0) + 1
    order = [Light.RED, Light.YELLOW, Light.GREEN, Light.NONE, Light.CLOSED]
    return [(light, counts[light]) for light in order if counts.get(light)]


def agency_list(user):
    tasks = Q(task_links__task__in=Task.objects.visible_to(user))
    return (
        visible_agencies(user)
        .annotate(
            task_count=Count("task_links", filter=tasks, distinct=True),
            zone_count=Count("task_links__task__zone", filter=tasks, distinct=True),
        )
        .prefetch_related("aliases")
    )


def agency_detail(user, pk, today=None):
    """The agency, its supported tasks annotated with this period's report (to be filtered and
    then given lights), the current periods, and the coordination requests addressed to it."""
    today = today or timezone.localdate()
    agency = get_object_or_404(visible_agencies(user).prefetch_related("aliases"), pk=pk)
    periods = period_selectors.current_periods(today)
    tasks = task_selectors.with_period_report(
        Task.objects.visible_to(user).for_list().supported_by(agency),
        [p.pk for p in periods.values()],
        today,
        user=user,
    ).order_by("zone__plan__code", "zone__annex_number", "number")
    return agency, tasks, periods, list(agency_requests(user, agency, today))


def tasks_by_zone(tasks):
    """{zone id: how many of `tasks`}: a zone's count on a page of the agency's tasks that shows
    only some of them (one query)."""
    return dict(tasks.order_by().values_list("zone_id").annotate(n=Count("pk")).values_list("zone_id", "n"))


def agency_requests(user, agency, today=None):
    return followup_selectors.requests_for_agency(user, agency).with_overdue(today)
