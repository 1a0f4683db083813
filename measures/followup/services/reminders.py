"""Reminders before a deadline and chase notices (催办) after it, each one recorded."""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.access import can_review, require
from core.roles import Role
from measures.choices import REPORTED_STATES, EventKind, ReminderKind
from measures.history import one_line, record
from measures.models import ProgressReport, Reminder, ReportingPeriod, Task

log = logging.getLogger(__name__)
CHASE_PAUSE = datetime.timedelta(minutes=10)


def outstanding_tasks(*, period, zone):
    """Open tasks of `zone` (not closed off, not withdrawn) with no submitted or accepted report for `period`."""
    done = ProgressReport.objects.filter(task=OuterRef("pk"), period=period, state__in=REPORTED_STATES)
    return Task.objects.filter(zone=zone).reportable().exclude(Exists(done)).order_by("number")


def zone_officers(zone):
    return (
        get_user_model()
        .objects.filter(is_active=True, profile__zones=zone, groups__name=Role.OFFICER.group_name)
        .distinct()
        .order_by("username")
    )


@dataclass
class Sent:
    reminders: list
    skipped_without_email: int = 0


def _deliver(*, kind, period, zone, tasks, recipients, sender, today):
    # `today` is the caller's day (send_reminders --today), so the days counted in the notice
    # agree with the decision to send it rather than with the server clock.
    context = {
        "kind": kind,
        "period": period,
        "zone": zone,
        "tasks": tasks,
        # Before the deadline (whoever sends it) a notice reads as a reminder with the days left;
        # after it, as a chase with the days overdue: never "overdue by -41 days".
        "days_left": max((period.deadline - today).days, 0),
        "days_late": max((today - period.deadline).days, 0),
        "sender_name": (sender.get_full_name() or sender.get_username()) if sender else "",
        "site_url": settings.FTZ_SITE_URL.rstrip("/"),
        "zone_path": reverse("zones:detail", args=[zone.code]),
    }
    # Officials read these in Chinese whatever language the sender's page was in.
    with translation.override(settings.FTZ_NOTICE_LANGUAGE):
        prefix = "【催办】" if today > period.deadline else "【提醒】"
        # A header must be one line: a line break in a zone or period name would refuse the mail.
        subject = one_line(
            _("%(prefix)s%(zone)s: %(count)s task reports for %(period)s not submitted")
            % {"prefix": prefix, "zone": zone.name, "count": len(tasks), "period": period.name}
        )
        body = render_to_string("measures/email/reminder.txt", context)
    sent = Sent(reminders=[])
    for user in recipients:
        if not user.email:
            sent.skipped_without_email += 1
        delivered = bool(user.email)
        if delivered:
            try:
                send_mail(subject, body, None, [user.email])
            except OSError:
                # A mail server outage must not lose the record that a notice was due.
                log.exception("reminder to %s could not be sent", user.email)
                delivered = False
        reminder = Reminder(
            kind=kind,
            period=period,
            zone=zone,
            recipient=user,
            email=user.email,
            sent_at=timezone.now(),
            sent_by=sender,
            task_count=len(tasks),
            subject=subject[:200],
            delivered=delivered,
        )
        reminder.full_clean()
        reminder.save()
        sent.reminders.append(reminder)
    from measures.notices import reminded

    reminded(kind=kind, period=period, zone=zone, tasks=tasks, recipients=recipients, sender=sender)
    return sent


@transaction.atomic
def chase_zone(*, period, zone, user):
    """A manager's one-click 催办 to a zone's officers for the period's missing reports."""
    require(can_review(user))
    if not period.is_owed:
        raise ValidationError(
            _("Reports were not owed for %(period)s: tracking of this plan starts on %(date)s.")
            % {"period": period.name, "date": period.plan.tracking_start.isoformat()}
        )
    recent = Reminder.objects.filter(
        period=period, zone=zone, kind=ReminderKind.CHASE, sent_at__gte=timezone.now() - CHASE_PAUSE
    ).exists()
    if recent:
        # A double click or two managers at once must not flood the officers.
        raise ValidationError(
            _("A chase notice was sent to this zone for this period in the last 10 minutes.")
        )
    tasks = list(outstanding_tasks(period=period, zone=zone))
    if not tasks:
        raise ValidationError(_("Every open task of this zone has been reported for this period."))
    recipients = list(zone_officers(zone))
    if not recipients:
        raise ValidationError(_("This zone has no active officer to send the notice to."))
    sent = _deliver(
        kind=ReminderKind.CHASE,
        period=period,
        zone=zone,
        tasks=tasks,
        recipients=recipients,
        sender=user,
        today=timezone.localdate(),
    )
    record(
        kind=EventKind.CHASED,
        actor=user,
        period=period,
        changes={"zone": zone.code, "tasks": len(tasks), "recipients": len(recipients)},
    )
    return sent


def send_reminders(*, today=None, days_before=7, chase_every=7):
    """What the daily `send_reminders` command does.

    Before a deadline, officers get one reminder per period once it is `days_before` days
    away; after it, a chase notice at most every `chase_every` days until all is reported.
    Periods before the plan's tracking start are not owed, so never chased.
    """
    today = today or timezone.localdate()
    sent = []
    periods = (
        ReportingPeriod.objects.owed().filter(locked_at__isnull=True, start__lte=today).select_related("plan")
    )
    for period in periods:
        if today <= period.deadline:
            if (period.deadline - today).days > days_before:
                continue
            kind = ReminderKind.REMINDER
            since = period.start
        else:
            kind = ReminderKind.CHASE
            since = today - datetime.timedelta(days=chase_every - 1)
        for zone in period.plan.zones.order_by("annex_number"):
            with transaction.atomic():
                tasks = list(outstanding_tasks(period=period, zone=zone))
                if not tasks:
                    continue
                already = set(
                    Reminder.objects.filter(
                        period=period, zone=zone, kind=kind, sent_by__isnull=True, sent_at__date__gte=since
                    ).values_list("recipient_id", flat=True)
                )
                recipients = [user for user in zone_officers(zone) if user.pk not in already]
                if recipients:
                    result = _deliver(
                        kind=kind,
                        period=period,
                        zone=zone,
                        tasks=tasks,
                        recipients=recipients,
                        sender=None,
                        today=today,
                    )
                    sent.extend(result.reminders)
    return sent
