"""The period report's rows: one read that the HTML page and every export render from,
so their numbers always agree. A fixed number of queries whatever the number of tasks."""

import datetime
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache, cached_property

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from core.collection import collection_paused
from core.instances import loaded
from measures.choices import REPORTED_STATES, Assessment, Light, ReportState, TaskStatus
from measures.dashboard.selectors import task_groups
from measures.models import CoordinationRequest, Evidence, Milestone, ProgressReport, Task, TaskCategory
from measures.reporting.models import REPORT_FIELDS
from measures.scoping import visible_zones
from measures.tasks.lights import ended_by, light_for, light_reasons
from zones.models import Agency

ON_TIME, LATE, MISSING, CLOSED = "on_time", "late", "missing", "closed"
TIMELINESS = (ON_TIME, LATE, MISSING, CLOSED)
NOT_REPORTED = "not_reported"
# "（支持单位：市科技局、天津海关）" as the plan prints it, with either width of brackets and colon.
AGENCIES_WRAPPER = re.compile(r"^[（(〔【]\s*支持单位\s*[：:]\s*(?P<names>[^：:]*?)\s*[）)〕】]$")
# "（牵头单位：市商务局；配合单位：天津海关）": the labels say each agency's role, so they stay.
ANY_WRAPPER = re.compile(r"^[（(〔【]\s*(?P<names>.*?)\s*[）)〕】]$")


def agencies_as_written(text):
    """The agency names exactly as the plan lists them, without the "（支持单位：…）" wrapper; the
    role labels of other lists (牵头单位：…；配合单位：…) kept."""
    match = AGENCIES_WRAPPER.match(text.strip()) or ANY_WRAPPER.match(text.strip())
    return match["names"] if match else text.strip()


def columns():
    """(key, header label in the active language, Excel column width) of a task row."""
    return [
        ("number", _("Task no."), 9),
        ("title", _("Task name"), 36),
        ("agencies", _("Supporting agencies"), 28),
        ("status", _("Status"), 12),
        ("percent", capfirst(_("percent complete")), 12),
        ("progress", capfirst(_("progress this period")), 50),
        ("problems", _("Problems and difficulties"), 40),
        ("next_steps", _("Next steps"), 40),
        ("evidence_count", _("Evidence items"), 11),
        ("state", _("Review state"), 12),
        ("light", _("Light"), 10),
        # Verified progress (the accepting manager's), beside the zone's own percent.
        ("assessment", _("Assessed completion"), 12),
        ("verified_percent", _("Verified percent"), 11),
    ]


def timeliness_labels(owed=True):
    """`owed`: whether the period owes reports; before the plan's tracking start an unsubmitted
    report is "not owed", not missing."""
    return {
        ON_TIME: _("Reported on time"),
        LATE: _("Reported late"),
        MISSING: _("Not submitted") if owed else _("Not owed"),
        CLOSED: _("Closed off"),
    }


@dataclass
class TaskRow:
    task: Task
    report: ProgressReport | None
    light: str
    light_reasons: list
    timeliness: str

    @property
    def status(self):
        return self.task.report_status

    @property
    def state(self):
        return self.task.report_state

    @property
    def status_label(self):
        return TaskStatus(self.status).label if self.status else _("Not reported")

    @property
    def state_label(self):
        return ReportState(self.state).label if self.state else ""

    @property
    def light_label(self):
        return Light(self.light).label

    def text(self, name):
        return getattr(self.report, name, "") or ""

    @property
    def verified_percent(self):
        value = self.report.verified_percent if self.report else None
        return "" if value is None else value

    @property
    def evidence_count(self):
        return self.report.evidence_count if self.report else 0

    def values(self, labels=None):
        """The row's cells, in columns() order; the plan's text stays as written. An export
        passes row_labels() so the labels are translated once, not once per row."""
        task = self.task
        assessment = self.report.assessment if self.report else ""
        if labels is None:
            status, state, light = str(self.status_label), str(self.state_label), str(self.light_label)
            assessment = str(Assessment(assessment).label) if assessment else ""
        else:
            status = labels["status"][self.status or None]
            state = labels["state"][self.state or None]
            light = labels["light"][self.light]
            assessment = labels["assessment"][assessment]
        return {
            "number": task.number,
            "title": task.title,
            "agencies": agencies_as_written(task.agencies_text),
            "status": status,
            "percent": task.report_percent if self.report else "",
            # Verified progress: the accepting manager's, beside the zone's own percent.
            "assessment": assessment,
            "verified_percent": self.verified_percent,
            "progress": self.text("progress"),
            "problems": self.text("problems"),
            "next_steps": self.text("next_steps"),
            "evidence_count": self.evidence_count,
            "state": state,
            "light": light,
        }

    def cells(self, labels=None):
        values = self.values(labels)
        return [values[key] for key in column_keys()]


@cache
def column_keys():
    """The keys of columns(), which do not depend on the language (unlike the labels)."""
    return tuple(key for key, _label, _width in columns())


def row_labels():
    """The text of every status, review state and light in the active language, for values()."""
    return {
        "status": {None: str(_("Not reported")), **{s.value: str(s.label) for s in TaskStatus}},
        "state": {None: "", **{s.value: str(s.label) for s in ReportState}},
        "light": {light.value: str(light.label) for light in Light},
        "assessment": {"": "", **{a.value: str(a.label) for a in Assessment}},
    }


class Tally:
    """Counts over `rows`, the same for one zone's section and for the whole report.

    Counted once and kept: the page, the summary sentence and every export ask for the same
    counts several times, and at 20,000 rows each count is a pass over all of them. The rows are
    complete before anyone counts (period_rows() returns them finished)."""

    @cached_property
    def counts(self):
        rows = self.rows
        return {
            "status": Counter(row.status or NOT_REPORTED for row in rows),
            "light": Counter(row.light for row in rows),
            "timeliness": Counter(row.timeliness for row in rows),
        }

    def by_status(self):
        """[(value, label, count)] in the order of TaskStatus, then tasks without a report."""
        counts = self.counts["status"]
        labelled = [(status.value, status.label) for status in TaskStatus]
        return [(v, label, counts[v]) for v, label in [*labelled, (NOT_REPORTED, _("Not reported"))]]

    def by_light(self):
        counts = self.counts["light"]
        return [(light.value, light.label, counts[light.value]) for light in Light]

    def timeliness(self):
        counts = self.counts["timeliness"]
        return {key: counts[key] for key in TIMELINESS}


@dataclass
class Section(Tally):
    """One zone's part of the report."""

    zone: object
    rows: list = field(default_factory=list)
    requests: list = field(default_factory=list)


class Provisional:
    """Whether the report is provisional (its deadline not passed yet: reports may still come in
    and change) and whether it counts accepted reports only."""

    accepted_only = False

    @property
    def provisional(self):
        return self.today <= self.period.deadline


def counted_states(accepted_only):
    """The report states a report counts in: submitted or accepted; accepted only on request."""
    return (ReportState.ACCEPTED,) if accepted_only else REPORTED_STATES


@dataclass
class PeriodReport(Provisional, Tally):
    period: object
    zone: object
    sections: list
    today: object
    accepted_only: bool = False

    @property
    def plan(self):
        return self.period.plan

    @property
    def owed(self):
        return self.period.is_owed

    @cached_property
    def rows(self):
        return [row for section in self.sections for row in section.rows]

    @property
    def requests(self):
        return [request for section in self.sections for request in section.requests]

    def with_problems(self):
        return [row for row in self.rows if row.text("problems").strip()]

    def with_support_needed(self):
        """Support asked for in reports, apart from what already reached the agency as a
        coordination request of the period (submitting forwards it), so nothing is listed twice."""
        asked = {(r.task_id, r.agency_id, r.question.strip()) for r in self.requests}
        return [
            row
            for row in self.rows
            if (needed := row.text("support_needed").strip())
            and (row.task.pk, row.report.support_agency_id, needed) not in asked
        ]

    def with_next_steps(self):
        return [row for row in self.rows if row.text("next_steps").strip()]


# What the rows, the page and the exports read of a task and of its report (and of the agency
# asked for support); any other field is loaded on first use, one query per object, which the
# query-count tests would show.
TASK_COLUMNS = ["id", "zone_id", "number", "title", "title_en", "agencies_text", "closed_at", "withdrawn_at"]
REPORT_COLUMNS = [
    "id",
    "task_id",
    "period_id",
    "state",
    *(ProgressReport._meta.get_field(name).attname for name in REPORT_FIELDS),
    "submitted_on",
    "assessment",
    "verified_percent",
    "assessment_reason",
]
AGENCY_FIELDS = ["id", "name", "name_en"]
AGENCY_COLUMNS = [f"support_agency__{column}" for column in AGENCY_FIELDS]


def timeliness_of(task, report, period):
    """Exactly one of closed off, on time, late or not submitted, so the four add up to the tasks.

    Closed off (or withdrawn, 撤销) by the period's end comes first, as for the lights, so 已销号
    is one figure everywhere. Otherwise on time when submitted (or accepted) by the deadline's
    date; a draft or a returned report awaiting resubmission is not submitted. `report` is the
    submitted report or None (period_rows() passes no draft)."""
    if is_ended(task, period):
        return CLOSED
    if report is not None and report.submitted_on:
        return ON_TIME if report.submitted_on <= period.deadline else LATE
    return MISSING


def is_ended(task, period):
    return ended_by(task.closed_at, period) or ended_by(task.withdrawn_at, period)


def period_rows(user, period, zone=None, today=None, accepted_only=False):
    """The report of `period` for the zones of its plan that `user` may see (or just `zone`),
    with only the tasks `user` may see (`accepted_only`: a report counts once accepted, not
    when only submitted). Five queries: access, zones, the period's reports (with
    their evidence count), tasks (with their count of overdue milestones), coordination requests.

    Built for 20,000 tasks: the reports come in one query keyed by task rather than as four
    correlated subqueries per task plus a prefetch with every task id as a parameter; tasks and
    reports are read as plain rows and made into instances directly (loaded()); each task gets
    the zone already read instead of a joined copy; and a light is worked out once per distinct
    (status, state, overdue, closed) rather than once per task."""
    today = today or timezone.localdate()
    zones = visible_zones(user).filter(plan_id=period.plan_id).order_by("annex_number")
    if zone is not None:
        zones = zones.filter(pk=zone.pk)
    sections = {z.pk: Section(zone=z) for z in zones}
    if not sections:
        return PeriodReport(period=period, zone=zone, sections=[], today=today, accepted_only=accepted_only)

    # A task withdrawn before the period began was no longer part of the plan in it.
    began = timezone.make_aware(datetime.datetime.combine(period.start, datetime.time.min))
    visible = (
        Task.objects.visible_to(user)
        .filter(zone_id__in=list(sections))
        .filter(Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=began))
    )
    with collection_paused():
        reports = _reports(period, visible, user)
        _fill_sections(sections, visible, reports, period, today, counted_states(accepted_only))
    requests = (
        CoordinationRequest.objects.filter(period=period, task__in=visible)
        .select_related("task", "agency")
        .order_by("task__zone__annex_number", "task__number", "asked_at", "pk")
    )
    for request in requests:
        sections[request.task.zone_id].requests.append(request)
    return PeriodReport(
        period=period, zone=zone, sections=list(sections.values()), today=today, accepted_only=accepted_only
    )


def _reports(period, visible, user):
    """{task id: its report for `period`} with the count of active evidence and the agency asked."""
    active_evidence = (
        Evidence.objects.active()
        .filter(report=OuterRef("pk"))
        .order_by()
        .values("report")
        .annotate(n=Count("pk"))
        .values("n")
    )
    db = visible.db
    agencies = {}
    reports = {}
    for values in (
        ProgressReport.objects.filter(period=period, task__in=visible.values("pk"))
        .shown_to(user)
        .annotate(evidence_count=Coalesce(Subquery(active_evidence), 0))
        .order_by()
        .values(*REPORT_COLUMNS, "evidence_count", *AGENCY_COLUMNS)
    ):
        agency = {column: values.pop(f"support_agency__{column}") for column in AGENCY_FIELDS}
        report = loaded(ProgressReport, values, db=db)
        if report.support_agency_id is not None:
            if report.support_agency_id not in agencies:
                agencies[report.support_agency_id] = loaded(Agency, agency, db=db)
            ProgressReport.support_agency.field.set_cached_value(report, agencies[report.support_agency_id])
        reports[report.task_id] = report
    return reports


def _fill_sections(sections, visible, reports, period, today, counted=REPORTED_STATES):
    """One TaskRow per visible task, into its zone's section, in the plan's numbering."""
    overdue = Milestone.objects.overdue_count_of(OuterRef("pk"), today)
    tasks = visible.annotate(overdue_count=overdue).order_by("number").values(*TASK_COLUMNS, "overdue_count")
    db = visible.db
    lights = {}
    cache_zone = Task.zone.field.set_cached_value
    for values in tasks:
        task = loaded(Task, values, db=db)
        section = sections[task.zone_id]
        cache_zone(task, section.zone)
        saved = reports.get(task.pk)
        # The one rule of the whole report (page, xlsx, csv, docx): a report counts once it is
        # submitted or accepted. A draft or a returned report is "not submitted": no status,
        # percent or text of it reaches the official report; its state stays visible.
        report = saved if saved is not None and saved.state in counted else None
        # What selectors.with_period_report() would annotate, read from the report itself.
        task.report_status = report.status if report else None
        task.report_state = saved.state if saved else None
        task.report_percent = report.percent_complete if report else None
        task.report_period_id = period.pk if report else None
        task.period = period
        closed = is_ended(task, period)
        # The light reads the saved report as everywhere else (a blocked draft is already red).
        status = saved.status if saved else None
        key = (status, task.report_state, task.overdue_count, closed)
        if key not in lights:
            inputs = {
                "status": status,
                "state": task.report_state,
                "deadline": period.owed_deadline,
                "today": today,
                "overdue_milestones": task.overdue_count,
                "closed": closed,
            }
            lights[key] = (light_for(**inputs), light_reasons(**inputs))
        task.light, task.light_reasons = lights[key]
        section.rows.append(
            TaskRow(task, report, task.light, task.light_reasons, timeliness_of(task, report, period))
        )


# --------------------------------------------------------------------------- the summary


class Counted(Tally):
    """The same counts as a section's (by_status, by_light, timeliness), added group by group
    from period_summary()'s aggregate rather than counted over task rows."""

    def __init__(self):
        self.counts = {"status": Counter(), "light": Counter(), "timeliness": Counter()}
        self.requests = 0

    def add(self, n, status, light, timeliness):
        self.counts["status"][status] += n
        self.counts["light"][light] += n
        self.counts["timeliness"][timeliness] += n

    @property
    def tasks(self):
        # Every task has exactly one timeliness, so these add up to the tasks.
        return sum(self.counts["timeliness"].values())


@dataclass
class ZoneSummary:
    zone: object
    tally: Counted = field(default_factory=Counted)


@dataclass
class CategorySummary:
    category: object
    tally: Counted = field(default_factory=Counted)


@dataclass
class PeriodSummary(Provisional, Counted):
    """The report of every zone of a period as counts only: per zone, per category, in total."""

    period: object
    sections: list
    categories: list
    today: object
    zone: object = None
    accepted_only: bool = False

    def __post_init__(self):
        Counted.__init__(self)

    @property
    def plan(self):
        return self.period.plan

    @property
    def owed(self):
        return self.period.is_owed


def period_summary(user, period, today=None, accepted_only=False):
    """The figures of period_rows() for every zone `user` may see, by zone and by category,
    counted in the database: four queries (zones, task groups, categories, requests) and no
    task rows, whatever the number of tasks.

    The same rules as period_rows() and its rows: the same tasks (visible, not withdrawn before
    the period began), a report counts once submitted or accepted, closed off or withdrawn by
    the period's end is "closed" whatever the report says, and the light of each group is
    light_for() of the saved report's status and state, as for a row. Tasks are grouped by
    every fact those rules read (dashboard.selectors.task_groups, whose groups the dashboard counts too);
    the tests compare these counts with period_rows()'s for every zone and category."""
    today = today or timezone.localdate()
    zones = list(visible_zones(user).filter(plan_id=period.plan_id).order_by("annex_number"))
    summary = PeriodSummary(
        period=period, sections=[], categories=[], today=today, accepted_only=accepted_only
    )
    counted = counted_states(accepted_only)
    if not zones:
        return summary
    by_zone = {zone.pk: ZoneSummary(zone=zone) for zone in zones}
    began = timezone.make_aware(datetime.datetime.combine(period.start, datetime.time.min))
    visible = (
        Task.objects.visible_to(user)
        .filter(zone_id__in=list(by_zone))
        .filter(Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=began))
    )
    by_category = add_groups(
        summary,
        by_zone,
        task_groups(visible, period, today, ["zone_id", "category_id"]),
        period,
        today,
        counted,
    )
    categories = TaskCategory.objects.filter(pk__in=list(by_category)).order_by(
        "zone__annex_number", "number"
    )
    for category in categories.only("id", "zone_id", "number", "code", "title", "title_en"):
        category.zone = by_zone[category.zone_id].zone
        by_category[category.pk].category = category
        summary.categories.append(by_category[category.pk])
    requests = (
        CoordinationRequest.objects.filter(period=period, task__in=visible)
        .order_by()
        .values("task__zone_id")
        .annotate(n=Count("pk"))
    )
    for row in requests:
        by_zone[row["task__zone_id"]].tally.requests = row["n"]
        summary.requests += row["n"]
    summary.sections = list(by_zone.values())
    return summary


def add_groups(summary, by_zone, groups, period, today, counted=REPORTED_STATES):
    """Add `groups` (task_groups()'s, by zone and category) to `summary`, its zones' tallies
    (`by_zone`: {zone id: ZoneSummary}) and the categories' by the rules of a row (status, light,
    timeliness); returns {category id: CategorySummary} of the categories counted (the caller
    reads them). Shared with the summary as of a past day (measures.changes.asof)."""
    by_category = {}
    for group in groups:
        state = group["report_state"]
        submitted = state in counted
        ended = group["closed"] or group["withdrawn"]
        status = group["report_status"] if submitted and group["report_status"] else NOT_REPORTED
        light = light_for(
            status=group["report_status"],
            state=state,
            deadline=period.owed_deadline,
            today=today,
            overdue_milestones=group["overdue"],
            closed=ended,
        )
        if ended:
            timeliness = CLOSED
        elif submitted and group["by_deadline"] is not None:
            timeliness = ON_TIME if group["by_deadline"] else LATE
        else:
            timeliness = MISSING
        category = by_category.setdefault(group["category_id"], CategorySummary(category=None))
        for tally in (by_zone[group["zone_id"]].tally, category.tally, summary):
            tally.add(group["tasks"], status, light, timeliness)
    return by_category
