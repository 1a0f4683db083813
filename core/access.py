"""Who may see and do what. Every view, export and service asks here; nothing else decides.

Seeing is decided by `Task.objects.visible_to(user)` and the zone/agency/record helpers in
measures.scoping (built on `access_for` here), so an object outside a user's scope is simply not
found (404). Doing is decided by the `can_*` functions; a visible object the user may not act on
answers 403.
"""

import datetime
from dataclasses import dataclass, field
from types import MappingProxyType

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, IntegerField, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from core.compiled import run_compiled
from core.roles import Role


@dataclass(frozen=True)
class Access:
    roles: frozenset = field(default_factory=frozenset)
    zone_ids: frozenset = field(default_factory=frozenset)
    agency_id: int | None = None
    # What other apps count per user in the same query as the roles (count_with_roles): the bell's
    # unread notices. A name nobody registered counts 0.
    counts: MappingProxyType = field(default_factory=lambda: MappingProxyType({}), hash=False)
    # Standing in today for an absent zone leader or manager (measures.signoff.Deputy): the
    # (zone id, leader id) pairs this deputy signs off for, and the managers they review for.
    # Kept apart from roles and zone_ids, so a deputy gets the sign-off or review and the sight it
    # needs, never the principal's other powers (an officer deputising for a leader writes no
    # report of the leader's zones).
    deputy_leads: tuple = ()
    deputy_for_managers: tuple = ()

    def count(self, name):
        return self.counts.get(name, 0)

    @property
    def is_admin(self):
        return Role.ADMINISTRATOR in self.roles

    @property
    def is_manager(self):
        return Role.MANAGER in self.roles or self.is_admin

    @property
    def is_officer(self):
        return Role.OFFICER in self.roles and bool(self.zone_ids)

    @property
    def is_liaison(self):
        return Role.LIAISON in self.roles and self.agency_id is not None

    @property
    def sees_everything(self):
        # A manager's deputy reviews reports of every zone, so reads them all while deputising.
        return self.is_manager or bool(self.deputy_for_managers)

    @property
    def seen_zone_ids(self):
        """Zones whose tasks the user reads: their own, and those of a leader they deputise for."""
        return self.zone_ids | {zone for zone, _principal in self.deputy_leads}

    @property
    def signoff_zone_ids(self):
        """Zones whose reports the user signs off as leader or as a leader's deputy."""
        own = self.zone_ids if Role.LEADER in self.roles else frozenset()
        return own | {zone for zone, _principal in self.deputy_leads}

    @property
    def reviews_reports(self):
        return self.is_manager or bool(self.deputy_for_managers)


NO_ACCESS = Access()


class CountOf(Subquery):
    """COUNT(*) of a queryset as a scalar subquery, read in the same query as the rest."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = IntegerField()


# name -> function(OuterRef of the user's pk) returning the rows to count for that user. Apps register
# here from their ready(), so that core imports none of them.
_counted_with_roles = {}


def count_with_roles(name, rows):
    """Have `access_for` count `rows(user_ref)` in its one query; read it as `access.count(name)`."""
    _counted_with_roles[name] = rows


def access_for(user):
    """Roles, zones and agency of `user`, read in one query and kept on the user object."""
    if not getattr(user, "is_authenticated", False):
        return NO_ACCESS
    cached = getattr(user, "_ftz_access", None)
    if cached is not None:
        return cached
    # One row per (group, zone) pair; both lists are short, so the product stays small. A zone
    # that takes part in several plans (Zone.same_zone_as) is one zone to its officers: the same
    # query reads its other plans' rows, and the counts other apps registered (the bell's unread notices).
    names = list(_counted_with_roles)
    today = timezone.localdate()
    rows = _access_rows(user.pk, today, names)
    counted = MappingProxyType(dict(zip(names, rows[0][: len(names)], strict=True)) if rows else {})
    rows = [row[len(names) :] for row in rows]
    deputy_leads, deputy_for_managers = _stood_in_for(user, today) if rows and rows[0][0] else ((), ())
    rows = [row[1:] for row in rows]
    group_names = {row[0] for row in rows if row[0]}
    roles = {role for role in Role if role.group_name in group_names}
    if user.is_superuser:
        roles.add(Role.ADMINISTRATOR)
    zone_ids = frozenset(zone for row in rows for zone in row[2:] if zone is not None)
    # Officers report for their zones; zone leaders (单位负责人) read them and receive escalations.
    agency_id = next((row[1] for row in rows if row[1] is not None), None)
    # A zone binding only counts for officers and an agency binding only for liaisons, so a
    # stray profile field never widens what someone sees.
    access = Access(
        roles=frozenset(roles),
        zone_ids=zone_ids if roles & {Role.OFFICER, Role.LEADER} else frozenset(),
        agency_id=agency_id if Role.LIAISON in roles else None,
        counts=counted,
        deputy_leads=deputy_leads,
        deputy_for_managers=deputy_for_managers,
    )
    user._ftz_access = access
    return access


def _access_query(user_pk, today, names):
    counts = {
        f"count_{index}": CountOf(_counted_with_roles[name](OuterRef("pk")).order_by().values("pk"))
        for index, name in enumerate(names)
    }
    users = get_user_model().objects
    # Whether anyone named this user their deputy for today, in the same query (through the
    # relation's name: core imports no app); only deputies pay for reading what they stand in for.
    deputising = users.filter(pk=OuterRef("pk"), **_deputy_in_force("deputising", today))
    return (
        users.filter(pk=user_pk)
        .annotate(**counts, stands_in=Exists(deputising))
        .values_list(
            *counts,
            "stands_in",
            "groups__name",
            "profile__agency_id",
            "profile__zones__id",
            "profile__zones__same_zone_as_id",
            "profile__zones__in_other_plans__id",
            "profile__zones__same_zone_as__in_other_plans__id",
        )
    )


# The query's SQL is the same for every user and day but for the user's id and the day, and building
# it through the ORM (a subquery per registered count, an EXISTS, five joins) took longer than
# running it, on every request of a signed-in user: built once per process, database and set of
# counts (core.compiled), as portal.context_processors does the managers' counts. No user has a
# negative id, no deputy a day in 1900.
STAND_IN_USER = -7017
STAND_IN_DAY = datetime.date(1900, 1, 2)


def _access_rows(user_pk, today, names):
    _columns, rows = run_compiled(
        "access_for",
        lambda user_pk, day: _access_query(user_pk, day, names),
        using=get_user_model().objects.db,
        stand_ins={"user_pk": STAND_IN_USER, "day": STAND_IN_DAY},
        values={"user_pk": user_pk, "day": today},
        shape=tuple(names),
    )
    return rows


def _deputy_in_force(relation, today):
    """measures.signoff.DeputyQuerySet.in_force, as lookups through a user's `relation` to it (one
    filter() call, so all conditions hold for the same deputy row)."""
    return {
        f"{relation}__starts_on__lte": today,
        f"{relation}__ends_on__gte": today,
        f"{relation}__withdrawn_at__isnull": True,
    }


def _stood_in_for(user, today):
    """((zone id, leader id), ...) and (manager id, ...) of the active people who named `user`
    their deputy for `today`. Only the leader's and the manager's roles pass to a deputy."""
    rows = (
        get_user_model()
        .objects.filter(is_active=True, deputies__deputy=user, **_deputy_in_force("deputies", today))
        .values_list(
            "pk",
            "groups__name",
            "profile__zones__id",
            "profile__zones__same_zone_as_id",
            "profile__zones__in_other_plans__id",
            "profile__zones__same_zone_as__in_other_plans__id",
        )
    )
    leaders, managers, zones = set(), set(), {}
    for pk, group, *zone_ids in rows:
        if group == Role.LEADER.group_name:
            leaders.add(pk)
        if group == Role.MANAGER.group_name:
            managers.add(pk)
        zones.setdefault(pk, set()).update(zone for zone in zone_ids if zone is not None)
    leads = tuple(sorted((zone, pk) for pk in leaders for zone in zones.get(pk, ())))
    return leads, tuple(sorted(managers))


def assigned_to(user):
    """The named rule of what is assigned to a zone or an agency (a stocktake's items, the steps of
    the escalation ladder), as a condition on `zone_id` / `agency_id`: managers see all; officers
    and zone leaders their zones', liaisons their agency's. A row naming both (a coordination
    request's step) is seen by either."""
    access = access_for(user)
    if access.sees_everything:
        return Q()
    condition = Q(pk__in=[])
    if access.zone_ids:
        condition |= Q(zone_id__in=access.zone_ids)
    if access.agency_id:
        condition |= Q(agency_id=access.agency_id)
    return condition


def can_report(user, task):
    """Officers of the task's zone, the liaison of its lead agency (牵头单位) and administrators
    write its reports, evidence and milestones."""
    access = access_for(user)
    if access.is_admin or (Role.OFFICER in access.roles and task.zone_id in access.zone_ids):
        return True
    return access.is_liaison and task.is_led_by(access.agency_id)


def can_review(user):
    return access_for(user).is_manager


@dataclass(frozen=True)
class Capacity:
    """In which capacity someone takes a step: in their own right (on_behalf_of None) or as the
    deputy of the person whose id it holds, recorded on the history row as "<deputy> for <them>"."""

    on_behalf_of: int | None = None


OWN_RIGHT = Capacity()


def signoff_capacity(user, zone_id):
    """Whether (and for whom) `user` signs off the reports of a zone: its zone leaders, the deputy
    of one of them while the deputyship is in force, and administrators; None for anyone else."""
    access = access_for(user)
    if Role.LEADER in access.roles and zone_id in access.zone_ids:
        return OWN_RIGHT
    principal = next((pk for zone, pk in access.deputy_leads if zone == zone_id), None)
    if principal is not None:
        return Capacity(principal)
    return OWN_RIGHT if access.is_admin else None


def review_capacity(user):
    """Whether (and for whom) `user` accepts, returns or comments on submitted reports: managers,
    and a manager's deputy while the deputyship is in force; None for anyone else."""
    access = access_for(user)
    if access.is_manager:
        return OWN_RIGHT
    return Capacity(access.deputy_for_managers[0]) if access.deputy_for_managers else None


def can_sign_off(user, task):
    return signoff_capacity(user, task.zone_id) is not None


def can_review_report(user):
    return review_capacity(user) is not None


def can_answer(user, coordination_request):
    access = access_for(user)
    return access.is_admin or (access.is_liaison and coordination_request.agency_id == access.agency_id)


def require(allowed):
    if not allowed:
        raise PermissionDenied


OWN_SUBMISSION = "own_submission"


def decides_own_submission(user, authors):
    """Four eyes: True when `user` is among `authors` (users or user ids: whoever wrote or
    submitted what is to be decided). Every decision (accepting or returning a report, deciding a
    plan adjustment, evaluating, returning or recommending an outcome, answering a major matter,
    reviewing an indicator value) asks here, services to refuse and pages to not offer it."""
    ids = {getattr(author, "pk", author) for author in authors}
    return getattr(user, "pk", user) in ids - {None}


def ensure_four_eyes(user, authors):
    if decides_own_submission(user, authors):
        raise ValidationError(
            _("You submitted this yourself: another manager has to decide on it (four eyes)."),
            code=OWN_SUBMISSION,
        )


def can_record_outcome(user, zone):
    """Officers record their zones' outcomes (and administrators anyone's)."""
    access = access_for(user)
    return access.is_admin or (Role.OFFICER in access.roles and zone.pk in access.zone_ids)


def can_propose_adjustment(user, task):
    """Officers of the task's zone and managers propose plan adjustments; managers decide them."""
    return can_report(user, task) or access_for(user).is_manager


def can_raise_matter(user, zone):
    """Officers raise major matters for their own zones (administrators for any)."""
    return can_record_outcome(user, zone)
