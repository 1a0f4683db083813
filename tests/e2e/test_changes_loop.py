"""Plan changes and major matters in Chromium: an officer proposes to withdraw a task and raises
a critical matter; the manager sees the badge, approves the withdrawal and responds."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from core.roles import Role
from measures.models import MajorMatter, PlanAdjustment, Task
from tests.e2e.test_reporting_loop import sign_in, sign_out
from tests.factories import make_user
from zones.models import Zone

pytestmark = pytest.mark.e2e


def test_withdrawal_and_matter(live_server, loaded_plan, page, screenshot):
    xiqing = Zone.objects.get(code="xiqing")
    task = Task.objects.get(zone=xiqing, number=12)
    make_user(Role.OFFICER, zones=[xiqing], username="li.officer", first_name="李填报")
    make_user(Role.MANAGER, username="zhao.manager", first_name="赵审核", email="zhao@ftz.example.cn")
    base = live_server.url

    sign_in(page, base, "li.officer")
    page.goto(f"{base}{task.get_absolute_url()}")
    page.click(f"a[href$='/tasks/{task.number}/adjustments/new/withdrawal/']")
    # No reason: refused, nothing saved.
    page.click("form.report-form button[type=submit]")
    assert page.locator(".field-error").count() == 1
    assert not PlanAdjustment.objects.exists()
    page.fill("#id_reason", "该项任务已由国家层面统一部署实施。")
    page.click("form.report-form button[type=submit]")
    page.wait_for_url("**/adjustments/*/")
    page.locator(".state-adjustment-proposed").wait_for()

    page.goto(f"{base}{task.get_absolute_url()}")
    page.click("#changes a[href*='/matters/new/']")
    page.select_option("#id_urgency", "critical")
    page.fill("#id_title", "跨境电商海外仓资金结算受阻")
    page.fill("#id_description", "请求市级协调外汇结算便利。")
    page.click("form.report-form button[type=submit]")
    page.wait_for_url("**/matters/*/")
    matter = MajorMatter.objects.get()
    assert matter.task == task and [m.to for m in mail.outbox] == [["zhao@ftz.example.cn"]]
    sign_out(page)

    sign_in(page, base, "zhao.manager")
    page.goto(f"{base}/my/")
    expect(page.locator(".mainnav a[href='/matters/'] .nav-badge")).to_have_text("1")
    page.click(f"#matters a[href='{matter.get_absolute_url()}']")
    page.fill("#respond-text", "已转市商务局、人民银行天津分行研究。")
    page.click("#respond button[type=submit]")
    page.locator(".state-matter-responded").wait_for()
    # Answered: no longer counted in the badge.
    expect(page.locator(".mainnav a[href='/matters/'] .nav-badge")).to_have_count(0)
    screenshot("matter-responded")

    page.goto(f"{base}/adjustments/?state=proposed")
    page.click("table a")
    page.fill("#approve-note", "同意撤销")
    page.click("#decide form[action$='/approve/'] button")
    page.locator(".state-adjustment-approved").wait_for()
    screenshot("adjustment-approved")
    page.goto(f"{base}{task.get_absolute_url()}")
    page.locator(".task-head-card .state-withdrawn").wait_for()
    task.refresh_from_db()
    assert task.is_withdrawn
