"""Writes of the people who use the tracker: an administrator onboards a user in one step."""

import secrets

from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.access import access_for, require
from core.roles import Role, ensure_groups

from .models import Profile

ZONE_ROLES = (Role.OFFICER, Role.LEADER)


def scope_errors(role, zones, agency):
    """What a role must be bound to, the one rule the form and the service both read: officers and
    zone leaders to one or more zones, liaisons to an agency, managers and administrators to neither
    (they see everything; a stray binding would only mislead)."""
    errors = {}
    if role in ZONE_ROLES:
        if not zones:
            errors["zones"] = _("Choose the zones this %(role)s works for.") % {"role": role.label}
        if agency is not None:
            errors["agency"] = _("A %(role)s is bound to zones, not to an agency.") % {"role": role.label}
    elif role == Role.LIAISON:
        if agency is None:
            errors["agency"] = _("Choose the agency this liaison answers for.")
        if zones:
            errors["zones"] = _("An agency liaison is bound to an agency, not to zones.")
    else:
        if zones:
            errors["zones"] = _("A %(role)s sees every zone: choose no zone.") % {"role": role.label}
        if agency is not None:
            errors["agency"] = _("A %(role)s sees every agency: choose no agency.") % {"role": role.label}
    return errors


def new_password():
    return secrets.token_urlsafe(12)


@transaction.atomic
def onboard_user(*, actor, name, username, email, role, zones=(), agency=None):
    """Create a user with their name (姓名, whole, in Chinese order), role and zones or agency, and
    an initial password to hand over; the record is the admin's history row (LogEntry), written in
    the same transaction. Returns (user, password)."""
    require(access_for(actor).is_admin)
    role = Role(role)
    zones = list(zones)
    errors = scope_errors(role, zones, agency)
    name = " ".join(name.split())
    if not name:
        errors["name"] = _("Write the person's name.")
    if errors:
        raise ValidationError(errors)
    User = get_user_model()
    # The name is kept whole in first_name, so get_full_name() gives it back in Chinese order
    # (姓名) rather than as "名 姓"; last_name stays empty.
    user = User(username=username.strip(), email=email.strip(), first_name=name, last_name="")
    password = new_password()
    user.set_password(password)
    if role == Role.ADMINISTRATOR:
        user.is_staff = user.is_superuser = True
    user.full_clean()
    user.save()
    ensure_groups()
    user.groups.add(Group.objects.get(name=role.group_name))
    profile = Profile(user=user, agency=agency)
    profile.full_clean()
    profile.save()
    profile.zones.set(zones)
    scope = agency.name if agency else "、".join(zone.name for zone in zones)
    LogEntry.objects.log_actions(
        actor.pk,
        [user],
        ADDITION,
        change_message=[{"added": {}}, {"onboarded": {"role": role.value, "scope": scope}}],
        single_object=True,
    )
    return user, password
