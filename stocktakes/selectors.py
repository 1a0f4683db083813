"""The meeting pack (会议材料) of a stocktake, and the reads of the lists: a fixed number of queries
whatever the number of tasks, zones, items and escalations."""

import datetime
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.utils import timezone

from core.links import url_former
from indicators.choices import Status
from indicators.selectors import scorecard_rows
from measures.changes.selectors import summed_changes
from measures.choices import Light
from measures.dashboard.selectors import drilled
from measures.models import CoordinationRequest, MajorMatter, ReportingPeriod, Task
from measures.periods.selectors import current_of
from measures.tasks.selectors import attach_lights, with_period_report
from notifications.models import Escalation
from zones.models import Agency, Zone

from .choices import ItemState
from .models import AssignedItem

GAP_STATUSES = {Status.PROGRESSING, Status.BEHIND, Status.MISSED}
# A pack of several zones (the whole plan, an agency's) lists at most this many red or yellow tasks,
# overdue requests, open matters and assigned items a zone (or, for items, an agency), and links to
# the rest in the list filtered to them: at 200 zones every one of them made a 700 KB page that
# took seconds to draw and nobody reads in a meeting.
PER_ZONE = 5
# ... and on the page at most about this many rows a section: a pack of many zones lists fewer a
# zone, down to each zone's count linking to its rows (200 zones: none). The Word pack keeps
# every request, matter and item, and PER_ZONE red and yellow tasks a zone.
PER_SECTION = 100


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
    # Formed once a process (core.links): a pack of 200 zones has over 800 of these links.
    return f"{url_former(viewname)()}?{urlencode(query)}"


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


def _limit(groups, page):
    """How many rows of each of `groups` owners a section lists (None: all)."""
    if groups < 2:
        return None
    return min(PER_ZONE, PER_SECTION // groups) if page else PER_ZONE


def _order(owner):
    """Zones in the plan's order, then agencies by name."""
    if isinstance(owner, Zone):
        return (0, owner.annex_number, "")
    return (1, 0, owner.name)


def _by_owner(entries):
    groups = {}
    for pk, owner in entries:
        groups.setdefault((type(owner), owner.pk), (owner, []))[1].append(pk)
    return sorted(groups.values(), key=lambda pair: _order(pair[0]))


@dataclass
class Pack:
    """A meeting's pack. Built for the page (`page`), a section of many zones is not read in full:
    `listed` holds (pk, owner) of each of its rows, and its list (`red`, `requests`, ...) only the
    rows the page shows; otherwise (the Word pack) the lists hold every row."""

    stocktake: object
    today: datetime.date
    page: bool = False
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
    listed: dict = field(default_factory=dict)

    @cached_property
    def movers(self):
        """(gains, losses, status worsened) of `changes`, each the largest first; empty lists
        without a current period or one before it to compare with."""
        if self.changes is None or self.changes.previous is None:
            return [], [], []
        return self.changes.gains(), self.changes.losses(), self.changes.worsened()

    @cached_property
    def counts(self):
        """How many rows each section has, read or not."""
        names = ["red", "yellow", "requests", "matters", "items", "previous_items"]
        return {
            name: len(self.listed[name] if name in self.listed else getattr(self, name)) for name in names
        }

    @cached_property
    def red_by_zone(self):
        return self.lights_by_zone(Light.RED)

    @cached_property
    def yellow_by_zone(self):
        return self.lights_by_zone(Light.YELLOW)

    @cached_property
    def requests_by_zone(self):
        def url(zone):
            query = {"plan": self.stocktake.plan_id, "zone": zone.pk, "overdue": "1"}
            if self.stocktake.agency_id:
                query["agency"] = self.stocktake.agency_id
            return _link("measures:request-list", query)

        return self._grouped("requests", lambda request: request.task.zone, url)

    @cached_property
    def matters_by_zone(self):
        # An agency's meeting lists the matters of the tasks it supports; the link shows the zone's
        # matters not closed, a list that holds them.
        return self._grouped(
            "matters",
            lambda matter: matter.zone,
            lambda zone: _link("measures:matter-list", {"zone": zone.code, "not_closed": "true"}),
        )

    @cached_property
    def items_by_assignee(self):
        return self._grouped("items", lambda item: item.assignee, self._item_link(self.stocktake))

    @cached_property
    def previous_items_by_assignee(self):
        return self._grouped("previous_items", lambda item: item.assignee, self._item_link(self.previous))

    def lights_by_zone(self, light, page=True):
        """The red (or yellow) tasks by zone; not for the `page`: PER_ZONE a zone whatever the
        number of zones (the Word pack, built with every row)."""

        def url(zone):
            query = {"plan": self.stocktake.plan.code, "zone": zone.code, "light": light}
            if self.period is not None:
                query["period"] = self.period.pk
            return _link("measures:task-list", query)

        return self._grouped(
            "red" if light == Light.RED else "yellow", lambda task: task.zone, url, page=page
        )

    @staticmethod
    def _item_link(stocktake):
        def url(assignee):
            query = {"stocktake": stocktake.pk}
            if isinstance(assignee, Zone):
                query["zone"] = assignee.code
            else:
                query["agency"] = assignee.pk
            return _link("stocktakes:items", query)

        return url

    def _grouped(self, name, owner_of, url_of, page=True):
        """The section's rows by owner (`_order`), each owner's rows in the order read. A pack of one
        zone lists them all; one of several at most PER_ZONE an owner, and on the `page` about
        PER_SECTION in all."""
        rows = getattr(self, name)
        entries = self.listed.get(name)
        if entries is None:
            entries = [(row.pk, owner_of(row)) for row in rows]
        read = {row.pk: row for row in rows}
        groups = _by_owner(entries)
        limit = None if self.stocktake.zone_id else _limit(len(groups), page)
        return [
            Group(owner=owner, rows=[read[pk] for pk in pks[:limit]], total=len(pks), url=url_of(owner))
            for owner, pks in groups
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


def items_of(stocktake, today, rows=None):
    """The meeting's items, marked overdue or not; `rows` picks those read (_Listing.of)."""
    items = stocktake.items.select_related("zone", "agency").order_by("due", "pk")
    return with_state(list(rows(items) if rows else items), today)


def pack(stocktake, today=None, page=False):
    """The meeting's pack: every row of each section (the Word pack), or for the `page` of a pack
    of several zones only the rows it shows (Pack.listed)."""
    today = today or timezone.localdate()
    plan = stocktake.plan
    result = Pack(stocktake=stocktake, today=today, page=page)
    periods = sorted(ReportingPeriod.objects.filter(plan=plan), key=lambda p: p.start)
    period = current_of(periods, today)
    result.period = period
    if period is not None:
        earlier = [p for p in periods if p.start < period.start]
        result.previous_period = earlier[-1] if earlier else None
    plan_zones = list(plan.zones.order_by("annex_number"))
    result.previous = stocktake.previous()
    listing = None
    if page and not stocktake.zone_id:
        meetings = [stocktake.pk] + ([result.previous.pk] if result.previous else [])
        listing = _Listing(result, plan_zones, meetings)
    scope = scope_tasks(stocktake)
    lit = scope
    if period is not None:
        # Only the tasks the dashboard counts red or yellow (its rule, in the database, as the task
        # list's light filter reads them) are read and lit: all 20,000 of a plan took seconds.
        red = drilled(scope_tasks(stocktake), period, today, light=Light.RED)
        yellow = drilled(scope_tasks(stocktake), period, today, light=Light.YELLOW)
        if listing is not None:
            # Each zone's first ones in the task list's order (zone, number).
            in_order = ("zone__annex_number", "number")
            red = listing("red", scope.filter(pk__in=red).order_by(*in_order), "zone_id").values("pk")
            yellow = listing("yellow", scope.filter(pk__in=yellow).order_by(*in_order), "zone_id").values(
                "pk"
            )
        lit = scope.filter(Q(pk__in=red) | Q(pk__in=yellow))
    tasks = with_period_report(
        lit.select_related("zone", "category"),
        [period.pk] if period else [],
        today,
    ).order_by("zone__annex_number", "number")
    tasks = attach_lights(list(tasks), {plan.pk: period}, today)
    if "red" in result.listed:
        # Listed by the dashboard's rule, which lighting each task agrees with
        # (tests/stocktakes/test_pack.py).
        reds = {pk for pk, _zone in result.listed["red"]}
        result.red = [task for task in tasks if task.pk in reds]
        result.yellow = [task for task in tasks if task.pk not in reds]
    else:
        result.red = [task for task in tasks if task.light == Light.RED]
        result.yellow = [task for task in tasks if task.light == Light.YELLOW]
    if period is not None:
        # Ranked in the database, as the dashboard's: the pack shows the movers only, and reading
        # the plan's 20,000 tasks and both periods' reports row by row took half a second.
        result.changes = summed_changes(
            tasks=scope_tasks(stocktake),
            period=period,
            periods=periods,
            zones={zone.pk: zone for zone in plan_zones},
            tallies=False,
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
    matters = matters.select_related("zone", "task").order_by("raised_at")
    result.matters = list(listing("matters", matters, "zone_id") if listing else matters)
    requests = CoordinationRequest.objects.filter(task__zone__plan=plan)
    if stocktake.zone_id:
        requests = requests.filter(task__zone_id=stocktake.zone_id)
    elif stocktake.agency_id:
        requests = requests.filter(agency_id=stocktake.agency_id)
    # The one overdue rule of requests (measures.followup.models.request_overdue): open, reply-by passed.
    requests = requests.overdue(today).select_related("task__zone", "agency").order_by("reply_by", "asked_at")
    result.requests = list(listing("requests", requests, "task__zone_id") if listing else requests)
    if not stocktake.agency_id:
        zones = [stocktake.zone] if stocktake.zone_id else plan_zones
        # Every zone's scorecard read at once: one scorecard() per zone was 600 queries at 200 zones.
        cards = scorecard_rows(plan=plan, zones=zones, today=today)
        for zone in zones:
            for row in cards[zone.pk]:
                if row.latest is not None and row.status in GAP_STATUSES:
                    result.gaps.append((zone, row))
    if result.previous is not None:
        result.previous_items = items_of(result.previous, today, listing and listing.of("previous_items"))
    result.items = items_of(stocktake, today, listing and listing.of("items"))
    return result


class _Listing:
    """The page of a pack of several zones: a section's rows are listed as (pk, owner) and only
    those the page shows (Pack._grouped's rule) read in full; at 200 zones reading every request,
    matter, item and lit task took longer than the page may."""

    def __init__(self, pack, zones, meetings):
        self.pack = pack
        self.zones = {zone.pk: zone for zone in zones}
        # The agencies items are assigned to, at either meeting (one query).
        self.agencies = {
            agency.pk: agency
            for agency in Agency.objects.filter(
                pk__in=AssignedItem.objects.filter(stocktake_id__in=meetings, agency__isnull=False).values(
                    "agency_id"
                )
            )
        }

    def owner(self, zone_id, agency_id=None):
        if zone_id is None:
            return self.agencies[agency_id]
        if zone_id not in self.zones:
            self.zones[zone_id] = Zone.objects.get(pk=zone_id)
        return self.zones[zone_id]

    def __call__(self, name, queryset, *fields):
        entries = [(pk, self.owner(*rest)) for pk, *rest in queryset.values_list("pk", *fields)]
        self.pack.listed[name] = entries
        groups = _by_owner(entries)
        limit = _limit(len(groups), page=True)
        if limit is None:
            return queryset
        return queryset.filter(pk__in=[pk for _owner, pks in groups for pk in pks[:limit]])

    def of(self, name):
        return lambda queryset: self(name, queryset, "zone_id", "agency_id")


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
