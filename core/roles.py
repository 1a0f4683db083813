"""The roles, as Django groups; a profile links a user to zones or an agency."""

from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    MANAGER = "manager", _("Manager")
    OFFICER = "officer", _("Zone officer")
    LIAISON = "liaison", _("Agency liaison")
    LEADER = "leader", _("Zone leader (单位负责人)")

    @property
    def group_name(self):
        return {
            "administrator": "Administrators",
            "manager": "Managers",
            "officer": "Zone officers",
            "liaison": "Agency liaisons",
            "leader": "Zone leaders",
        }[self.value]


ROLE_OF_GROUP = {role.group_name: role for role in Role}


def group_label(name):
    """A role group's name in the user's language (the stored names are English and fixed, since
    directory rules and code find groups by them); any other group keeps its own name."""
    role = ROLE_OF_GROUP.get(name)
    return role.label if role is not None else name


def ensure_groups():
    for role in Role:
        Group.objects.get_or_create(name=role.group_name)
