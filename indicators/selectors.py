"""Reads for the indicator pages: computed values, the scorecard and the review queue.

Computed indicators are counted from the app's own records at each period's cut-off (the end of
the period's last day), in a fixed number of queries whatever the number of periods or rows:
- a count of innovation outcomes counts those submitted by the cut-off and in any state after
  draft (submitted, evaluated, recommended, replicated, not recommended): once submitted, an
  outcome has been reported, whatever its evaluation later says;
- the share of tasks completed is the share of the zone's tasks whose latest submitted or accepted
  report, up to and including the period, says completed (drafts and returned reports are not
  yet the zone's word).
The whole-FTZ zone of a plan stands for the plan as a whole, so its computed values count every
zone of the plan.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext

from core.access import access_for
from core.roles import Role
from measures.choices import REPORTED_STATES, OutcomeState, TaskStatus
from measures.models import InnovationOutcome, ProgressReport, ReportingPeriod, Task
from measures.scoping import visible_zones
from zones.choices import ZoneKind
from zones.models import Zone

from .choices import Computation, Direction, Status, ValueState
from .models import Dimension, Indicator, IndicatorValue

COUNTED_OUTCOME_STATES = [state for state in OutcomeState.values if state != OutcomeState.DRAFT]
HUNDRED = Decimal(100)


def cutoff(period):
    """The first moment after the period: everything strictly before it counts for the period."""
    next_day = datetime.datetime.combine(period.end + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(next_day)


def counted_zones(zone, prefix="zone"):
    """A filter on the zones whose records a zone's computed values count: the plan's for the whole FTZ."""
    if zone.kind == ZoneKind.WHOLE_FTZ:
        return Q(**{f"{prefix}__plan_id": zone.plan_id})
    return Q(**{f"{prefix}_id": zone.pk})


def outcome_counts(*, zone, periods):
    """{outcome type: {period id: count}} in one query."""
    if not periods:
        return {}
    columns = {f"p{period.pk}": Count("pk", filter=Q(submitted_at__lt=cutoff(period))) for period in periods}
    rows = (
        InnovationOutcome.objects.filter(
            counted_zones(zone), state__in=COUNTED_OUTCOME_STATES, submitted_at__isnull=False
        )
        .order_by()
        .values("type")
        .annotate(**columns)
    )
    return {row["type"]: {period.pk: row[f"p{period.pk}"] for period in periods} for row in rows}


def completed_shares(*, zone, periods):
    """{period id: percent of tasks completed} in two queries."""
    if not periods:
        return {}
    total = Task.objects.filter(counted_zones(zone)).count()
    rows = (
        ProgressReport.objects.filter(
            counted_zones(zone, "task__zone"),
            state__in=REPORTED_STATES,
            period__start__lte=periods[-1].start,
            period__plan_id=periods[-1].plan_id,
        )
        .order_by("period__start")
        .values_list("task_id", "period__start", "status")
    )
    latest = {}
    shares = {}
    rows = iter(rows)
    pending = next(rows, None)
    for period in periods:
        while pending is not None and pending[1] <= period.start:
            latest[pending[0]] = pending[2]
            pending = next(rows, None)
        completed = sum(1 for status in latest.values() if status == TaskStatus.COMPLETED)
        shares[period.pk] = _percent(completed, total)
    return shares


def _percent(part, whole):
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def computed_values(*, indicators, zone, periods):
    """{indicator id: {period id: value}} for the computed ones among `indicators`."""
    periods = sorted(periods, key=lambda period: period.start)
    kinds = {indicator.computation for indicator in indicators}
    counts = outcome_counts(zone=zone, periods=periods) if Computation.OUTCOME_COUNT in kinds else {}
    shares = (
        completed_shares(zone=zone, periods=periods) if Computation.TASKS_COMPLETED_SHARE in kinds else {}
    )
    result = {}
    for indicator in indicators:
        if indicator.computation == Computation.OUTCOME_COUNT:
            types = [indicator.outcome_type] if indicator.outcome_type else list(counts)
            result[indicator.pk] = {
                period.pk: Decimal(sum(counts.get(kind, {}).get(period.pk, 0) for kind in types))
                for period in periods
            }
        elif indicator.computation == Computation.TASKS_COMPLETED_SHARE:
            result[indicator.pk] = dict(shares)
    return result


def standing(indicator, value):
    """(status, percent towards the target or None), read in the indicator's direction."""
    if value is None:
        return Status.NO_DATA, None
    target, baseline = indicator.target, indicator.baseline
    if target is None:
        return Status.NO_TARGET, None
    if indicator.direction == Direction.LOWER:
        met, behind = value <= target, baseline is not None and value > baseline
        if baseline is not None and baseline != target:
            share = (baseline - value) / (baseline - target)
        else:
            share = Decimal(1) if value <= 0 else target / value
    else:
        met, behind = value >= target, baseline is not None and value < baseline
        if baseline is not None and baseline != target:
            share = (value - baseline) / (target - baseline)
        else:
            share = Decimal(1) if target == 0 else value / target
    percent = int(max(Decimal(0), min(HUNDRED, share * HUNDRED)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if met:
        return Status.MET, 100
    return (Status.BEHIND if behind else Status.PROGRESSING), percent


def verdict(indicator, series, today):
    """(status, percent, note) for a row; `series` is [(period, value or None)], oldest first.

    Before or during the target year the latest value is read against the target. After it, the
    target was met or missed by its year: the last value in the target year decides; with none,
    the latest value says whether it was met late, and the note says which value was used.
    """
    known = [(period, value) for period, value in series if value is not None]
    latest_period, latest = known[-1] if known else (None, None)
    year = indicator.target_year
    if indicator.target is None or year is None or today.year <= year:
        status, percent = standing(indicator, latest)
        return status, percent, ""
    if latest is None:
        return (
            Status.NO_DATA,
            None,
            gettext("The target year %(year)s has passed without a value.") % {"year": year},
        )
    in_year = [(period, value) for period, value in known if period.end.year == year]
    if in_year:
        period, value = in_year[-1]
        status, percent = standing(indicator, value)
        note = gettext("Judged on the value for %(period)s, the last in %(year)s.") % {
            "period": period.display_name,
            "year": year,
        }
        return (Status.MET_BY_YEAR if status == Status.MET else Status.MISSED), percent, note
    status, percent = standing(indicator, latest)
    note = gettext("No value for %(year)s; judged on the latest value, for %(period)s.") % {
        "year": year,
        "period": latest_period.display_name,
    }
    return (Status.MET_LATE if status == Status.MET else Status.MISSED), percent, note


@dataclass
class Row:
    indicator: Indicator
    series: list  # [(period, value or None)], oldest first
    latest: Decimal | None = None
    latest_period: ReportingPeriod | None = None
    status: str = Status.NO_DATA
    percent: int | None = None
    note: str = ""

    @property
    def status_label(self):
        return Status(self.status).label


@dataclass
class Group:
    dimension: Dimension
    rows: list = field(default_factory=list)


def scorecard(*, zone, today=None):
    """The zone's indicators by dimension, each with its series across the periods begun so far.

    Manual indicators show accepted values only: a figure counts once a manager has reviewed it.
    Seven queries at most, whatever the number of indicators, periods and values.
    """
    today = today or timezone.localdate()
    plan = zone.plan
    periods = list(ReportingPeriod.objects.filter(plan=plan, start__lte=today).order_by("start"))
    dimensions = list(Dimension.objects.filter(plan=plan).order_by("order", "pk"))
    indicators = list(Indicator.objects.filter(plan=plan).order_by("order", "code"))
    entered = defaultdict(dict)
    if any(indicator.is_manual for indicator in indicators) and periods:
        for indicator_id, period_id, value in IndicatorValue.objects.filter(
            zone=zone, indicator__plan=plan, state=ValueState.ACCEPTED
        ).values_list("indicator_id", "period_id", "value"):
            entered[indicator_id][period_id] = value
    computed = computed_values(indicators=indicators, zone=zone, periods=periods)
    groups = {dimension.pk: Group(dimension) for dimension in dimensions}
    for indicator in indicators:
        values = computed[indicator.pk] if indicator.pk in computed else entered.get(indicator.pk, {})
        row = Row(indicator=indicator, series=[(period, values.get(period.pk)) for period in periods])
        for period, value in reversed(row.series):
            if value is not None:
                row.latest, row.latest_period = value, period
                break
        row.status, row.percent, row.note = verdict(indicator, row.series, today)
        groups[indicator.dimension_id].rows.append(row)
    return {
        "periods": periods,
        "groups": list(groups.values()),
        "rows": sum((g.rows for g in groups.values()), []),
    }


def scorecard_rows(*, plan, zones, today=None):
    """{zone id: rows} for each of `zones` of `plan`, each list the rows `scorecard(zone=...)` gives
    (same series, latest value and verdict), read for all zones at once: six queries at most whatever
    the number of zones, indicators, periods and values (the stocktake pack of a whole plan)."""
    today = today or timezone.localdate()
    zones = list(zones)
    periods = list(ReportingPeriod.objects.filter(plan=plan, start__lte=today).order_by("start"))
    indicators = list(
        Indicator.objects.filter(plan=plan).order_by("dimension__order", "dimension_id", "order", "code")
    )
    if not zones or not indicators:
        return {zone.pk: [] for zone in zones}
    entered = defaultdict(dict)
    if any(indicator.is_manual for indicator in indicators) and periods:
        for zone_id, indicator_id, period_id, value in IndicatorValue.objects.filter(
            zone__in=zones, indicator__plan=plan, state=ValueState.ACCEPTED
        ).values_list("zone_id", "indicator_id", "period_id", "value"):
            entered[zone_id, indicator_id][period_id] = value
    computed = _computed_series_by_zone(plan=plan, zones=zones, indicators=indicators, periods=periods)
    result = {}
    for zone in zones:
        rows = result[zone.pk] = []
        for indicator in indicators:
            key = (zone.pk, indicator.pk)
            values = computed[key] if key in computed else entered.get(key, {})
            row = Row(indicator=indicator, series=[(period, values.get(period.pk)) for period in periods])
            for period, value in reversed(row.series):
                if value is not None:
                    row.latest, row.latest_period = value, period
                    break
            row.status, row.percent, row.note = verdict(indicator, row.series, today)
            rows.append(row)
    return result


def _computed_series_by_zone(*, plan, zones, indicators, periods):
    """{(zone id, indicator id): {period id: value}} of the computed indicators, counted as
    computed_values() counts them for one zone, for every zone in three queries at most."""
    kinds = {indicator.computation for indicator in indicators}
    whole = {zone.pk for zone in zones if zone.kind == ZoneKind.WHOLE_FTZ}
    result = {}
    if not periods:
        return result
    if Computation.OUTCOME_COUNT in kinds:
        columns = {
            f"p{period.pk}": Count("pk", filter=Q(submitted_at__lt=cutoff(period))) for period in periods
        }
        counts = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
        rows = (
            InnovationOutcome.objects.filter(
                zone__plan=plan, state__in=COUNTED_OUTCOME_STATES, submitted_at__isnull=False
            )
            .order_by()
            .values("zone_id", "type")
            .annotate(**columns)
        )
        for row in rows:
            for zone_id in {row["zone_id"], *whole}:
                for period in periods:
                    counts[zone_id][row["type"]][period.pk] += row[f"p{period.pk}"]
        for zone in zones:
            by_kind = counts.get(zone.pk, {})
            for indicator in indicators:
                if indicator.computation == Computation.OUTCOME_COUNT:
                    types = [indicator.outcome_type] if indicator.outcome_type else list(by_kind)
                    result[zone.pk, indicator.pk] = {
                        period.pk: Decimal(sum(by_kind.get(kind, {}).get(period.pk, 0) for kind in types))
                        for period in periods
                    }
    if Computation.TASKS_COMPLETED_SHARE in kinds:
        totals = defaultdict(int)
        for zone_id, n in (
            Task.objects.filter(zone__plan=plan).order_by().values_list("zone_id").annotate(n=Count("pk"))
        ):
            for counted in {zone_id, *whole}:
                totals[counted] += n
        reports = ProgressReport.objects.filter(
            task__zone__plan=plan,
            state__in=REPORTED_STATES,
            period__start__lte=periods[-1].start,
            period__plan_id=plan.pk,
        )
        if not whole:
            reports = reports.filter(task__zone__in=zones)
        rows = iter(
            reports.order_by("period__start").values_list(
                "task__zone_id", "task_id", "period__start", "status"
            )
        )
        latest, completed, shares = {}, defaultdict(int), defaultdict(dict)
        pending = next(rows, None)
        for period in periods:
            while pending is not None and pending[2] <= period.start:
                zone_id, task_id, _start, status = pending
                was = latest.get(task_id) == TaskStatus.COMPLETED
                now = status == TaskStatus.COMPLETED
                latest[task_id] = status
                if was != now:
                    for counted in {zone_id, *whole}:
                        completed[counted] += 1 if now else -1
                pending = next(rows, None)
            for zone in zones:
                shares[zone.pk][period.pk] = _percent(completed.get(zone.pk, 0), totals.get(zone.pk, 0))
        for zone in zones:
            for indicator in indicators:
                if indicator.computation == Computation.TASKS_COMPLETED_SHARE:
                    result[zone.pk, indicator.pk] = dict(shares[zone.pk])
    return result


def chart_data(card):
    def number(value):
        return None if value is None else float(value)

    return {
        "target_label": gettext("Target"),
        "periods": [period.display_name for period in card["periods"]],
        "indicators": [
            {
                "id": row.indicator.pk,
                "label": row.indicator.display_name,
                "unit": row.indicator.display_unit,
                "values": [number(value) for _period, value in row.series],
                "target": number(row.indicator.target),
                "integer": row.indicator.is_count,
            }
            for row in card["rows"]
        ],
    }


def review_queue():
    """Every value with what the queue shows, for the FilterSet to narrow down."""
    return IndicatorValue.objects.select_related(
        "indicator__dimension", "zone", "period", "entered_by"
    ).order_by("submitted_at", "pk")


def returned_values(*, zone_ids, limit):
    """Values managers returned to these zones, oldest decision first: the officers' /my/ page.
    One query; `limit + 1` rows so the page can tell whether there are more."""
    return list(
        IndicatorValue.objects.filter(zone_id__in=zone_ids, state=ValueState.RETURNED)
        .select_related("indicator", "zone", "period")
        .order_by("reviewed_at", "pk")[: limit + 1]
    )


def visible_values(user):
    """Entered indicator values as the pages show them: every review state to managers and to
    the zone's officers (the review queue, the entry form), only accepted ones to everyone else
    who sees the zone (the scorecard). The API and the evidence download read this too."""
    access = access_for(user)
    values = IndicatorValue.objects.filter(zone__in=visible_zones(user))
    if access.sees_everything:
        return values
    own_zones = access.zone_ids if Role.OFFICER in access.roles else frozenset()
    return values.filter(Q(zone_id__in=own_zones) | Q(state=ValueState.ACCEPTED))


# --- across zones, previous values and values due ---------------------------------------------


@dataclass
class Cell:
    value: Decimal | None = None
    period: ReportingPeriod | None = None
    status: str = Status.NO_DATA
    percent: int | None = None

    @property
    def status_label(self):
        return Status(self.status).label


def _computed_by_zone(*, plan, zones, indicators, period):
    """{(zone id, indicator id): value} of the computed indicators at `period`, for every zone in
    three queries at most: the scorecard's counting (outcome_counts, completed_shares) for all zones
    at once, the whole FTZ counting every zone of the plan."""
    kinds = {indicator.computation for indicator in indicators}
    whole = {zone.pk for zone in zones if zone.kind == ZoneKind.WHOLE_FTZ}
    result = {}
    if Computation.OUTCOME_COUNT in kinds:
        counts = defaultdict(lambda: defaultdict(int))
        rows = (
            InnovationOutcome.objects.filter(
                zone__plan=plan,
                state__in=COUNTED_OUTCOME_STATES,
                submitted_at__isnull=False,
                submitted_at__lt=cutoff(period),
            )
            .order_by()
            .values_list("zone_id", "type")
            .annotate(n=Count("pk"))
        )
        for zone_id, kind, n in rows:
            counts[zone_id][kind] += n
            for whole_id in whole:
                counts[whole_id][kind] += n
        for zone in zones:
            for indicator in indicators:
                if indicator.computation == Computation.OUTCOME_COUNT:
                    by_kind = counts.get(zone.pk, {})
                    types = [indicator.outcome_type] if indicator.outcome_type else list(by_kind)
                    result[zone.pk, indicator.pk] = Decimal(sum(by_kind.get(kind, 0) for kind in types))
    if Computation.TASKS_COMPLETED_SHARE in kinds:
        totals = defaultdict(int)
        for zone_id, n in (
            Task.objects.filter(zone__plan=plan).order_by().values_list("zone_id").annotate(n=Count("pk"))
        ):
            totals[zone_id] += n
            for whole_id in whole:
                totals[whole_id] += n
        latest = {}
        for zone_id, task_id, status in (
            ProgressReport.objects.filter(
                task__zone__plan=plan,
                state__in=REPORTED_STATES,
                period__start__lte=period.start,
                period__plan_id=plan.pk,
            )
            .order_by("period__start")
            .values_list("task__zone_id", "task_id", "status")
        ):
            latest[task_id] = (zone_id, status)
        completed = defaultdict(int)
        for zone_id, status in latest.values():
            if status == TaskStatus.COMPLETED:
                completed[zone_id] += 1
                for whole_id in whole:
                    completed[whole_id] += 1
        for zone in zones:
            for indicator in indicators:
                if indicator.computation == Computation.TASKS_COMPLETED_SHARE:
                    result[zone.pk, indicator.pk] = _percent(
                        completed.get(zone.pk, 0), totals.get(zone.pk, 0)
                    )
    return result


def across_zones(*, user, plan, period, today=None):
    """The zones × indicators table of a plan at a period: for each zone the user may see and each
    indicator, the latest value up to the period (accepted ones for entered indicators, as the
    scorecard reads them; computed ones counted at the period), with its status against the target.
    A fixed number of queries whatever the number of zones, indicators and values."""
    today = today or timezone.localdate()
    zones = list(visible_zones(user).filter(plan=plan).order_by("annex_number"))
    indicators = list(
        Indicator.objects.filter(plan=plan)
        .select_related("dimension")
        .order_by("dimension__order", "order", "code")
    )
    latest = {}
    if any(indicator.is_manual for indicator in indicators) and zones:
        for value in (
            IndicatorValue.objects.filter(
                zone__in=zones,
                indicator__plan=plan,
                state=ValueState.ACCEPTED,
                period__start__lte=period.start,
            )
            .select_related("period")
            .order_by("period__start")
        ):
            latest[value.zone_id, value.indicator_id] = (value.value, value.period)
    computed = _computed_by_zone(plan=plan, zones=zones, indicators=indicators, period=period)
    rows = []
    for zone in zones:
        cells = []
        for indicator in indicators:
            if indicator.is_manual:
                value, at = latest.get((zone.pk, indicator.pk), (None, None))
            else:
                value, at = computed.get((zone.pk, indicator.pk)), period
                at = at if value is not None else None
            status, percent, _note = verdict(indicator, [(at, value)] if value is not None else [], today)
            cells.append(Cell(value=value, period=at, status=status, percent=percent))
        rows.append((zone, cells))
    return {"zones": zones, "indicators": indicators, "rows": rows}


def previous_accepted(*, zone, period, indicators):
    """{indicator id: the accepted value of the latest period before `period`} for one zone: what
    the entry form shows beside each value (one query)."""
    previous = {}
    for value in (
        IndicatorValue.objects.filter(
            zone=zone,
            indicator__in=indicators,
            state=ValueState.ACCEPTED,
            period__plan_id=period.plan_id,
            period__start__lt=period.start,
        )
        .select_related("period")
        .order_by("period__start")
    ):
        previous[value.indicator_id] = value
    return previous


def with_previous(values):
    """Each value annotated with the accepted value of the same zone and indicator for the latest
    earlier period (`previous_value`, `previous_period`): what the review queue shows beside it,
    read in the same query."""
    earlier = IndicatorValue.objects.filter(
        zone=OuterRef("zone"),
        indicator=OuterRef("indicator"),
        state=ValueState.ACCEPTED,
        period__start__lt=OuterRef("period__start"),
    ).order_by("-period__start")
    return values.annotate(
        previous_value=Subquery(earlier.values("value")[:1]),
        previous_period=Subquery(earlier.values("period__name")[:1]),
    )


def values_due(*, zone_ids, periods):
    """[(zone, period, [indicators without a submitted or accepted value])] for the current period of
    each of the zones' plans (`periods`: {plan id: period}, as measures.periods.selectors.
    current_periods reads them, with their plan), when it is owed (the plan's tracking start): the
    indicator values an officer owes now. Three queries."""
    if not zone_ids:
        return []
    periods = {
        plan_id: period for plan_id, period in periods.items() if period is not None and period.is_owed
    }
    if not periods:
        return []
    zones = list(
        Zone.objects.filter(pk__in=zone_ids, plan_id__in=periods).order_by("plan__code", "annex_number")
    )
    indicators = list(
        Indicator.objects.filter(plan_id__in=periods, computation=Computation.MANUAL).order_by(
            "dimension__order", "order", "code"
        )
    )
    done = set(
        IndicatorValue.objects.filter(
            zone__in=zones,
            period__in=periods.values(),
            state__in=[ValueState.SUBMITTED, ValueState.ACCEPTED],
        ).values_list("zone_id", "indicator_id")
    )
    due = []
    for zone in zones:
        period = periods.get(zone.plan_id)
        if period is None:
            continue
        missing = [
            indicator
            for indicator in indicators
            if indicator.plan_id == zone.plan_id and (zone.pk, indicator.pk) not in done
        ]
        if missing:
            due.append((zone, period, missing))
    return due
