"""Who is told of what happens to assigned items, and the periodic jobs that watch their due dates.

Notices go through the notifications registry like every other app's: scoped by the item's zone
or agency, so a notice is seen while the item is.
"""

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from measures.notices import leaders, liaisons, officers
from notifications import registry
from notifications.choices import NoticeKind
from notifications.services import notify

from .choices import ItemEventKind


def assignees(item):
    """The people who answer for an item: the zone's officers and leader, or the agency's liaisons."""
    if item.zone_id:
        return [*officers(item.zone), *leaders(item.zone)]
    return liaisons(item.agency)


def _scope(item):
    return {"zone": item.zone, "agency": item.agency}


def on_item_event(event):
    """Turn an item's history row into notices, in the same transaction."""
    item = event.item
    with translation.override(settings.FTZ_NOTICE_LANGUAGE):
        labels = {"title": item.title, "assignee": item.assignee_name, "due": item.due.isoformat()}
        if event.kind == ItemEventKind.ASSIGNED:
            kind, recipients, needs_action = NoticeKind.ITEM_ASSIGNED, assignees(item), True
            title = _("Assigned to %(assignee)s (交办), due %(due)s: %(title)s") % labels
        elif event.kind == ItemEventKind.REOPENED:
            kind, recipients, needs_action = NoticeKind.ITEM_ASSIGNED, assignees(item), True
            title = _("Assigned item reopened, due %(due)s: %(title)s") % labels
        elif event.kind == ItemEventKind.PROGRESS:
            kind, recipients, needs_action = NoticeKind.ITEM_PROGRESS, [item.created_by], True
            title = _("%(assignee)s reported progress on an assigned item: %(title)s") % labels
        elif event.kind == ItemEventKind.CLOSED:
            kind, recipients, needs_action = NoticeKind.ITEM_CLOSED, assignees(item), False
            title = _("Assigned item closed: %(title)s") % labels
        else:
            return 0
        return notify(
            kind=kind,
            recipients=recipients,
            title=title,
            body=event.note,
            url=item.get_absolute_url(),
            actor=event.actor,
            key=f"item-event:{event.pk}",
            needs_action=needs_action,
            **_scope(item),
        )


def announce_due_dates(*, now=None):
    """Once per item and due date (the notice key; returns the notices offered, those already made
    left out by the key): 'due soon' when it is a few days away, 'overdue' once it has passed.
    The key names the due date, so a new due date (after reopening) is announced again."""
    from .models import AssignedItem

    today = timezone.localdate(now or timezone.now())
    told = 0
    with translation.override(settings.FTZ_NOTICE_LANGUAGE):
        for kind, items, title in (
            (
                NoticeKind.ITEM_DUE_SOON,
                AssignedItem.objects.due_soon(today),
                _("Assigned item due on %(due)s: %(title)s"),
            ),
            (
                NoticeKind.ITEM_OVERDUE,
                AssignedItem.objects.overdue(today),
                _("Assigned item overdue since %(due)s: %(title)s"),
            ),
        ):
            for item in items.select_related("zone", "agency"):
                told += notify(
                    kind=kind,
                    recipients=assignees(item),
                    title=title % {"due": item.due.isoformat(), "title": item.title},
                    url=item.get_absolute_url(),
                    key=f"{kind}:{item.pk}:{item.due.isoformat()}",
                    needs_action=True,
                    **_scope(item),
                )
    return told


def register():
    from . import escalation

    registry.register_job("assigned-items", lambda now: announce_due_dates(now=now), "day")
    registry.register_job("assigned-items-escalation", lambda now: escalation.escalate(now=now), "day")
