"""Reads of reporting periods: which one is current, and every period's report counts."""

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from measures.choices import ReportState
from measures.models import ProgressReport, ReportingPeriod, Task


def current_of(periods, today=None):
    """The period being reported on `today` among one plan's periods (the rule of current_for())."""
    today = today or timezone.localdate()
    periods = sorted(periods, key=lambda p: p.start)
    if not periods:
        return None
    started = [p for p in periods if p.start <= today]
    due = sorted((p for p in started if p.deadline >= today), key=lambda p: (p.deadline, p.start))
    return due[0] if due else (started[-1] if started else periods[0])


def current_periods(today=None, chosen=None):
    """{plan id: the period being reported on `today`}, in one query; with `chosen` (a period's
    id), that period stands for its plan instead."""
    by_plan = {}
    picked = None
    for period in ReportingPeriod.objects.select_related("plan").order_by("start"):
        by_plan.setdefault(period.plan_id, []).append(period)
        if chosen is not None and period.pk == chosen:
            picked = period
    periods = {plan_id: current_of(periods, today) for plan_id, periods in by_plan.items()}
    if picked is not None:
        periods[picked.plan_id] = picked
    return periods


def plan_periods(task):
    return list(
        ReportingPeriod.objects.filter(plan_id=task.zone.plan_id).select_related("plan").order_by("-start")
    )


def period_overview():
    """Every period with its report counts by state, newest first: one query of correlated
    counts (joining reports and tasks together would multiply rows at scale)."""

    def count(queryset, group):
        counted = queryset.order_by().values(group).annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    reports = ProgressReport.objects.filter(period=OuterRef("pk"))
    by_state = {f"n_{state}": count(reports.filter(state=state), "period") for state in ReportState.values}
    # What still waits for a manager (the one rule): locking the period needs a confirmation then.
    waiting = ProgressReport.objects.awaiting_review().filter(period=OuterRef("pk"))
    tasks = Task.objects.filter(zone__plan=OuterRef("plan"))
    return (
        ReportingPeriod.objects.select_related("plan", "locked_by")
        .annotate(task_count=count(tasks, "zone__plan"), n_waiting=count(waiting, "period"), **by_state)
        .order_by("plan__code", "-start")
    )
