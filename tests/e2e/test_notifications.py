"""In Chromium: a manager chases a zone, the officer sees the bell's count and the notice, opens it
and lands on the report that is owed."""

import datetime

import pytest
from django.utils import timezone

from core.roles import Role
from measures.models import ReportingPeriod
from notifications.models import Notification
from tests.e2e.test_reporting_loop import sign_in, sign_out
from tests.factories import make_category, make_task, make_user, make_zone
from zones.models import Plan

pytestmark = pytest.mark.e2e


def test_chase_bell_notice_report(live_server, loaded_plan, page, screenshot):
    plan = Plan.objects.get(code="second-batch")
    zone = make_zone(plan=plan, code="bell-zone")
    task = make_task(zone=zone, category=make_category(zone))
    today = timezone.localdate()
    period = ReportingPeriod.objects.create(
        plan=plan,
        name="2026年第四季度",
        start=today - datetime.timedelta(days=80),
        end=today - datetime.timedelta(days=5),
        deadline=today + datetime.timedelta(days=3),
    )
    make_user(Role.OFFICER, zones=[zone], username="bell.officer", first_name="钱填报")
    make_user(Role.MANAGER, username="bell.manager", first_name="孙督办")
    base = live_server.url

    sign_in(page, base, "bell.manager")
    page.goto(f"{base}/zones/{zone.code}/")
    page.click("form.chase-form button[type=submit]")
    page.wait_for_load_state()
    assert Notification.objects.filter(recipient__username="bell.officer").count() == 1
    sign_out(page)

    sign_in(page, base, "bell.officer")
    bell = page.locator("#bell")
    assert bell.locator(".bell-count").inner_text() == "1"
    screenshot("notifications-bell")
    bell.click()
    page.wait_for_url(f"{base}/notifications/")
    notice = page.locator("table.notices tbody tr.unread a").first
    assert "催办" in notice.inner_text()
    screenshot("notifications-centre")
    notice.click()
    page.wait_for_url(f"{base}{task.get_absolute_url()}?period={period.pk}#report")
    assert page.locator("#bell .bell-count").count() == 0  # read now
    assert page.locator("#report").count() == 1
    screenshot("notifications-landed-on-report")
