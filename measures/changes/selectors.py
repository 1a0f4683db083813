"""What changed since the last period (本期 vs 上期): per task, per zone, and the biggest movers.

One read for the task page, the period report (page, Excel, Word), the dashboard's movers and the
stocktake packs, in four queries whatever the number of tasks: the tasks, the two periods'
counted reports, the milestones due in the period, the zones (the previous period is read from the
plan's periods when the caller has them, else one more query).

The rules, each written once here:
- a report counts once submitted or accepted (REPORTED_STATES), as on the dashboard and in the
  period report; a draft or returned report is "no report";
- the percent delta is this period's percent less the last period's, only when both periods have
  a counted report (None otherwise: "no report last period" is not a gain from 0);
- a status move is worse or better by STATUS_SEVERITY (completed, on track, not started, delayed,
  blocked: 正常推进→滞后 is worse);
- a problem is new when this period's report names problems and last period's did not (or there
  was none); resolved when last period's named problems and this period's report is empty of them;
- a milestone is due in the period when its due date falls within the period; met when it is done
  by the period's end.
"""

import datetime
import operator
from dataclasses import dataclass, field, fields
from functools import cached_property, reduce
from typing import NamedTuple

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from core.instances import loaded
from measures.choices import REPORTED_STATES, TaskStatus
from measures.models import Milestone, ProgressReport, ReportingPeriod, Task
from zones.models import Zone

STATUS_SEVERITY = {
    TaskStatus.COMPLETED: 0,
    TaskStatus.ON_TRACK: 1,
    TaskStatus.NOT_STARTED: 2,
    TaskStatus.DELAYED: 3,
    TaskStatus.BLOCKED: 4,
}
WORSE, BETTER, SAME = "worse", "better", "same"
MOVERS = 5
TASK_COLUMNS = ["id", "zone_id", "number", "code", "title", "title_en", "closed_at", "withdrawn_at"]


class Side(NamedTuple):
    """One period's counted report of a task: what the comparison reads of it."""

    status: str
    percent: int
    has_problems: bool

    @classmethod
    def of(cls, status, percent, problems):
        return cls(status, percent, bool((problems or "").strip()))

    @property
    def status_label(self):
        return TaskStatus(self.status).label


class TaskChange:
    """One task between the two periods. Every fact is worked out once, when the row is made (a
    period of 20,000 tasks is summed and sorted several times); the task is made from its row
    only when a page or file asks for it."""

    __slots__ = (
        "_task",
        "task_id",
        "zone_id",
        "now",
        "before",
        "milestones_due",
        "milestones_met",
        "delta",
        "move",
        "new_problem",
        "resolved_problem",
        "__dict__",
    )

    def __init__(self, task, now, before, milestones_due=0, milestones_met=0):
        # `task`: a Task, or a callable making it (period_changes passes its row).
        self._task = task
        if isinstance(task, Task):
            self.task_id, self.zone_id = task.pk, task.zone_id
        else:
            self.task_id, self.zone_id = task.task_id, task.zone_id
        self.now, self.before = now, before
        self.milestones_due, self.milestones_met = milestones_due, milestones_met
        both = now is not None and before is not None
        self.delta = now.percent - before.percent if both else None
        if both:
            change = STATUS_SEVERITY[now.status] - STATUS_SEVERITY[before.status]
            # WORSE, BETTER or SAME; None when either period has no counted report.
            self.move = WORSE if change > 0 else BETTER if change < 0 else SAME
        else:
            self.move = None
        named_before = before is not None and before.has_problems
        self.new_problem = now is not None and now.has_problems and not named_before
        self.resolved_problem = named_before and now is not None and not now.has_problems

    @cached_property
    def task(self):
        return self._task if isinstance(self._task, Task) else self._task()

    @property
    def status_moved(self):
        return self.move in (WORSE, BETTER)

    @property
    def changed(self):
        """Anything to say about this task between the two periods."""
        return bool(
            (self.delta or self.status_moved or self.new_problem or self.resolved_problem)
            or (self.now is None) != (self.before is None)
            or self.milestones_due
        )


class _LazyTask:
    """A task row read as values, made into a Task (with its zone) on first use."""

    __slots__ = ("values", "zone", "db", "task_id", "zone_id")

    def __init__(self, values, zone, db):
        self.values, self.zone, self.db = values, zone, db
        self.task_id, self.zone_id = values["id"], values["zone_id"]

    def __call__(self):
        task = loaded(Task, self.values, db=self.db)
        Task.zone.field.set_cached_value(task, self.zone)
        return task


@dataclass
class Tally:
    """The comparison summed over a zone's tasks, or over all of them (zone None)."""

    zone: Zone | None = None
    tasks: int = 0
    reported_now: int = 0
    reported_before: int = 0
    percent_now: int = 0
    percent_before: int = 0
    worsened: int = 0
    improved: int = 0
    new_problems: int = 0
    resolved_problems: int = 0
    milestones_due: int = 0
    milestones_met: int = 0

    def add(self, row):
        self.tasks += 1
        now, before = row.now, row.before
        if now is not None:
            self.reported_now += 1
            self.percent_now += now.percent
        if before is not None:
            self.reported_before += 1
            self.percent_before += before.percent
        if row.move is WORSE:
            self.worsened += 1
        elif row.move is BETTER:
            self.improved += 1
        self.new_problems += row.new_problem
        self.resolved_problems += row.resolved_problem
        self.milestones_due += row.milestones_due
        self.milestones_met += row.milestones_met

    def absorb(self, other):
        """Add another tally's counts (the total as the sum of the zones)."""
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    # Average completion over all the tasks, one without a counted report counting 0 (the page
    # says so), so the two periods are averaged over the same tasks.
    @property
    def average_now(self):
        return round(self.percent_now / self.tasks) if self.tasks else None

    @property
    def average_before(self):
        return round(self.percent_before / self.tasks) if self.tasks else None

    @property
    def average_delta(self):
        return None if not self.tasks else self.average_now - self.average_before


COUNTS = [f.name for f in fields(Tally) if f.name != "zone"]


@dataclass
class PeriodChanges:
    period: ReportingPeriod
    previous: ReportingPeriod | None
    rows: list = field(default_factory=list)
    zones: list = field(default_factory=list)
    total: Tally = field(default_factory=Tally)
    limit: int = MOVERS

    def gains(self):
        """The largest percent gains, the largest first (ties in the plan's order)."""
        rising = [row for row in self.rows if (row.delta or 0) > 0]
        return sorted(rising, key=lambda row: -row.delta)[: self.limit]

    def losses(self):
        falling = [row for row in self.rows if (row.delta or 0) < 0]
        return sorted(falling, key=lambda row: row.delta)[: self.limit]

    def worsened(self):
        """Status worsenings, the steepest first (正常推进→受阻 before 正常推进→滞后)."""
        worse = [row for row in self.rows if row.move == WORSE]
        return sorted(
            worse, key=lambda r: -(STATUS_SEVERITY[r.now.status] - STATUS_SEVERITY[r.before.status])
        )[: self.limit]

    @property
    def has_movers(self):
        return bool(self.gains() or self.losses() or self.worsened())

    def changed_rows(self):
        return [row for row in self.rows if row.changed]


def previous_period(period, periods=None):
    """The plan's period before `period`: from `periods` when given (no query), else read."""
    if periods is None:
        return ReportingPeriod.objects.previous_of(period)
    earlier = [p for p in periods if p.plan_id == period.plan_id and p.start < period.start]
    return max(earlier, key=lambda p: p.start, default=None)


def counted_reports(task_ids, zone_ids, periods):
    """{(task id, period id): Side} of the counted reports of the tasks `task_ids` (of the zones
    `zone_ids`) in `periods`: one query. Selected by zone and kept by task here: the visible
    tasks as a subquery made the database test every report against it (three times slower at
    10,000 tasks on SQLite)."""
    rows = (
        ProgressReport.objects.filter(
            period__in=[p.pk for p in periods], task__zone_id__in=zone_ids, state__in=REPORTED_STATES
        )
        .order_by()
        .values_list("task_id", "period_id", "status", "percent_complete", "problems")
    )
    return {
        (task, period): Side.of(status, percent, problems)
        for task, period, status, percent, problems in rows
        if task in task_ids
    }


def _changed_tasks(tasks, period):
    """The tasks compared: those of the period's plan not withdrawn before the period began."""
    began = timezone.make_aware(datetime.datetime.combine(period.start, datetime.time.min))
    return tasks.filter(zone__plan_id=period.plan_id).filter(
        Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=began)
    )


def period_changes(
    *,
    tasks,
    period,
    periods=None,
    zone=None,
    reports=None,
    milestones=None,
    zones=None,
    limit=MOVERS,
    tasks_then=None,
):
    """This period against the one before for the visible `tasks` (Task.objects.visible_to(user))
    of the period's plan, or of one `zone`.

    `reports` ({(task id, period id): Side}) and `milestones` ([(task id, due, done_on)]) are
    read from the database unless given: the pages as of a past date pass them rebuilt from the
    history (measures.changes.asof), and with them `tasks_then` (asof.Snapshot.then: the task rows
    as the plan had them then, without the tasks a later revision added). `zones` ({id: Zone})
    saves reading zones a page already has."""
    previous = previous_period(period, periods)
    tasks = _changed_tasks(tasks, period)
    if zone is not None:
        tasks = tasks.filter(zone=zone)
    result = PeriodChanges(period=period, previous=previous, limit=limit)
    task_rows = list(tasks.order_by("zone__annex_number", "number").values(*TASK_COLUMNS))
    if tasks_then is not None:
        zone_order = {}
        for row in task_rows:
            zone_order.setdefault(row["zone_id"], len(zone_order))
        task_rows = sorted(tasks_then(task_rows), key=lambda row: (zone_order[row["zone_id"]], row["number"]))
    if not task_rows:
        return result
    wanted = {row["zone_id"] for row in task_rows}
    task_ids = {row["id"] for row in task_rows}
    if reports is None:
        reports = counted_reports(task_ids, wanted, [p for p in (period, previous) if p is not None])
    if milestones is None:
        milestones = [
            row
            for row in Milestone.objects.filter(
                task__zone_id__in=wanted, due__gte=period.start, due__lte=period.end
            ).values_list("task_id", "due", "done_on")
            if row[0] in task_ids
        ]
    due, met = milestone_counts(period, milestones)
    zones = dict(zones or {})
    if not wanted <= set(zones):
        zones.update({z.pk: z for z in Zone.objects.filter(pk__in=wanted - set(zones))})
    tallies = {}
    db = tasks.db
    before_pk = previous.pk if previous else None
    rows = result.rows
    for values in task_rows:
        task_id, zone_id = values["id"], values["zone_id"]
        row = TaskChange(
            _LazyTask(values, zones[zone_id], db),
            reports.get((task_id, period.pk)),
            reports.get((task_id, before_pk)) if previous else None,
            due.get(task_id, 0),
            met.get(task_id, 0),
        )
        rows.append(row)
        tally = tallies.get(zone_id)
        if tally is None:
            tally = tallies[zone_id] = Tally(zone=zones[zone_id])
        tally.add(row)
    for tally in tallies.values():
        result.total.absorb(tally)
    result.zones = list(tallies.values())
    return result


def milestone_counts(period, milestones):
    """({task id: milestones due in `period`}, {task id: of those, done by its end}) of
    [(task id, due, done_on)]."""
    due, met = {}, {}
    for task_id, when, done_on in milestones:
        if period.start <= when <= period.end:
            due[task_id] = due.get(task_id, 0) + 1
            met[task_id] = met.get(task_id, 0) + (done_on is not None and done_on <= period.end)
    return due, met


def side_of(report):
    """The Side of a ProgressReport, None unless it counts (submitted or accepted)."""
    if report is None or report.state not in REPORTED_STATES:
        return None
    return Side.of(report.status, report.percent_complete, report.problems)


def task_change_from(*, task, period, previous, now, before, milestones):
    """One task's row of period_changes() from what the task page has already read (its reports
    of `period` and `previous`, its milestones), by the same rules and without a query."""
    due, met = milestone_counts(period, [(task.pk, m.due, m.done_on) for m in milestones])
    return TaskChange(
        task=task,
        now=side_of(now),
        before=side_of(before) if previous is not None else None,
        milestones_due=due.get(task.pk, 0),
        milestones_met=met.get(task.pk, 0),
    )


# Every character str.strip() removes: a problems text of only these names no problem (Side.of),
# and the database must trim the same ones (full-width spaces are common in Chinese text).
WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())


class Stripped(Func):
    """The text with WHITESPACE trimmed from both ends, as str.strip() trims it."""

    function = "TRIM"
    output_field = CharField()

    def __init__(self, expression):
        super().__init__(expression, Value(WHITESPACE))

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="BTRIM", **extra)


def _severity(field):
    return Case(
        *(When(**{field: status}, then=Value(rank)) for status, rank in STATUS_SEVERITY.items()),
        output_field=IntegerField(),
    )


def _tallied(result, tasks, facts, period, zones):
    """summed_changes()'s tallies by zone and in all, into `result`; False if no task is compared.
    `zones` ({id: Zone}) gets the zones it did not hold."""
    named_now = Q(now__pk__isnull=False) & ~Q(problems_now="")
    named_before = Q(before__pk__isnull=False) & ~Q(problems_before="")
    sums = (
        facts.order_by()
        .values("zone_id")
        .annotate(
            tasks=Count("pk"),
            reported_now=Count("now__pk"),
            reported_before=Count("before__pk"),
            percent_now=Sum("now__percent_complete", default=0),
            percent_before=Sum("before__percent_complete", default=0),
            worsened=Count("pk", filter=Q(severity_now__gt=F("severity_before"))),
            improved=Count("pk", filter=Q(severity_now__lt=F("severity_before"))),
            new_problems=Count("pk", filter=named_now & ~named_before),
            resolved_problems=Count("pk", filter=named_before & Q(now__pk__isnull=False) & ~named_now),
        )
    )
    sums = {row.pop("zone_id"): row for row in sums}
    if not sums:
        return False
    if not set(sums) <= set(zones):
        zones.update({z.pk: z for z in Zone.objects.filter(pk__in=set(sums) - set(zones))})
    # From the milestones due in the period (by their due-date index), each tested against the
    # tasks: an IN over the tasks made SQLite list every task and probe its milestones (35-40 ms
    # against 2 at 20,000 tasks).
    milestones = (
        Milestone.objects.filter(
            Exists(tasks.filter(pk=OuterRef("task_id"))), due__gte=period.start, due__lte=period.end
        )
        .order_by()
        .values("task__zone_id")
        .annotate(
            milestones_due=Count("pk"),
            milestones_met=Count("pk", filter=Q(done_on__isnull=False, done_on__lte=period.end)),
        )
    )
    met = {row.pop("task__zone_id"): row for row in milestones}
    ordered = sorted(sums, key=lambda pk: (zones[pk].annex_number, pk))
    for zone_id in ordered:
        tally = Tally(zone=zones[zone_id], **sums[zone_id], **met.get(zone_id, {}))
        result.zones.append(tally)
        result.total.absorb(tally)
    return True


def summed_changes(*, tasks, period, periods=None, zones=None, limit=MOVERS, tallies=True):
    """period_changes() for a page that shows the zones' tallies and the biggest movers only (the
    dashboard), counted in the database: the tallies in one aggregate query grouped by zone, the
    movers by ORDER BY ... LIMIT, and the milestones due per zone in one more; nothing per task
    is read. The same rules and numbers as period_changes() (the tests compare them); `rows` stays
    empty, so changed_rows() is not offered. Without `tallies` only the movers are read (a stocktake
    pack shows no tallies): `zones` and `total` stay empty."""
    previous = previous_period(period, periods)
    tasks = _changed_tasks(tasks, period)
    result = SummedChanges(period=period, previous=previous, limit=limit)
    before_pk = previous.pk if previous else None
    counted = Q(reports__state__in=REPORTED_STATES)
    facts = tasks.annotate(
        now=FilteredRelation("reports", condition=counted & Q(reports__period_id=period.pk)),
        before=FilteredRelation("reports", condition=counted & Q(reports__period_id=before_pk)),
    ).annotate(
        severity_now=_severity("now__status"),
        severity_before=_severity("before__status"),
        delta=F("now__percent_complete") - F("before__percent_complete"),
        problems_now=Stripped("now__problems"),
        problems_before=Stripped("before__problems"),
    )
    zones = dict(zones or {})
    if tallies and not _tallied(result, tasks, facts, period, zones):
        return result
    if previous is None:
        return result
    sides = {
        "now_status": F("now__status"),
        "now_percent": F("now__percent_complete"),
        "now_problems": F("now__problems"),
        "before_status": F("before__status"),
        "before_percent": F("before__percent_complete"),
        "before_problems": F("before__problems"),
    }
    # The three lists: the tasks in some list (both periods reported, and a percent or a worse
    # status moved) ranked in each list's order, a task not in a list sorting after those in it,
    # in one query; the first `limit` of each read in full in another.
    plan_order = [F("zone__annex_number").asc(), F("number").asc(), F("pk").asc()]
    worse = Q(severity_now__gt=F("severity_before"))
    lists = {
        "gains": (Q(delta__gt=0), F("delta").desc(), lambda row: row["delta"] > 0),
        "losses": (Q(delta__lt=0), F("delta").asc(), lambda row: row["delta"] < 0),
        "worsened": (
            worse,
            (F("severity_now") - F("severity_before")).desc(),
            lambda row: row["severity_now"] > row["severity_before"],
        ),
    }
    ranks = {
        f"{name}_rank": Window(
            RowNumber(),
            order_by=[Case(When(condition, then=Value(0)), default=Value(1)), key, *plan_order],
        )
        for name, (condition, key, _within) in lists.items()
    }
    wanted = reduce(operator.or_, (Q(**{f"{name}_rank__lte": limit}) for name in lists))
    # Both reports tested through the filtered relations' own joins (aliases): a filter on
    # now__pk in a later filter() joined each period's reports a second time (four joins, the
    # database scanning both periods' reports twice over).
    candidates = (
        facts.alias(now_id=F("now__pk"), before_id=F("before__pk"))
        .filter(Q(now_id__isnull=False, before_id__isnull=False) & (~Q(delta=0) | worse))
        .annotate(**ranks)
    )
    places = {}
    for values in candidates.filter(wanted).values("pk", "delta", "severity_now", "severity_before", *ranks):
        chosen = [
            (name, values[f"{name}_rank"])
            for name, (_condition, _key, within) in lists.items()
            if values[f"{name}_rank"] <= limit and within(values)
        ]
        if chosen:
            places[values["pk"]] = chosen
    found = {name: [] for name in lists}
    db = tasks.db
    moved = list(facts.filter(pk__in=list(places)).values(*TASK_COLUMNS, **sides)) if places else []
    if not {values["zone_id"] for values in moved} <= set(zones):
        zones.update({z.pk: z for z in Zone.objects.filter(pk__in={values["zone_id"] for values in moved})})
    for values in moved:
        now = Side.of(values.pop("now_status"), values.pop("now_percent"), values.pop("now_problems"))
        before = Side.of(
            values.pop("before_status"), values.pop("before_percent"), values.pop("before_problems")
        )
        row = TaskChange(_LazyTask(values, zones[values["zone_id"]], db), now, before)
        for name, place in places[values["id"]]:
            found[name].append((place, row))
    for name, rows in found.items():
        setattr(result, f"_{name}", [row for _rank, row in sorted(rows, key=lambda pair: pair[0])])
    return result


@dataclass
class SummedChanges(PeriodChanges):
    """summed_changes()'s result: the movers as the database ordered and limited them."""

    _gains: list = field(default_factory=list)
    _losses: list = field(default_factory=list)
    _worsened: list = field(default_factory=list)

    def gains(self):
        return self._gains

    def losses(self):
        return self._losses

    def worsened(self):
        return self._worsened

    def changed_rows(self):
        raise NotImplementedError("summed_changes() reads no rows per task; use period_changes()")
