"""Accepting several waiting reports at once, each through the one accept service."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from core.access import can_review_report, require
from core.views import is_own_submission_refusal
from measures.models import ProgressReport
from measures.reporting.services import accept_report


@dataclass
class BatchResult:
    accepted: list = field(default_factory=list)
    # Written or submitted by the manager: another manager has to decide them (four eyes).
    own: list = field(default_factory=list)
    # No longer waiting (decided, recalled or locked meanwhile) or refused for another reason:
    # (report, the service's message).
    refused: list = field(default_factory=list)


@transaction.atomic
def accept_reports(*, report_ids, user, assessment="", assessment_reason=""):
    """Accept each report of `report_ids` that still waits for review, each by accept_report (its
    checks, its one history row), with the same assessed completion; its own percent is kept as
    the verified one. A report `user` wrote or submitted is skipped (four eyes), as is one no longer
    waiting; each skip is returned with its reason, and the others are accepted all the same."""
    require(can_review_report(user))
    result = BatchResult()
    reports = (
        ProgressReport.objects.filter(pk__in=report_ids).select_related("task__zone", "period").order_by("pk")
    )
    waiting = set(
        ProgressReport.objects.awaiting_review().filter(pk__in=report_ids).values_list("pk", flat=True)
    )
    for report in reports:
        if report.pk not in waiting:
            result.refused.append((report, None))
            continue
        try:
            # A savepoint each: a refusal undoes only that report's writes.
            with transaction.atomic():
                accept_report(
                    report=report, user=user, assessment=assessment, assessment_reason=assessment_reason
                )
        except ValidationError as error:
            if is_own_submission_refusal(error):
                result.own.append(report)
            else:
                result.refused.append((report, " ".join(error.messages)))
        else:
            result.accepted.append(report)
    return result
