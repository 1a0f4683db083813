from .changes import MajorMatter, PlanAdjustment
from .evidence import Evidence
from .followup import CoordinationRequest, Milestone, Reminder
from .outcomes import InnovationOutcome
from .plan import Task, TaskAgency, TaskCategory, TaskQuerySet
from .reporting import ProgressReport, ReportEvent, ReportingPeriod

__all__ = [
    "CoordinationRequest",
    "Evidence",
    "InnovationOutcome",
    "MajorMatter",
    "Milestone",
    "PlanAdjustment",
    "ProgressReport",
    "Reminder",
    "ReportEvent",
    "ReportingPeriod",
    "Task",
    "TaskAgency",
    "TaskCategory",
    "TaskQuerySet",
]
