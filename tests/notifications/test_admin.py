"""Channels, rules and delivery records in the admin, with the test-message button."""

import pytest
from django.urls import reverse

from core.roles import Role
from notifications.choices import Audience, ChannelKind
from notifications.models import Channel, Delivery, EscalationRule
from tests.factories import make_user
from zones.models import Plan, Zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(make_user(Role.ADMINISTRATOR))
    return client


def test_a_channel_is_configured_and_tested_from_the_admin(admin_client, webhook):
    zone = Zone.objects.get(code="xiqing")
    response = admin_client.post(
        reverse("admin:notifications_channel_add"),
        {
            "name": "西青工作群",
            "kind": ChannelKind.DINGTALK,
            "url": webhook.url("/ding"),
            "secret": "SECabc",
            "audience": Audience.ZONE,
            "zone": zone.pk,
            "kinds": "[]",
            "window_minutes": 5,
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = Channel.objects.get()
    page = admin_client.get(reverse("admin:notifications_channel_change", args=[channel.pk])).content.decode()
    test_url = reverse("admin:notifications_channel_test", args=[channel.pk])
    assert test_url in page
    assert admin_client.get(test_url).status_code == 302  # a GET sends nothing
    assert not Delivery.objects.exists()
    admin_client.post(test_url)
    assert Delivery.objects.get().is_test
    # A channel for a zone without the zone is refused with a message.
    refused = admin_client.post(
        reverse("admin:notifications_channel_add"),
        {
            "name": "x",
            "kind": ChannelKind.WECOM,
            "url": webhook.url(),
            "audience": Audience.ZONE,
            "kinds": "[]",
            "window_minutes": 5,
        },
    )
    assert refused.status_code == 200 and Channel.objects.count() == 1


def test_rules_and_records_pages(admin_client):
    plan = Plan.objects.get(code="second-batch")
    response = admin_client.post(
        reverse("admin:notifications_escalationrule_add"),
        {
            "plan": plan.pk,
            "blue_days": 3,
            "yellow_days": 10,
            "red_days": 20,
            "request_reply_days": 10,
            "include_requests": "on",
            "include_milestones": "on",
            "active": "on",
        },
    )
    assert response.status_code == 302 and EscalationRule.objects.get().plan == plan
    for name in ("delivery", "notification", "escalation", "jobrun", "preference", "channel"):
        assert admin_client.get(reverse(f"admin:notifications_{name}_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:notifications_delivery_add")).status_code == 403


def test_only_staff_reach_the_admin(client):
    client.force_login(make_user(Role.MANAGER))
    assert client.get(reverse("admin:notifications_channel_changelist")).status_code == 302
