"""The meeting pack (会议材料) of a stocktake, and the reads of the lists: a fixed number of queries
whatever the number of tasks, zones, items and escalations."""

import datetime
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from indicators.choices import Status
from indicators.selectors import scorecard_rows
from measures.changes.selectors import period_changes
from measures.choices import Light, MatterState
from measures.dashboard.selectors import drilled
from measures.models import CoordinationRequest, MajorMatter, ReportingPeriod, Task
from measures.periods.selectors import current_of
from measures.tasks.selectors import attach_lights, with_period_report
from notifications.models import Escalation

from .choices import ItemState
from .models import AssignedItem

GAP_STATUSES = {Status.PROGRESSING, Status.BEHIND, Status.MISSED}
# A pack of several zones (the whole plan, an agency's) lists this many red or yellow tasks a zone
# and links to the rest: at 200 zones every one of them made a 700 KB page nobody reads in a meeting.
PER_ZONE = 5


@dataclass
class ZoneLights:
    """A zone's red (or yellow) tasks in a pack: the first `PER_ZONE` of them when the pack covers
    several zones, how many more, and the task list filtered to all of them."""

    zone: object
    tasks: list
    total: int
    url: str

    @property
    def more(self):
        return self.total - len(self.tasks)


def scope_tasks(stocktake):
    tasks = Task.objects.filter(zone__plan_id=stocktake.plan_id)
    if stocktake.zone_id:
        return tasks.filter(zone_id=stocktake.zone_id)
    if stocktake.agency_id:
        return tasks.supported_by(stocktake.agency_id)
    return tasks


def scope_items(stocktake):
    """Items of meetings on the same plan, zone or agency."""
    return AssignedItem.objects.filter(
        stocktake__plan_id=stocktake.plan_id,
        stocktake__zone_id=stocktake.zone_id,
        stocktake__agency_id=stocktake.agency_id,
    )


@dataclass
class Pack:
    stocktake: object
    today: datetime.date
    period: object = None
    previous_period: object = None
    previous: object = None
    previous_items: list = field(default_factory=list)
    items: list = field(default_factory=list)
    red: list = field(default_factory=list)
    yellow: list = field(default_factory=list)
    escalations: list = field(default_factory=list)
    matters: list = field(default_factory=list)
    requests: list = field(default_factory=list)
    # measures.changes.selectors.PeriodChanges: the biggest movers (gains, losses, status worsened)
    # by the one definition the dashboard and the period report use; None without a current period.
    changes: object = None
    gaps: list = field(default_factory=list)

    @cached_property
    def movers(self):
        """(gains, losses, status worsened) of `changes`, each the largest first; empty lists
        without a current period or one before it to compare with."""
        if self.changes is None or self.changes.previous is None:
            return [], [], []
        return self.changes.gains(), self.changes.losses(), self.changes.worsened()

    @cached_property
    def red_by_zone(self):
        return self._by_zone(self.red, Light.RED)

    @cached_property
    def yellow_by_zone(self):
        return self._by_zone(self.yellow, Light.YELLOW)

    def _by_zone(self, tasks, light):
        groups = {}
        for task in tasks:
            groups.setdefault(task.zone_id, []).append(task)
        limit = PER_ZONE if len(groups) > 1 else None
        base = reverse("measures:task-list")
        result = []
        for zone_tasks in groups.values():
            zone = zone_tasks[0].zone
            query = {"plan": self.stocktake.plan.code, "zone": zone.code, "light": light}
            if self.period is not None:
                query["period"] = self.period.pk
            result.append(
                ZoneLights(
                    zone=zone,
                    tasks=zone_tasks[:limit],
                    total=len(zone_tasks),
                    url=f"{base}?{urlencode(query)}",
                )
            )
        return result

    @property
    def mover_count(self):
        return sum(len(rows) for rows in self.movers)


def today():
    return timezone.localdate()


def with_state(items, today=None):
    """Mark each item overdue or not by the one rule (AssignedItem.is_overdue)."""
    today = today or timezone.localdate()
    for item in items:
        item.overdue = item.is_overdue(today)
    return items


def items_of(stocktake, today):
    items = stocktake.items.select_related("zone", "agency").order_by("due", "pk")
    return with_state(list(items), today)


def pack(stocktake, today=None):
    today = today or timezone.localdate()
    plan = stocktake.plan
    result = Pack(stocktake=stocktake, today=today)
    periods = sorted(ReportingPeriod.objects.filter(plan=plan), key=lambda p: p.start)
    period = current_of(periods, today)
    result.period = period
    if period is not None:
        earlier = [p for p in periods if p.start < period.start]
        result.previous_period = earlier[-1] if earlier else None
    lit = scope_tasks(stocktake)
    if period is not None:
        # Only the tasks the dashboard counts red or yellow (its rule, in the database, as the task
        # list's light filter reads them) are read and lit: all 20,000 of a plan took seconds.
        lit = lit.filter(
            Q(pk__in=drilled(scope_tasks(stocktake), period, today, light=Light.RED))
            | Q(pk__in=drilled(scope_tasks(stocktake), period, today, light=Light.YELLOW))
        )
    tasks = with_period_report(
        lit.select_related("zone", "category"),
        [period.pk] if period else [],
        today,
    ).order_by("zone__annex_number", "number")
    tasks = attach_lights(list(tasks), {plan.pk: period}, today)
    result.red = [task for task in tasks if task.light == Light.RED]
    result.yellow = [task for task in tasks if task.light == Light.YELLOW]
    plan_zones = list(plan.zones.order_by("annex_number"))
    if period is not None:
        result.changes = period_changes(
            tasks=scope_tasks(stocktake),
            period=period,
            periods=periods,
            zones={zone.pk: zone for zone in plan_zones},
        )
    escalations = Escalation.objects.open().filter(plan=plan).select_related("zone", "agency")
    if stocktake.zone_id:
        escalations = escalations.filter(zone_id=stocktake.zone_id)
    elif stocktake.agency_id:
        # The agency's own steps (its assigned items, the requests put to it) and its tasks'.
        escalations = escalations.filter(
            Q(task_id__in=scope_tasks(stocktake).values("pk")) | Q(agency_id=stocktake.agency_id)
        )
    result.escalations = list(escalations.order_by("-level", "issued_at"))
    matters = MajorMatter.objects.exclude(state=MatterState.CLOSED).filter(zone__plan=plan)
    if stocktake.zone_id:
        matters = matters.filter(zone_id=stocktake.zone_id)
    elif stocktake.agency_id:
        matters = matters.filter(task_id__in=scope_tasks(stocktake).values("pk"))
    result.matters = list(matters.select_related("zone", "task").order_by("raised_at"))
    requests = CoordinationRequest.objects.filter(task__zone__plan=plan)
    if stocktake.zone_id:
        requests = requests.filter(task__zone_id=stocktake.zone_id)
    elif stocktake.agency_id:
        requests = requests.filter(agency_id=stocktake.agency_id)
    # The one overdue rule of requests (measures.followup.models.request_overdue): open, reply-by passed.
    result.requests = list(
        requests.overdue(today).select_related("task__zone", "agency").order_by("reply_by", "asked_at")
    )
    if not stocktake.agency_id:
        zones = [stocktake.zone] if stocktake.zone_id else plan_zones
        # Every zone's scorecard read at once: one scorecard() per zone was 600 queries at 200 zones.
        cards = scorecard_rows(plan=plan, zones=zones, today=today)
        for zone in zones:
            for row in cards[zone.pk]:
                if row.latest is not None and row.status in GAP_STATUSES:
                    result.gaps.append((zone, row))
    result.previous = stocktake.previous()
    if result.previous is not None:
        result.previous_items = items_of(result.previous, today)
    result.items = items_of(stocktake, today)
    return result


def stocktake_list(user):
    """The meetings the user may read, each with its count of items and of open ones (one query)."""
    from .access import visible_stocktakes

    return (
        visible_stocktakes(user)
        .select_related("plan", "zone", "agency")
        .annotate(
            item_count=Count("items", distinct=True),
            open_count=Count("items", filter=~Q(items__state=ItemState.CLOSED), distinct=True),
        )
        .order_by("-held_on", "-pk")
    )


def my_items(user, limit):
    """Open items the user answers for (their zones' or agency's), the earliest due first."""
    from core.access import access_for

    access = access_for(user)
    condition = Q(pk__in=[])
    if access.zone_ids:
        condition |= Q(zone_id__in=access.zone_ids)
    if access.agency_id:
        condition |= Q(agency_id=access.agency_id)
    items = (
        AssignedItem.objects.open()
        .filter(condition)
        .select_related("zone", "agency", "stocktake")
        .order_by("due", "pk")[: limit + 1]
    )
    return with_state(list(items), timezone.localdate())
