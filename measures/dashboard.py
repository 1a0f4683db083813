"""Reads for the managers' dashboard: where the plan stands for a period, in a fixed number of
queries whatever the number of tasks or periods. Per-task facts come from one annotated query;
the tables and charts are counted from those rows in Python, so they always agree."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Avg, Count, F, FilteredRelation, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from zones.models import Agency, Zone

from .choices import Light, ReportState, TaskStatus
from .lights import light_for
from .models import Milestone, ProgressReport, TaskAgency, TaskCategory

SUBMITTED = {ReportState.SUBMITTED, ReportState.ACCEPTED}
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

    def add(self, row):
        self.tasks += 1
        self.by_light[row["light"]] += 1
        self.by_status[row["report_status"] or NO_REPORT] += 1
        if row["closed_at"] is not None:
            return
        self.open += 1
        self.percent_sum += row["report_percent"] or 0
        if row["timeliness"] == "on_time":
            self.on_time += 1
        elif row["timeliness"] == "late":
            self.late += 1
        else:
            self.missing += 1

    @property
    def reported(self):
        return self.on_time + self.late

    @property
    def rate(self):
        return round(100 * self.reported / self.open) if self.open else None

    @property
    def average_percent(self):
        return round(self.percent_sum / self.open) if self.open else None

    @property
    def score(self):
        return zone_score(on_time=self.on_time, open_tasks=self.open, percent_sum=self.percent_sum)

    def statuses(self):
        return [(status, self.by_status.get(status, 0)) for status in STATUS_ORDER]

    def lights(self):
        return [(light, self.by_light.get(light, 0)) for light in LIGHT_ORDER]


def zone_score(*, on_time, open_tasks, percent_sum):
    if not open_tasks:
        return None
    timeliness = on_time / open_tasks
    completion = percent_sum / open_tasks / 100
    return round(TIMELINESS_WEIGHT * timeliness + COMPLETION_WEIGHT * completion, 1)


def timeliness(state, submitted_on, deadline):
    """on_time / late by the date of the last submission; missing until submitted."""
    if state not in SUBMITTED or submitted_on is None:
        return "missing"
    return "on_time" if submitted_on <= deadline else "late"


def task_rows(tasks, period, today):
    """One dict per task with its report for `period`, light and timeliness: one query.

    The report comes through a filtered join (at most one row per task and period) rather
    than a correlated subquery per column, which keeps this linear at 20,000 tasks."""
    overdue = (
        Milestone.objects.filter(task=OuterRef("pk"), done_on__isnull=True, due__lt=today)
        .order_by()
        .values("task")
        .annotate(count=Count("pk"))
        .values("count")
    )
    rows = list(
        tasks.annotate(
            current=FilteredRelation("reports", condition=Q(reports__period_id=period.pk)),
            overdue_count=Coalesce(Subquery(overdue), 0),
        )
        .order_by()
        .values(
            "pk",
            "zone_id",
            "category_id",
            "closed_at",
            "overdue_count",
            report_status=F("current__status"),
            report_state=F("current__state"),
            report_percent=F("current__percent_complete"),
            report_submitted_on=F("current__submitted_on"),
        )
    )
    for row in rows:
        row["light"] = light_for(
            status=row["report_status"],
            state=row["report_state"],
            deadline=period.deadline,
            today=today,
            overdue_milestones=row["overdue_count"],
            closed=row["closed_at"] is not None,
        )
        row["timeliness"] = timeliness(row["report_state"], row["report_submitted_on"], period.deadline)
    return rows


def _tally_by(rows, key):
    tallies = defaultdict(Tally)
    for row in rows:
        tallies[key(row)].add(row)
    return tallies


def dashboard(*, tasks, plan, period, periods, today=None):
    """Everything the dashboard shows for `period` over the visible `tasks` of `plan`."""
    today = today or timezone.localdate()
    tasks = tasks.filter(zone__plan=plan)
    rows = task_rows(tasks, period, today)
    total = Tally()
    for row in rows:
        total.add(row)
    zones = list(Zone.objects.filter(pk__in={row["zone_id"] for row in rows}).order_by("annex_number"))
    by_zone = _tally_by(rows, lambda row: row["zone_id"])
    categories = list(
        TaskCategory.objects.filter(pk__in={row["category_id"] for row in rows})
        .select_related("zone")
        .order_by("zone__annex_number", "number")
    )
    by_category = _tally_by(rows, lambda row: row["category_id"])
    row_by_task = {row["pk"]: row for row in rows}
    by_agency = defaultdict(Tally)
    for task_id, agency_id in TaskAgency.objects.filter(task_id__in=row_by_task).values_list(
        "task_id", "agency_id"
    ):
        by_agency[agency_id].add(row_by_task[task_id])
    agencies = sorted(
        Agency.objects.filter(pk__in=by_agency), key=lambda agency: (-by_agency[agency.pk].tasks, agency.name)
    )
    zone_rows = [{"zone": zone, "tally": by_zone[zone.pk]} for zone in zones]
    ranking = sorted(
        (row for row in zone_rows if row["tally"].score is not None),
        key=lambda row: (-row["tally"].score, row["zone"].annex_number),
    )
    return {
        "period": period,
        "total": total,
        "awaiting_review": sum(1 for row in rows if row["report_state"] == ReportState.SUBMITTED),
        "zones": zone_rows,
        "ranking": ranking,
        "categories": [{"category": c, "tally": by_category[c.pk]} for c in categories],
        "agencies": [{"agency": a, "tally": by_agency[a.pk]} for a in agencies],
        "history": period_history(tasks=tasks, periods=periods, zones=zones, rows=rows, today=today),
    }


def period_history(*, tasks, periods, zones, rows, today):
    """Average percent, on-time count and score per zone for every started period, from one
    aggregate query however many periods there are."""
    periods = sorted((p for p in periods if p.start <= today), key=lambda p: p.start)
    aggregates = (
        ProgressReport.objects.filter(task__in=tasks, period__in=periods)
        .values("period_id", "task__zone_id")
        .annotate(
            percent_sum=Sum("percent_complete"),
            reports=Count("pk"),
            on_time=Count(
                "pk",
                filter=Q(state__in=SUBMITTED, submitted_on__lte=F("period__deadline")),
            ),
            average=Avg("percent_complete"),
        )
    )
    found = {(a["period_id"], a["task__zone_id"]): a for a in aggregates}
    closed_at = defaultdict(list)
    for row in rows:
        closed_at[row["zone_id"]].append(row["closed_at"])
    series = []
    for zone in zones:
        points = []
        for period in periods:
            # Tasks closed off before the period began no longer need reporting.
            open_tasks = sum(
                1 for closed in closed_at[zone.pk] if closed is None or closed.date() >= period.start
            )
            cell = found.get((period.pk, zone.pk), {})
            points.append(
                {
                    "period": period,
                    "average": round(cell["average"]) if cell.get("average") is not None else None,
                    "on_time": cell.get("on_time", 0),
                    "open": open_tasks,
                    "score": zone_score(
                        on_time=cell.get("on_time", 0),
                        open_tasks=open_tasks,
                        percent_sum=cell.get("percent_sum") or 0,
                    ),
                }
            )
        series.append({"zone": zone, "points": points})
    return {"periods": periods, "series": series}
