"""The dashboard's writes: what is kept of a period's figures (dashboard.figures)."""

from collections import defaultdict

from django.db import connection, transaction
from django.utils import timezone

from measures.dashboard import figures
from measures.models import LockedPeriodFigures, Task
from zones.models import Zone

KEPT_FIELDS = ["deadline", "end", *figures.SUMS, "counted_at", "final"]
# How long a view waits for the lock to keep the figures it counted. Keeping them only spares the
# next view a count, so a GET gives way to people's writes: it does not wait out SQLite's busy
# timeout (20 s) behind them, nor, on PostgreSQL, hold rows a writer's triggers wait for until the
# deadlock detector aborts one of the two, possibly the writer's (its triggers lock a zone's
# periods in another order than this upsert).
VIEW_LOCK_WAIT_MS = 200


def keep_period_figures_if_free(**kwargs):
    """keep_period_figures for a view: raises OperationalError when the lock is not had within
    VIEW_LOCK_WAIT_MS. The wait is set through the driver's connection: a setting of this
    connection, not one of the page's queries."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        # Before BEGIN IMMEDIATE, which is what waits; put back after, as the connection is kept.
        driver = connection.connection
        waited = driver.execute("PRAGMA busy_timeout").fetchone()[0]
        driver.execute(f"PRAGMA busy_timeout = {VIEW_LOCK_WAIT_MS}")
        try:
            return keep_period_figures(**kwargs)
        finally:
            driver.execute(f"PRAGMA busy_timeout = {int(waited)}")
    # One atomic block, as keep_period_figures is on its own, so the page's queries are the same on
    # both databases.
    with transaction.atomic():
        # SET LOCAL: ends with this transaction (or the savepoint, rolled back on an error).
        with connection.connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = {VIEW_LOCK_WAIT_MS}")
        kept = _keep_period_figures(**kwargs)
        with connection.connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
        return kept


def _keep_period_figures(*, periods, found=None, stamps=None, zone_ids=None):
    """Keep the figures of `periods`, counted over every task of their plans (or taken from
    `found`, counted that way already), for every zone of their plans. A keepable period's are
    kept final; another's only with `stamps` ({(period id, zone id): changes}, read before they
    were counted; none read is 0), as counted at those changes, so a write made since makes them
    stale. `zone_ids`: the zones to keep them for when known (one query less). Replaces what was kept of them, except the count of changes, which only the triggers
    write."""
    periods = [period for period in periods if figures.keepable(period) or stamps is not None]
    if not periods:
        return
    if found is None:
        found = {}
        for plan_id in {period.plan_id for period in periods}:
            mine = [period for period in periods if period.plan_id == plan_id]
            found.update(figures.counted(Task.objects.filter(zone__plan_id=plan_id), mine))
    zones = defaultdict(list)
    if zone_ids is not None:
        for period in periods:
            zones[period.plan_id] = list(zone_ids)
    else:
        for plan_id, zone_id in Zone.objects.filter(plan_id__in={p.plan_id for p in periods}).values_list(
            "plan_id", "pk"
        ):
            zones[plan_id].append(zone_id)
    stamps = stamps or {}
    # Upserted, not deleted and inserted: the count of changes stays, and two pages keeping the
    # same figures at once do not collide on the unique constraint. In one order, so they cannot
    # deadlock either.
    LockedPeriodFigures.objects.bulk_create(
        (
            LockedPeriodFigures(
                period_id=period.pk,
                zone_id=zone_id,
                deadline=period.deadline,
                end=period.end,
                final=figures.keepable(period),
                counted_at=None if figures.keepable(period) else stamps.get((period.pk, zone_id), 0),
                **found.get((period.pk, zone_id), dict.fromkeys(figures.SUMS, 0)),
            )
            for period in sorted(periods, key=lambda p: p.pk)
            for zone_id in sorted(zones[period.plan_id])
        ),
        update_conflicts=True,
        unique_fields=["period", "zone"],
        update_fields=KEPT_FIELDS,
    )


@transaction.atomic
def keep_period_figures(*, periods, found=None, stamps=None, zone_ids=None):
    """_keep_period_figures in a transaction of its own (see there)."""
    return _keep_period_figures(periods=periods, found=found, stamps=stamps, zone_ids=zone_ids)


@transaction.atomic
def drop_period_figures(*, period):
    """A reopened period is counted again from its reports (the count of changes stays)."""
    LockedPeriodFigures.objects.filter(period=period).update(final=False, counted_at=None)


def keep_all_figures(*, today=None):
    """Count and keep the figures of every started period of every plan (for every zone), so the
    first view of a dashboard after a restore or an upgrade reads them rather than counting them:
    `manage.py keep_dashboard_figures`. What was kept that still holds is left as it is. Returns
    the number of periods counted."""
    from measures.models import ReportingPeriod

    today = today or timezone.localdate()
    counted = 0
    by_plan = defaultdict(list)
    for period in ReportingPeriod.objects.filter(start__lte=today).select_related("plan").order_by("start"):
        if period.is_owed:
            by_plan[period.plan_id].append(period)
    for plan_id, periods in by_plan.items():
        zone_ids = list(Zone.objects.filter(plan_id=plan_id).values_list("pk", flat=True))
        _found, missing, stamps = figures.kept(periods, zone_ids)
        if missing:
            found = figures.counted(Task.objects.filter(zone__plan_id=plan_id), missing)
            keep_period_figures(periods=missing, found=found, stamps=stamps, zone_ids=zone_ids)
            counted += len(missing)
    return counted
