"""The escalation ladder (三色督办), run once a day by the periodic job `escalation`.

For each plan with an active rule: a report not submitted `blue_days` after its deadline gets a blue
notice to the zone's officers; `yellow_days` a yellow one to the zone's leaders and officers;
`red_days` a red one to the managers (listed on the dashboard and in the period report). The same
for coordination requests left unanswered (to the agency's liaisons, then the zone's leaders, then
the managers) and for overdue milestones. Each step is one Escalation row, unique per item, lapse
and level, so it is never issued twice for the same lapse; each is recorded in the task's history.
Once the item is settled (report submitted, request answered or closed, milestone done, task closed
off or withdrawn) its open steps are marked settled and no further step comes.
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.roles import Role
from measures.choices import REPORTED_STATES, EventKind, RequestState
from measures.models import CoordinationRequest, Milestone, ProgressReport, ReportEvent, ReportingPeriod, Task
from notifications.choices import Level, NoticeKind, Subject
from notifications.models import Escalation, EscalationRule
from notifications.services import notify_many

SYSTEM_USERNAME = "ftz-system"


def system_user():
    """The actor of history rows the app writes by itself (escalations): it cannot sign in."""
    user, created = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"is_active": False, "first_name": "FTZ Tracker"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@dataclass
class Lapse:
    subject: str
    object_id: int
    lapse: datetime.date
    task: Task
    period_id: int | None
    label: str
    url: str
    agency: object = None
    requester_id: int | None = None


def _report_lapses(plan, today):
    # Periods before tracking started are not owed (ReportingPeriod.objects.owed): never chased.
    periods = ReportingPeriod.objects.owed().filter(plan=plan, deadline__lt=today, locked_at__isnull=True)
    for period in periods:
        done = ProgressReport.objects.filter(task=OuterRef("pk"), period=period, state__in=REPORTED_STATES)
        tasks = (
            Task.objects.filter(zone__plan=plan)
            .reportable()
            .exclude(Exists(done))
            .select_related("zone")
            .order_by("zone_id", "number")
        )
        for task in tasks.iterator(chunk_size=2000):
            yield Lapse(
                subject=Subject.REPORT,
                object_id=task.pk,
                lapse=period.deadline,
                task=task,
                period_id=period.pk,
                label=_("Report for %(period)s: %(zone)s %(task)s")
                % {"period": period.name, "zone": task.zone.short_name, "task": task.display_number},
                url=f"{task.get_absolute_url()}?period={period.pk}#report",
            )


def _request_lapses(rule, today):
    # The request's own reply-by date (CoordinationRequest.objects.overdue, the one rule); asked
    # again, it gets a new date and so a new ladder.
    requests = CoordinationRequest.objects.overdue(today).filter(task__zone__plan=rule.plan)
    for request in requests.select_related("task__zone", "agency"):
        lapse = request.reply_by
        yield Lapse(
            subject=Subject.REQUEST,
            object_id=request.pk,
            lapse=lapse,
            task=request.task,
            period_id=request.period_id,
            label=_("Coordination request to %(agency)s unanswered: %(zone)s %(task)s")
            % {
                "agency": request.agency.name,
                "zone": request.task.zone.short_name,
                "task": request.task.display_number,
            },
            url=request.get_absolute_url(),
            agency=request.agency,
            requester_id=request.asked_by_id,
        )


def _milestone_lapses(plan, today):
    milestones = Milestone.objects.filter(
        task__zone__plan=plan,
        done_on__isnull=True,
        due__lt=today,
        task__closed_at__isnull=True,
        task__withdrawn_at__isnull=True,
    ).select_related("task__zone")
    for milestone in milestones:
        yield Lapse(
            subject=Subject.MILESTONE,
            object_id=milestone.pk,
            lapse=milestone.due,
            task=milestone.task,
            period_id=None,
            label=_("Milestone overdue: %(zone)s %(task)s %(title)s")
            % {
                "zone": milestone.task.zone.short_name,
                "task": milestone.task.display_number,
                "title": milestone.title,
            },
            url=milestone.get_absolute_url(),
        )


class People:
    """Recipients by zone and agency, each list read once per run."""

    def __init__(self):
        self._cache = {}

    def _of(self, role, **where):
        key = (role, tuple(sorted(where.items())))
        if key not in self._cache:
            users = get_user_model().objects.filter(is_active=True, groups__name=role.group_name, **where)
            self._cache[key] = list(users.distinct().order_by("pk"))
        return self._cache[key]

    def for_step(self, lapse, level):
        zone_id = lapse.task.zone_id
        if level == Level.RED:
            return self._of(Role.MANAGER)
        if lapse.subject == Subject.REQUEST:
            first = self._of(Role.LIAISON, profile__agency=lapse.agency.pk)
        else:
            first = self._of(Role.OFFICER, profile__zones=zone_id)
        if level == Level.YELLOW:
            return [*self._of(Role.LEADER, profile__zones=zone_id), *first]
        return first


LEVEL_WORDS = {Level.BLUE: "蓝色督办", Level.YELLOW: "黄色督办", Level.RED: "红色督办"}


def escalate(*, now=None):
    """Issue the steps that are due and settle the ladders of settled items; returns the steps issued."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    with translation.override("zh-hans"):
        issued = 0
        for rule in EscalationRule.objects.filter(active=True).select_related("plan"):
            lapses = list(_report_lapses(rule.plan, today))
            if rule.include_requests:
                lapses += _request_lapses(rule, today)
            if rule.include_milestones:
                lapses += _milestone_lapses(rule.plan, today)
            issued += _issue(rule, lapses, today, now)
        settle(now=now)
    return issued


@transaction.atomic
def _issue(rule, lapses, today, now):
    existing = set(
        Escalation.objects.filter(subject__in=Subject.values).values_list(
            "subject", "object_id", "lapse", "level"
        )
    )
    people = People()
    actor = system_user()
    steps = []
    for lapse in lapses:
        days_late = (today - lapse.lapse).days
        for level, days in rule.steps():
            if days_late >= days and (lapse.subject, lapse.object_id, lapse.lapse, level) not in existing:
                steps.append((lapse, level, days_late))
    if not steps:
        return 0
    rows = [
        Escalation(
            subject=lapse.subject,
            object_id=lapse.object_id,
            lapse=lapse.lapse,
            level=level,
            plan_id=rule.plan_id,
            zone_id=lapse.task.zone_id,
            # A request's step belongs to the agency asked as well (its liaisons answer it).
            agency_id=lapse.agency.pk if lapse.agency is not None else None,
            task_id=lapse.task.pk,
            period_id=lapse.period_id,
            label=lapse.label[:300],
            url=lapse.url,
            days_late=days_late,
            issued_at=now,
        )
        for lapse, level, days_late in steps
    ]
    # Unique per item, lapse and level: a second run racing this one adds nothing.
    Escalation.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    # The history rows, written together (record() one by one would be 20,000 round trips at scale).
    ReportEvent.objects.bulk_create(
        [
            ReportEvent(
                task=lapse.task,
                period_id=lapse.period_id,
                kind=EventKind.ESCALATED,
                actor=actor,
                at=now,
                changes={
                    "level": level,
                    "subject": lapse.subject,
                    "days_late": days_late,
                    "item": lapse.object_id,
                },
                note=f"{LEVEL_WORDS[level]}: {lapse.label}",
            )
            for lapse, level, days_late in steps
        ],
        batch_size=1000,
    )
    events = []
    for lapse, level, days_late in steps:
        recipients = people.for_step(lapse, level)
        key = f"esc:{lapse.subject}:{lapse.object_id}:{lapse.lapse.isoformat()}:{level}"
        title = _("%(level)s · %(days)s days late · %(item)s") % {
            "level": LEVEL_WORDS[level],
            "days": days_late,
            "item": lapse.label,
        }
        events.append(
            {
                "kind": NoticeKind.ESCALATION,
                "recipients": recipients,
                "title": title,
                "url": lapse.url,
                "zone": lapse.task.zone,
                "agency": lapse.agency if level != Level.RED else None,
                "key": key,
                "needs_action": True,
                "level": level,
                "to_managers": level == Level.RED,
            }
        )
    notify_many(events)
    return len(steps)


@transaction.atomic
def settle(*, now=None):
    """Close the ladder of every item that has been settled since its last step."""
    now = now or timezone.now()
    settled = 0
    open_steps = Escalation.objects.open()
    reports = open_steps.filter(subject=Subject.REPORT)
    done = ProgressReport.objects.filter(
        task_id=OuterRef("task_id"), period_id=OuterRef("period_id"), state__in=REPORTED_STATES
    )
    gone = Task.objects.filter(pk=OuterRef("task_id")).exclude(
        closed_at__isnull=True, withdrawn_at__isnull=True
    )
    settled += reports.filter(Exists(done) | Exists(gone)).update(settled_at=now)
    answered = CoordinationRequest.objects.filter(pk=OuterRef("object_id")).exclude(state=RequestState.OPEN)
    settled += open_steps.filter(subject=Subject.REQUEST).filter(Exists(answered)).update(settled_at=now)
    finished = Milestone.objects.filter(pk=OuterRef("object_id"), done_on__isnull=False)
    settled += (
        open_steps.filter(subject=Subject.MILESTONE)
        .filter(Exists(finished) | Exists(gone))
        .update(settled_at=now)
    )
    return settled
