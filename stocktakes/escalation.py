"""The escalation ladder (三色督办) for assigned items, run once a day by the periodic job
`assigned-items-escalation`: the plan's EscalationRule counts days past an item's due date; blue to
the zone's officers, yellow to its leaders and officers, red to the managers. Each step is one
notifications.Escalation row (subject `item`, unique per item, due date and level, so never issued
twice) and one ItemEvent; closing the item settles its open steps.

Items assigned to an agency are not escalated: an Escalation row needs a zone (notifications'
model scopes and lists them by zone and has no agency), so they get the due-soon and overdue
notices only.
"""

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from measures.followup.services.escalation import LEVEL_WORDS, system_user
from measures.notices import leaders, managers, officers
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


@transaction.atomic
def _issue(rule, today, now):
    items = list(
        AssignedItem.objects.overdue(today)
        .filter(stocktake__plan=rule.plan, zone__isnull=False)
        .select_related("zone")
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
    Escalation.objects.bulk_create(
        [
            Escalation(
                subject=Subject.ASSIGNED_ITEM,
                object_id=item.pk,
                lapse=item.due,
                level=level,
                zone_id=item.zone_id,
                label=(
                    _("Assigned item: %(zone)s %(title)s")
                    % {"zone": item.zone.short_name, "title": item.title}
                )[:300],
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
    people = {}

    def recipients(item, level):
        key = (item.zone_id, level)
        if key not in people:
            if level == Level.RED:
                people[key] = managers()
            elif level == Level.YELLOW:
                people[key] = [*leaders(item.zone), *officers(item.zone)]
            else:
                people[key] = officers(item.zone)
        return people[key]

    notify_many(
        [
            {
                "kind": NoticeKind.ESCALATION,
                "recipients": recipients(item, level),
                "title": _("%(level)s · %(days)s days late · %(item)s")
                % {"level": LEVEL_WORDS[level], "days": days_late, "item": item.title},
                "url": item.get_absolute_url(),
                "zone": item.zone,
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
