"""The page policy in a real browser: the main pages load with no Content-Security-Policy
violation, the dashboard still draws its charts and the period select still switches periods
(its handler lives in static/js/app.js, not in an inline onchange).

The browser runs in a thread of its own: Playwright's sync API allows one instance per thread,
and tests/e2e may still hold the session-wide one in this thread when the whole suite runs.
"""

import datetime
import threading

import pytest
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import TaskStatus
from measures.models import ReportingPeriod, Task
from tests.e2e.conftest import ARGS, CHROMIUM, loaded_plan  # noqa: F401 (a fixture)
from tests.factories import make_user
from zones.models import Plan, Zone

pytestmark = pytest.mark.e2e

# Runs before any page script and outside the page's policy; collects what the browser blocked.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__csp.push(event.violatedDirective + " blocked " + (event.blockedURI || "inline") +
                    " at " + event.sourceFile + ":" + event.lineNumber);
});
"""


@pytest.fixture
def two_periods(loaded_plan):  # noqa: F811
    plan = Plan.objects.get(code="second-batch")
    today = timezone.localdate()
    earlier = ReportingPeriod.objects.create(
        plan=plan,
        name="上一季度",
        start=today - datetime.timedelta(days=120),
        end=today - datetime.timedelta(days=31),
        deadline=today - datetime.timedelta(days=16),
    )
    current = ReportingPeriod.objects.create(
        plan=plan,
        name="本季度",
        start=today - datetime.timedelta(days=30),
        end=today + datetime.timedelta(days=60),
        deadline=today + datetime.timedelta(days=75),
    )
    officer = make_user(Role.OFFICER, zones=[Zone.objects.get(code="xiqing")])
    task = Task.objects.get(zone__code="xiqing", number=1)
    for period in (earlier, current):
        report = services.save_report(
            task=task,
            period=period,
            user=officer,
            data={"status": TaskStatus.ON_TRACK, "percent_complete": 40, "progress": "按计划推进"},
        )
        services.submit_report(report=report, user=officer)
    return earlier, current


def in_own_thread(function):
    outcome = {}

    def run():
        try:
            outcome["value"] = function()
        except BaseException as error:  # handed to the test's thread, assertion failures included
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=180)
    assert not thread.is_alive(), "the browser check did not finish"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_pages_run_under_the_policy_without_violations(live_server, two_periods):
    earlier, _ = two_periods
    make_user(Role.MANAGER, username="csp.manager")
    in_own_thread(lambda: browse(live_server.url, earlier))


def browse(base, earlier):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            page.set_default_timeout(15000)
            check_pages(page, base, earlier)
        finally:
            browser.close()


def check_pages(page, base, earlier):
    page.add_init_script(RECORD_VIOLATIONS)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def violations():
        return page.evaluate("window.__csp")

    page.goto(f"{base}/accounts/login/")
    assert violations() == []
    page.fill("#id_username", "csp.manager")
    page.fill("#id_password", "pw-for-tests-1")
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base}/")

    # The dashboard: Chart.js from static files, data from json_script.
    page.locator("canvas").first.wait_for()
    assert page.evaluate("Array.from(document.querySelectorAll('canvas')).every(c => c.width > 0)")
    assert violations() == []

    page.goto(f"{base}/zones/xiqing/tasks/1/")
    assert violations() == []
    page.select_option("#period-select", str(earlier.pk))
    page.wait_for_url(f"**/zones/xiqing/tasks/1/?period={earlier.pk}")
    assert violations() == []

    for path in ("/tasks/", "/zones/xiqing/", "/agencies/", "/reports/", "/my/"):
        page.goto(f"{base}{path}")
        assert violations() == [], path
    assert errors == []

    # Control: an injected inline script is blocked and recorded, so the empty lists above mean
    # something.
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = true'; document.body.appendChild(s); }"
    )
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__ran === undefined")
    assert violations()[0].startswith("script-src")
