"""Reads for the task, report and officer pages; each a fixed number of queries."""

import datetime

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .choices import EventKind, MatterState, ReportState, RequestState
from .filters import ReviewQueueFilter
from .lights import light_for, light_reasons
from .models import (
    CoordinationRequest,
    Evidence,
    Milestone,
    ProgressReport,
    Reminder,
    ReportEvent,
    ReportingPeriod,
    Task,
)
from .scoping import access_for, visible_matters


def current_of(periods, today=None):
    """The period being reported on `today` among one plan's periods (the rule of current_for())."""
    today = today or timezone.localdate()
    periods = sorted(periods, key=lambda p: p.start)
    if not periods:
        return None
    started = [p for p in periods if p.start <= today]
    due = sorted((p for p in started if p.deadline >= today), key=lambda p: (p.deadline, p.start))
    return due[0] if due else (started[-1] if started else periods[0])


def current_periods(today=None):
    """{plan id: the period being reported on `today`}, in one query."""
    by_plan = {}
    for period in ReportingPeriod.objects.select_related("plan").order_by("start"):
        by_plan.setdefault(period.plan_id, []).append(period)
    return {plan_id: current_of(periods, today) for plan_id, periods in by_plan.items()}


def plan_periods(task):
    return list(
        ReportingPeriod.objects.filter(plan_id=task.zone.plan_id).select_related("plan").order_by("-start")
    )


def with_period_report(tasks, period_ids, today):
    """Annotate each task with its report in one of `period_ids` (a task has at most one:
    one period per plan) and its count of overdue milestones."""
    # No ordering: a task has at most one such report, and the model's default ordering would
    # join period, plan, task and zone into each of the four subqueries and sort them, per row
    # (most of the task list's query time on PostgreSQL, and its planning time).
    report = ProgressReport.objects.filter(task=OuterRef("pk"), period_id__in=period_ids).order_by()
    # A correlated count rather than a join, so the task rows need no GROUP BY.
    overdue = (
        Milestone.objects.filter(task=OuterRef("pk"), done_on__isnull=True, due__lt=today)
        .order_by()
        .values("task")
        .annotate(count=Count("pk"))
        .values("count")
    )
    if not period_ids:
        # An empty IN () would make the whole filtered query match nothing.
        return tasks.annotate(
            report_status=Value(None, output_field=CharField()),
            report_state=Value(None, output_field=CharField()),
            report_percent=Value(None, output_field=IntegerField()),
            report_period_id=Value(None, output_field=IntegerField()),
            overdue_count=Coalesce(Subquery(overdue), 0),
        )
    return tasks.annotate(
        report_status=Subquery(report.values("status")[:1]),
        report_state=Subquery(report.values("state")[:1]),
        report_percent=Subquery(report.values("percent_complete")[:1]),
        report_period_id=Subquery(report.values("period_id")[:1]),
        overdue_count=Coalesce(Subquery(overdue), 0),
    )


def attach_lights(tasks, period_by_plan, today):
    """Give each annotated task its period, light and the light's reasons."""
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
        task.light_reasons = light_reasons(**values)
    return tasks


def task_list(user, today=None, periods=None):
    today = today or timezone.localdate()
    periods = current_periods(today) if periods is None else periods
    tasks = Task.objects.visible_to(user).for_list()
    return with_period_report(tasks, [p.pk for p in periods.values()], today).order_by(
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
        .select_related("zone__plan", "category__zone", "closed_by")
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

    return {
        "edited": newest(EventKind.CREATED, EventKind.EDITED),
        "submitted": newest(EventKind.SUBMITTED) if report.state != ReportState.DRAFT else None,
        "reviewed": newest(report.state)
        if report.state in (ReportState.ACCEPTED, ReportState.RETURNED)
        else None,
    }


def task_page(user, task, period, today=None, periods=None):
    """Everything the task page shows for one period: a fixed number of queries."""
    today = today or timezone.localdate()
    periods = plan_periods(task) if periods is None else periods
    report, latest, earlier_report = _reports_shown(task, period, periods)
    milestones = list(task.milestones.order_by("due", "pk"))
    for milestone in milestones:
        milestone.overdue = milestone.is_overdue(today) and not task.is_closed and not task.is_withdrawn
    requests = list(
        task.coordination_requests.select_related("agency", "asked_by", "answered_by", "period").order_by(
            "-asked_at"
        )
    )
    events = list(
        ReportEvent.objects.filter(task=task).select_related("actor", "period").order_by("-at", "-pk")
    )
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
            if report and e.report_id == report.pk and e.kind in ("returned", "commented", "accepted")
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
        "closable": bool(latest and latest.state == ReportState.ACCEPTED and latest.status == "completed"),
    }


def overdue_milestones(tasks, today):
    return (
        Milestone.objects.overdue(today)
        .filter(task__in=tasks)
        .select_related("task__zone")
        .order_by("due", "task__zone__annex_number", "task__number")
    )


def open_requests(user):
    """Coordination requests still open for the user: asked by their zones, or addressed to their agency."""
    access = access_for(user)
    requests = CoordinationRequest.objects.exclude(state=RequestState.CLOSED).select_related(
        "task__zone", "agency", "asked_by"
    )
    if access.sees_everything:
        return requests.order_by("-asked_at")
    condition = Q(pk__in=[])
    if access.zone_ids:
        condition |= Q(task__zone_id__in=access.zone_ids)
    if access.agency_id:
        condition |= Q(agency_id=access.agency_id)
    return requests.filter(condition).order_by("-asked_at")


def requests_for_agency(user, agency):
    """Requests addressed to `agency` on tasks the user may see; open ones first."""
    return (
        CoordinationRequest.objects.filter(agency=agency, task__in=Task.objects.visible_to(user))
        .select_related("task__zone", "asked_by", "answered_by")
        .order_by(
            Case(When(state=RequestState.OPEN, then=0), When(state=RequestState.ANSWERED, then=1), default=2),
            "-asked_at",
        )
    )


MY_LIST_LIMIT = 50
NOTICES_SHOWN_DAYS = 14
NOTICES_SHOWN = 5


def notices_for(user, today):
    """The reminders and chase notices (催办) sent to `user` in the last two weeks for periods
    still open: the way an officer without an e-mail address (or whose mail bounced) is reached."""
    since = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=NOTICES_SHOWN_DAYS), datetime.time.min)
    )
    return list(
        Reminder.objects.filter(recipient=user, sent_at__gte=since, period__locked_at__isnull=True)
        .select_related("period", "zone", "sent_by")
        .order_by("-sent_at", "-pk")[:NOTICES_SHOWN]
    )


def _periods_of_interest(access, periods, tasks):
    """The current periods of the plans the user works in: every plan for those who see
    everything, otherwise the plans of their tasks (an officer has no business with a period of
    a plan none of their zones is in, and a button for it would only be refused)."""
    shown = [period for period in periods.values() if period]
    if not access.sees_everything:
        plan_ids = {task.zone.plan_id for task in tasks}
        shown = [period for period in shown if period.plan_id in plan_ids]
    return sorted(shown, key=lambda period: period.plan.code, reverse=True)


def my_page(user, today=None, params=None):
    """What a user should act on now, by role. Managers get the review queue rather than every
    task (the dashboard covers those), so the page stays small however large the plan is.
    `params` (the query string) may narrow the queue to a period, as the dashboard links it."""
    today = today or timezone.localdate()
    access = access_for(user)
    periods = current_periods(today)
    tasks = []
    if not access.sees_everything or access.is_officer:
        tasks, periods = task_list(user, today, periods)
        tasks = attach_lights(list(tasks), periods, today)
    # Only officers (and administrators) write reports; a liaison's supported tasks are not theirs.
    own = [t for t in tasks if access.is_admin or t.zone_id in access.zone_ids]
    returned = [t for t in own if t.report_state == ReportState.RETURNED]
    to_report = [
        t
        for t in own
        if t.closed_at is None
        and t.withdrawn_at is None
        and t.report_state in (None, ReportState.DRAFT)
        and t.period is not None
        and t.period.is_owed
    ]
    awaiting_review = []
    review_filter = None
    if access.is_manager:
        # Withdrawn tasks are off the plan, so off the queue, as the dashboard's count has them.
        review_filter = ReviewQueueFilter(
            params or None,
            queryset=ProgressReport.objects.filter(
                state=ReportState.SUBMITTED, task__withdrawn_at__isnull=True
            ),
        )
        # The oldest first: they have waited longest. One more than shown tells whether there are more.
        awaiting_review = list(
            review_filter.qs.select_related("task__zone", "period", "updated_by").order_by(
                "submitted_at", "pk"
            )[: MY_LIST_LIMIT + 1]
        )
    requests = list(open_requests(user)[: MY_LIST_LIMIT + 1])
    matters = []
    if access.is_officer or access.is_manager:
        # Not yet closed: the managers' to answer, the officers' to follow up (one query).
        matters = list(
            visible_matters(user)
            .exclude(state=MatterState.CLOSED)
            .select_related("zone", "task")
            .order_by("-raised_at", "-pk")[: MY_LIST_LIMIT + 1]
        )
    overdue_periods = earlier_unreported(own, today) if access.is_officer else []
    notices = notices_for(user, today) if access.is_officer else []
    returned_values = []
    if access.is_officer:
        # Late import: the indicators app reads measures' models, not the other way round.
        from indicators.selectors import returned_values as indicator_values_returned

        returned_values = indicator_values_returned(zone_ids=access.zone_ids, limit=MY_LIST_LIMIT)
    visible = Task.objects.visible_to(user)
    return {
        "access": access,
        "tasks": tasks,
        "returned": returned,
        "returned_values": returned_values[:MY_LIST_LIMIT],
        "more_returned_values": len(returned_values) > MY_LIST_LIMIT,
        "to_report": to_report,
        "awaiting_review": awaiting_review[:MY_LIST_LIMIT],
        "review_period": getattr(review_filter.form, "cleaned_data", {}).get("period")
        if review_filter
        else None,
        "more_awaiting_review": len(awaiting_review) > MY_LIST_LIMIT,
        "overdue_milestones": list(overdue_milestones(visible, today)[:MY_LIST_LIMIT])
        if access.is_officer
        else [],
        "overdue_periods": overdue_periods,
        "notices": notices,
        "requests": requests[:MY_LIST_LIMIT],
        "more_requests": len(requests) > MY_LIST_LIMIT,
        "matters": matters[:MY_LIST_LIMIT],
        "more_matters": len(matters) > MY_LIST_LIMIT,
        "periods": _periods_of_interest(access, periods, tasks),
        "today": today,
        "list_limit": MY_LIST_LIMIT,
    }


def period_overview():
    """Every period with its report counts by state, newest first: one query of correlated
    counts (joining reports and tasks together would multiply rows at scale)."""

    def count(queryset, group):
        counted = queryset.order_by().values(group).annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    reports = ProgressReport.objects.filter(period=OuterRef("pk"))
    by_state = {f"n_{state}": count(reports.filter(state=state), "period") for state in ReportState.values}
    tasks = Task.objects.filter(zone__plan=OuterRef("plan"))
    return (
        ReportingPeriod.objects.select_related("plan", "locked_by")
        .annotate(task_count=count(tasks, "zone__plan"), **by_state)
        .order_by("plan__code", "-start")
    )


def latest_return_note(report):
    """The reviewer's note the officer is answering, while the report is returned."""
    if report is None or report.state != ReportState.RETURNED:
        return None
    return report.events.filter(kind="returned").select_related("actor").order_by("-at", "-pk").first()


def _reports_shown(task, period, periods):
    """(the report of `period`, the task's latest report, whether it has one before `period`),
    in one query of at most two rows, plus one for the shown report's evidence.

    The latest tells whether close-off (销号) is possible (it is accepted and completed), so it
    is read whichever period the page shows, unless the task is closed or withdrawn. The earlier
    one is what "start from the previous period" copies, offered while the period shown has no
    report; it need not be either row (an older period may be shown), so it is an EXISTS on
    them: no row means the task has no report at all, so no earlier one either."""
    wants_latest = not (task.is_closed or task.is_withdrawn) and bool(periods)
    if period is None and not wants_latest:
        return None, None, False
    reports = ProgressReport.objects.filter(task=task)
    condition = Q(pk=Subquery(reports.order_by("-period__start").values("pk")[:1]))
    if period is not None:
        condition |= Q(period=period)
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
    return report, latest, earlier_report


def earlier_unreported(tasks, today):
    """[(period, [tasks])] for open periods whose deadline has passed and where some of `tasks`
    have no submitted or accepted report: the reports officers still owe (two queries). Periods
    before the plan's tracking start are not owed (ReportingPeriod.objects.owed())."""
    plan_ids = {task.zone.plan_id for task in tasks}
    if not plan_ids:
        return []
    periods = list(
        ReportingPeriod.objects.owed()
        .filter(plan_id__in=plan_ids, deadline__lt=today, locked_at__isnull=True)
        .order_by("start")
    )
    if not periods:
        return []
    done = set(
        ProgressReport.objects.filter(
            period__in=periods,
            task_id__in=[task.pk for task in tasks],
            state__in=[ReportState.SUBMITTED, ReportState.ACCEPTED],
        ).values_list("task_id", "period_id")
    )
    owed = []
    for period in periods:
        missing = [
            task
            for task in tasks
            if task.zone.plan_id == period.plan_id
            and task.closed_at is None
            and task.withdrawn_at is None
            and (task.pk, period.pk) not in done
        ]
        if missing:
            owed.append((period, missing))
    return owed
