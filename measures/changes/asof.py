"""The dashboard and the period report as they stood at the end of a past day, rebuilt from the
history rows (ReportEvent) rather than from today's rows.

Every change to a report, a close-off and a milestone writes a history row in the same transaction
(measures.history.record) with the fields it changed as [before, after]. The state at the end of
day D is today's rows with every change recorded after D undone, newest first: a report created
after D did not exist, an edit after D is rolled back field by field, a state change after D is
rolled back to the state before it, and the date of submission is the last submission by D. A
close-off after D is undone, a reopening after D brings back the close-off before it; a milestone
added after D did not exist, one marked done after D was not done yet, a due date moved after D
had its old date, and so had one moved by a plan adjustment approved after D; one it dropped was
still there. Undoing from today keeps rows whose early history predates the record (data
loaded in bulk) as they are. Withdrawals (撤销) are read from the task's own date.

The plan itself as it stood on D is read from the tasks' and categories' own history rows
(simple_history: every save writes the version after it; a plan revision and an adjustment first
write the version before it of a row loaded in bulk, as LOADED_VERSION): a task whose first
history row is its creation after D did not exist on D (added by a later revision, or by hand);
every other task changed after D has the number, title, category and agencies of its last
version by D, or, with none by D, of its first version after D (the one kept from before the
change). A task withdrawn after D was not withdrawn yet. A category changed after D has its title
and number of then by the same rule. A change that bypassed the history (a bulk update) is shown
as it is now. Which agencies a task named on D (the dashboard's per-agency table, a liaison's
scope and the tasks it led) is today's links with every AgencyLinkChange after D undone
(AgencyLinkChange.objects.links_then, tasks_linked_then); the changes before that record began
were derived from the revisions' change lists and the approved adjustments (plans.link_history).

The figures are then counted by the dashboard's and the period report's own functions
(Tally, light_for, ended_by, zone_score, TaskRow, Section), with today = D, so a page as of D shows
what the same page showed on D. A fixed number of queries whatever the number of tasks."""

import datetime
import functools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import groupby

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone, translation

from core.access import access_for
from core.collection import collection_paused
from measures.changes.selectors import Side, previous_period
from measures.choices import (
    REPORTED_STATES,
    AdjustmentKind,
    AdjustmentState,
    AgencyRole,
    EventKind,
    ReportState,
    RequestState,
)
from measures.dashboard import figures
from measures.dashboard import selectors as dash
from measures.models import (
    AgencyLinkChange,
    CoordinationRequest,
    Evidence,
    Milestone,
    PlanAdjustment,
    ProgressReport,
    ReportEvent,
    ReportingPeriod,
    Task,
    TaskCategory,
)
from measures.reporting.models import REPORT_FIELDS
from measures.tasks.lights import ended_by, light_for
from measures.tasks.models import LOADED_VERSION
from notifications.models import Escalation
from zones.models import Agency, Zone

# The report's columns an event may have changed, by the name the history writes them under.
REPORT_ATTNAMES = {name: ProgressReport._meta.get_field(name).attname for name in REPORT_FIELDS}
# Verified progress, written when a report is accepted (and undone with that acceptance).
VERIFIED_FIELDS = ("assessment", "verified_percent", "assessment_reason")
REPORT_COLUMNS = [
    "id",
    "task_id",
    "period_id",
    "state",
    "submitted_on",
    *REPORT_ATTNAMES.values(),
    *VERIFIED_FIELDS,
]
# What the counts read of a report (the tallies, the chart, the comparison's status, percent and
# problems, verified progress): the pages that show no report's text read only these. The texts
# were most of the bytes read (40,000 reports of two periods at 20,000 tasks).
COUNTED_COLUMNS = [
    "id",
    "task_id",
    "period_id",
    "state",
    "submitted_on",
    "status",
    "percent_complete",
    "problems",
    "assessment",
    "verified_percent",
]
# History rows after which a task's reports count differently in every period.
ENDING_KINDS = (EventKind.TASK_CLOSED, EventKind.TASK_REOPENED)
MILESTONE_KINDS = {EventKind.MILESTONE_ADDED, EventKind.MILESTONE_CHANGED, EventKind.MILESTONE_DONE}
# What a plan revision or an adjustment may change of a task or a category that the pages show.
TASK_THEN = ("number", "code", "title", "title_en", "agencies_text", "category_id")
CATEGORY_THEN = ("number", "code", "title", "title_en")


def loaded_reasons():
    """LOADED_VERSION in every language of the site: a version an adjustment kept before the reason
    was read here carries it in the language of the manager who approved the adjustment."""
    reasons = {LOADED_VERSION}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            reasons.add(translation.gettext(LOADED_VERSION))
    return reasons


def versions_then(model, ids, end, columns):
    """({id: {column: value as it stood before `end`, or as first written for one created after
    it}} of the rows of `model` among `ids` (a subquery or a list) that changed at or after `end`,
    {ids of those created at or after it}): one query, of the rows with history after the day."""
    changed = model.history.filter(id__in=ids, history_date__gte=end).values("id")
    rows = (
        model.history.filter(id__in=changed)
        .order_by("id", "history_date", "history_id")
        .values_list("id", "history_date", "history_type", "history_change_reason", *columns)
    )
    then, absent, loaded = {}, set(), None
    for pk, versions in groupby(rows, key=lambda row: row[0]):
        versions = list(versions)
        by_then = [row for row in versions if row[1] < end]
        if by_then:
            row = by_then[-1]
        else:
            row = versions[0]
            if row[2] == "+":
                loaded = loaded_reasons() if loaded is None else loaded
                if row[3] not in loaded:
                    absent.add(pk)
        if row[2] == "-":
            absent.add(pk)
            continue
        then[pk] = dict(zip(columns, row[4:], strict=True))
    return then, absent


def day_end(day):
    """The first moment after `day` in the zone's time: what happened before it happened by D."""
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


@dataclass
class Snapshot:
    """What the tables held at the end of `day`, for the tasks read."""

    day: datetime.date
    reports: dict = field(default_factory=dict)  # report id: {column: value}
    closed_at: dict = field(default_factory=dict)  # task id: datetime or None
    withdrawn_at: dict = field(default_factory=dict)
    milestones: dict = field(default_factory=dict)  # milestone id: {task_id, due, done}
    tasks_then: dict = field(default_factory=dict)  # task id: {TASK_THEN column: value}, if changed
    absent: set = field(default_factory=set)  # ids of the tasks created after the day
    # The periods whose reports were read for every task (None: all of them). Of the other periods
    # only the reports that differ from today's rows on the day were read: those with a history row
    # after it, and every report of the tasks below.
    periods: list | None = None
    # Tasks closed off, reopened, withdrawn or created after the day: whether each of their
    # reports counts may differ in every period.
    rebuilt_tasks: set = field(default_factory=set)
    # Report id: its row as it is today, for those a history row after the day changed.
    reports_now: dict = field(default_factory=dict)
    # Task id: its close-off and withdrawal as they are today (closed_at, withdrawn_at: as then).
    closed_now: dict = field(default_factory=dict)
    withdrawn_now: dict = field(default_factory=dict)
    # Report id: the row of a task created after the day (left out of `reports`), as it is today.
    absent_reports: dict = field(default_factory=dict)

    @property
    def end(self):
        return day_end(self.day)

    def then(self, rows):
        """`rows` (dicts of task columns, with "id") as the tasks stood at the end of the day: a
        task created after it left out, a column changed after it as it was (changed in place)."""
        kept = []
        for row in rows:
            if row["id"] in self.absent:
                continue
            changed = self.tasks_then.get(row["id"])
            if changed:
                row.update({key: value for key, value in changed.items() if key in row})
            kept.append(row)
        return kept

    def task_then(self, task):
        """A Task instance with the columns it had at the end of the day (changed, never saved)."""
        for key, value in self.tasks_then.get(task.pk, {}).items():
            setattr(task, key, value)
        return task

    def counted(self):
        """{(task id, period id): Side} of the reports submitted or accepted at the end of the day."""
        return {
            (r["task_id"], r["period_id"]): Side.of(r["status"], r["percent_complete"], r["problems"])
            for r in self.reports.values()
            if r["state"] in REPORTED_STATES
        }

    def overdue(self, task_id):
        """Milestones overdue on `day` (Milestone.objects.overdue's rule, as of then)."""
        if self.closed_at.get(task_id) is not None or self.withdrawn_at.get(task_id) is not None:
            return 0
        if not hasattr(self, "_late"):
            # Counted once per task, not by a walk over every milestone for each task.
            self._late = defaultdict(int)
            for m in self.milestones.values():
                if not m["done"] and m["due"] < self.day:
                    self._late[m["task_id"]] += 1
        return self._late.get(task_id, 0)

    def milestone_rows(self):
        """[(task id, due, done_on)] for the comparison; done_on is the day for one done by then."""
        return [
            (m["task_id"], m["due"], m["done_on"] if m["done"] else None) for m in self.milestones.values()
        ]


def rebuild(tasks, day, periods=None, columns=REPORT_COLUMNS):
    """The Snapshot of `tasks` (a queryset) at the end of `day`: six queries (tasks, reports,
    milestones, plan adjustments of milestones approved after the day, history rows after the
    day, the submissions and close-offs before it that those undo), and one more for the tasks'
    history rows after the day (the plan as it stood).

    With `periods` (ReportingPeriods; None left out), the reports read are those of these periods,
    and those of the others that differ from today's rows on the day (a history row after it, or
    of a task closed off, reopened or withdrawn since: Snapshot.reports_now, rebuilt_tasks): what a
    page of one period and its comparison shows, and what the database's sums of the others need
    corrected (_history). The history rows read are those after the day, whatever the periods.
    `columns`: the report's columns read (COUNTED_COLUMNS for a page without the reports' text)."""
    end = day_end(day)
    snapshot = Snapshot(day=day)
    ids = tasks.values("pk")
    snapshot.tasks_then, snapshot.absent = versions_then(Task, ids, end, TASK_THEN)
    for task_id, closed_at, withdrawn_at in tasks.order_by().values_list("pk", "closed_at", "withdrawn_at"):
        snapshot.closed_at[task_id] = snapshot.closed_now[task_id] = closed_at
        snapshot.withdrawn_now[task_id] = withdrawn_at
        snapshot.withdrawn_at[task_id] = (
            withdrawn_at if withdrawn_at is not None and withdrawn_at < end else None
        )
        if (closed_at is not None and closed_at >= end) or (withdrawn_at is not None and withdrawn_at >= end):
            snapshot.rebuilt_tasks.add(task_id)
    reports = ProgressReport.objects.filter(task__in=ids).order_by().values(*columns)
    if periods is not None:
        snapshot.periods = [p for p in periods if p is not None]
        # Three parts in one query, each read by index: one OR over them made the database test
        # every report of every task. The tasks created since are read in full too: the chart's
        # sums of today count their reports, which _history takes out again.
        ended = tasks.order_by().filter(
            Q(pk__in=changed_after(ids, end).filter(kind__in=ENDING_KINDS).values("task_id"))
            | Q(closed_at__gte=end)
            | Q(withdrawn_at__gte=end)
            | Q(pk__in=sorted(snapshot.absent))
        )
        reports = reports.filter(period_id__in=[p.pk for p in snapshot.periods]).union(
            ProgressReport.objects.filter(
                pk__in=changed_after(ids, end).filter(report__isnull=False).values("report_id")
            )
            .order_by()
            .values(*columns),
            ProgressReport.objects.filter(task__in=ended.values("pk")).order_by().values(*columns),
            # A report in two parts is kept once by its id below: no sort of every row to drop it.
            all=True,
        )
    snapshot.reports = {r["id"]: r for r in reports}
    snapshot.milestones = {
        m["id"]: {**m, "done": m["done_on"] is not None}
        for m in Milestone.objects.filter(task__in=ids, created_at__lt=end)
        .order_by()
        .values("id", "task_id", "due", "done_on")
    }
    after = changed_after(ids, end)
    # Of the rows before the day only those an undo needs: the close-off before a reopening after
    # it, the submission before a resubmission after it. Two reads, each by index (one with an OR
    # over the whole history made the database walk every task's rows).
    earlier = ReportEvent.objects.filter(at__lt=end).filter(
        Q(kind=EventKind.TASK_CLOSED, task__in=after.filter(kind=EventKind.TASK_REOPENED).values("task_id"))
        | Q(kind=EventKind.SUBMITTED, report__in=after.filter(kind=EventKind.SUBMITTED).values("report_id"))
    )
    closed_by_then = {}  # task id: its last close-off by the day
    submitted_by_then = {}  # report id: its last submission by the day
    for kind, at, task_id, report_id in earlier.order_by("-at", "-pk").values_list(
        "kind", "at", "task_id", "report_id"
    ):
        if kind == EventKind.TASK_CLOSED:
            closed_by_then.setdefault(task_id, at)
        elif kind == EventKind.SUBMITTED:
            submitted_by_then.setdefault(report_id, at)
    # Milestones moved or dropped by a plan adjustment approved after the day: the adjustment keeps
    # what it moved (from which date) and dropped (with its date); its history row says when.
    adjusted = {
        row["pk"]: row
        for row in PlanAdjustment.objects.filter(
            task__in=ids, kind=AdjustmentKind.MILESTONES, state=AdjustmentState.APPROVED, decided_at__gte=end
        ).values("pk", "task_id", "proposal", "before")
    }
    undone = []
    # Newest first, ordered by the database: every one is after the day, so their moments are not
    # read (16,000 history rows after a week at 20,000 tasks).
    for kind, task_id, report_id, changes in after.order_by("-at", "-pk").values_list(
        "kind", "task_id", "report_id", "changes"
    ):
        undone.append((kind, task_id, report_id, changes or {}))
        if report_id is not None and report_id in snapshot.reports:
            # Newest first: the first seen is still today's row.
            snapshot.reports_now.setdefault(report_id, dict(snapshot.reports[report_id]))
        elif kind in ENDING_KINDS:
            snapshot.rebuilt_tasks.add(task_id)
    for kind, task_id, report_id, changes in undone:  # newest first
        if report_id is not None:
            _undo_report(snapshot, kind, report_id, changes, submitted_by_then)
        elif kind == EventKind.TASK_CLOSED:
            snapshot.closed_at[task_id] = None
        elif kind == EventKind.TASK_REOPENED:
            snapshot.closed_at[task_id] = closed_by_then.get(task_id)
        elif kind in MILESTONE_KINDS or kind == EventKind.MILESTONE_REOPENED:
            _undo_milestone(snapshot, kind, changes)
        elif kind == EventKind.ADJUSTMENT_APPROVED and changes.get("adjustment") in adjusted:
            _undo_adjustment(snapshot, adjusted[changes["adjustment"]])
    for task_id, closed_at in snapshot.closed_at.items():
        if closed_at is not None and closed_at >= end:
            snapshot.closed_at[task_id] = None
    snapshot.rebuilt_tasks |= snapshot.absent
    if snapshot.absent:
        # A task that did not exist yet had nothing recorded on it (rows written in bulk, without
        # a history row to undo, are left out with it).
        snapshot.absent_reports = {
            k: r for k, r in snapshot.reports.items() if r["task_id"] in snapshot.absent
        }
        snapshot.reports = {k: r for k, r in snapshot.reports.items() if r["task_id"] not in snapshot.absent}
        snapshot.milestones = {
            k: m for k, m in snapshot.milestones.items() if m["task_id"] not in snapshot.absent
        }
    return snapshot


def changed_after(ids, end):
    """The history rows of the tasks among `ids` (a subquery) at or after `end`, by index."""
    return ReportEvent.objects.filter(task__in=ids, task__isnull=False, at__gte=end)


def categories_then(categories, day):
    """The TaskCategory instances `categories` with the number and title they had at the end of
    `day` (changed, never saved), in the plan's order then: one query."""
    categories = list(categories)
    then, _absent = versions_then(TaskCategory, [c.pk for c in categories], day_end(day), CATEGORY_THEN)
    for category in categories:
        for key, value in then.get(category.pk, {}).items():
            setattr(category, key, value)
    return sorted(categories, key=lambda c: (c.zone.annex_number, c.number))


def _undo_report(snapshot, kind, report_id, changes, submitted_by_then):
    report = snapshot.reports.get(report_id)
    if report is None:
        return
    if kind == EventKind.CREATED:
        del snapshot.reports[report_id]
        return
    for name, pair in changes.items():
        if name == "state":
            report["state"] = pair[0]
        elif name in REPORT_ATTNAMES and isinstance(pair, list):
            report[REPORT_ATTNAMES[name]] = pair[0]
        elif name in VERIFIED_FIELDS and isinstance(pair, list):
            report[name] = pair[0]
    if kind == EventKind.SUBMITTED:
        at = submitted_by_then.get(report_id)
        report["submitted_on"] = timezone.localdate(at) if at else None


def _undo_milestone(snapshot, kind, changes):
    if kind == EventKind.MILESTONE_ADDED:
        # Added after the day (an adjustment's undo may have brought it back): not there yet.
        snapshot.milestones.pop(changes.get("milestone"), None)
        return
    milestone = snapshot.milestones.get(changes.get("milestone"))
    if milestone is None:
        return
    if kind == EventKind.MILESTONE_DONE:
        milestone["done"] = False
    elif kind == EventKind.MILESTONE_REOPENED:
        milestone["done"] = True
        milestone["done_on"] = milestone["done_on"] or snapshot.day
    elif kind == EventKind.MILESTONE_CHANGED and isinstance(changes.get("due"), list) and changes["due"][0]:
        milestone["due"] = datetime.date.fromisoformat(changes["due"][0])


def _undo_adjustment(snapshot, adjustment):
    proposal = adjustment["proposal"] or {}
    for move in proposal.get("move", []):
        milestone = snapshot.milestones.get(move.get("milestone"))
        if milestone is not None and move.get("from"):
            milestone["due"] = datetime.date.fromisoformat(move["from"])
    # A dropped milestone is deleted: it comes back as the task's record before the proposal had it.
    before = {m["id"]: m for m in (adjustment["before"] or {}).get("milestones", [])}
    for drop in proposal.get("drop", []):
        pk = drop.get("milestone")
        done_on = before.get(pk, {}).get("done_on")
        snapshot.milestones[pk] = {
            "id": pk,
            "task_id": adjustment["task_id"],
            "due": datetime.date.fromisoformat(drop["due"]),
            "done_on": datetime.date.fromisoformat(done_on) if done_on else None,
            "done": bool(done_on),
        }


# --------------------------------------------------------------------------- the dashboard


FACTS = ("closed_at", "withdrawn_at", "overdue", "by_deadline", "report_status", "report_state")


def _groups(snapshot, task_rows, period, by, agencies=None, reports=None):
    """task_groups()'s groups from the snapshot: the same keys, counted per task in Python.
    `reports`: {task id: its report of `period`} when not every report of the snapshot is read
    (a liaison's); by default those of the snapshot."""
    if reports is None:
        reports = {r["task_id"]: r for r in snapshot.reports.values() if r["period_id"] == period.pk}
    deadline = period.deadline
    counts = {}
    for row in task_rows:
        task_id = row["id"]
        report = reports.get(task_id)
        if report is None:
            facts, percent = (None, None, None), None
        else:
            submitted_on = report["submitted_on"]
            facts = (
                None if submitted_on is None else submitted_on <= deadline,
                report["status"],
                report["state"],
            )
            percent = report["percent_complete"]
        # A tuple of the facts, not a dict sorted per row: 20,000 tasks (60,000 agency links).
        facts = (
            snapshot.closed_at[task_id],
            snapshot.withdrawn_at[task_id],
            snapshot.overdue(task_id) > 0,
            *facts,
        )
        keys = (
            [tuple(row[key] for key in by)]
            if agencies is None
            else [(agency,) for agency in agencies.get(task_id, ())]
        )
        for key in keys:
            group = counts.get((key, facts))
            if group is None:
                group = counts[(key, facts)] = {"tasks": 0, "percent_sum": None}
            group["tasks"] += 1
            if percent is not None:
                group["percent_sum"] = (group["percent_sum"] or 0) + percent
    groups = []
    for (key, facts), sums in counts.items():
        group = {**dict(zip(by, key, strict=True)), **dict(zip(FACTS, facts, strict=True)), **sums}
        # As dashboard.selectors.task_groups finishes its groups, with today = the day.
        group["closed"] = ended_by(group["closed_at"], period)
        group["withdrawn"] = ended_by(group["withdrawn_at"], period)
        group["light"] = light_for(
            status=group["report_status"],
            state=group["report_state"],
            deadline=period.owed_deadline,
            today=snapshot.day,
            overdue_milestones=group["overdue"],
            closed=group["closed"],
            withdrawn=group["withdrawn"],
        )
        group["timeliness"] = dash.timeliness_of(group["report_state"], group["by_deadline"])
        groups.append(group)
    return groups


def dashboard_as_of(**kwargs):
    """dashboard.selectors.dashboard() as it read at the end of `day` (today = day): _dashboard_as_of
    without automatic garbage collection (see _paused)."""
    with _paused():
        return _dashboard_as_of(**kwargs)


def _paused():
    """core.collection.collection_paused: a rebuild at 20,000 tasks holds some 100,000 rows and
    groups, enough to set off full collections that walk every object of the process again and
    again (a tenth or more of the page), with no cycle among them to free."""
    return collection_paused()


def paused_when_asked(view):
    """`view`, without automatic garbage collection for a request of a past day (?as_of=): what
    the page counts and renders after the rebuild (the comparison, the template) allocates while
    the snapshot is alive, and would set off the same full collections (_paused)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.GET.get("as_of"):
            return view(request, *args, **kwargs)
        with _paused():
            return view(request, *args, **kwargs)

    return wrapped


def _dashboard_as_of(*, tasks, plan, period, periods, day, complete=False, breakdown=True):
    """See dashboard_as_of. `complete`: `tasks` are every task (the user sees everything), so the
    figures kept of the periods apply (_history); `breakdown`: with the tables by category and
    by agency (the dashboard shows them on a page of their own, dashboard_tables)."""
    tasks = tasks.filter(zone__plan=plan)
    # The period shown and the one before it (the comparison); the chart across periods counts
    # the others in the database (_history).
    snapshot = rebuild(
        tasks, day, periods=[period, previous_period(period, periods)], columns=COUNTED_COLUMNS
    )
    rows = list(tasks.order_by().values("id", "zone_id", "category_id"))
    zone_now = {row["id"]: row["zone_id"] for row in rows}
    task_rows = snapshot.then(rows)
    groups = _groups(snapshot, task_rows, period, ["zone_id", "category_id"])
    owed = period.is_owed
    # As the dashboard: before the deadline the tasks not reported yet are not yet due.
    deadline_passed = day > period.deadline
    total = dash.Tally(owed=owed, deadline_passed=deadline_passed)
    for group in groups:
        total.add(group)
    zones = list(Zone.objects.filter(pk__in={g["zone_id"] for g in groups}).order_by("annex_number"))
    by_zone = dash._tally_by(groups, "zone_id", owed, deadline_passed)
    zone_rows = [{"zone": zone, "tally": by_zone[zone.pk]} for zone in zones]
    ranking = sorted(
        (row for row in zone_rows if row["tally"].score is not None),
        key=lambda row: (-row["tally"].score, row["zone"].annex_number),
    )
    found = {
        "period": period,
        "owed": owed,
        "deadline_passed": owed and deadline_passed,
        "total": total,
        "awaiting_review": sum(
            g["tasks"]
            for g in groups
            if g["report_state"] == ReportState.SUBMITTED and g["withdrawn_at"] is None
        ),
        "zones": zone_rows,
        "ranking": ranking,
        "history": _history(snapshot, tasks, zone_now, periods, zones, groups, complete),
        # Verified progress beside self-reported as it stood: the acceptances by then.
        "gaps": verification_gaps_as_of(
            snapshot, period, zones, {row["id"]: row["zone_id"] for row in task_rows}
        ),
        "snapshot": snapshot,
    }
    if breakdown:
        found["categories"], found["agencies"] = _breakdown(
            snapshot, tasks, task_rows, period, groups, owed, deadline_passed
        )
    return found


def _breakdown(snapshot, tasks, task_rows, period, groups, owed, deadline_passed):
    """(rows by category, rows by supporting agency) as of the day: the categories as they were
    titled then, the agencies by the links of then."""
    categories = categories_then(
        TaskCategory.objects.filter(pk__in={g["category_id"] for g in groups}).select_related("zone"),
        snapshot.day,
    )
    by_category = dash._tally_by(groups, "category_id", owed, deadline_passed)
    # The links of then: today's with the changes recorded since undone.
    links = AgencyLinkChange.objects.links_then(tasks.values("pk"), snapshot.end)
    agencies = {task_id: list(linked) for task_id, linked in links.items()}
    agency_groups = _groups(snapshot, task_rows, period, ["agency_links__agency_id"], agencies=agencies)
    by_agency = dash._tally_by(agency_groups, "agency_links__agency_id", owed, deadline_passed)
    agency_list = sorted(
        Agency.objects.filter(pk__in=by_agency), key=lambda agency: (-by_agency[agency.pk].tasks, agency.name)
    )
    return (
        [{"category": c, "tally": by_category[c.pk]} for c in categories],
        [{"agency": a, "tally": by_agency[a.pk]} for a in agency_list],
    )


def _history(snapshot, tasks, zone_of, periods, zones, groups, complete):
    """dashboard.selectors.period_history() as of the day: the same rule per zone and period.

    The sums start from today's of every task (`zone_of`: {task id: zone id today} of all of
    them, those created since too): the figures kept of the periods (dashboard.figures.kept, what
    the live page reads) when `tasks` are every task of the plan (`complete`) and they still
    hold, else counted in one query (dashboard.figures.counted). From those, each report that
    may have counted differently on the day is taken out as it counts today and put back as it
    counted then: every report changed since (a history row after the day), and every report of
    a task closed off, reopened, withdrawn or created since (the snapshot holds each of them, as
    it is today and as it was). Any other report is today what it was on the day, so a period in
    which nothing changed since the day is its kept figures as they are."""
    periods = sorted((p for p in periods if p.start <= snapshot.day and p.is_owed), key=lambda p: p.start)
    cells = defaultdict(lambda: {"percent_sum": 0, "on_time": 0, "reported": 0})
    zone_ids = [zone.pk for zone in zones]
    found, missing = ({}, periods) if not complete else figures.kept(periods, zone_ids)[:2]
    found.update(figures.counted(tasks, missing))
    for key, sums in found.items():
        cells[key].update(sums)
    by_pk = {p.pk: p for p in periods}

    def count(report, sign, closed_at, withdrawn_at):
        period = by_pk.get(report["period_id"])
        task_id = report["task_id"]
        if period is None or report["state"] not in REPORTED_STATES or task_id not in zone_of:
            return
        if ended_by(closed_at.get(task_id), period) or ended_by(withdrawn_at.get(task_id), period):
            return
        cell = cells[(period.pk, zone_of[task_id])]
        cell["percent_sum"] += sign * report["percent_complete"]
        cell["reported"] += sign
        if report["submitted_on"] is not None and report["submitted_on"] <= period.deadline:
            cell["on_time"] += sign

    now = (snapshot.closed_now, snapshot.withdrawn_now)
    then = (snapshot.closed_at, snapshot.withdrawn_at)
    rebuilt, reports, changed = snapshot.rebuilt_tasks, snapshot.reports, snapshot.reports_now
    for report_id, report in changed.items():
        count(report, -1, *now)
        if report_id in reports:  # not created since
            count(reports[report_id], 1, *then)
    if rebuilt:
        for report_id, report in (*reports.items(), *snapshot.absent_reports.items()):
            if report["task_id"] in rebuilt and report_id not in changed:
                # Unchanged since the day: as it is today, and then (only its task's close-off or
                # withdrawal changed, or it did not exist).
                count(report, -1, *now)
                if report_id in reports:
                    count(report, 1, *then)
    # Per zone, its tasks never closed or withdrawn, and the others by the moment they ended.
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
            cell = cells.get((period.pk, zone.pk), {"percent_sum": 0, "on_time": 0, "reported": 0})
            # As dashboard.selectors.period_history: before the deadline the tasks reported so far.
            due = open_tasks if snapshot.day > period.deadline else cell["reported"]
            points.append(
                {
                    "period": period,
                    "average": round(cell["percent_sum"] / due) if due else None,
                    "on_time": cell["on_time"],
                    "open": open_tasks,
                    "due": due,
                    "score": dash.zone_score(
                        on_time=cell["on_time"], open_tasks=due, percent_sum=cell["percent_sum"]
                    ),
                }
            )
        series.append({"zone": zone, "points": points})
    return {"periods": periods, "series": series}


def open_red_escalations(plan, day):
    """Red escalations (红色督办) of `plan` open at the end of `day`."""
    end = day_end(day)
    return (
        Escalation.objects.red()
        .filter(plan=plan, issued_at__lt=end)
        .filter(Q(settled_at__isnull=True) | Q(settled_at__gte=end))
        .order_by("issued_at")
    )


# --------------------------------------------------------------------------- the period report


def requests_as_of(requests, day):
    """The coordination requests asked by the end of `day`, each with the state and answer it had
    then (changed on the instances only, never saved)."""
    end = day_end(day)
    kept = []
    for request in requests:
        if request.asked_at >= end:
            continue
        if request.closed_at is not None and request.closed_at < end:
            request.state = RequestState.CLOSED
        elif request.answered_at is not None and request.answered_at < end:
            request.state = RequestState.ANSWERED
        else:
            request.state = RequestState.OPEN
            request.answer = ""
        kept.append(request)
    return kept


def evidence_counts(snapshot, report_ids):
    """{report id: active evidence at the end of the day}: one query."""
    end = snapshot.end
    counts = defaultdict(int)
    for report_id in (
        Evidence.objects.filter(report_id__in=report_ids, added_at__lt=end)
        .filter(Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=end))
        .values_list("report_id", flat=True)
    ):
        counts[report_id] += 1
    return counts


def coordination_requests(period, tasks):
    return (
        CoordinationRequest.objects.filter(period=period, task__in=tasks)
        .select_related("task", "agency")
        .order_by("task__zone__annex_number", "task__number", "asked_at", "pk")
    )


def _report_scope(user, period, day, zone=None, columns=REPORT_COLUMNS):
    """(zones, visible tasks, snapshot, the reports of `period` the user read then) of the period
    report of `period` at the end of `day`: the same zones and tasks as period_rows() on the
    day; (zones, None, None, None) without any."""
    from measures.reporting.models import reports_shown_to
    from measures.scoping import visible_zones

    end = day_end(day)
    # A liaison's scope as it stood then: the tasks their agency was linked to on the day.
    zones = visible_zones(user, linked_before=end).filter(plan_id=period.plan_id).order_by("annex_number")
    if zone is not None:
        zones = zones.filter(pk=zone.pk)
    zones = list(zones)
    if not zones:
        return zones, None, None, None
    began = timezone.make_aware(datetime.datetime.combine(period.start, datetime.time.min))
    visible = (
        Task.objects.visible_to(user, linked_before=end)
        .filter(zone_id__in=[z.pk for z in zones])
        .filter(Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=began))
    )
    snapshot = rebuild(
        visible, day, periods=[period, ReportingPeriod.objects.previous_of(period)], columns=columns
    )
    in_period = [r for r in snapshot.reports.values() if r["period_id"] == period.pk]
    if reports_shown_to(user):
        # A liaison reads what was submitted or accepted then, and every report of a task its agency
        # leads (the rule of reports_shown_to, read against the report's state on the day).
        agency_id = access_for(user).agency_id
        led = {
            task_id
            for task_id, linked in AgencyLinkChange.objects.links_then(visible.values("pk"), end).items()
            if linked.get(agency_id) == AgencyRole.LEAD
        }
        in_period = [r for r in in_period if r["state"] in REPORTED_STATES or r["task_id"] in led]
    return zones, visible, snapshot, in_period


def period_rows_as_of(user, period, day, zone=None):
    """measures.exports.rows.period_rows() as it read at the end of `day` (today = day): the same
    zones, tasks, rows and rules, the reports and close-offs from the snapshot."""
    with _paused():
        return _period_rows_as_of(user, period, day, zone)


def _period_rows_as_of(user, period, day, zone):
    from core.instances import loaded
    from measures.exports import rows as report_rows
    from measures.tasks.lights import light_reasons

    zones, visible, snapshot, in_period = _report_scope(user, period, day, zone)
    sections = {z.pk: report_rows.Section(zone=z) for z in zones}
    if not sections:
        return report_rows.PeriodReport(period=period, zone=zone, sections=[], today=day)
    evidence = evidence_counts(snapshot, [r["id"] for r in in_period])
    agency_ids = {r["support_agency_id"] for r in in_period if r["support_agency_id"]}
    agencies = {a.pk: a for a in Agency.objects.filter(pk__in=agency_ids)} if agency_ids else {}
    db = visible.db
    reports = {}
    for values in in_period:
        report = loaded(ProgressReport, {**values, "evidence_count": evidence[values["id"]]}, db=db)
        if report.support_agency_id is not None:
            ProgressReport.support_agency.field.set_cached_value(
                report, agencies.get(report.support_agency_id)
            )
        reports[report.task_id] = report
    task_rows = snapshot.then(list(visible.order_by().values(*report_rows.TASK_COLUMNS)))
    for values in sorted(task_rows, key=lambda row: row["number"]):
        values["closed_at"] = snapshot.closed_at[values["id"]]
        values["withdrawn_at"] = snapshot.withdrawn_at[values["id"]]
        task = loaded(Task, values, db=db)
        section = sections[task.zone_id]
        Task.zone.field.set_cached_value(task, section.zone)
        saved = reports.get(task.pk)
        report = saved if saved is not None and saved.state in REPORTED_STATES else None
        task.report_status = report.status if report else None
        task.report_state = saved.state if saved else None
        task.report_percent = report.percent_complete if report else None
        task.report_period_id = period.pk if report else None
        task.period = period
        task.overdue_count = snapshot.overdue(task.pk)
        closed = report_rows.is_ended(task, period)
        inputs = {
            "status": saved.status if saved else None,
            "state": task.report_state,
            "deadline": period.owed_deadline,
            "today": day,
            "overdue_milestones": task.overdue_count,
            "closed": closed,
        }
        task.light, task.light_reasons = light_for(**inputs), light_reasons(**inputs)
        section.rows.append(
            report_rows.TaskRow(
                task, report, task.light, task.light_reasons, report_rows.timeliness_of(task, report, period)
            )
        )
    for request in requests_as_of(coordination_requests(period, visible), day):
        snapshot.task_then(request.task)
        sections[request.task.zone_id].requests.append(request)
    result = report_rows.PeriodReport(period=period, zone=zone, sections=list(sections.values()), today=day)
    result.snapshot = snapshot
    result.zone_of = {row.task.pk: row.task.zone_id for row in result.rows}
    return result


def period_summary_as_of(user, period, day):
    """measures.exports.rows.period_summary() as it read at the end of `day` (today = day): the
    counts of period_rows_as_of()'s rows by zone and by category, counted from the snapshot's
    groups (as period_summary() counts task_groups()'), without a row per task. Carries the
    snapshot and {task id: zone id} (`zone_of`) for the comparison, who goes silent and verified
    progress, as a rebuilt report does."""
    with _paused():
        return _period_summary_as_of(user, period, day)


def _period_summary_as_of(user, period, day):
    from measures.exports import rows as report_rows

    summary = report_rows.PeriodSummary(period=period, sections=[], categories=[], today=day)
    zones, visible, snapshot, in_period = _report_scope(user, period, day, columns=COUNTED_COLUMNS)
    if not zones:
        return summary
    by_zone = {z.pk: report_rows.ZoneSummary(zone=z) for z in zones}
    task_rows = snapshot.then(list(visible.order_by().values("id", "zone_id", "category_id")))
    groups = _groups(
        snapshot,
        task_rows,
        period,
        ["zone_id", "category_id"],
        reports={r["task_id"]: r for r in in_period},
    )
    by_category = report_rows.add_groups(summary, by_zone, groups, period, day)
    categories = list(
        TaskCategory.objects.filter(pk__in=list(by_category)).only(
            "id", "zone_id", "number", "code", "title", "title_en"
        )
    )
    for category in categories:
        category.zone = by_zone[category.zone_id].zone
    for category in categories_then(categories, day):
        by_category[category.pk].category = category
        summary.categories.append(by_category[category.pk])
    # The requests asked by the end of the day (requests_as_of keeps those), per zone.
    asked = (
        CoordinationRequest.objects.filter(
            period=period, task__in=visible.values("pk"), asked_at__lt=snapshot.end
        )
        .order_by()
        .values_list("task__zone_id")
        .annotate(n=Count("pk"))
    )
    for zone_id, n in asked:
        by_zone[zone_id].tally.requests = n
        summary.requests += n
    summary.sections = list(by_zone.values())
    summary.snapshot = snapshot
    summary.zone_of = {row["id"]: row["zone_id"] for row in task_rows}
    return summary


# --------------------------------------------------------------------------- verified progress, who goes silent


def verification_gaps_as_of(snapshot, period, zones, zone_of):
    """review.selectors.verification_gaps() at the end of the day, from the snapshot's reports of
    `period` (`zone_of`: {task id: zone id} of the tasks read): the reports accepted by then with
    the assessment they were accepted with (an acceptance after the day is undone with its
    assessment). No query."""
    found = defaultdict(list)
    for report in snapshot.reports.values():
        zone_id = zone_of.get(report["task_id"])
        if report["period_id"] == period.pk and report["assessment"] and zone_id is not None:
            found[zone_id].append((report["percent_complete"], report["verified_percent"]))
    rows = []
    for zone in zones:
        pairs = found.get(zone.pk)
        if not pairs:
            rows.append({"zone": zone, "assessed": 0})
            continue
        n = len(pairs)
        rows.append(
            {
                "zone": zone,
                "assessed": n,
                "reported": sum(reported for reported, _verified in pairs) / n,
                "verified": sum(verified for _reported, verified in pairs) / n,
                "gap": sum(reported - verified for reported, verified in pairs) / n,
                "overstated": sum(1 for reported, verified in pairs if verified < reported),
            }
        )
    return rows


def zone_silence_as_of(report):
    """dashboard.silence.zone_figures() of a report rebuilt as of a day (period_rows_as_of, or the
    summary, period_summary_as_of: its snapshot and `zone_of`), for its zones in its period, with today = the day: the tasks still reported on then (neither
    closed off nor withdrawn by the day) owe a report each; the reports submitted or accepted then,
    on time by the date of their last submission by the day; each missing one late by the days
    from the deadline to the day; the returns recorded by the day. One query (the returns: the
    rebuild reads only the history rows after the day)."""
    from measures.dashboard.silence import ZoneSilence

    snapshot, period = report.snapshot, report.period
    deadline = period.deadline
    zone_of = report.zone_of
    found = defaultdict(ZoneSilence)
    reportable = defaultdict(int)
    for task_id, zone_id in zone_of.items():
        if snapshot.closed_at.get(task_id) is None and snapshot.withdrawn_at.get(task_id) is None:
            reportable[zone_id] += 1
    for zone_id, n in reportable.items():
        found[zone_id].owed = n
    reported = defaultdict(int)
    for values in snapshot.reports.values():
        task_id = values["task_id"]
        if (
            values["period_id"] != period.pk
            or values["state"] not in REPORTED_STATES
            or task_id not in zone_of
            or snapshot.withdrawn_at.get(task_id) is not None
        ):
            continue
        figures = found[zone_of[task_id]]
        submitted_on = values["submitted_on"]
        if submitted_on is not None and submitted_on > deadline:
            figures.late_reports += 1
            figures.late_days += (submitted_on - deadline).days
        else:
            figures.on_time += 1
        if snapshot.closed_at.get(task_id) is None:
            reported[zone_of[task_id]] += 1
    for zone_id, n in reportable.items():
        missing = n - reported[zone_id]
        found[zone_id].late_reports += missing
        found[zone_id].late_days += missing * (snapshot.day - deadline).days
    zones = [section.zone.pk for section in report.sections]
    returned = (
        ReportEvent.objects.filter(
            kind=EventKind.RETURNED, period=period, task__zone_id__in=zones, at__lt=snapshot.end
        )
        .order_by()
        .values_list("task__zone_id")
        .annotate(n=Count("pk"))
    )
    for zone_id, n in returned:
        found[zone_id].returned = n
    return found
