from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class Computation(models.TextChoices):
    """Where an indicator's value comes from: entered by the zones, or counted by the app."""

    MANUAL = "manual", _("Entered by the zones")
    OUTCOME_COUNT = "outcome_count", _("Count of innovation outcomes in the register")
    TASKS_COMPLETED_SHARE = "tasks_completed_share", _("Share of tasks reported completed")


class ValueState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    ACCEPTED = "accepted", _("Accepted")


class IndicatorEventKind(models.TextChoices):
    CREATED = "created", _("Value entered")
    EDITED = "edited", _("Value changed")
    SUBMITTED = "submitted", _("Submitted")
    RESUBMITTED = "resubmitted", _("Resubmitted")
    RETURNED = "returned", _("Returned")
    ACCEPTED = "accepted", _("Accepted")
    EVIDENCE_ADDED = "evidence_added", _("Evidence added")


class Status(models.TextChoices):
    """How a latest value stands against its target, read in the indicator's direction."""

    MET = "met", _("Target met")
    PROGRESSING = "progressing", _("Towards target")
    BEHIND = "behind", _("Worse than baseline")
    # Once the target year is over, the question is no longer "towards" but met or missed in time.
    MET_BY_YEAR = "met_by_year", _("Met by the target year")
    MISSED = "missed", _("Missed: the target year has passed")
    MET_LATE = "met_late", _("Met, but after the target year")
    NO_TARGET = "no_target", _("No target set")
    NO_DATA = "no_data", _("No value yet")
