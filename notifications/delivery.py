"""What the worker does with notices: route them to channels (one message per channel and window,
one e-mail per notice or per day as each person chose), then send what is due, retrying with back-off.

Every step is safe with several workers at once: routing takes its notices under a row lock (SQLite
serialises writers anyway), a message exists once per channel and window (unique key), and a
message is sent only by the worker whose conditional UPDATE claimed it.
"""

import datetime
import logging
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import channels
from .choices import Audience, ChannelKind, DeliveryStatus, Mode
from .models import Channel, Delivery, Notification, Preference
from .services import daily_digest_time

log = logging.getLogger(__name__)
ROUTE_BATCH = 2000
# A worker that died while sending leaves its claim; after this long another worker takes it over.
STALE_CLAIM = datetime.timedelta(minutes=10)
SENDABLE = [DeliveryStatus.PENDING, DeliveryStatus.RETRY]


def window_of(channel, moment):
    """The digest window `moment` falls in for `channel`: its key and the time the digest is sent."""
    size = channel.window_minutes * 60
    start = int(moment.timestamp()) // size * size
    end = datetime.datetime.fromtimestamp(start + size, tz=datetime.UTC)
    return f"w{channel.window_minutes}m:{start}", end


def _channel_matches(channel, notice):
    if channel.kinds and notice.kind not in channel.kinds:
        return False
    if channel.audience == Audience.MANAGERS:
        return notice.to_managers
    if notice.to_managers:
        return False
    if channel.audience == Audience.ZONE:
        return notice.zone_id is not None and notice.zone_id == channel.zone_id
    return notice.agency_id is not None and notice.agency_id == channel.agency_id


def route_pending(*, now=None):
    """Give each unrouted notice its messages; returns the number of notices routed."""
    now = now or timezone.now()
    routed = 0
    active_channels = list(Channel.objects.filter(active=True))
    while True:
        with transaction.atomic():
            batch = Notification.objects.filter(routed_at__isnull=True).order_by("pk")
            if connection.features.has_select_for_update_skip_locked:
                batch = batch.select_for_update(skip_locked=True, of=("self",))
            notices = list(batch.select_related("recipient")[:ROUTE_BATCH])
            if not notices:
                return routed
            _route(notices, active_channels, now)
            Notification.objects.filter(pk__in=[n.pk for n in notices]).update(routed_at=now)
            routed += len(notices)


def _route(notices, active_channels, now):
    modes = defaultdict(dict)
    for user_id, kind, mode in Preference.objects.filter(
        user_id__in={n.recipient_id for n in notices}
    ).values_list("user_id", "kind", "mode"):
        modes[user_id][kind] = mode
    wanted = defaultdict(list)  # (fields of the delivery) -> notices
    for notice in notices:
        for channel in active_channels:
            if _channel_matches(channel, notice):
                window, send_after = window_of(channel, notice.created_at)
                wanted[("channel", channel.pk, channel.kind, window, send_after)].append(notice)
        user = notice.recipient
        if notice.mailed_elsewhere or not user.email or not user.is_active:
            continue
        mode = modes[user.pk].get(notice.kind, Mode.IMMEDIATE)
        if mode == Mode.IMMEDIATE:
            wanted[("email", user.pk, ChannelKind.EMAIL, f"n{notice.pk}", now)].append(notice)
        elif mode == Mode.DAILY:
            send_after, window = daily_digest_time(notice.created_at)
            wanted[("email", user.pk, ChannelKind.EMAIL, window, send_after)].append(notice)
    through = Delivery.notifications.through
    links = []
    for (target, target_id, kind, window, send_after), items in wanted.items():
        lookup = (
            {"channel_id": target_id} if target == "channel" else {"recipient_id": target_id, "kind": kind}
        )
        delivery, _created = Delivery.objects.get_or_create(
            window=window,
            **lookup,
            defaults={"kind": kind, "created_at": now, "send_after": send_after},
        )
        links.extend(through(delivery_id=delivery.pk, notification_id=n.pk) for n in items)
        Delivery.objects.filter(pk=delivery.pk).update(item_count=F("item_count") + len(items))
    through.objects.bulk_create(links, ignore_conflicts=True, batch_size=1000)


def _claim(delivery_id, now):
    sendable = Q(status__in=SENDABLE) | Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_CLAIM)
    return (
        Delivery.objects.filter(sendable, pk=delivery_id, send_after__lte=now).update(
            status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        == 1
    )


def send_due(*, now=None):
    """Send every message that is due; returns (sent, failed)."""
    now = now or timezone.now()
    due = (
        Delivery.objects.filter(
            Q(status__in=SENDABLE) | Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_CLAIM),
            send_after__lte=now,
        )
        .order_by("send_after", "pk")
        .values_list("pk", flat=True)
    )
    sent = failed = 0
    for delivery_id in list(due):
        if not _claim(delivery_id, now):
            continue  # another worker has it
        delivery = Delivery.objects.select_related("channel", "recipient").get(pk=delivery_id)
        outcome = _send(delivery)
        _record(delivery, outcome, now)
        if outcome.ok:
            sent += 1
        else:
            failed += 1
    return sent, failed


def _items(delivery):
    seen = set()
    items = []
    notices = delivery.notifications.order_by("created_at", "pk").values_list(
        "key", "kind", "level", "title", "url"
    )
    for key, kind, level, title, url in notices.iterator(chunk_size=2000):
        identity = key or (kind, title, url)
        if identity in seen:
            continue  # the same event told to several people is one line in a group
        seen.add(identity)
        items.append(channels.Item(kind=kind, level=level, title=title, url=url))
    return items


def _send(delivery):
    with translation.override(settings.FTZ_NOTICE_LANGUAGE):
        if delivery.is_test:
            title = _("FTZ Tracker: test message")
            items = [
                channels.Item(kind="test", level="", title=_("This channel is set up correctly."), url="/")
            ]
        else:
            items = _items(delivery)
            if not items:
                return channels.Outcome(True, None, "")
            title = (
                items[0].title
                if len(items) == 1
                else ngettext("FTZ Tracker: %(count)s notice", "FTZ Tracker: %(count)s notices", len(items))
                % {"count": len(items)}
            )
        more = _("… and %(count)s more in the notification centre")
        if delivery.kind == ChannelKind.EMAIL:
            return _mail(delivery, title, items)
        body = channels.payload(delivery.kind, title=title, items=items, more_text=more)
        return channels.post(delivery.channel, body)


def _mail(delivery, title, items):
    lines = [f"- {item.title}\n  {channels.absolute(item.url)}" for item in items]
    try:
        send_mail(f"【FTZ】{title}"[:200], "\n".join(lines), None, [delivery.recipient.email])
    except OSError as error:
        return channels.Outcome(False, None, str(error)[:2000])
    return channels.Outcome(True, None, "")


def _record(delivery, outcome, now):
    fields = {"response_code": outcome.response_code, "error": outcome.error, "claimed_at": None}
    if outcome.ok:
        fields.update(status=DeliveryStatus.SENT, sent_at=timezone.now())
    elif delivery.attempts >= settings.FTZ_NOTIFY_MAX_ATTEMPTS:
        fields.update(status=DeliveryStatus.FAILED)
        log.warning(
            "delivery %s gave up after %s attempts: %s", delivery.pk, delivery.attempts, outcome.error
        )
    else:
        delay = settings.FTZ_NOTIFY_RETRY_SECONDS * 2 ** (delivery.attempts - 1)
        fields.update(status=DeliveryStatus.RETRY, send_after=now + datetime.timedelta(seconds=delay))
    Delivery.objects.filter(pk=delivery.pk).update(**fields)


def dispatch(*, now=None):
    routed = route_pending(now=now)
    sent, failed = send_due(now=now)
    return {"routed": routed, "sent": sent, "failed": failed}
