"""Group robots and webhooks: their formats and signature, digests per window, retries with back-off."""

import base64
import datetime
import hashlib
import hmac
import urllib.parse

import pytest
from django.core import mail
from django.utils import timezone

from core.roles import Role
from notifications import delivery
from notifications.choices import Audience, ChannelKind, DeliveryStatus, Mode, NoticeKind
from notifications.models import Channel, Delivery, Notification, Preference
from notifications.services import notify, send_test_message
from tests.factories import make_user
from zones.models import Zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def zone():
    return Zone.objects.get(code="xiqing")


@pytest.fixture
def officer(zone):
    return make_user(Role.OFFICER, zones=[zone], email="officer@xiqing.example.cn")


def channel(webhook, zone, kind, path, **fields):
    fields.setdefault("window_minutes", 5)
    return Channel.objects.create(
        name=path, kind=kind, url=webhook.url(path), audience=Audience.ZONE, zone=zone, **fields
    )


def tell(officer, zone, n=1, key_prefix="e", **fields):
    for i in range(n):
        notify(
            kind=fields.pop("kind", NoticeKind.CHASE) if i == 0 else NoticeKind.CHASE,
            recipients=[officer],
            title=f"催办 第{i + 1}项",
            url=f"/zones/xiqing/tasks/{i + 1}/",
            zone=zone,
            key=f"{key_prefix}{i}",
            **fields,
        )


def after_window(minutes=6):
    return timezone.now() + datetime.timedelta(minutes=minutes)


def test_wecom_dingtalk_and_webhook_each_get_their_format(webhook, zone, officer):
    channel(webhook, zone, ChannelKind.WECOM, "/wecom")
    ding = channel(webhook, zone, ChannelKind.DINGTALK, "/ding", secret="SECtest-secret-123")
    channel(webhook, zone, ChannelKind.WEBHOOK, "/generic")
    tell(officer, zone, n=2)

    first = delivery.dispatch()
    assert webhook.received == []  # the window is still open
    assert first["sent"] == 2 and len(mail.outbox) == 2  # the officer's own e-mails go out at once
    result = delivery.dispatch(now=after_window())
    assert result["sent"] == 3  # one message per channel

    (wecom,) = webhook.to("/wecom")
    assert wecom.body["msgtype"] == "markdown"
    assert (
        "催办 第1项" in wecom.body["markdown"]["content"]
        and "催办 第2项" in wecom.body["markdown"]["content"]
    )
    assert "http://" in wecom.body["markdown"]["content"]  # links are absolute
    assert wecom.content_type.startswith("application/json")

    (signed,) = webhook.to("/ding")
    assert signed.body["msgtype"] == "markdown"
    assert set(signed.body["markdown"]) == {"title", "text"}
    timestamp = signed.query["timestamp"]
    expected = base64.b64encode(
        hmac.new(ding.secret.encode(), f"{timestamp}\n{ding.secret}".encode(), hashlib.sha256).digest()
    ).decode()
    # parse_qsl undid the URL encoding; the raw query carried it encoded.
    assert signed.query["sign"] == expected
    assert abs(int(timestamp) / 1000 - timezone.now().timestamp()) < 600

    (generic,) = webhook.to("/generic")
    assert generic.body["count"] == 2
    assert [item["title"] for item in generic.body["items"]] == ["催办 第1项", "催办 第2项"]
    assert all(item["url"].startswith("http") for item in generic.body["items"])
    assert Delivery.objects.filter(status=DeliveryStatus.SENT, response_code=200).count() == 3


def test_the_sign_is_url_encoded_on_the_wire(webhook, zone):
    from notifications.channels import dingtalk_sign, signed_url

    url = signed_url("http://127.0.0.1/robot/send?access_token=x", "SECabc", now=1700000000.0)
    query = url.split("?", 1)[1]
    assert "timestamp=1700000000000" in query
    raw_sign = query.split("sign=", 1)[1]
    # A SHA-256 in base64 ends with one "=", which travels as %3D; "+" and "/" are encoded too.
    assert raw_sign.endswith("%3D") and not set("+/=") & set(raw_sign)
    assert (
        urllib.parse.unquote_plus(raw_sign)
        == base64.b64encode(hmac.new(b"SECabc", b"1700000000000\nSECabc", hashlib.sha256).digest()).decode()
    )
    assert dingtalk_sign("SECabc", 1700000000000) == raw_sign


def test_a_thousand_notices_make_one_message_per_channel_and_window(webhook, zone, officer):
    wecom = channel(webhook, zone, ChannelKind.WECOM, "/wecom")
    tell(officer, zone, n=60, mailed_elsewhere=True)
    delivery.dispatch(now=after_window())
    assert len(webhook.to("/wecom")) == 1
    content = webhook.to("/wecom")[0].body["markdown"]["content"]
    assert "40" in content  # 20 named, the other 40 counted
    assert len(content.encode()) <= 4096
    # A notice in a later window is a second message, not an edit of the first.
    later = Notification.objects.filter(kind=NoticeKind.CHASE).first()
    notify(
        kind=NoticeKind.CHASE,
        recipients=[officer],
        title="下一窗口",
        zone=zone,
        key="later",
        mailed_elsewhere=True,
    )
    Notification.objects.filter(key="later").update(
        created_at=later.created_at + datetime.timedelta(minutes=5)
    )
    delivery.dispatch(now=after_window(12))
    assert len(webhook.to("/wecom")) == 2
    assert Delivery.objects.filter(channel=wecom).count() == 2


def test_the_same_event_told_to_two_officers_is_one_line_in_the_group(webhook, zone, officer):
    second = make_user(Role.OFFICER, zones=[zone])
    channel(webhook, zone, ChannelKind.WEBHOOK, "/generic")
    notify(kind=NoticeKind.CHASE, recipients=[officer, second], title="同一事件", zone=zone, key="one-event")
    assert Notification.objects.filter(key="one-event").count() == 2
    delivery.dispatch(now=after_window())
    assert webhook.to("/generic")[0].body["count"] == 1


def test_failures_are_retried_with_back_off_and_recorded(webhook, zone, officer, settings):
    settings.FTZ_NOTIFY_RETRY_SECONDS = 60
    settings.FTZ_NOTIFY_MAX_ATTEMPTS = 3
    ding = channel(webhook, zone, ChannelKind.DINGTALK, "/ding")
    webhook.answers = [(500, 0), (200, 310000)]  # a server error, then a robot's refusal behind HTTP 200
    tell(officer, zone, mailed_elsewhere=True)
    start = after_window()
    delivery.dispatch(now=start)
    message = Delivery.objects.get(channel=ding)
    assert (message.status, message.attempts, message.response_code) == (DeliveryStatus.RETRY, 1, 500)
    assert "HTTP 500" in message.error
    assert message.send_after == start + datetime.timedelta(seconds=60)

    delivery.dispatch(now=start + datetime.timedelta(seconds=30))  # not yet due
    assert len(webhook.received) == 1
    delivery.dispatch(now=start + datetime.timedelta(seconds=61))
    message.refresh_from_db()
    assert (message.status, message.attempts, message.response_code) == (DeliveryStatus.RETRY, 2, 200)
    assert "errcode 310000" in message.error
    assert message.send_after == start + datetime.timedelta(seconds=61 + 120)  # doubled

    delivery.dispatch(now=start + datetime.timedelta(seconds=61 + 121))
    message.refresh_from_db()
    assert (message.status, message.attempts, message.error) == (DeliveryStatus.SENT, 3, "")
    assert len(webhook.received) == 3


def test_it_gives_up_after_the_last_attempt(zone, officer, settings):
    settings.FTZ_NOTIFY_MAX_ATTEMPTS = 2
    settings.FTZ_NOTIFY_RETRY_SECONDS = 1
    # Nothing listens on this loopback port (the fake server was never started here).
    Channel.objects.create(
        name="down", kind=ChannelKind.WECOM, url="http://127.0.0.1:9/hook", audience=Audience.ZONE, zone=zone
    )
    tell(officer, zone, mailed_elsewhere=True)
    delivery.dispatch(now=after_window())
    delivery.dispatch(now=after_window(10))
    message = Delivery.objects.get(kind=ChannelKind.WECOM)
    assert message.status == DeliveryStatus.FAILED and message.attempts == 2 and message.response_code is None
    assert message.error
    delivery.dispatch(now=after_window(60))
    message.refresh_from_db()
    assert message.attempts == 2  # a message given up is not tried again


def test_channels_only_get_notices_of_their_zone_kinds_and_audience(webhook, zone, officer):
    other = Zone.objects.get(code="wuqing")
    channel(webhook, zone, ChannelKind.WEBHOOK, "/only-escalations", kinds=[NoticeKind.ESCALATION])
    channel(webhook, other, ChannelKind.WEBHOOK, "/wuqing")
    Channel.objects.create(
        name="m", kind=ChannelKind.WEBHOOK, url=webhook.url("/managers"), audience=Audience.MANAGERS
    )
    tell(officer, zone, mailed_elsewhere=True)  # a chase of xiqing
    notify(
        kind=NoticeKind.ESCALATION, recipients=[officer], title="红色", zone=zone, to_managers=True, key="r"
    )
    delivery.dispatch(now=after_window())
    assert webhook.to("/only-escalations") == []  # the red one is for the managers' group
    assert webhook.to("/wuqing") == []
    assert [i["title"] for i in webhook.to("/managers")[0].body["items"]] == ["红色"]


def test_each_person_chooses_immediately_daily_or_in_app_only(zone, officer, settings):
    settings.FTZ_DIGEST_HOUR = 8
    daily = make_user(Role.OFFICER, zones=[zone], email="daily@xiqing.example.cn")
    quiet = make_user(Role.OFFICER, zones=[zone], email="quiet@xiqing.example.cn")
    Preference.objects.create(user=daily, kind=NoticeKind.CHASE, mode=Mode.DAILY)
    Preference.objects.create(user=quiet, kind=NoticeKind.CHASE, mode=Mode.IN_APP)
    for n in range(3):
        notify(
            kind=NoticeKind.CHASE,
            recipients=[officer, daily, quiet],
            title=f"催办{n}",
            zone=zone,
            key=f"k{n}",
        )
    delivery.dispatch()
    assert sorted(m.to[0] for m in mail.outbox) == [officer.email] * 3  # one e-mail per notice, at once
    assert Notification.objects.filter(recipient=quiet).count() == 3  # still in the centre
    digest = Delivery.objects.get(recipient=daily)
    local = timezone.localtime(digest.send_after)
    assert (local.hour, local.date()) == (8, timezone.localdate() + datetime.timedelta(days=1))
    mail.outbox.clear()
    delivery.dispatch(now=digest.send_after)
    (message,) = mail.outbox
    assert message.to == [daily.email] and all(f"催办{n}" in message.body for n in range(3))
    assert not Delivery.objects.filter(recipient=quiet).exists()


def test_no_address_no_email_and_one_notice_per_event_and_person(zone):
    without = make_user(Role.OFFICER, zones=[zone])
    for _ in range(2):
        notify(kind=NoticeKind.CHASE, recipients=[without, without], title="同一事件", zone=zone, key="same")
    assert Notification.objects.filter(recipient=without).count() == 1
    delivery.dispatch()
    assert mail.outbox == [] and not Delivery.objects.exists()


def test_the_test_message_goes_out_and_is_recorded(webhook, zone):
    wecom = channel(webhook, zone, ChannelKind.WECOM, "/wecom")
    send_test_message(channel=wecom, user=make_user(Role.ADMINISTRATOR))
    delivery.dispatch()
    (received,) = webhook.to("/wecom")
    assert "测试" in received.body["markdown"]["content"] or "test" in received.body["markdown"]["content"]
    assert Delivery.objects.get(channel=wecom, is_test=True).status == DeliveryStatus.SENT


def test_a_channel_is_checked_before_it_is_saved(zone):
    from django.core.exceptions import ValidationError

    bad = Channel(
        name="x", kind=ChannelKind.WECOM, url="not a url", audience=Audience.ZONE, secret="s", kinds=["?"]
    )
    with pytest.raises(ValidationError) as caught:
        bad.full_clean()
    assert {"url", "zone", "secret", "kinds"} <= set(caught.value.message_dict)
