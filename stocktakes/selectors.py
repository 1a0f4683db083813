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
from measures.choices import Light
from measures.dashboard.selectors import drilled
from measures.models import CoordinationRequest, MajorMatter, ReportingPeriod, Task
from measures.periods.selectors import current_of
from measures.tasks.selectors import attach_lights, with_period_report
from notifications.models import Escalation
from zones.models import Zone

from .choices import ItemState
from .models import AssignedItem

GAP_STATUSES = {Status.PROGRESSING, Status.BEHIND, Status.MISSED}
# A pack of several zones (the whole plan, an agency's) lists this many rows of a section a zone (or,
# for assigned items, an agency) and links to the rest: at 200 zones every red task, overdue request,
# open matter and assigned item made a 700 KB page that took seconds to draw and nobody reads in a
# meeting. The Word pack keeps every request, matter and item.
PER_ZONE = 5


@dataclass
class Group:
    """The rows of a pack's section that belong to one zone (or agency): the first `PER_ZONE` of them
    when the pack covers several zones, how many in all, and the list filtered to all of them."""

    owner: object
    rows: list
    total: int
    url: str

    @property
    def more(self):
        return self.total - len(self.rows)

    @property
    def name(self):
        return self.owner.short_name if isinstance(self.owner, Zone) else self.owner.name


def _link(viewname, query):
    return f"{reverse(viewname)}?{urlencode(query)}"


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
        return self._lights(self.red, Light.RED)

    @cached_property
    def yellow_by_zone(self):
        return self._lights(self.yellow, Light.YELLOW)

    @cached_property
    def requests_by_zone(self):
        def url(zone):
            query = {"plan": self.stocktake.plan_id, "zone": zone.pk, "overdue": "1"}
            if self.stocktake.agency_id:
                query["agency"] = self.stocktake.agency_id
            return _link("measures:request-list", query)

        return self._grouped(self.requests, lambda request: request.task.zone, url)

    @cached_property
    def matters_by_zone(self):
        # An agency's meeting lists the matters of the tasks it supports; the link shows the zone's
        # open matters, a list that holds them.
        return self._grouped(
            self.matters,
            lambda matter: matter.zone,
            lambda zone: _link("measures:matter-list", {"zone": zone.code, "not_closed": "true"}),
        )

    @cached_property
    def items_by_assignee(self):
        return self._items(self.items, self.stocktake)

    @cached_property
    def previous_items_by_assignee(self):
        return self._items(self.previous_items, self.previous)

    def _lights(self, tasks, light):
        def url(zone):
            query = {"plan": self.stocktake.plan.code, "zone": zone.code, "light": light}
            if self.period is not None:
                query["period"] = self.period.pk
            return _link("measures:task-list", query)

        return self._grouped(tasks, lambda task: task.zone, url)

    def _items(self, items, stocktake):
        def url(assignee):
            query = {"stocktake": stocktake.pk}
            if isinstance(assignee, Zone):
                query["zone"] = assignee.code
            else:
                query["agency"] = assignee.pk
            return _link("stocktakes:items", query)

        return self._grouped(items, lambda item: item.assignee, url)

    def _grouped(self, rows, owner_of, url_of):
        """`rows` by owner, zones in the plan's order and then agencies by name, each owner's rows in
        the order given; capped at PER_ZONE when the pack covers several zones."""
        groups = {}
        for row in rows:
            owner = owner_of(row)
            groups.setdefault((type(owner), owner.pk), (owner, []))[1].append(row)
        limit = PER_ZONE if len(groups) > 1 and not self.stocktake.zone_id else None

        def order(pair):
            owner = pair[0]
            if isinstance(owner, Zone):
                return (0, owner.annex_number, "")
            return (1, 0, owner.name)

        return [
            Group(owner=owner, rows=owned[:limit], total=len(owned), url=url_of(owner))
            for owner, owned in sorted(groups.values(), key=order)
        ]

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
    matters = MajorMatter.objects.not_closed().filter(zone__plan=plan)
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
