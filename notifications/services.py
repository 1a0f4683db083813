"""Writes of the notification centre. Other apps call `notify` inside their own transaction."""

import datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .choices import Mode, NoticeKind
from .models import Delivery, JobRun, Notification, Preference


def _enqueue_dispatch():
    from .tasks import dispatch

    dispatch.enqueue()


def schedule_dispatch():
    """Ask the worker to route and send, once the current transaction has committed (once per transaction)."""
    if any(func is _enqueue_dispatch for _sids, func, _robust in connection.run_on_commit):
        return
    # robust: a queue that cannot be reached must not undo what the user just saved; the periodic
    # dispatch picks the notices up.
    transaction.on_commit(_enqueue_dispatch, robust=True)


def _notices(
    *,
    kind,
    recipients,
    title,
    body="",
    url="",
    zone=None,
    agency=None,
    actor=None,
    key="",
    needs_action=False,
    level="",
    mailed_elsewhere=False,
    to_managers=False,
    now=None,
):
    if kind not in NoticeKind.values:
        raise ValueError(f"unknown notice kind {kind!r}")
    people = {
        user.pk: user for user in recipients if user.is_active and (actor is None or user.pk != actor.pk)
    }
    return [
        Notification(
            recipient_id=pk,
            kind=kind,
            level=level,
            title=title[:200],
            body=body,
            url=url,
            zone=zone,
            agency=agency,
            actor=actor,
            key=key,
            needs_action=needs_action,
            mailed_elsewhere=mailed_elsewhere,
            to_managers=to_managers,
            created_at=now or timezone.now(),
        )
        for pk in sorted(people)
    ]


def notify(**event):
    """One notice of one event to each recipient (active, not the actor). With `key`, an event that was
    already notified to someone is not notified to them again. Call it inside the transaction of the
    change: the worker is asked to deliver once that transaction commits. Returns the notices made.

    kind, recipients, title; optional body, url (the object's page), zone and agency (its scope),
    actor, key, needs_action, level (escalation colour), mailed_elsewhere, to_managers."""
    return notify_many([event])


def notify_many(events):
    """`notify` for many events at once (the escalation ladder issues thousands in one run)."""
    now = timezone.now()
    notices = [notice for event in events for notice in _notices(now=now, **event)]
    if not notices:
        return 0
    Notification.objects.bulk_create(notices, ignore_conflicts=True, batch_size=500)
    schedule_dispatch()
    return len(notices)


@transaction.atomic
def mark_read(*, user, notification_ids=None):
    """Mark the user's notices read (all unread ones without ids); returns how many changed."""
    notices = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        notices = notices.filter(pk__in=list(notification_ids))
    return notices.update(read_at=timezone.now())


@transaction.atomic
def set_preferences(*, user, modes):
    """modes: {kind: Mode}. Kinds left at 'immediately' keep no row."""
    for kind, mode in modes.items():
        if kind not in NoticeKind.values or mode not in Mode.values:
            raise ValueError(f"unknown kind or mode: {kind!r} {mode!r}")
        if mode == Mode.IMMEDIATE:
            Preference.objects.filter(user=user, kind=kind).delete()
        else:
            Preference.objects.update_or_create(user=user, kind=kind, defaults={"mode": mode})


def claim_job(*, job, window, now=None):
    """True for the one caller that claims `job` for `window`: the unique key decides, so two hosts
    running the same cron line never both run it."""
    try:
        with transaction.atomic():
            JobRun.objects.create(job=job, window=window, started_at=now or timezone.now())
    except IntegrityError:
        return False
    return True


def job_window(cadence, now):
    local = timezone.localtime(now)
    return local.strftime("%Y-%m-%d") if cadence == "day" else local.strftime("%Y-%m-%dT%H:%M")


@transaction.atomic
def send_test_message(*, channel, user):
    """A test message to `channel`, sent by the worker like any other and recorded as a delivery."""
    now = timezone.now()
    delivery = Delivery.objects.create(
        kind=channel.kind,
        channel=channel,
        window=f"test:{now.isoformat()}",
        is_test=True,
        created_at=now,
        send_after=now,
    )
    schedule_dispatch()
    return delivery


def daily_digest_time(now):
    local = timezone.localtime(now)
    send = (local + datetime.timedelta(days=1)).replace(
        hour=settings.FTZ_DIGEST_HOUR, minute=0, second=0, microsecond=0
    )
    return send, local.strftime("daily:%Y-%m-%d")
