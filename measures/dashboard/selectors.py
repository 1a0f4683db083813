"""Reads for the managers' dashboard: where the plan stands for a period, in a fixed number of
queries whatever the number of tasks or periods. The tasks are counted in SQL by every fact the
tables read (zone, category, status, state, overdue milestones, close-off, submission by the
deadline); the tables and charts are summed from those groups in Python, so they always agree.

One rule for every figure: a report counts (its status, its percent, its timeliness) once it
is submitted or accepted; a draft or a returned report counts as not submitted. Average
completion is the sum of percent complete of the submitted reports of the tasks open in a
period divided by those open tasks, the same for the ranking, the KPI and the chart across
periods. A task is closed (no longer open) in a period when it was closed off or withdrawn by
the period's end. A period before the plan's tracking start owes no report (ReportingPeriod.is_owed):
it has no reporting rate or score, its lights do not hold reports to its deadline, and it is left
out of the chart across periods."""

import datetime
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import OperationalError
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from measures.choices import REPORTED_STATES, Light, ReportState, TaskStatus
from measures.dashboard import figures, services
from measures.models import Milestone, TaskCategory
from measures.tasks.lights import ended_by, light_for
from zones.models import Agency, Zone

logger = logging.getLogger(__name__)

NO_REPORT = "none"
LIGHT_ORDER = [Light.RED, Light.YELLOW, Light.GREEN, Light.NONE, Light.CLOSED]
STATUS_ORDER = [*TaskStatus.values, NO_REPORT]
# The zone score: half for reporting on time, half for completion. The page states this rule.
TIMELINESS_WEIGHT = 50
COMPLETION_WEIGHT = 50


@dataclass
class Tally:
    """Counts for one group of tasks: a zone, a category, an agency or all of them."""

    tasks: int = 0
    open: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    percent_sum: int = 0
    by_status: Counter = field(default_factory=Counter)
    by_light: Counter = field(default_factory=Counter)
    owed: bool = True
    # Before the deadline a task without a submitted report is not yet due: not 0 %.
    deadline_passed: bool = True

    def add(self, group):
        """Add a group of `group["tasks"]` tasks that share every fact counted here."""
        if group["withdrawn"]:
            # A withdrawn task (撤销) is no longer part of the plan: it counts nowhere from the
            # period of its withdrawal on, only in the periods before (see period_history).
            return
        n = group["tasks"]
        submitted = group["report_state"] in REPORTED_STATES
        self.tasks += n
        self.by_light[group["light"]] += n
        self.by_status[counted_status(group)] += n
        if group["closed"]:
            return
        self.open += n
        if submitted:
            self.percent_sum += group["percent_sum"] or 0
        if group["timeliness"] == "on_time":
            self.on_time += n
        elif group["timeliness"] == "late":
            self.late += n
        else:
            self.missing += n

    @property
    def reported(self):
        return self.on_time + self.late

    @property
    def closed(self):
        """Closed off by the period's end: with the open tasks, every task of the row."""
        return self.tasks - self.open

    @property
    def rate(self):
        return round(100 * self.reported / self.open) if self.open and self.owed else None

    @property
    def due(self):
        """The open tasks whose report is due by now: all of them once the deadline has passed,
        before it those already reported (the others are not yet due)."""
        return self.open if self.deadline_passed else self.reported

    @property
    def average_percent(self):
        return round(self.percent_sum / self.due) if self.due else None

    @property
    def score(self):
        if not self.owed:
            return None
        return zone_score(on_time=self.on_time, open_tasks=self.due, percent_sum=self.percent_sum)

    def statuses(self):
        return [(status, self.by_status.get(status, 0)) for status in STATUS_ORDER]

    def lights(self):
        return [(light, self.by_light.get(light, 0)) for light in LIGHT_ORDER]


def counted_status(group):
    """The status a group counts under: its report's once submitted or accepted, else NO_REPORT."""
    return group["report_status"] if group["report_state"] in REPORTED_STATES else NO_REPORT


def counted_in(group, *, light=None, status=None, state=None, reported=None):
    """Whether the tasks of `group` are in the dashboard count of these values (None: any), by the
    rule Tally.add counts them: the task list's drill-down filters select exactly those tasks."""
    if group["withdrawn"]:
        return False
    if light and group["light"] != light:
        return False
    if status and counted_status(group) != status:
        return False
    if state and group["report_state"] != state:
        return False
    # On time / late / missing are counted over the open tasks only.
    return not reported or (not group["closed"] and group["timeliness"] == reported)


def zone_score(*, on_time, open_tasks, percent_sum):
    if not open_tasks:
        return None
    timeliness = on_time / open_tasks
    completion = percent_sum / open_tasks / 100
    return round(TIMELINESS_WEIGHT * timeliness + COMPLETION_WEIGHT * completion, 1)


def timeliness(state, submitted_on, deadline):
    """on_time / late by the date of the last submission; missing until submitted."""
    if submitted_on is None:
        return "missing"
    return timeliness_of(state, submitted_on <= deadline)


def timeliness_of(state, by_deadline):
    """The same rule from whether the submission date was on or before the deadline (None: none)."""
    if state not in REPORTED_STATES or by_deadline is None:
        return "missing"
    return "on_time" if by_deadline else "late"


def _period_end_boundary(period):
    """The first moment after `period`'s last day: a close-off or withdrawal before it had
    happened by the period's end (ended_by's rule, as a bound a query can compare with)."""
    after = datetime.datetime.combine(period.end + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(after)


def _with_facts(tasks, period, today):
    """`tasks` annotated with what a light and a timeliness read: the report of `period` (the
    filtered relation `current`), an overdue milestone and the submission by the deadline."""
    # Whether the task is among those with an overdue milestone: one uncorrelated subquery the
    # database reads once (a correlated EXISTS was costed per task, and PostgreSQL spent 0.7 s
    # compiling the agencies' query with JIT at 20,000 tasks for it).
    overdue = Case(
        When(pk__in=Milestone.objects.overdue(today).values("task_id"), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    by_deadline = Case(
        When(current__submitted_on__isnull=True, then=Value(None)),
        When(current__submitted_on__lte=period.deadline, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    return tasks.annotate(
        current=FilteredRelation("reports", condition=Q(reports__period_id=period.pk)),
        overdue=overdue,
        by_deadline=by_deadline,
    )


def _decide(group, period, today):
    """Light and timeliness of a group whose `closed` and `withdrawn` are known."""
    group["light"] = light_for(
        status=group["report_status"],
        state=group["report_state"],
        deadline=period.owed_deadline,
        today=today,
        overdue_milestones=group["overdue"],
        closed=group["closed"],
        withdrawn=group["withdrawn"],
    )
    group["timeliness"] = timeliness_of(group["report_state"], group["by_deadline"])
    return group


def drilled(tasks, period, today, **wanted):
    """The ids of the tasks of `tasks` in the dashboard's count of `wanted` (counted_in's
    values), as a subquery: one query reads the few distinct combinations of facts, and the
    tasks are then selected by the combinations that count, never by a list of their ids
    (20,000 ids exceed SQLite's 32,766 parameters and make a slow query on any database)."""
    boundary = _period_end_boundary(period)
    ended = {
        name: Case(
            When(**{f"{name}_at__lt": boundary}, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
        for name in ("closed", "withdrawn")
    }
    facts = _with_facts(tasks, period, today).annotate(**ended)
    keys = ["overdue", "by_deadline", "closed", "withdrawn"]
    combinations = (
        facts.order_by()
        .values(*keys, report_status=F("current__status"), report_state=F("current__state"))
        .distinct()
    )
    condition = Q(pk__in=[])
    for group in combinations:
        if counted_in(_decide(group, period, today), **wanted):
            condition |= Q(
                **{key: group[key] for key in keys},
                current__status=group["report_status"],
                current__state=group["report_state"],
            )
    return facts.filter(condition).values("pk")


def task_groups(tasks, period, today, by):
    """`tasks` counted by the fields `by` and by every fact a tally or a light reads: one query.

    Each group is {**by, report_status, report_state, closed_at, overdue, by_deadline, tasks,
    percent_sum, light, timeliness}. Grouping in SQL sends back hundreds of rows instead of one
    per task (one per task and agency for the agencies' table, 60,000 at 20,000 tasks), and a
    light is worked out once per group. The report comes through a filtered join (at most one
    row per task and period) rather than a correlated subquery per column."""
    groups = list(
        _with_facts(tasks, period, today)
        .order_by()
        .values(
            *by,
            "closed_at",
            "withdrawn_at",
            "overdue",
            "by_deadline",
            report_status=F("current__status"),
            report_state=F("current__state"),
        )
        .annotate(tasks=Count("pk"), percent_sum=Sum("current__percent_complete"))
    )
    for group in groups:
        group["closed"] = ended_by(group["closed_at"], period)
        group["withdrawn"] = ended_by(group["withdrawn_at"], period)
        _decide(group, period, today)
    return groups


def _tally_by(groups, key, owed, deadline_passed=True):
    tallies = defaultdict(lambda: Tally(owed=owed, deadline_passed=deadline_passed))
    for group in groups:
        tallies[group[key]].add(group)
    return tallies


def _by_category_and_agency(tasks, groups, period, today, owed, deadline_passed):
    """(rows by category, rows by supporting agency): the categories from `groups` (counted by
    zone and category), the agencies in one more grouping query."""
    categories = list(
        TaskCategory.objects.filter(pk__in={g["category_id"] for g in groups})
        .select_related("zone")
        .order_by("zone__annex_number", "number")
    )
    by_category = _tally_by(groups, "category_id", owed, deadline_passed)
    # A task counts once for each agency supporting it; tasks without one have agency None.
    by_agency = _tally_by(
        (
            g
            for g in task_groups(tasks, period, today, ["agency_links__agency_id"])
            if g["agency_links__agency_id"]
        ),
        "agency_links__agency_id",
        owed,
        deadline_passed,
    )
    agencies = sorted(
        Agency.objects.filter(pk__in=by_agency), key=lambda agency: (-by_agency[agency.pk].tasks, agency.name)
    )
    return (
        [{"category": c, "tally": by_category[c.pk]} for c in categories],
        [{"agency": a, "tally": by_agency[a.pk]} for a in agencies],
    )


def _grouped(tasks, plan, period, today):
    """The plan's tasks, their groups by zone and category in `period`, and the total of them: what
    the dashboard and its page of tables both start from."""
    tasks = tasks.filter(zone__plan=plan)
    groups = task_groups(tasks, period, today, ["zone_id", "category_id"])
    owed = period.is_owed
    deadline_passed = today > period.deadline
    total = Tally(owed=owed, deadline_passed=deadline_passed)
    for group in groups:
        total.add(group)
    return tasks, groups, owed, deadline_passed, total


def breakdown(*, tasks, plan, period, today=None):
    """The dashboard's tables by category and by supporting agency, with the total they add up
    to: the same groups and tallies as dashboard() (the page of its own the dashboard links to)."""
    today = today or timezone.localdate()
    tasks, groups, owed, deadline_passed, total = _grouped(tasks, plan, period, today)
    categories, agencies = _by_category_and_agency(tasks, groups, period, today, owed, deadline_passed)
    return {
        "period": period,
        "owed": owed,
        "deadline_passed": owed and deadline_passed,
        "total": total,
        "categories": categories,
        "agencies": agencies,
    }


def dashboard(*, tasks, plan, period, periods, today=None, complete=False, breakdown=True):
    """Everything the dashboard shows for `period` over the visible `tasks` of `plan`; `complete`:
    they are every task (the user sees everything), so what was kept of the periods applies;
    `breakdown`: with the tables by category and by agency (breakdown(), a page of their own)."""
    today = today or timezone.localdate()
    tasks, groups, owed, deadline_passed, total = _grouped(tasks, plan, period, today)
    zones = list(Zone.objects.filter(pk__in={g["zone_id"] for g in groups}).order_by("annex_number"))
    by_zone = _tally_by(groups, "zone_id", owed, deadline_passed)
    zone_rows = [{"zone": zone, "tally": by_zone[zone.pk]} for zone in zones]
    ranking = sorted(
        (row for row in zone_rows if row["tally"].score is not None),
        key=lambda row: (-row["tally"].score, row["zone"].annex_number),
    )
    found = {
        "period": period,
        "owed": owed,
        # Before the deadline an unsubmitted report is not yet due, not missing.
        "deadline_passed": owed and deadline_passed,
        "total": total,
        # ProgressReport.objects.awaiting_review() read from the tallied groups: submitted, task
        # not withdrawn, period not locked; so the count equals the queue the card links to.
        "awaiting_review": 0
        if period is None or period.locked_at is not None
        else sum(
            g["tasks"]
            for g in groups
            if g["report_state"] == ReportState.SUBMITTED and g["withdrawn_at"] is None
        ),
        "zones": zone_rows,
        "ranking": ranking,
        "history": period_history(
            tasks=tasks, periods=periods, zones=zones, groups=groups, today=today, complete=complete
        ),
    }
    if breakdown:
        found["categories"], found["agencies"] = _by_category_and_agency(
            tasks, groups, period, today, owed, deadline_passed
        )
    return found


def period_history(*, tasks, periods, zones, groups, today, complete=False):
    """Average completion, on-time count and score per zone for every started period, by the
    same rule as the tallies of the chosen period (see the module's docstring): the sums read
    from what was kept of the periods (dashboard.figures) when `tasks` are every task of the plan
    (`complete`) and it still holds; those of the other periods counted in one aggregate query and
    kept."""
    periods = sorted((p for p in periods if p.start <= today and p.is_owed), key=lambda p: p.start)
    found, missing, stamps = {}, periods, {}
    zone_ids = [zone.pk for zone in zones]
    if complete:
        found, missing, stamps = figures.kept(periods, zone_ids)
    live = figures.counted(tasks, missing)
    if complete and missing:
        try:
            services.keep_period_figures_if_free(
                periods=missing, found=live, stamps=stamps, zone_ids=zone_ids
            )
        except OperationalError:
            # Keeping them only spares the next view a count: a page that could not take the write
            # lock in time (SQLite's busy timeout under a burst of writes) still shows what it counted.
            logger.warning("dashboard figures not kept for %s", [p.pk for p in missing], exc_info=True)
    found.update(live)
    # Per zone, its tasks never closed or withdrawn, and the others by the date they ended.
    never, ended_at = Counter(), defaultdict(Counter)
    for group in groups:
        ended = [t for t in (group["closed_at"], group["withdrawn_at"]) if t is not None]
        if ended:
            ended_at[group["zone_id"]][min(ended)] += group["tasks"]
        else:
            never[group["zone_id"]] += group["tasks"]
    series = []
    for zone in zones:
        points = []
        for period in periods:
            open_tasks = never[zone.pk] + sum(
                n for ended, n in ended_at[zone.pk].items() if not ended_by(ended, period)
            )
            cell = found.get((period.pk, zone.pk), {})
            percent_sum, on_time = cell.get("percent_sum", 0), cell.get("on_time", 0)
            # As Tally.due: before the deadline only the tasks reported so far are due.
            due = open_tasks if today > period.deadline else cell.get("reported", 0)
            points.append(
                {
                    "period": period,
                    "average": round(percent_sum / due) if due else None,
                    "on_time": on_time,
                    "open": open_tasks,
                    "due": due,
                    "score": zone_score(on_time=on_time, open_tasks=due, percent_sum=percent_sum),
                }
            )
        series.append({"zone": zone, "points": points})
    return {"periods": periods, "series": series}


def with_latest_reporting(plans):
    """`plans` (a Plan queryset) annotated with the start of their latest period with a submitted
    or accepted report (REPORTED_STATES), in the same query: an EXISTS per period, which stops at
    the first report found."""
    from measures.models import ProgressReport, ReportingPeriod

    reported = ProgressReport.objects.filter(period=OuterRef("pk"), state__in=REPORTED_STATES)
    latest = (
        ReportingPeriod.objects.filter(plan=OuterRef("pk"))
        .filter(Exists(reported))
        .order_by("-start")
        .values("start")[:1]
    )
    return plans.annotate(latest_reporting=Subquery(latest))


def plan_with_reporting(plans):
    """The plan a dashboard opens on when none is chosen or remembered: the one with the latest
    period its zones reported in (with_latest_reporting), so a first visit does not land on a plan
    with nothing to show; among equals, the first plan; with nothing reported anywhere, the one
    with the most zones."""
    plans = list(plans)
    reporting = [p for p in plans if getattr(p, "latest_reporting", None) is not None]
    if not reporting:
        # Nothing reported yet (a fresh install): the plan whose zones there are most of to compare
        # (`zone_count`), not the one-zone five-year plan that sorts first; among equals, by code.
        return max(plans, key=lambda p: getattr(p, "zone_count", 0)) if plans else None
    latest = max(p.latest_reporting for p in reporting)
    return next(p for p in reporting if p.latest_reporting == latest)
