"""The escalation ladder (三色督办) for assigned items, run once a day by the periodic job
`assigned-items-escalation`: the plan's EscalationRule counts days past an item's due date.

- An item of a zone: blue to the zone's officers, yellow to its leaders and officers, red to the
  managers.
- An item of an agency: blue to the agency's liaisons; yellow to the liaisons and the manager who
  assigned the item (an agency has no leader in the tracker: the one person above the liaisons
  who answers for the item is the manager who put it to them; the managers as a body if that
  person is no longer a manager); red to the managers.

Each step is one notifications.Escalation row (subject `item`, unique per item, due date and level,
so never issued twice; it names the item's zone or agency, its plan, and the plan's period the due
date falls in, so a red step is listed on the dashboard and in that period's report) and one
ItemEvent; closing the item settles its open steps.
"""

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from measures.followup.services.escalation import LEVEL_WORDS, system_user
from measures.models import ReportingPeriod
from measures.notices import leaders, liaisons, managers, officers
from notifications.choices import Level, NoticeKind, Subject
from notifications.models import Escalation, EscalationRule
from notifications.services import notify_many

from .choices import ItemEventKind, ItemState
from .models import AssignedItem, ItemEvent


def escalate(*, now=None):
    now = now or timezone.now()
    today = timezone.localdate(now)
    with translation.override("zh-hans"):
        issued = sum(
            _issue(rule, today, now)
            for rule in EscalationRule.objects.filter(active=True).select_related("plan")
        )
    settle(now=now)
    return issued


def _label(item):
    if item.zone_id:
        text = _("Assigned item: %(zone)s %(title)s") % {"zone": item.zone.short_name, "title": item.title}
    else:
        text = _("Assigned item of %(agency)s: %(title)s") % {"agency": item.agency.name, "title": item.title}
    return text[:300]


class Recipients:
    """Who each step goes to, each list read once per run."""

    def __init__(self):
        self._cache = {}

    def _read(self, key, read):
        if key not in self._cache:
            self._cache[key] = read()
        return self._cache[key]

    def managers(self):
        return self._read("managers", managers)

    def for_step(self, item, level):
        if level == Level.RED:
            return self.managers()
        if item.zone_id:
            zone_officers = self._read(("officers", item.zone_id), lambda: officers(item.zone))
            if level == Level.YELLOW:
                return [*self._read(("leaders", item.zone_id), lambda: leaders(item.zone)), *zone_officers]
            return zone_officers
        agency_liaisons = self._read(("liaisons", item.agency_id), lambda: liaisons(item.agency))
        if level == Level.YELLOW:
            assigner = [user for user in self.managers() if user.pk == item.created_by_id]
            return [*agency_liaisons, *(assigner or self.managers())]
        return agency_liaisons


@transaction.atomic
def _issue(rule, today, now):
    items = list(
        AssignedItem.objects.overdue(today)
        .filter(stocktake__plan=rule.plan)
        .select_related("zone", "agency")
        .order_by("pk")
    )
    existing = set(
        Escalation.objects.filter(
            subject=Subject.ASSIGNED_ITEM, object_id__in=[item.pk for item in items]
        ).values_list("object_id", "lapse", "level")
    )
    steps = [
        (item, level, (today - item.due).days)
        for item in items
        for level, days in rule.steps()
        if (today - item.due).days >= days and (item.pk, item.due, level) not in existing
    ]
    if not steps:
        return 0
    periods = list(ReportingPeriod.objects.filter(plan=rule.plan).values_list("pk", "start", "end"))

    def period_of(day):
        return next((pk for pk, start, end in periods if start <= day <= end), None)

    Escalation.objects.bulk_create(
        [
            Escalation(
                subject=Subject.ASSIGNED_ITEM,
                object_id=item.pk,
                lapse=item.due,
                level=level,
                plan_id=rule.plan_id,
                zone_id=item.zone_id,
                agency_id=item.agency_id,
                period_id=period_of(item.due),
                label=_label(item),
                url=item.get_absolute_url(),
                days_late=days_late,
                issued_at=now,
            )
            for item, level, days_late in steps
        ],
        ignore_conflicts=True,
    )
    actor = system_user()
    ItemEvent.objects.bulk_create(
        [
            ItemEvent(
                item=item,
                kind=ItemEventKind.ESCALATED,
                actor=actor,
                at=now,
                changes={"level": level, "days_late": days_late},
                note=f"{LEVEL_WORDS[level]}: {item.title}",
            )
            for item, level, days_late in steps
        ]
    )
    people = Recipients()
    notify_many(
        [
            {
                "kind": NoticeKind.ESCALATION,
                "recipients": people.for_step(item, level),
                "title": _("%(level)s · %(days)s days late · %(item)s")
                % {"level": LEVEL_WORDS[level], "days": days_late, "item": item.title},
                "url": item.get_absolute_url(),
                "zone": item.zone,
                "agency": item.agency,
                "key": f"esc:{Subject.ASSIGNED_ITEM}:{item.pk}:{item.due.isoformat()}:{level}",
                "needs_action": True,
                "level": level,
                "to_managers": level == Level.RED,
            }
            for item, level, days_late in steps
        ]
    )
    return len(steps)


@transaction.atomic
def settle(*, now=None):
    """Close the ladder of every item closed since its last step."""
    closed = AssignedItem.objects.filter(pk=OuterRef("object_id"), state=ItemState.CLOSED)
    return (
        Escalation.objects.open()
        .filter(subject=Subject.ASSIGNED_ITEM)
        .filter(Exists(closed))
        .update(settled_at=now or timezone.now())
    )
