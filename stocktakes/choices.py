from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemState(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")


class ItemEventKind(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    PROGRESS = "progress", _("Progress reported")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    ESCALATED = "escalated", _("Escalated (督办)")


class Scope(models.TextChoices):
    PLAN = "plan", _("Whole plan")
    ZONE = "zone", _("A zone")
    AGENCY = "agency", _("An agency")
