"""Reads of the review workbench: the queue of reports waiting for a manager, one report with
what a reviewer compares it with, and the gap between self-reported and verified progress."""

from django.contrib.auth import get_user_model
from django.db.models import Avg, Case, Count, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.access import review_capacity
from measures.choices import REPORTED_STATES, EventKind, Light
from measures.models import Evidence, Milestone, ProgressReport, ReportEvent
from measures.reporting.models import AUTHOR_KINDS, awaiting_review_count
from measures.tasks.lights import light_for

# A waiting report is never withdrawn (the rule leaves those out), so these are the lights it can have.
LIGHT_CHOICES = [
    (light.value, light.label) for light in (Light.RED, Light.YELLOW, Light.GREEN, Light.NONE, Light.CLOSED)
]
FIRST, RESUBMITTED = "first", "resubmitted"
ROUNDS = [(FIRST, _("First submission")), (RESUBMITTED, _("Resubmitted after a return"))]
LIGHT_INPUTS = [
    "pk",
    "status",
    "state",
    "task__closed_at",
    "task__withdrawn_at",
    "period__deadline",
    "period__plan__tracking_start",
    "overdue_count",
]


def waiting_reports():
    """Every report waiting for a manager's review (ProgressReport.objects.awaiting_review(), the
    one rule), each marked whether it was returned before (resubmitted)."""
    returned = ReportEvent.objects.filter(report=OuterRef("pk"), kind=EventKind.RETURNED)
    return ProgressReport.objects.awaiting_review().annotate(resubmitted=Exists(returned))


def waiting_count():
    """The true number of reports waiting for review (the queue's heading; no cap)."""
    return ProgressReport.objects.awaiting_review().count()


def _light(status, state, deadline, tracking_start, overdue, closed_at, withdrawn_at, today):
    return light_for(
        status=status,
        state=state,
        # The period's owed_deadline, from the values read.
        deadline=deadline if deadline >= tracking_start else None,
        today=today,
        overdue_milestones=overdue,
        closed=closed_at is not None,
        withdrawn=withdrawn_at is not None,
    )


def with_overdue(queryset, today):
    return queryset.annotate(overdue_count=Milestone.objects.overdue_count_of(OuterRef("task_id"), today))


def lights_of(queryset, today):
    """{report id: the task's light in the report's period}, in one query."""
    lights = {}
    for row in with_overdue(queryset, today).order_by().values(*LIGHT_INPUTS):
        lights[row["pk"]] = _light(
            row["status"],
            row["state"],
            row["period__deadline"],
            row["period__plan__tracking_start"],
            row["overdue_count"],
            row["task__closed_at"],
            row["task__withdrawn_at"],
            today,
        )
    return lights


def deciders(user):
    """Whose submissions `user` may not decide (four eyes): their own, and as a manager's deputy
    (core.access.review_capacity) those of the manager they stand in for too."""
    capacity = review_capacity(user)
    principal = capacity.on_behalf_of if capacity else None
    return [user.pk] if principal is None else [user.pk, principal]


def authored_by(user):
    """Exists(): the report was written or submitted by `user`, or by the manager `user` stands in
    for (four eyes)."""
    return Exists(
        ReportEvent.objects.filter(report=OuterRef("pk"), actor__in=deciders(user), kind__in=AUTHOR_KINDS)
    )


ORDER = ("submitted_at", "pk")


def deputy_waiting_count(user):
    """waiting_for(user).count() read from the count the database keeps (SubmittedReportCount,
    awaiting_review_count): the top bar's badge of a manager's deputy, in one query."""
    count = awaiting_review_count(user, authors=deciders(user))
    return get_user_model().objects.filter(pk=user.pk).annotate(n=count).values_list("n", flat=True).get()


def waiting_for(user):
    """The reports waiting for review that `user` may decide (the top bar's badge for a manager's
    deputy): the queue's, without those `user` or the manager they stand in for wrote (four eyes)."""
    return ProgressReport.objects.awaiting_review().exclude(authored_by(user))


def queue_queryset(queryset, user, today):
    """The filtered queue, oldest submission first (they have waited longest), with what each
    row shows: its task and zone, period, author, overdue milestones and whether `user` wrote it.
    A page of it is one query, whatever the number of rows."""
    return (
        with_overdue(queryset, today)
        .annotate(own=authored_by(user))
        .select_related("task__zone", "period__plan", "updated_by")
        .order_by(*ORDER)
    )


def decorate(rows, today):
    """Each row of queue_queryset() with its light and its days waiting."""
    for report in rows:
        report.light = _light(
            report.status,
            report.state,
            report.period.deadline,
            report.period.plan.tracking_start,
            report.overdue_count,
            report.task.closed_at,
            report.task.withdrawn_at,
            today,
        )
        report.days_waiting = (today - report.submitted_on).days if report.submitted_on else 0
        yield report


def next_in_queue(queryset, user, after):
    """The report to open after `after` (decided or skipped) in the same filtered queue: the next
    one submitted later that `user` may decide, else the first such one from the start (those
    skipped earlier), else None. `after` itself is never the answer."""
    later = Q(submitted_at__gt=after.submitted_at) | Q(submitted_at=after.submitted_at, pk__gt=after.pk)
    if after.submitted_at is None:
        later = Q(pk__gt=after.pk)
    # One query: the later ones first, then from the start.
    return (
        queryset.exclude(pk=after.pk)
        .exclude(authored_by(user))
        .annotate(wraps=Case(When(later, then=Value(0)), default=Value(1)))
        .order_by("wraps", *ORDER)
        .first()
    )


def previous_report(report):
    """The task's report for the period before (the latest earlier one of the plan the zone
    submitted: a draft never submitted is not what the zone reported), or None."""
    return (
        ProgressReport.objects.filter(
            state__in=REPORTED_STATES,
            task_id=report.task_id,
            period__plan_id=report.period.plan_id,
            period__start__lt=report.period.start,
        )
        .select_related("period", "support_agency")
        .order_by("-period__start")
        .first()
    )


def review_page(report, today=None):
    """What the review page shows beside the report: the previous period's report, the task's
    milestones and the report's active evidence."""
    today = today or timezone.localdate()
    milestones = list(Milestone.objects.filter(task_id=report.task_id).order_by("due", "pk"))
    for milestone in milestones:
        milestone.overdue = milestone.is_overdue(today)
    return {
        "previous": previous_report(report),
        "milestones": milestones,
        "evidence": list(Evidence.objects.active().filter(report=report).order_by("pk")),
    }


def verification_gaps(period, zones):
    """Per zone of `zones` (those the page already shows): how many of `period`'s accepted reports
    carry an assessed completion, the average self-reported and verified percent of those, and the
    gap between them (positive: the zone reported more than the managers verified). One query."""
    zones = list(zones)
    rows = {
        row["task__zone_id"]: row
        for row in ProgressReport.objects.filter(period=period, task__zone__in=[zone.pk for zone in zones])
        .exclude(assessment="")
        .order_by()
        .values("task__zone_id")
        .annotate(
            assessed=Count("pk"),
            reported=Avg("percent_complete"),
            verified=Avg("verified_percent"),
            gap=Avg(F("percent_complete") - F("verified_percent")),
            overstated=Count("pk", filter=Q(verified_percent__lt=F("percent_complete"))),
        )
    }
    return [{"zone": zone, **rows.get(zone.pk, {"assessed": 0})} for zone in zones]
