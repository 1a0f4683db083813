"""The dashboard's writes: what is kept of a locked period (dashboard.figures)."""

from collections import defaultdict

from django.db import transaction

from measures.dashboard import figures
from measures.models import LockedPeriodFigures, Task
from zones.models import Zone


@transaction.atomic
def keep_period_figures(*, periods, found=None):
    """Keep the figures of the keepable `periods`, counted over every task of their plans (or
    taken from `found`, counted that way already). Replaces what was kept of them."""
    periods = [period for period in periods if figures.keepable(period)]
    if not periods:
        return
    if found is None:
        found = {}
        for plan_id in {period.plan_id for period in periods}:
            mine = [period for period in periods if period.plan_id == plan_id]
            found.update(figures.counted(Task.objects.filter(zone__plan_id=plan_id), mine))
    zones = defaultdict(list)
    for plan_id, zone_id in Zone.objects.filter(plan_id__in={p.plan_id for p in periods}).values_list(
        "plan_id", "pk"
    ):
        zones[plan_id].append(zone_id)
    LockedPeriodFigures.objects.filter(period__in=periods).delete()
    LockedPeriodFigures.objects.bulk_create(
        LockedPeriodFigures(
            period_id=period.pk,
            zone_id=zone_id,
            deadline=period.deadline,
            end=period.end,
            **found.get((period.pk, zone_id), dict.fromkeys(figures.SUMS, 0)),
        )
        for period in periods
        for zone_id in zones[period.plan_id]
    )


@transaction.atomic
def drop_period_figures(*, period):
    """A reopened period is counted again from its reports."""
    LockedPeriodFigures.objects.filter(period=period).delete()
