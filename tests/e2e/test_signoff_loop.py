"""Two-level sign-off in Chromium (主体责任): on a plan that requires it, an officer submits, the
zone leader sends it back with a note, the officer resubmits, the leader signs off, and only then
does the manager see it and accept it. The timeline shows every step."""

import datetime

import pytest
from django.utils import timezone

from core.roles import Role
from measures.models import ProgressReport, ReportEvent, ReportingPeriod
from tests.e2e.conftest import ARTIFACTS
from tests.factories import make_user
from zones.models import Plan, Zone

pytestmark = pytest.mark.e2e


def sign_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    # Enter in the password field: the language switcher's buttons are submit buttons too.
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{base}/**")


def sign_out(page):
    page.click("header form[action$='/logout/'] button")
    page.wait_for_load_state()


@pytest.fixture
def period(loaded_plan):
    plan = Plan.objects.get(code="second-batch")
    plan.requires_signoff = True
    plan.save(update_fields=["requires_signoff"])
    today = timezone.localdate()
    return ReportingPeriod.objects.create(
        plan=plan,
        name="本季度",
        start=today - datetime.timedelta(days=30),
        end=today + datetime.timedelta(days=30),
        deadline=today + datetime.timedelta(days=45),
    )


def test_submit_send_back_resubmit_sign_off_accept(live_server, period, page, screenshot):
    xiqing = Zone.objects.get(code="xiqing")
    make_user(Role.OFFICER, zones=[xiqing], username="li.officer", first_name="李填报")
    make_user(Role.LEADER, zones=[xiqing], username="wang.leader", first_name="王主任")
    make_user(Role.MANAGER, username="zhao.manager", first_name="赵审核")
    base = live_server.url
    task_url = f"{base}/zones/xiqing/tasks/1/?period={period.pk}"

    # The officer writes and submits: it goes to the zone leader, not the managers.
    sign_in(page, base, "li.officer")
    page.click("#to-report a[href*='/zones/xiqing/tasks/1/']")
    page.click("text=撰写报告")
    page.select_option("#id_status", "on_track")
    page.fill("#id_percent_complete", "40")
    page.fill("#id_progress", "完成集成电路产业政策梳理，形成初稿。")
    page.click("button[name=submit]")
    page.locator(".state-awaiting_signoff").first.wait_for()
    assert "报告已提交单位负责人签批。" in page.locator(".messages").inner_text()
    sign_out(page)

    # The manager has nothing to review yet.
    sign_in(page, base, "zhao.manager")
    assert page.locator("#kpi-review strong").inner_text() == "0"
    sign_out(page)

    # The leader sees the badge, opens the queue and sends the report back with a note.
    sign_in(page, base, "wang.leader")
    assert page.locator("#nav-signoff .nav-badge").inner_text() == "1"
    assert page.locator("#awaiting-signoff .count").inner_text() == "1"
    page.click("#nav-signoff")
    page.click("#signoff-queue a")
    page.check("input[name=action][value=send_back]")
    page.click("#signoff button[type=submit]")
    # No note: refused with a clear message, nothing changes.
    assert page.locator("#signoff .field-error, #signoff .errorlist").first.inner_text().strip()
    page.check("input[name=action][value=send_back]")
    page.fill("#signoff textarea[name=note]", "请补充与市工业和信息化局的对接情况。")
    page.click("#signoff button[type=submit]")
    page.locator(".state-returned").first.wait_for()
    sign_out(page)

    # The officer finds it returned, reads the leader's note, edits and resubmits.
    sign_in(page, base, "li.officer")
    page.click("#returned a")
    alert = page.locator(".alert-warn").first.inner_text()
    assert "单位负责人退回" in alert and "请补充与市工业和信息化局的对接情况。" in alert
    page.click("text=编辑报告")
    page.fill("#id_progress", "完成集成电路产业政策梳理，已与市工业和信息化局对接两次。")
    page.click("button[name=submit]")
    page.locator(".state-awaiting_signoff").first.wait_for()
    sign_out(page)

    # The leader signs it off from /my/.
    sign_in(page, base, "wang.leader")
    page.click("#awaiting-signoff a[href*='/zones/xiqing/tasks/1/']")
    page.check("input[name=action][value=sign_off]")
    page.fill("#signoff textarea[name=note]", "同意报送。")
    # The README's picture of the leader's decision on the report page.
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#report").screenshot(path=str(ARTIFACTS / "signoff-0-decision.png"))
    page.click("#signoff button[type=submit]")
    page.locator(".state-submitted").first.wait_for()
    assert page.locator("#nav-signoff .nav-badge").count() == 0
    screenshot("signoff-1-signed-off")
    sign_out(page)

    # Now the manager sees it and accepts.
    sign_in(page, base, "zhao.manager")
    assert page.locator("#kpi-review strong").inner_text() == "1"
    page.goto(task_url)
    page.check("#review input[name=action][value=accept]")
    # Accepting records the assessed completion (verified progress).
    page.check("#review input[name=assessment][value=largely]")
    page.click("#review button[type=submit]")
    page.locator(".state-accepted").first.wait_for()
    trail = page.locator(".report-trail").inner_text()
    assert "王主任" in trail and "赵审核" in trail
    timeline = page.locator("#history .event .event-head strong").all_inner_texts()
    screenshot("signoff-2-accepted")

    # Newest first: accepted, signed off, resubmitted, edited, sent back, submitted, created.
    assert [t for t in timeline if t in ("已报送", "单位负责人退回", "单位负责人已签批", "已通过")] == [
        "已通过",
        "单位负责人已签批",
        "已报送",
        "单位负责人退回",
        "已报送",
    ]
    report = ProgressReport.objects.get(task__zone=xiqing, task__number=1, period=period)
    assert report.state == "accepted"
    events = ReportEvent.objects.filter(report=report).order_by("at", "pk")
    assert list(events.values_list("kind", "actor__username")) == [
        ("created", "li.officer"),
        ("submitted", "li.officer"),
        ("sent_back", "wang.leader"),
        ("edited", "li.officer"),
        ("submitted", "li.officer"),
        ("signed_off", "wang.leader"),
        # The manager's opening of the signed-off report (recorded; the zone could not recall it since the sign-off).
        ("opened_for_review", "zhao.manager"),
        ("accepted", "zhao.manager"),
    ]
    assert events.get(kind="sent_back").note == "请补充与市工业和信息化局的对接情况。"
    assert events.get(kind="signed_off").note == "同意报送。"


def test_a_leaders_deputy_signs_off_for_the_leader(live_server, period, page, screenshot):
    """The leader, away on travel, names a deputy from /my/; the deputy finds the report in the
    sign-off queue and signs it off, recorded as the deputy's step for the leader."""
    xiqing = Zone.objects.get(code="xiqing")
    make_user(Role.OFFICER, zones=[xiqing], username="li.officer", first_name="李填报")
    make_user(Role.LEADER, zones=[xiqing], username="wang.leader", first_name="王主任")
    make_user(Role.OFFICER, zones=[xiqing], username="chen.deputy", first_name="陈副职")
    base = live_server.url
    today = timezone.localdate()

    # The leader names the deputy for the days of a trip.
    sign_in(page, base, "wang.leader")
    page.goto(f"{base}/my/")
    page.click("#my-deputy-link a")
    page.select_option("#name-deputy select[name=deputy]", label="陈副职 (chen.deputy)")
    page.fill("#name-deputy input[name=starts_on]", today.isoformat())
    page.fill("#name-deputy input[name=ends_on]", (today + datetime.timedelta(days=5)).isoformat())
    page.fill("#name-deputy input[name=reason]", "出差")
    page.click("#name-deputy button[type=submit]")
    page.locator("#deputies td", has_text="陈副职").wait_for()
    assert "出差" in page.locator("#deputies tbody").inner_text()
    sign_out(page)

    # The officer submits: it waits for the zone's sign-off.
    sign_in(page, base, "li.officer")
    page.goto(f"{base}/zones/xiqing/tasks/2/?period={period.pk}")
    page.click("text=撰写报告")
    page.select_option("#id_status", "on_track")
    page.fill("#id_percent_complete", "30")
    page.fill("#id_progress", "完成平台建设方案，正在征求意见。")
    page.click("button[name=submit]")
    page.locator(".state-awaiting_signoff").first.wait_for()
    sign_out(page)

    # The deputy, an officer who wrote nothing of it, sees the queue and signs it off.
    sign_in(page, base, "chen.deputy")
    assert page.locator("#nav-signoff .nav-badge").inner_text() == "1"
    page.click("#nav-signoff")
    page.click("#signoff-queue a")
    page.check("input[name=action][value=sign_off]")
    page.fill("#signoff textarea[name=note]", "代为签批。")
    page.click("#signoff button[type=submit]")
    page.locator(".state-submitted").first.wait_for()
    # The newest step names the deputy and whom they stood in for.
    newest = page.locator("#history .event").first.inner_text()
    assert "单位负责人已签批" in newest and "陈副职（代王主任）" in newest and "代为签批。" in newest
    screenshot("signoff-3-deputy")

    report = ProgressReport.objects.get(task__zone=xiqing, task__number=2, period=period)
    assert report.state == "submitted"
    step = ReportEvent.objects.get(report=report, kind="signed_off")
    assert (step.actor.username, step.on_behalf_of.username, step.note) == (
        "chen.deputy",
        "wang.leader",
        "代为签批。",
    )
