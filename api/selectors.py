"""What each API list reads: the pages' scoping (measures.scoping, Task.objects.visible_to) and
a fixed number of queries per page of rows, whatever the number of rows."""

from django.db.models import OuterRef, Prefetch, Subquery

from indicators import selectors as indicator_selectors
from measures.models import ProgressReport, Task
from measures.scoping import visible_outcomes, visible_zones
from measures.zone_pages import selectors as zone_selectors
from zones.models import Block, Plan


def plans(user):
    """The plans with at least one zone the user may see, as the zones page groups them."""
    return Plan.objects.filter(pk__in=visible_zones(user).values("plan_id")).order_by("code")


def zones(user):
    return zone_selectors.zone_list(user)


def blocks(user):
    return (
        Block.objects.filter(zone__in=visible_zones(user))
        .select_related("zone")
        .prefetch_related("subplots")
        .order_by("zone__plan__code", "zone__annex_number", "number")
    )


def agencies(user):
    # The agency page's order, so page N of the API is page N of the page.
    return zone_selectors.agency_list(user).order_by("-task_count", "name")


def tasks(user):
    """Visible tasks in the plan's order, each with the id of its latest report (the report of the
    latest period it has one for); with_latest_reports() reads those reports for one page at once."""
    latest = (
        ProgressReport.objects.filter(task=OuterRef("pk"))
        .shown_to(user)
        .order_by("-period__start", "-pk")
        .values("pk")[:1]
    )
    return (
        Task.objects.visible_to(user)
        .select_related("zone__plan", "category")
        .with_agencies()
        .annotate(latest_report_id=Subquery(latest))
        .order_by("zone__plan__code", "zone__annex_number", "number")
    )


def with_latest_reports(tasks):
    """Give each task of a page (a list) its `latest_report`, in one query."""
    tasks = list(tasks)
    ids = [task.latest_report_id for task in tasks if task.latest_report_id is not None]
    reports = ProgressReport.objects.select_related("period").in_bulk(ids) if ids else {}
    for task in tasks:
        task.latest_report = reports.get(task.latest_report_id)
    return tasks


def reports(user):
    # Latest period first: api.pagination.ReportPagination reads each page from its periods only.
    return (
        ProgressReport.objects.filter(task__in=Task.objects.visible_to(user))
        .shown_to(user)
        .select_related("task__zone", "period", "support_agency")
        .order_by("-period__start", "task__zone__plan__code", "task__zone__annex_number", "task__number")
    )


def outcomes(user):
    # The outcomes page's rows and order; linked tasks as plain ids, one query for the page.
    return (
        visible_outcomes(user)
        .select_related("zone", "period")
        .prefetch_related(Prefetch("tasks", queryset=Task.objects.visible_to(user).only("pk").order_by("pk")))
        .order_by("-created_at", "-pk")
    )


def indicator_values(user):
    """Entered values as the pages show them (indicators.selectors.visible_values)."""
    return (
        indicator_selectors.visible_values(user)
        .select_related("indicator__dimension", "indicator__plan", "zone", "period")
        .order_by(
            "indicator__plan__code",
            "indicator__dimension__order",
            "indicator__order",
            "indicator__code",
            "zone__annex_number",
            "-period__start",
        )
    )
