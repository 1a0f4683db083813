"""The sums of the chart across periods (average completion, on time, score per zone and period),
counted from the reports, or read from what was kept of a locked period (LockedPeriodFigures).

Counting them is one aggregate over every report of every period shown: 500,000 reports at
20,000 tasks and 25 periods, seconds on either database, while a locked period's figures cannot
change. So a locked period's are kept once and read back, and only the periods still open are
counted on each request."""

from collections import defaultdict

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from measures.choices import REPORTED_STATES
from measures.models import LockedPeriodFigures

SUMS = ("percent_sum", "on_time", "reported")


def keepable(period):
    """A period locked after its last day: its reports are locked and any later close-off or
    withdrawal falls after it, so its figures are final (until it is reopened)."""
    return period.locked_at is not None and timezone.localdate(period.locked_at) > period.end


def counted(tasks, periods):
    """{(period id, zone id): {percent_sum, on_time, reported}} over `tasks`' reports in `periods`:
    the submitted or accepted reports of the tasks still open at each period's end. One query
    (none without periods). It starts from the tasks and joins their reports, so the database
    walks each task's reports by index rather than testing every report against the tasks."""
    if not periods:
        return {}
    end = F("reports__period__end")
    open_then = (
        Q(reports__state__in=REPORTED_STATES)
        & (Q(closed_at__isnull=True) | Q(closed_at__date__gt=end))
        & (Q(withdrawn_at__isnull=True) | Q(withdrawn_at__date__gt=end))
    )
    rows = (
        tasks.filter(reports__period__in=periods)
        .order_by()
        .values("zone_id", period=F("reports__period_id"))
        .annotate(
            percent_sum=Sum("reports__percent_complete", filter=open_then),
            on_time=Count(
                "reports", filter=open_then & Q(reports__submitted_on__lte=F("reports__period__deadline"))
            ),
            reported=Count("reports", filter=open_then),
        )
    )
    return {(row["period"], row["zone_id"]): {key: row[key] or 0 for key in SUMS} for row in rows}


def kept(periods):
    """(figures kept for `periods`, as counted() gives them; the periods with none or stale ones).
    One query, none when no period is given."""
    if not periods:
        return {}, []
    by_period = defaultdict(dict)
    stale = set()
    by_pk = {period.pk: period for period in periods}
    for row in LockedPeriodFigures.objects.filter(period_id__in=list(by_pk)).values(
        "period_id", "zone_id", "deadline", "end", *SUMS
    ):
        period = by_pk[row["period_id"]]
        if (row["deadline"], row["end"]) != (period.deadline, period.end):
            stale.add(period.pk)
        by_period[period.pk][(period.pk, row["zone_id"])] = {key: row[key] for key in SUMS}
    found = {}
    for pk, figures in by_period.items():
        if pk not in stale:
            found.update(figures)
    missing = [period for period in periods if period.pk in stale or period.pk not in by_period]
    return found, missing
