"""The my page's reads: what a user should act on now, by role (tasks, reports, indicator values)."""

from django.utils import timezone

from core.access import access_for
from indicators.selectors import returned_values as indicator_values_returned
from indicators.selectors import values_due as indicator_values_due
from measures.choices import REPORTED_STATES, AgencyRole, MatterState, ReportState
from measures.followup.selectors import open_requests, overdue_milestones
from measures.models import ProgressReport, ReportingPeriod, Task, TaskAgency
from measures.periods.selectors import current_periods
from measures.reporting.filters import ReviewQueueFilter
from measures.scoping import visible_matters
from measures.signoff.selectors import signoff_queue, signs_off
from measures.signoff.services import DEPUTISED_ROLES
from measures.tasks.selectors import attach_lights, task_list
from stocktakes.selectors import my_items

MY_LIST_LIMIT = 50


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
        tasks = attach_lights(list(tasks), periods, today, user=user)
    # Officers (and administrators) write reports, and a liaison for the tasks its agency leads
    # (牵头单位); the tasks it only supports are not theirs.
    led = set()
    if access.is_liaison:
        led = set(
            TaskAgency.objects.filter(agency_id=access.agency_id, role=AgencyRole.LEAD).values_list(
                "task_id", flat=True
            )
        )
    own = [t for t in tasks if access.is_admin or t.zone_id in access.zone_ids or t.pk in led]
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
    awaiting_signoff, signoff_count = [], 0
    if signs_off(user):
        # Zone leaders and their deputies: the true count, the oldest submissions listed.
        queue = signoff_queue(user)
        signoff_count = queue.count()
        awaiting_signoff = list(
            queue.select_related("task__zone", "period", "updated_by").order_by("updated_at", "pk")[
                :MY_LIST_LIMIT
            ]
        )
    awaiting_review = []
    awaiting_total = 0
    review_filter = None
    # A manager's deputy reviews while the deputyship is in force (measures.signoff).
    if access.reviews_reports:
        # Withdrawn tasks are off the plan, so off the queue, as the dashboard's count has them.
        review_filter = ReviewQueueFilter(params or None, queryset=ProgressReport.objects.awaiting_review())
        # The oldest first: they have waited longest. One more than shown tells whether there are more.
        awaiting_review = list(
            review_filter.qs.select_related("task__zone", "period", "updated_by").order_by(
                "submitted_at", "pk"
            )[: MY_LIST_LIMIT + 1]
        )
        # The true count (the list stops at MY_LIST_LIMIT): read only when the list is full.
        awaiting_total = (
            review_filter.qs.count() if len(awaiting_review) > MY_LIST_LIMIT else len(awaiting_review)
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
    returned_values = []
    values_due = []
    if access.is_officer:
        returned_values = indicator_values_returned(zone_ids=access.zone_ids, limit=MY_LIST_LIMIT)
        # The zones whose values they may enter (indicators.services.can_enter), in every plan.
        values_due = indicator_values_due(zone_ids=access.zone_ids, periods=periods)
    visible = Task.objects.visible_to(user)
    # Items stocktake meetings assigned to the user's zones or agency (交办事项): one query, for those
    # who answer for them.
    assigned = my_items(user, MY_LIST_LIMIT) if access.zone_ids or access.agency_id else []
    return {
        "assigned_items": assigned[:MY_LIST_LIMIT],
        "more_assigned_items": len(assigned) > MY_LIST_LIMIT,
        "access": access,
        "tasks": tasks,
        "returned": returned,
        "returned_values": returned_values[:MY_LIST_LIMIT],
        "indicator_values_due": values_due,
        "more_returned_values": len(returned_values) > MY_LIST_LIMIT,
        "to_report": to_report,
        "signs_off": signs_off(user),
        "names_deputy": bool(access.roles & DEPUTISED_ROLES),
        "awaiting_signoff": awaiting_signoff,
        "signoff_count": signoff_count,
        "awaiting_review": awaiting_review[:MY_LIST_LIMIT],
        "review_period": getattr(review_filter.form, "cleaned_data", {}).get("period")
        if review_filter
        else None,
        "more_awaiting_review": len(awaiting_review) > MY_LIST_LIMIT,
        "awaiting_total": awaiting_total,
        "overdue_milestones": list(overdue_milestones(visible, today)[:MY_LIST_LIMIT])
        if access.is_officer
        else [],
        "overdue_periods": overdue_periods,
        "requests": requests[:MY_LIST_LIMIT],
        "more_requests": len(requests) > MY_LIST_LIMIT,
        "matters": matters[:MY_LIST_LIMIT],
        "more_matters": len(matters) > MY_LIST_LIMIT,
        "periods": _periods_of_interest(access, periods, tasks),
        "today": today,
        "list_limit": MY_LIST_LIMIT,
    }


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
            state__in=REPORTED_STATES,
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
