"""Every model of the measures app, defined in its domain package (measures/<domain>/models.py).

Django loads the app's models from here; the app label, table names and migrations are the
same as before the split."""

from measures.adjustments.models import PlanAdjustment
from measures.dashboard.models import LockedPeriodFigures
from measures.evidence.models import Evidence
from measures.followup.models import CoordinationRequest, Milestone, Reminder
from measures.matters.models import MajorMatter
from measures.outcomes.models import InnovationOutcome
from measures.reporting.models import ProgressReport, ReportEvent, ReportingPeriod, SubmittedReportCount
from measures.signoff.models import Deputy
from measures.tasks.models import AgencyLinkChange, DataVersion, Task, TaskAgency, TaskCategory, TaskQuerySet

__all__ = [
    "AgencyLinkChange",
    "CoordinationRequest",
    "DataVersion",
    "Deputy",
    "Evidence",
    "InnovationOutcome",
    "LockedPeriodFigures",
    "MajorMatter",
    "Milestone",
    "PlanAdjustment",
    "ProgressReport",
    "Reminder",
    "ReportEvent",
    "ReportingPeriod",
    "SubmittedReportCount",
    "Task",
    "TaskAgency",
    "TaskCategory",
    "TaskQuerySet",
]
