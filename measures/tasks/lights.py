"""A task's traffic light for the current period, from its report, deadline and milestones."""

import datetime

from measures.choices import REPORTED_STATES, Light, TaskStatus

WARNING_DAYS = 7


def ended_by(moment, period):
    """Whether a close-off or withdrawal at `moment` (None: never) had happened by the end of
    `period`: from then on the task owes no report, so it counts as closed in that period and in
    every later one, and as an ordinary task in the periods before."""
    from django.utils import timezone

    return moment is not None and timezone.localdate(moment) <= period.end


def _not_started_after(status, deadline, today):
    """Reported as not started (未启动) when the period's deadline has passed: the task is behind,
    not "not yet due". Only a reported status reaches this (an unsubmitted report is red by then)."""
    return status == TaskStatus.NOT_STARTED and deadline is not None and today > deadline


def light_for(*, status, state, deadline, today, overdue_milestones=0, closed=False, withdrawn=False):
    """`status`/`state` are the current period's report's, or None when there is no report.

    Red: blocked, deadline passed without submission, or a milestone overdue.
    Yellow: delayed, the deadline within seven days and not yet submitted, or reported as not
    started once the deadline has passed.
    Green: submitted on track or completed.
    None (grey, "not yet due") is left only for what is not due yet: a task whose period's deadline
    has passed is never drawn as not yet due.
    """
    if withdrawn:
        return Light.WITHDRAWN
    if closed:
        return Light.CLOSED
    submitted = state in REPORTED_STATES
    if status == TaskStatus.BLOCKED or overdue_milestones:
        return Light.RED
    if deadline is not None and today > deadline and not submitted:
        return Light.RED
    if status == TaskStatus.DELAYED or _not_started_after(status, deadline, today):
        return Light.YELLOW
    if deadline is not None and not submitted and deadline - today <= datetime.timedelta(days=WARNING_DAYS):
        return Light.YELLOW
    if submitted and status in (TaskStatus.ON_TRACK, TaskStatus.COMPLETED):
        return Light.GREEN
    return Light.NONE


def light_reasons(*, status, state, deadline, today, overdue_milestones=0, closed=False, withdrawn=False):
    """Why the light is what it is, for the tooltip and the task page."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    if withdrawn:
        return [_("Withdrawn from the plan")]
    if closed:
        return [_("Closed off")]
    reasons = []
    submitted = state in REPORTED_STATES
    if status == TaskStatus.BLOCKED:
        reasons.append(_("Reported as blocked"))
    if overdue_milestones:
        reasons.append(
            ngettext("%(count)s milestone overdue", "%(count)s milestones overdue", overdue_milestones)
            % {"count": overdue_milestones}
        )
    if deadline is not None and not submitted:
        if today > deadline:
            reasons.append(_("Deadline %(date)s passed without a submitted report") % {"date": deadline})
        elif deadline - today <= datetime.timedelta(days=WARNING_DAYS):
            reasons.append(_("Deadline %(date)s within 7 days, not submitted") % {"date": deadline})
    if status == TaskStatus.DELAYED:
        reasons.append(_("Reported as delayed"))
    if submitted and _not_started_after(status, deadline, today):
        reasons.append(_("Reported as not started after the deadline %(date)s") % {"date": deadline})
    if not reasons and submitted and status in (TaskStatus.ON_TRACK, TaskStatus.COMPLETED):
        reasons.append(_("Reported on track or completed"))
    return reasons
