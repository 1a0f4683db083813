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


class Light(models.TextChoices):
    """A task's traffic light for the current period; NONE while nothing is due or reported yet."""

    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")
    NONE = "none", _("Not yet due")
    CLOSED = "closed", _("Closed off")


class EvidenceKind(models.TextChoices):
    FILE = "file", _("File")
    LINK = "link", _("Link")


class RequestState(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class ReminderKind(models.TextChoices):
    REMINDER = "reminder", _("Reminder")
    CHASE = "chase", _("Chase notice")


class EventKind(models.TextChoices):
    CREATED = "created", _("Report started")
    EDITED = "edited", _("Report edited")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    ACCEPTED = "accepted", _("Accepted")
    COMMENTED = "commented", _("Review comment")
    EVIDENCE_ADDED = "evidence_added", _("Evidence added")
    EVIDENCE_WITHDRAWN = "evidence_withdrawn", _("Evidence withdrawn")
    MILESTONE_ADDED = "milestone_added", _("Milestone added")
    MILESTONE_CHANGED = "milestone_changed", _("Milestone changed")
    MILESTONE_DONE = "milestone_done", _("Milestone done")
    MILESTONE_REOPENED = "milestone_reopened", _("Milestone reopened")
    REQUEST_OPENED = "request_opened", _("Coordination requested")
    REQUEST_ANSWERED = "request_answered", _("Coordination answered")
    REQUEST_CLOSED = "request_closed", _("Coordination closed")
    TASK_CLOSED = "task_closed", _("Task closed off")
    TASK_REOPENED = "task_reopened", _("Task reopened")
    PERIOD_LOCKED = "period_locked", _("Period locked")
    PERIOD_REOPENED = "period_reopened", _("Period reopened")
    CHASED = "chased", _("Chase notice sent")
