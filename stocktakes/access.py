"""Who may see and do what with stocktakes and assigned items (built on core.access)."""

from core.access import access_for, assigned_to, can_review
from core.roles import Role

from .models import AssignedItem, Stocktake


def can_hold_stocktakes(user):
    """Managers schedule meetings, read their packs, assign, close and reopen items."""
    return can_review(user)


def can_report_on_item(user, item):
    """The assignee reports progress: an officer of the item's zone or the liaison of its agency."""
    access = access_for(user)
    if access.is_admin:
        return True
    if item.zone_id:
        return Role.OFFICER in access.roles and item.zone_id in access.zone_ids
    return access.is_liaison and item.agency_id == access.agency_id


def visible_stocktakes(user):
    return Stocktake.objects.all() if can_hold_stocktakes(user) else Stocktake.objects.none()


def visible_items(user):
    """Managers see every item; officers and zone leaders their zones', liaisons their agency's."""
    return AssignedItem.objects.filter(assigned_to(user))
