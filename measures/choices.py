from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    ON_TRACK = "on_track", _("On track")
    DELAYED = "delayed", _("Delayed")
    BLOCKED = "blocked", _("Blocked")
    COMPLETED = "completed", _("Completed")


class ReportState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    ACCEPTED = "accepted", _("Accepted")


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    EDITED = "edited", _("Edited")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    ACCEPTED = "accepted", _("Accepted")
    COMMENTED = "commented", _("Commented")
    PERIOD_LOCKED = "period_locked", _("Period locked")
    PERIOD_REOPENED = "period_reopened", _("Period reopened")
