"""Nothing typed is lost when a session ends (issue 14, item 8), in Chromium: the report form keeps
a draft in the browser, the sign-in page says the session ended, the text comes back after signing
in (with a notice) and goes once saved; leaving with unsaved changes asks first; the end of the
session is announced before it comes."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.roles import Role
from measures.models import ProgressReport, ReportingPeriod
from tests.factories import make_user
from zones.models import Plan, Zone

pytestmark = pytest.mark.e2e

TYPED = "走访集成电路企业十二家，完成政策梳理初稿，下一步与市工业和信息化局对接。"
PROBLEMS = "用地指标紧张，需协调。"


def sign_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base}/**")


@pytest.fixture
def period(loaded_plan):
    today = timezone.localdate()
    return ReportingPeriod.objects.create(
        plan=Plan.objects.get(code="second-batch"),
        name="本季度",
        start=today - datetime.timedelta(days=30),
        end=today + datetime.timedelta(days=30),
        deadline=today + datetime.timedelta(days=45),
    )


@pytest.fixture
def officer(period):
    return make_user(Role.OFFICER, zones=[Zone.objects.get(code="xiqing")], username="li.officer")


def report_url(base, period):
    return f"{base}/zones/xiqing/tasks/1/periods/{period.pk}/report/"


def drafts_kept(page):
    return page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('ftz-draft:')).length")


def end_the_session(page):
    """What the idle limit does: the server's session is gone, and so is the browser's cookie."""
    Session.objects.all().delete()
    page.context.clear_cookies(name="sessionid")


def test_typed_report_survives_the_end_of_the_session(live_server, period, officer, page, screenshot):
    base = live_server.url
    sign_in(page, base, "li.officer")
    page.goto(report_url(base, period))
    page.select_option("#id_status", "on_track")
    page.fill("#id_percent_complete", "30")
    page.fill("#id_progress", TYPED)
    page.fill("#id_problems", PROBLEMS)

    end_the_session(page)
    page.click("button[name=save]")

    # The save lands on the sign-in page, which says why; nothing was written.
    page.wait_for_url("**/accounts/login/**")
    notice = page.locator(".messages .msg-warning").inner_text()
    assert "会话" in notice and "登录" in notice
    assert not ProgressReport.objects.exists()
    assert drafts_kept(page) == 1

    # Signing in again leads back to the form, with the text back and a notice saying so.
    page.fill("#id_username", "li.officer")
    page.fill("#id_password", "pw-for-tests-1")
    page.click("form.stack button[type=submit]")
    page.wait_for_url(report_url(base, period))
    assert page.locator(".draft-restored").is_visible()
    assert page.input_value("#id_progress") == TYPED
    assert page.input_value("#id_problems") == PROBLEMS
    assert page.input_value("#id_percent_complete") == "30"
    assert page.input_value("#id_status") == "on_track"
    screenshot("session-draft-restored")

    # Saved: the report holds the text and the browser forgets the draft.
    page.click("button[name=save]")
    page.wait_for_url("**/zones/xiqing/tasks/1/**")
    report = ProgressReport.objects.get()
    assert (report.progress, report.problems, report.percent_complete) == (TYPED, PROBLEMS, 30)
    assert drafts_kept(page) == 0
    page.goto(report_url(base, period))
    assert page.locator(".draft-restored").count() == 0


def test_leaving_a_page_with_unsaved_changes_asks_first(live_server, period, officer, page):
    base = live_server.url
    sign_in(page, base, "li.officer")
    page.goto(report_url(base, period))
    page.fill("#id_progress", TYPED)
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    page.click(".breadcrumbs a >> nth=0", no_wait_after=True)
    page.wait_for_function("() => true")
    assert asked == ["beforeunload"]
    assert page.url == report_url(base, period)
    assert page.input_value("#id_progress") == TYPED


def test_the_end_of_the_session_is_announced_before_it_comes(live_server, period, officer, page, settings):
    # A session with less time left than the warning period: the banner shows at once.
    settings.SESSION_COOKIE_AGE = 20
    base = live_server.url
    sign_in(page, base, "li.officer")
    page.goto(report_url(base, period))
    banner = page.locator("#session-banner")
    banner.wait_for(state="visible")
    assert "1" in banner.inner_text()
    with page.expect_response("**/accounts/session/") as answer:
        page.click("#session-banner button")
    assert answer.value.status == 200 and answer.value.json()["ends_in"] > 0

    # Once the server's session is gone, "stay signed in" says it has ended and offers sign-in.
    Session.objects.all().delete()
    banner.wait_for(state="visible")
    with page.expect_response("**/accounts/session/") as answer:
        page.click("#session-banner button")
    assert answer.value.status == 401
    page.locator("#session-banner.ended a").wait_for(state="visible")
