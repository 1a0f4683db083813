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
    AWAITING_SIGNOFF = "awaiting_signoff", _("Awaiting the zone leader's sign-off")


# Each rule about a report's state is defined here, once; code names the rule, never a tuple of states.
# Counts as reported (lights, dashboard, reminders, exports, zone page, indicators, the my page).
REPORTED_STATES = frozenset({ReportState.SUBMITTED, ReportState.ACCEPTED})
# Its zone may still change and submit it.
EDITABLE_STATES = frozenset({ReportState.DRAFT, ReportState.RETURNED})
# Submitted by the officer of a plan that requires sign-off (Plan.requires_signoff), waiting for the
# zone leader (单位负责人, 主体责任). A state of its own rather than a flag on a submitted report: the
# managers' review rules (waiting for a manager's review, four eyes, the badges) test for SUBMITTED,
# so a report the zone has not signed off is out of the city's queue by construction, not by every
# query remembering a second column. It is NOT in REPORTED_STATES: the zone has not reported until
# its leader signs off, so lights, the dashboard's rates, exports and liaisons do not show unsigned
# text, reminders and the escalation ladder keep running (the yellow step reaches the leader, who is
# the one holding it), and the deadline is met on the day of the sign-off (submitted_on is stamped
# then). Not in EDITABLE_STATES either: the officer edits again only once the leader sends it back.
AWAITING_SIGNOFF_STATES = frozenset({ReportState.AWAITING_SIGNOFF})


class Assessment(models.TextChoices):
    """A manager's assessed completion of a task, recorded when accepting its report (verified
    progress, beside the zone's self-reported percent)."""

    COMPLETED = "completed", _("Completed")
    LARGELY = "largely", _("Largely completed")
    PARTLY = "partly", _("Partly completed")
    NOT_COMPLETED = "not_completed", _("Not completed")
    NO_EVIDENCE = "no_evidence", _("No evidence")


class Light(models.TextChoices):
    """A task's traffic light for the current period; NONE while nothing is due or reported yet."""

    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")
    NONE = "none", _("Not yet due")
    CLOSED = "closed", _("Closed off")
    WITHDRAWN = "withdrawn", _("Withdrawn")


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
    REQUEST_REOPENED = "request_reopened", _("Coordination asked again")
    TASK_CLOSED = "task_closed", _("Task closed off")
    TASK_REOPENED = "task_reopened", _("Task reopened")
    PERIOD_LOCKED = "period_locked", _("Period locked")
    PERIOD_REOPENED = "period_reopened", _("Period reopened")
    CHASED = "chased", _("Chase notice sent")
    OUTCOME_CREATED = "outcome_created", _("Outcome recorded")
    OUTCOME_EDITED = "outcome_edited", _("Outcome edited")
    OUTCOME_SUBMITTED = "outcome_submitted", _("Outcome submitted")
    OUTCOME_EVALUATED = "outcome_evaluated", _("Outcome evaluated")
    OUTCOME_RECOMMENDED = "outcome_recommended", _("Recommended for citywide replication")
    OUTCOME_DECLINED = "outcome_declined", _("Not recommended")
    OUTCOME_REPLICATED = "outcome_replicated", _("Replication recorded")
    OUTCOME_RETURNED = "outcome_returned", _("Outcome returned for changes")
    ADJUSTMENT_PROPOSED = "adjustment_proposed", _("Plan adjustment proposed")
    ADJUSTMENT_APPROVED = "adjustment_approved", _("Plan adjustment approved")
    ADJUSTMENT_REJECTED = "adjustment_rejected", _("Plan adjustment rejected")
    ADJUSTMENT_CANCELLED = "adjustment_cancelled", _("Plan adjustment cancelled")
    MATTER_RAISED = "matter_raised", _("Major matter reported")
    MATTER_RESPONDED = "matter_responded", _("Major matter answered")
    MATTER_CLOSED = "matter_closed", _("Major matter closed")
    ESCALATED = "escalated", _("Escalated (督办)")
    OPENED_FOR_REVIEW = "opened_for_review", _("Opened for review")
    RECALLED = "recalled", _("Recalled by the zone")
    MILESTONE_DELETED = "milestone_deleted", _("Milestone deleted")
    OUTCOME_DELETED = "outcome_deleted", _("Outcome deleted")
    SIGNED_OFF = "signed_off", _("Signed off by the zone leader")
    SENT_BACK = "sent_back", _("Sent back by the zone leader")


class OutcomeType(models.TextChoices):
    INSTITUTIONAL = "institutional", _("Institutional innovation (制度创新成果)")
    FIRST_OF_KIND = "first_of_kind", _("First-of-its-kind institutional innovation (首创性制度创新)")
    STRESS_TEST = "stress_test", _("Stress test (压力测试)")
    INTL_RULES = "intl_rules", _("Alignment with high-standard international rules (对接国际高标准经贸规则)")


class OutcomeState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    EVALUATED = "evaluated", _("Evaluated")
    RECOMMENDED = "recommended", _("Recommended for citywide replication")
    REPLICATED = "replicated", _("Replicated")
    NOT_RECOMMENDED = "not_recommended", _("Not recommended")
    # A draft its author deleted: kept with its history and evidence, shown to no one.
    DELETED = "deleted", _("Deleted")


# Evidence can still be added to an outcome until a manager has evaluated it.
OUTCOME_EVIDENCE_OPEN_STATES = frozenset({OutcomeState.DRAFT, OutcomeState.SUBMITTED})


class AdjustmentKind(models.TextChoices):
    """What a plan adjustment (及时调整试点内容和政策措施) changes on a task."""

    TEXT = "text", _("Task text")
    AGENCIES = "agencies", _("Supporting agencies")
    MILESTONES = "milestones", _("Milestones")
    WITHDRAWAL = "withdrawal", _("Withdrawal of the task (撤销)")


class AdjustmentState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class MatterUrgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    CRITICAL = "critical", _("Critical")


class MatterState(models.TextChoices):
    OPEN = "open", _("Open")
    RESPONDED = "responded", _("Responded")
    CLOSED = "closed", _("Closed")


class AgencyRole(models.TextChoices):
    """What an agency named on a task does for it, as the plan labels it."""

    LEAD = "lead", _("Lead (牵头)")
    RESPONSIBLE = "responsible", _("Responsible (责任)")
    COOPERATING = "cooperating", _("Cooperating (配合)")
    SUPPORTING = "supporting", _("Supporting (支持)")
