"""The period report's rows: one read that the HTML page and every export render from,
so their numbers always agree. A fixed number of queries whatever the number of tasks."""

import re
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from ..choices import Light, ReportState, TaskStatus
from ..lights import SUBMITTED_STATES
from ..models import CoordinationRequest, Evidence, ProgressReport, Task
from ..scoping import visible_zones
from ..selectors import attach_lights, with_period_report

ON_TIME, LATE, MISSING, CLOSED = "on_time", "late", "missing", "closed"
TIMELINESS = (ON_TIME, LATE, MISSING, CLOSED)
NOT_REPORTED = "not_reported"
# "（支持单位：市科技局、天津海关）" as the plan prints it, with either width of brackets and colon.
AGENCIES_WRAPPER = re.compile(r"^[（(]\s*支持单位\s*[：:]\s*(?P<names>.*?)\s*[）)]$")


def agencies_as_written(text):
    """The agency names exactly as the plan lists them, without the "（支持单位：…）" wrapper."""
    match = AGENCIES_WRAPPER.match(text.strip())
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
    ]


def timeliness_labels():
    return {
        ON_TIME: _("Reported on time"),
        LATE: _("Reported late"),
        MISSING: _("Not submitted"),
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
    def evidence_count(self):
        return self.report.evidence_count if self.report else 0

    def values(self):
        """The row's cells, in columns() order; the plan's text stays as written."""
        task = self.task
        return {
            "number": task.number,
            "title": task.title,
            "agencies": agencies_as_written(task.agencies_text),
            "status": str(self.status_label),
            "percent": task.report_percent if self.report else "",
            "progress": self.text("progress"),
            "problems": self.text("problems"),
            "next_steps": self.text("next_steps"),
            "evidence_count": self.evidence_count,
            "state": str(self.state_label),
            "light": str(self.light_label),
        }

    def cells(self):
        values = self.values()
        return [values[key] for key, _label, _width in columns()]


class Tally:
    """Counts over `rows`, the same for one zone's section and for the whole report."""

    @property
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


@dataclass
class PeriodReport(Tally):
    period: object
    zone: object
    sections: list
    today: object

    @property
    def plan(self):
        return self.period.plan

    @property
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


def timeliness_of(task, report, period):
    """On time when submitted (or accepted) by the deadline's date; a returned report awaits
    resubmission, so, as for the lights, it counts as not submitted."""
    if report is not None and task.report_state in SUBMITTED_STATES and report.submitted_on:
        submitted_on = report.submitted_on
        return ON_TIME if submitted_on <= period.deadline else LATE
    return CLOSED if task.closed_at is not None else MISSING


def period_rows(user, period, zone=None, today=None):
    """The report of `period` for the zones of its plan that `user` may see (or just `zone`),
    with only the tasks `user` may see. Five queries: access, zones, tasks (with their
    report's status, state, percent and overdue milestones), reports, coordination requests."""
    today = today or timezone.localdate()
    zones = visible_zones(user).filter(plan_id=period.plan_id).order_by("annex_number")
    if zone is not None:
        zones = zones.filter(pk=zone.pk)
    sections = {z.pk: Section(zone=z) for z in zones}
    if not sections:
        return PeriodReport(period=period, zone=zone, sections=[], today=today)

    active_evidence = (
        Evidence.objects.active()
        .filter(report=OuterRef("pk"))
        .order_by()
        .values("report")
        .annotate(n=Count("pk"))
        .values("n")
    )
    reports = (
        ProgressReport.objects.filter(period=period)
        .select_related("support_agency")
        .annotate(evidence_count=Coalesce(Subquery(active_evidence), 0))
    )
    visible = Task.objects.visible_to(user).filter(zone_id__in=list(sections))
    tasks = with_period_report(
        visible.select_related("zone").prefetch_related(
            Prefetch("reports", queryset=reports, to_attr="period_reports")
        ),
        [period.pk],
        today,
    ).order_by("zone__annex_number", "number")
    for task in attach_lights(list(tasks), {period.plan_id: period}, today):
        report = task.period_reports[0] if task.period_reports else None
        row = TaskRow(task, report, task.light, task.light_reasons, timeliness_of(task, report, period))
        sections[task.zone_id].rows.append(row)

    requests = (
        CoordinationRequest.objects.filter(period=period, task__in=visible)
        .select_related("task", "agency")
        .order_by("task__zone__annex_number", "task__number", "asked_at", "pk")
    )
    for request in requests:
        sections[request.task.zone_id].requests.append(request)
    return PeriodReport(period=period, zone=zone, sections=list(sections.values()), today=today)
