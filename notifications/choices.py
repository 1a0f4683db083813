from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    REPORT_RETURNED = "report_returned", _("Report returned")
    REPORT_ACCEPTED = "report_accepted", _("Report accepted")
    CHASE = "chase", _("Chase notice")
    REMINDER = "reminder", _("Reminder before a deadline")
    REQUEST_ASKED = "request_asked", _("Coordination requested")
    REQUEST_ANSWERED = "request_answered", _("Coordination answered")
    REQUEST_CLOSED = "request_closed", _("Coordination closed")
    REQUEST_REOPENED = "request_reopened", _("Coordination asked again")
    ADJUSTMENT_DECIDED = "adjustment_decided", _("Plan adjustment decided")
    MATTER_RAISED = "matter_raised", _("Major matter reported")
    MATTER_RESPONDED = "matter_responded", _("Major matter answered")
    OUTCOME_EVALUATED = "outcome_evaluated", _("Outcome evaluated")
    OUTCOME_RECOMMENDED = "outcome_recommended", _("Outcome recommendation decided")
    OUTCOME_RETURNED = "outcome_returned", _("Outcome returned")
    ESCALATION = "escalation", _("Escalation (督办)")
    ITEM_ASSIGNED = "item_assigned", _("Item assigned at a stocktake (交办)")
    ITEM_PROGRESS = "item_progress", _("Progress on an assigned item")
    ITEM_DUE_SOON = "item_due_soon", _("Assigned item due soon")
    ITEM_OVERDUE = "item_overdue", _("Assigned item overdue")
    ITEM_CLOSED = "item_closed", _("Assigned item closed")
    SIGNOFF_REQUESTED = "signoff_requested", _("Report awaiting your sign-off")
    REPORT_SENT_BACK = "report_sent_back", _("Report sent back by the zone leader")
    TEST = "test", _("Test message")


class Level(models.TextChoices):
    """The colours of the escalation ladder (三色督办); ordinary notices have none."""

    NONE = "", _("Ordinary")
    BLUE = "blue", _("Blue (蓝色督办)")
    YELLOW = "yellow", _("Yellow (黄色督办)")
    RED = "red", _("Red (红色督办)")


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WECOM = "wecom", _("WeCom group robot (企业微信)")
    DINGTALK = "dingtalk", _("DingTalk group robot (钉钉)")
    WEBHOOK = "webhook", _("Generic JSON webhook")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    RETRY = "retry", _("Failed, will retry")
    FAILED = "failed", _("Failed, gave up")


class Mode(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DAILY = "daily", _("Daily digest")
    IN_APP = "in_app", _("In the app only")


class Audience(models.TextChoices):
    ZONE = "zone", _("A zone")
    AGENCY = "agency", _("An agency")
    MANAGERS = "managers", _("The managers")


class Subject(models.TextChoices):
    """What an escalation is about."""

    REPORT = "report", _("Report not submitted")
    REQUEST = "request", _("Coordination request unanswered")
    MILESTONE = "milestone", _("Milestone overdue")
    ASSIGNED_ITEM = "item", _("Assigned item (交办事项) overdue")
