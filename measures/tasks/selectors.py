"""Reads for the task, report and officer pages; each a fixed number of queries."""

from django.db.models import (
    CharField,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from core.instances import loaded
from measures.changes.selectors import previous_period, task_change_from
from measures.choices import REPORTED_STATES, EventKind, ReportState
from measures.models import Evidence, Milestone, ProgressReport, ReportEvent, Task, TaskAgency
from measures.periods.selectors import current_periods, plan_periods
from measures.reporting.models import is_listed, reports_shown_to, signed_off_in, unsubmitted_listed_for
from measures.tasks.lights import light_for, light_reasons
from zones.models import Agency


def with_period_report(tasks, period_ids, today, *, user=None):
    """Annotate each task with its report in one of `period_ids` (a task has at most one:
    one period per plan) and its count of overdue milestones."""
    # No ordering: a task has at most one such report, and the model's default ordering would
    # join period, plan, task and zone into each of the four subqueries and sort them, per row
    # (most of the task list's query time on PostgreSQL, and its planning time).
    # Subqueries rather than one join (FilteredRelation): the ORM keeps a join in the list's count
    # and in its page's key query, which then looked up every task's report (20,000 at scale) only
    # to count and sort tasks; the four subqueries are dropped there. Tried: the one-zone page
    # 0.3 ms faster, the list of all tasks 5 ms slower.
    report = ProgressReport.objects.filter(task=OuterRef("pk"), period_id__in=period_ids).order_by()
    if user is not None:
        report = report.shown_to(user)
    # A correlated count rather than a join, so the task rows need no GROUP BY.
    overdue = Milestone.objects.overdue_count_of(OuterRef("pk"), today)
    if not period_ids:
        # An empty IN () would make the whole filtered query match nothing.
        return tasks.annotate(
            report_status=Value(None, output_field=CharField()),
            report_state=Value(None, output_field=CharField()),
            report_percent=Value(None, output_field=IntegerField()),
            report_period_id=Value(None, output_field=IntegerField()),
            overdue_count=overdue,
        )
    return tasks.annotate(
        report_status=Subquery(report.values("status")[:1]),
        report_state=Subquery(report.values("state")[:1]),
        report_percent=Subquery(report.values("percent_complete")[:1]),
        report_period_id=Subquery(report.values("period_id")[:1]),
        overdue_count=overdue,
    )


def attach_lights(tasks, period_by_plan, today, *, user=None, drafts=False):
    """Give each annotated task its period, light and the light's reasons. With `user`, a report
    the list may not show as the zone's (reporting.unsubmitted_listed_for: a draft, to a manager who
    did not ask) keeps its light but loses its status and percent, as if none had been submitted."""
    own_zones = unsubmitted_listed_for(user, drafts=drafts) if user is not None else None
    for task in tasks:
        period = period_by_plan.get(task.zone.plan_id)
        values = {
            "status": task.report_status,
            "state": task.report_state,
            "deadline": period.owed_deadline if period else None,
            "today": today,
            "overdue_milestones": task.overdue_count,
            "closed": task.closed_at is not None,
            "withdrawn": task.withdrawn_at is not None,
        }
        task.period = period
        task.light = light_for(**values)
        task.report_listed = is_listed(task.report_state, task.zone_id, own_zones)
        if task.report_state is not None and not task.report_listed:
            task.report_status = task.report_percent = None
            # The light still reads the saved draft; its reasons must not quote the draft's status.
            task.light_reasons = light_reasons(**{**values, "status": None}) or (
                [_("Read from the zone's report not yet submitted")] if task.light else []
            )
        else:
            task.light_reasons = light_reasons(**values)
    return tasks


def attach_agencies(tasks):
    """Give each task of a page its supporting agencies in the plan's order (`listed_agencies`,
    what the list's rows show): one query of plain rows, one instance per agency of the page. The
    prefetch of with_agencies() made two model instances and a related manager per link, a
    tenth of the one-zone list's time; the agencies only label and link the chips."""
    tasks = list(tasks)
    if not tasks:
        return tasks
    links = (
        TaskAgency.objects.filter(task_id__in=[task.pk for task in tasks])
        .order_by("task_id", "position")
        .values_list("task_id", "agency_id", "agency__name", "agency__name_en")
    )
    by_task, agencies = {}, {}
    for task_id, agency_id, name, name_en in links:
        if agency_id not in agencies:
            agencies[agency_id] = loaded(
                Agency, {"id": agency_id, "name": name, "name_en": name_en}, links.db
            )
        by_task.setdefault(task_id, []).append(agencies[agency_id])
    for task in tasks:
        task.listed_agencies = by_task.get(task.pk, [])
    return tasks


def task_list(user, today=None, periods=None):
    """The list's tasks (their agencies read per page by attach_agencies) and the periods."""
    today = today or timezone.localdate()
    periods = current_periods(today) if periods is None else periods
    tasks = Task.objects.visible_to(user).select_related("zone", "category")
    return with_period_report(tasks, [p.pk for p in periods.values()], today, user=user).order_by(
        "zone__plan__code", "zone__annex_number", "number"
    ), periods


def visible_task(user, code, number):
    """The task, or 404 when it does not exist or lies outside the user's scope, with the
    numbers of the previous and next task of its zone the user may see (for the page's links),
    read in the same query."""
    siblings = Task.objects.visible_to(user).filter(zone=OuterRef("zone"))
    before = siblings.filter(number__lt=OuterRef("number")).order_by("-number")
    after = siblings.filter(number__gt=OuterRef("number")).order_by("number")
    return get_object_or_404(
        Task.objects.visible_to(user)
        .select_related("zone__plan", "category__zone", "closed_by", "revised_in")
        .with_agencies()
        .annotate(
            previous_number=Subquery(before.values("number")[:1]),
            next_number=Subquery(after.values("number")[:1]),
            # The plan's own numbering (4.2.3) where it has one, for the links' labels.
            previous_code=Subquery(before.values("code")[:1]),
            next_code=Subquery(after.values("code")[:1]),
        ),
        zone__code=code,
        number=number,
    )


def _report_trail(report, events):
    """Who last edited, submitted and reviewed the shown report, picked from the task's history
    already read (newest first, with actor), so the page names a reviewer as the reviewer rather
    than as the last editor (accepting or returning a report also moves its updated_by)."""
    if report is None:
        return {}
    mine = [event for event in events if event.report_id == report.pk]

    def newest(*kinds):
        return next((event for event in mine if event.kind in kinds), None)

    reviewed = None
    if report.state == ReportState.ACCEPTED:
        reviewed = newest(EventKind.ACCEPTED)
    elif report.state == ReportState.RETURNED:
        # Returned by the city, or sent back by the zone leader before it reached the city.
        reviewed = newest(EventKind.RETURNED, EventKind.SENT_BACK)
    return {
        "edited": newest(EventKind.CREATED, EventKind.EDITED),
        "submitted": newest(EventKind.SUBMITTED) if report.state != ReportState.DRAFT else None,
        # Reported by the zone: on a plan requiring sign-off, only after it.
        "signed_off": newest(EventKind.SIGNED_OFF) if report.state in REPORTED_STATES else None,
        "reviewed": reviewed,
    }


def task_page(user, task, period, today=None, periods=None):
    """Everything the task page shows for one period: a fixed number of queries."""
    today = today or timezone.localdate()
    periods = plan_periods(task) if periods is None else periods
    previous = previous_period(period, periods) if period is not None else None
    report, latest, earlier_report, previous_report = _reports_shown(user, task, period, periods, previous)
    milestones = list(task.milestones.with_cited().order_by("due", "pk"))
    for milestone in milestones:
        milestone.overdue = milestone.is_overdue(today)
    requests = list(
        task.coordination_requests.with_overdue(today)
        .select_related("agency", "asked_by", "answered_by", "period")
        .order_by("-asked_at")
    )
    events = ReportEvent.objects.filter(task=task)
    shown = reports_shown_to(user, prefix="report__")
    if shown:
        # Not the history of a report the user may not read (an empty Q would drop the OR).
        events = events.filter(Q(report__isnull=True) | shown)
    events = list(events.select_related("actor", "on_behalf_of", "period").order_by("-at", "-pk"))
    if report is not None:
        # The recall rule's sign-off from the history read here, not read again.
        report.is_signed_off = signed_off_in(e.kind for e in events if e.report_id == report.pk)
    values = {
        "status": report.status if report else None,
        "state": report.state if report else None,
        "deadline": period.owed_deadline if period else None,
        "today": today,
        "overdue_milestones": sum(1 for m in milestones if m.overdue),
        "closed": task.is_closed,
        "withdrawn": task.is_withdrawn,
    }
    latest_review = next(
        (
            e
            for e in events
            if report
            and e.report_id == report.pk
            and e.kind in ("returned", "sent_back", "commented", "accepted")
        ),
        None,
    )
    return {
        "periods": periods,
        "period": period,
        "report": report,
        "report_trail": _report_trail(report, events),
        "earlier_report": earlier_report,
        "milestones": milestones,
        "requests": requests,
        "events": events,
        "light": light_for(**values) if period else None,
        "light_reasons": light_reasons(**values) if period else [],
        "latest_review": latest_review,
        "agency_names": {agency.pk: agency.display_name for agency in task.ordered_agencies},
        "closable": bool(latest and latest.closes_off_task),
        # This period against the one before (measures.changes.selectors), from the rows above.
        "change": task_change_from(
            task=task,
            period=period,
            previous=previous,
            now=report,
            before=previous_report,
            milestones=milestones,
        )
        if period is not None
        else None,
        "change_previous": previous,
    }


def latest_return_note(report):
    """The reviewer's note the officer is answering, while the report is returned."""
    if report is None or report.state != ReportState.RETURNED:
        return None
    return (
        report.events.filter(kind__in=("returned", "sent_back"))
        .select_related("actor", "on_behalf_of")
        .order_by("-at", "-pk")
        .first()
    )


def _reports_shown(user, task, period, periods, previous=None):
    """(the report of `period`, the task's latest report, whether it has one before `period`, the
    report of the `previous` period), in one query of at most three rows, plus one for the shown
    report's evidence.

    The latest tells whether close-off (销号) is possible (it is accepted and completed), so it
    is read whichever period the page shows, unless the task is closed or withdrawn. The earlier
    one is what "start from the previous period" copies, offered while the period shown has no
    report; it need not be either row (an older period may be shown), so it is an EXISTS on
    them: no row means the task has no report at all, so no earlier one either."""
    wants_latest = not (task.is_closed or task.is_withdrawn) and bool(periods)
    if period is None and not wants_latest:
        return None, None, False, None
    reports = ProgressReport.objects.filter(task=task).shown_to(user)
    condition = Q(pk=Subquery(reports.order_by("-period__start").values("pk")[:1]))
    if period is not None:
        condition |= Q(period=period)
        if previous is not None:
            condition |= Q(period=previous)
        earlier = reports.filter(period__plan_id=period.plan_id, period__start__lt=period.start)
        reports = reports.annotate(has_earlier=Exists(earlier))
    rows = list(
        reports.filter(condition).select_related("support_agency", "updated_by").order_by("-period__start")
    )
    report = next((row for row in rows if period is not None and row.period_id == period.pk), None)
    if report is not None:
        # The template asks whether it came late: the report's period is the one shown.
        report.period = period
        prefetch_related_objects(
            [report],
            Prefetch(
                "evidence",
                queryset=Evidence.objects.select_related("added_by", "withdrawn_by").order_by(
                    "added_at", "pk"
                ),
            ),
        )
    latest = rows[0] if rows and wants_latest else None
    earlier_report = bool(period is not None and report is None and rows and rows[0].has_earlier)
    before = next((row for row in rows if previous is not None and row.period_id == previous.pk), None)
    return report, latest, earlier_report, before
