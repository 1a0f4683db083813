"""Reads for the zone and agency pages: fixed query counts whatever the plan's size."""

from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404

from measures.models import Task, TaskCategory

from .models import Agency, Block, Zone


def zone_list():
    return Zone.objects.with_totals().order_by("plan__code", "annex_number")


def zone_detail(code):
    """A zone with blocks (and plots) and categories (with tasks and agencies): 5 queries."""
    categories = TaskCategory.objects.order_by("number").prefetch_related(
        Prefetch("tasks", queryset=Task.objects.select_related("zone").order_by("number").with_agencies())
    )
    queryset = zone_list().prefetch_related(
        Prefetch("blocks", queryset=Block.objects.order_by("number").prefetch_related("subplots")),
        Prefetch("categories", queryset=categories),
    )
    return get_object_or_404(queryset, code=code)


def agency_list():
    return Agency.objects.annotate(
        task_count=Count("task_links", distinct=True),
        zone_count=Count("task_links__task__zone", distinct=True),
    ).prefetch_related("aliases")


def agency_detail(pk):
    agency = get_object_or_404(Agency.objects.prefetch_related("aliases"), pk=pk)
    tasks = (
        Task.objects.for_list()
        .supported_by(agency)
        .order_by("zone__plan__code", "zone__annex_number", "number")
    )
    return agency, tasks
