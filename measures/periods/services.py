"""Reporting periods: quarterly creation, locking and reopening."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.access import can_review, require
from measures.choices import EventKind
from measures.dashboard.services import drop_period_figures, keep_period_figures
from measures.history import record
from measures.models import ProgressReport, ReportingPeriod

# The refusal's code when reports still wait for review: the page asks for a confirmation.
WAITING_FOR_REVIEW = "waiting_for_review"


def waiting_in(period):
    """How many reports of `period` still wait for a manager's review (the one rule)."""
    return ProgressReport.objects.awaiting_review().filter(period=period).count()


QUARTER_NAMES = ["第一季度", "第二季度", "第三季度", "第四季度"]
QUARTER_STARTS = [(1, 1), (4, 1), (7, 1), (10, 1)]


def quarter_bounds(year, quarter):
    month, day = QUARTER_STARTS[quarter - 1]
    start = datetime.date(year, month, day)
    next_start = datetime.date(year + 1, 1, 1) if quarter == 4 else datetime.date(year, month + 3, 1)
    return start, next_start - datetime.timedelta(days=1)


@transaction.atomic
def create_quarterly_periods(*, plan, year, deadline_days=15):
    """The four quarters of `year`, each due `deadline_days` after it ends; existing ones are kept."""
    created = []
    for quarter in range(1, 5):
        start, end = quarter_bounds(year, quarter)
        if ReportingPeriod.objects.filter(plan=plan, start=start).exists():
            continue
        period = ReportingPeriod(
            plan=plan,
            name=f"{year}年{QUARTER_NAMES[quarter - 1]}",
            start=start,
            end=end,
            deadline=end + datetime.timedelta(days=deadline_days),
        )
        period.full_clean()
        period.save()
        created.append(period)
    return created


@transaction.atomic
def lock_period(*, period, user, confirm_waiting=False):
    """Lock `period`: its reports can no longer change. Reports still waiting for review could
    then never be decided, so that needs `confirm_waiting`; the history row says how many."""
    require(can_review(user))
    period = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
    if period.is_locked:
        raise ValidationError(_("This period is already locked."))
    waiting = waiting_in(period)
    if waiting and not confirm_waiting:
        raise ValidationError(
            ngettext(
                "%(count)s report of this period still waits for review; once the period is locked it "
                "can no longer be reviewed. Confirm to lock it anyway.",
                "%(count)s reports of this period still wait for review; once the period is locked they "
                "can no longer be reviewed. Confirm to lock it anyway.",
                waiting,
            )
            % {"count": waiting},
            code=WAITING_FOR_REVIEW,
            params={"count": waiting},
        )
    period.locked_at = timezone.now()
    period.locked_by = user
    period.full_clean()
    period.save(update_fields=["locked_at", "locked_by"])
    # The chart across periods reads a locked period's figures from here from now on.
    keep_period_figures(periods=[period])
    record(
        period=period,
        kind=EventKind.PERIOD_LOCKED,
        actor=user,
        changes={"waiting_for_review": waiting} if waiting else {},
    )
    return period


@transaction.atomic
def reopen_period(*, period, user, reason):
    require(can_review(user))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for reopening a locked period.")})
    period = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
    if not period.is_locked:
        raise ValidationError(_("This period is not locked."))
    period.locked_at = None
    period.locked_by = None
    period.full_clean()
    period.save(update_fields=["locked_at", "locked_by"])
    drop_period_figures(period=period)
    record(period=period, kind=EventKind.PERIOD_REOPENED, actor=user, note=reason.strip())
    return period
