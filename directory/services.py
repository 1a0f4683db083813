"""Directory sign-in writes: link the directory's identity to a user, then set the user's roles,
zones and agency from the administrator's rules and trace what changed, in one transaction."""

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.roles import Role, ensure_groups
from zones.models import Profile

from .models import DirectoryAccount, DirectoryRule, DirectorySignIn, Source

ROLE_GROUPS = {role.group_name: role for role in Role}


class LocalAccountConflict(Exception):
    """The directory's user name belongs to a local account the directory may not take over."""


def local_account_blocks(user, *, source):
    """A local account (own password, not linked to this directory) is never taken over by a
    directory sign-in of the same name: that would let the directory decide a local
    administrator's roles, or let whoever controls the directory name sign in as them."""
    account = getattr(user, "directory_account", None) if user.pk else None
    if account is not None:
        return account.source != source
    return user.pk is not None and user.has_usable_password()


def _snapshot(user):
    profile = Profile.objects.filter(user=user).first()
    return {
        "roles": sorted(
            ROLE_GROUPS[name].value
            for name in user.groups.values_list("name", flat=True)
            if name in ROLE_GROUPS
        ),
        "is_superuser": user.is_superuser,
        "is_staff": user.is_staff,
        "zones": sorted(profile.zones.values_list("code", flat=True)) if profile else [],
        "agency": profile.agency.name if profile and profile.agency else None,
    }


def _json_claims(claims):
    # Only what a rule could read; tokens' own bookkeeping (exp, nonce, at_hash) says nothing about roles.
    skip = {"aud", "exp", "iat", "nbf", "nonce", "at_hash", "c_hash", "auth_time", "azp", "jti"}
    return {
        key: value if isinstance(value, (str, int, float, bool, list)) or value is None else str(value)
        for key, value in sorted(claims.items())
        if key not in skip
    }


@transaction.atomic
def sign_in_from_directory(*, user, source, subject, group_dns=frozenset(), claims=None):
    """Apply the active rules of `source` to `user` and record the sign-in.

    `group_dns` (LDAP) are the user's groups as normalised DNs; `claims` (OIDC) the provider's
    claims, or (CAS) the attributes of the validated ticket. The directory decides the user's roles: role groups no rule grants any more are
    removed, so taking someone out of a directory group takes the role away at their next sign-in.
    A user no rule matches keeps an account without a role and sees the "no role yet" page.
    """
    source = Source(source)
    if local_account_blocks(user, source=source):
        raise LocalAccountConflict(user.get_username())
    now = timezone.now()
    account, created = DirectoryAccount.objects.get_or_create(
        user=user, defaults={"source": source, "subject": subject, "linked_at": now, "last_sign_in": now}
    )
    if not created:
        account.subject = subject
        account.last_sign_in = now
    account.full_clean()
    account.save()

    before = _snapshot(user)
    values = set(group_dns) if source == Source.LDAP else (claims or {})
    rules = [
        rule
        for rule in DirectoryRule.objects.active()
        .filter(source=source)
        .select_related("agency")
        .prefetch_related("zones")
        .order_by("pk")
        if rule.matches(source, values)
    ]
    roles = {Role(rule.role) for rule in rules}
    zones = {zone for rule in rules if rule.role == Role.OFFICER for zone in rule.zones.all()}
    agencies = [rule.agency for rule in rules if rule.role == Role.LIAISON]
    agency = agencies[0] if agencies else None
    notes = []
    if len({a.pk for a in agencies}) > 1:
        notes.append(
            _("Several agencies matched; a liaison speaks for one, so %(agency)s (the oldest rule) was used.")
            % {"agency": agency.name}
        )
    if Role.OFFICER in roles and not zones:
        notes.append(_("A zone officer rule matched but names no zone, so the officer sees no zone's tasks."))

    ensure_groups()
    managed = Group.objects.filter(name__in=ROLE_GROUPS)
    user.groups.remove(*managed.exclude(name__in=[role.group_name for role in roles]))
    user.groups.add(*managed.filter(name__in=[role.group_name for role in roles]))
    # In this app an administrator is a superuser with the admin site (as the demo administrator).
    user.is_superuser = user.is_staff = Role.ADMINISTRATOR in roles
    user.save(update_fields=["is_superuser", "is_staff"])
    profile, _created = Profile.objects.get_or_create(user=user)
    profile.agency = agency
    profile.full_clean()
    profile.save()
    profile.zones.set(zones)

    after = _snapshot(user)
    trace = DirectorySignIn(
        user=user,
        source=source,
        subject=subject,
        at=now,
        directory_values=sorted(values) if source == Source.LDAP else _json_claims(values),
        before=before,
        after=after,
        note="\n".join(notes),
    )
    trace.full_clean()
    trace.save()
    trace.rules.set(rules)
    # access_for() caches on the user object; this object may be the one that is signed in next.
    user.__dict__.pop("_ftz_access", None)
    return trace
