"""Every write that changes state, each with its history row in the same transaction.

Each is defined in its domain package (measures/<domain>/services.py); this module is their public
face, the one other apps (indicators, api), views, commands and tests call. Nothing else changes
these rows.
"""

from measures.adjustments.services import (
    approve_adjustment,
    cancel_adjustment,
    propose_adjustment,
    reject_adjustment,
)
from measures.evidence.services import (
    add_file_evidence,
    add_link_evidence,
    close_task,
    save_report_with_evidence,
    store_then_record,
    withdraw_evidence,
)
from measures.followup.services.coordination import (
    answer_request,
    ask_agency,
    close_request,
    default_reply_by,
    reopen_request,
)
from measures.followup.services.milestones import (
    add_milestone,
    complete_milestone,
    delete_milestone,
    reopen_milestone,
    update_milestone,
)
from measures.followup.services.reminders import chase_zone, send_reminders
from measures.matters.services import close_matter, raise_matter, respond_to_matter
from measures.outcomes.services import (
    add_outcome_file,
    create_outcome,
    decline_outcome,
    delete_outcome,
    evaluate_outcome,
    recommend_outcome,
    record_replication,
    return_outcome,
    submit_outcome,
    update_outcome,
    withdraw_outcome_evidence,
)
from measures.periods.services import create_quarterly_periods, lock_period, reopen_period
from measures.reporting.services import (
    REPORT_FIELDS,
    ReportConflict,
    accept_report,
    comment_on_report,
    ensure_period_open,
    note_opened_for_review,
    recall_report,
    reopen_task,
    report_values,
    return_report,
    save_and_submit_report,
    save_report,
    start_from_previous,
    submit_report,
)
from measures.signoff.services import name_deputy, send_back_report, sign_off_report, withdraw_deputy
from measures.tasks.services import links_of, record_link_changes

__all__ = [
    "name_deputy",
    "send_back_report",
    "sign_off_report",
    "withdraw_deputy",
    "approve_adjustment",
    "cancel_adjustment",
    "close_matter",
    "propose_adjustment",
    "raise_matter",
    "reject_adjustment",
    "respond_to_matter",
    "add_outcome_file",
    "delete_outcome",
    "create_outcome",
    "decline_outcome",
    "evaluate_outcome",
    "recommend_outcome",
    "return_outcome",
    "record_replication",
    "submit_outcome",
    "update_outcome",
    "REPORT_FIELDS",
    "ReportConflict",
    "report_values",
    "accept_report",
    "add_file_evidence",
    "add_link_evidence",
    "save_report_with_evidence",
    "add_milestone",
    "answer_request",
    "ask_agency",
    "chase_zone",
    "close_request",
    "default_reply_by",
    "reopen_request",
    "close_task",
    "note_opened_for_review",
    "recall_report",
    "comment_on_report",
    "complete_milestone",
    "delete_milestone",
    "create_quarterly_periods",
    "lock_period",
    "reopen_milestone",
    "reopen_period",
    "reopen_task",
    "return_report",
    "save_and_submit_report",
    "save_report",
    "send_reminders",
    "start_from_previous",
    "submit_report",
    "update_milestone",
    "withdraw_evidence",
    "withdraw_outcome_evidence",
    "ensure_period_open",
    "store_then_record",
    "links_of",
    "record_link_changes",
]
