from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ItemState(models.TextChoices):
    ASSIGNED = "assigned", pgettext_lazy("assigned item", "Assigned")
    IN_PROGRESS = "in_progress", pgettext_lazy("assigned item", "In progress")
    CLOSED = "closed", pgettext_lazy("assigned item", "Closed")


class ItemEventKind(models.TextChoices):
    ASSIGNED = "assigned", pgettext_lazy("assigned item", "Assigned")
    PROGRESS = "progress", _("Progress reported")
    CLOSED = "closed", pgettext_lazy("assigned item", "Closed")
    REOPENED = "reopened", _("Reopened")
    ESCALATED = "escalated", _("Escalated (督办)")


class Scope(models.TextChoices):
    PLAN = "plan", _("Whole plan")
    ZONE = "zone", _("A zone")
    AGENCY = "agency", _("An agency")
