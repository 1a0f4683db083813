"""The sums of the chart across periods (average completion, on time, score per zone and period),
counted from the reports, or read from what was kept of a period (LockedPeriodFigures).

Counting them is one aggregate over every report of every period shown: 500,000 reports at
20,000 tasks and 25 periods, seconds on either database, while a locked period's figures cannot
change. So a locked period's are kept once and read back; an open period's are kept too, with the
count of changes triggers keep of what they are counted from, and counted again only once that
count has moved (in practice the current period, after a report was written)."""

from collections import defaultdict

from django.db.models import BooleanField, Case, Count, F, Q, Sum, Value, When
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


def kept(periods, zone_ids):
    """(the figures kept for `periods` that still hold, as counted() gives them; the periods
    lacking any of `zone_ids`' figures or with stale ones; the count of changes of every row
    read, {(period id, zone id): changes}). A keepable period's hold when kept final, another's
    when nothing they are counted from changed since (`counted_at` equals `changes`), both only
    for the deadline and end they were counted with. One query, none when no period is given.

    Read before the periods missing are counted, so figures kept from that count carry the
    changes as they stood before it (services.keep_period_figures)."""
    if not periods:
        return {}, [], {}
    by_pk = {period.pk: period for period in periods}
    final = [pk for pk, period in by_pk.items() if keepable(period)]
    # Whether a row holds is decided in the query: 5,000 rows at 200 zones and 25 periods come
    # back as tuples of numbers, not dictionaries with dates to parse.
    holds = Case(
        When(
            Q(deadline=F("period__deadline"), end=F("period__end"))
            & (Q(period_id__in=final, final=True) | (~Q(period_id__in=final) & Q(counted_at=F("changes")))),
            then=Value(True),
        ),
        default=Value(False),
        output_field=BooleanField(),
    )
    holding = defaultdict(dict)
    stamps = {}
    rows = (
        LockedPeriodFigures.objects.filter(period_id__in=list(by_pk))
        .annotate(holds=holds)
        .values_list("period_id", "zone_id", "changes", "holds", *SUMS)
    )
    for period_id, zone_id, changes, holding_now, percent_sum, on_time, reported in rows:
        key = (period_id, zone_id)
        stamps[key] = changes
        if holding_now:
            holding[period_id][key] = {"percent_sum": percent_sum, "on_time": on_time, "reported": reported}
    found, missing = {}, []
    for period in periods:
        cells = holding[period.pk]
        if all((period.pk, zone_id) in cells for zone_id in zone_ids):
            found.update(cells)
        else:
            missing.append(period)
    return found, missing, stamps
