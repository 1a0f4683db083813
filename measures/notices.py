"""Who is told of what happens to tasks, reports, requests, outcomes, adjustments and matters.

measures calls notifications (never the other way round): every history row a service writes
(measures.history.record) passes through `on_event`, in the same transaction, and the kinds that
concern someone become notices. Reminders and chase notices are told from measures.followup.services.reminders.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.access import access_for
from core.roles import Role
from measures.choices import EventKind
from notifications import registry
from notifications.choices import NoticeKind
from notifications.services import notify


def people(role, *, zone=None, agency=None):
    users = get_user_model().objects.filter(is_active=True, groups__name=role.group_name)
    if zone is not None:
        users = users.filter(profile__zones=zone)
    if agency is not None:
        users = users.filter(profile__agency=agency)
    return list(users.distinct().order_by("pk"))


def officers(zone):
    return people(Role.OFFICER, zone=zone)


def leaders(zone):
    return people(Role.LEADER, zone=zone)


def managers():
    return people(Role.MANAGER)


def liaisons(agency):
    return people(Role.LIAISON, agency=agency)


def report_url(task, period_id):
    return f"{task.get_absolute_url()}?period={period_id}#report"


def _task_label(task):
    return f"{task.zone.short_name} {task.display_number}"


def _request(event):
    from measures.models import CoordinationRequest

    return CoordinationRequest.objects.select_related("agency", "asked_by").get(pk=event.changes["request"])


def _adjustment(event):
    from measures.models import PlanAdjustment

    return PlanAdjustment.objects.select_related("proposed_by").get(pk=event.changes["adjustment"])


def _told(event, **fields):
    fields.setdefault("actor", event.actor)
    fields.setdefault("key", f"event:{event.pk}")
    fields.setdefault("body", event.note)
    return notify(**fields)


def on_event(event):
    """Turn a history row into notices for the people it concerns."""
    handler = HANDLERS.get(event.kind)
    if handler is None:
        return 0
    # Officials read notices in Chinese whatever language the actor's page was in.
    with translation.override(settings.FTZ_NOTICE_LANGUAGE):
        return handler(event)


def _report_reviewed(event):
    task, period = event.task, event.period
    returned = event.kind == EventKind.RETURNED
    title = (
        _("Report returned for changes: %(task)s, %(period)s")
        if returned
        else _("Report accepted: %(task)s, %(period)s")
    ) % {"task": _task_label(task), "period": period.name}
    recipients = officers(task.zone)
    if returned:
        # A return from the city goes back to the officer; the zone leaders who answer for the
        # report (and whoever signed it off for them) are told too.
        signers = event.report.events.filter(kind=EventKind.SIGNED_OFF).select_related("actor")
        signed = [row.actor for row in signers]
        if signed:
            recipients = [*recipients, *leaders(task.zone), *signed]
    return _told(
        event,
        kind=NoticeKind.REPORT_RETURNED if returned else NoticeKind.REPORT_ACCEPTED,
        recipients=recipients,
        title=title,
        url=report_url(task, period.pk),
        zone=task.zone,
        needs_action=returned,
    )


def _leaders_and_deputies(zone):
    from measures.signoff.selectors import deputies_in_force_for

    zone_leaders = leaders(zone)
    return [*zone_leaders, *deputies_in_force_for(zone_leaders)]


def _submitted(event):
    """A report submitted for sign-off (Plan.requires_signoff) is news for the zone's leaders and
    whoever stands in for them today; one submitted straight to the managers waits in their queue."""
    from measures.choices import AWAITING_SIGNOFF_STATES

    if event.changes.get("state", [None, None])[1] not in AWAITING_SIGNOFF_STATES:
        return 0
    task, period = event.task, event.period
    return _told(
        event,
        kind=NoticeKind.SIGNOFF_REQUESTED,
        recipients=_leaders_and_deputies(task.zone),
        title=_("Report awaiting your sign-off: %(task)s, %(period)s")
        % {"task": _task_label(task), "period": period.name},
        url=report_url(task, period.pk).replace("#report", "#signoff"),
        zone=task.zone,
        needs_action=True,
    )


def _sent_back(event):
    task, period = event.task, event.period
    return _told(
        event,
        kind=NoticeKind.REPORT_SENT_BACK,
        recipients=officers(task.zone),
        title=_("Report sent back by the zone leader: %(task)s, %(period)s")
        % {"task": _task_label(task), "period": period.name},
        url=report_url(task, period.pk),
        zone=task.zone,
        needs_action=True,
    )


def _request_asked(event):
    request = _request(event)
    task = event.task
    return _told(
        event,
        kind=NoticeKind.REQUEST_ASKED,
        recipients=liaisons(request.agency),
        title=_("Coordination requested of %(agency)s: %(task)s")
        % {"agency": request.agency.name, "task": _task_label(task)},
        url=request.get_absolute_url(),
        zone=task.zone,
        agency=request.agency,
        needs_action=True,
    )


def _request_reopened(event):
    request = _request(event)
    task = event.task
    return _told(
        event,
        kind=NoticeKind.REQUEST_REOPENED,
        recipients=liaisons(request.agency),
        title=_("Coordination request reopened, the answer did not help: %(task)s")
        % {"task": _task_label(task)},
        url=request.agency.get_absolute_url() + f"#request-{request.pk}",
        zone=task.zone,
        agency=request.agency,
        needs_action=True,
    )


def _request_answered(event):
    request = _request(event)
    task = event.task
    answered = event.kind == EventKind.REQUEST_ANSWERED
    recipients = [request.asked_by, *officers(task.zone)] if answered else liaisons(request.agency)
    title = (
        _("%(agency)s answered your coordination request: %(task)s")
        if answered
        else _("Coordination request closed: %(task)s")
    ) % {"agency": request.agency.name, "task": _task_label(task)}
    return _told(
        event,
        kind=NoticeKind.REQUEST_ANSWERED if answered else NoticeKind.REQUEST_CLOSED,
        recipients=recipients,
        title=title,
        url=request.get_absolute_url(),
        zone=task.zone,
        agency=None if answered else request.agency,
    )


def _adjustment_decided(event):
    adjustment = _adjustment(event)
    task = event.task
    approved = event.kind == EventKind.ADJUSTMENT_APPROVED
    title = (
        _("Plan adjustment approved: %(task)s") if approved else _("Plan adjustment rejected: %(task)s")
    ) % {"task": _task_label(task)}
    return _told(
        event,
        kind=NoticeKind.ADJUSTMENT_DECIDED,
        recipients=[adjustment.proposed_by],
        title=title,
        url=adjustment.get_absolute_url(),
        zone=task.zone,
    )


def _matter(event):
    matter = event.matter
    raised = event.kind == EventKind.MATTER_RAISED
    if raised:
        return _told(
            event,
            kind=NoticeKind.MATTER_RAISED,
            recipients=managers(),
            title=_("Major matter reported by %(zone)s: %(title)s")
            % {"zone": matter.zone.short_name, "title": matter.title},
            url=matter.get_absolute_url(),
            zone=matter.zone,
            needs_action=True,
            # services.matters e-mails the managers itself.
            mailed_elsewhere=True,
            to_managers=True,
        )
    return _told(
        event,
        kind=NoticeKind.MATTER_RESPONDED,
        recipients=[matter.raised_by, *officers(matter.zone)],
        title=_("Major matter answered: %(title)s") % {"title": matter.title},
        url=matter.get_absolute_url(),
        zone=matter.zone,
    )


def _outcome(event):
    outcome = event.outcome
    kind, title = {
        EventKind.OUTCOME_EVALUATED: (NoticeKind.OUTCOME_EVALUATED, _("Outcome evaluated: %(title)s")),
        EventKind.OUTCOME_RECOMMENDED: (
            NoticeKind.OUTCOME_RECOMMENDED,
            _("Outcome recommended for citywide replication: %(title)s"),
        ),
        EventKind.OUTCOME_DECLINED: (NoticeKind.OUTCOME_RECOMMENDED, _("Outcome not recommended: %(title)s")),
        EventKind.OUTCOME_RETURNED: (
            NoticeKind.OUTCOME_RETURNED,
            _("Outcome returned for changes: %(title)s"),
        ),
    }[event.kind]
    return _told(
        event,
        kind=kind,
        recipients=[outcome.created_by, *officers(outcome.zone)],
        title=title % {"title": outcome.title},
        url=outcome.get_absolute_url(),
        zone=outcome.zone,
        needs_action=event.kind == EventKind.OUTCOME_RETURNED,
    )


HANDLERS = {
    EventKind.SUBMITTED: _submitted,
    EventKind.SENT_BACK: _sent_back,
    EventKind.RETURNED: _report_reviewed,
    EventKind.ACCEPTED: _report_reviewed,
    EventKind.REQUEST_OPENED: _request_asked,
    EventKind.REQUEST_ANSWERED: _request_answered,
    EventKind.REQUEST_CLOSED: _request_answered,
    EventKind.REQUEST_REOPENED: _request_reopened,
    EventKind.ADJUSTMENT_APPROVED: _adjustment_decided,
    EventKind.ADJUSTMENT_REJECTED: _adjustment_decided,
    EventKind.MATTER_RAISED: _matter,
    EventKind.MATTER_RESPONDED: _matter,
    EventKind.OUTCOME_EVALUATED: _outcome,
    EventKind.OUTCOME_RECOMMENDED: _outcome,
    EventKind.OUTCOME_DECLINED: _outcome,
    EventKind.OUTCOME_RETURNED: _outcome,
}


def reminded(*, kind, period, zone, tasks, recipients, sender):
    """A reminder or chase notice (催办) in the centre beside the e-mail that the reminder service sends."""
    from measures.choices import ReminderKind

    chase = kind == ReminderKind.CHASE
    with translation.override(settings.FTZ_NOTICE_LANGUAGE):
        title = (
            _("Chase notice (催办): %(count)s reports of %(zone)s for %(period)s not submitted")
            if chase
            else _("Reminder: %(count)s reports of %(zone)s for %(period)s due by %(deadline)s")
        ) % {"count": len(tasks), "zone": zone.short_name, "period": period.name, "deadline": period.deadline}
    # One task: straight to its report; several: to the user's work list of the period.
    url = report_url(tasks[0], period.pk) if len(tasks) == 1 else reverse("measures:my") + "#to-report"
    return notify(
        kind=NoticeKind.CHASE if chase else NoticeKind.REMINDER,
        recipients=recipients,
        title=title,
        body="\n".join(f"{task.display_number}. {task.display_title}" for task in tasks[:20]),
        url=url,
        zone=zone,
        actor=sender,
        needs_action=True,
        mailed_elsewhere=True,
    )


def scope(user):
    """A notice is seen while its object is: its zone or its agency is within the user's scope, or
    it names neither. A notice of an agency's item (no zone) is therefore hidden from a
    liaison once they serve another agency, as a zone's from an officer moved to another zone."""
    access = access_for(user)
    if access.sees_everything:
        return Q()
    seen = Q(zone__isnull=True, agency__isnull=True) | Q(zone_id__in=access.seen_zone_ids)
    if access.agency_id:
        seen |= Q(agency_id=access.agency_id)
    return seen


def register():
    from measures.followup.services import escalation, reminders

    registry.register_scope(scope)
    registry.register_job(
        "reminders",
        lambda now: len(
            reminders.send_reminders(
                days_before=settings.FTZ_REMIND_DAYS_BEFORE, chase_every=settings.FTZ_CHASE_EVERY_DAYS
            )
        ),
        "day",
    )
    registry.register_job("escalation", lambda now: escalation.escalate(now=now), "day")
