"""The API's Swagger UI page in a real browser: it draws the schema's routes under the site's
Content-Security-Policy without a single violation (no inline script or style, no CDN)."""

import pytest

from core.roles import Role
from tests.e2e.conftest import ARGS, CHROMIUM, loaded_plan  # noqa: F401 (a fixture)
from tests.e2e.test_csp import RECORD_VIOLATIONS, in_own_thread
from tests.factories import make_user

pytestmark = pytest.mark.e2e


def test_swagger_ui_runs_under_the_policy(live_server, loaded_plan):  # noqa: F811
    make_user(Role.OFFICER, username="api.docs")
    in_own_thread(lambda: browse(live_server.url))


def browse(base):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            page.set_default_timeout(15000)
            page.add_init_script(RECORD_VIOLATIONS)
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            outside = []
            page.on(
                "request",
                lambda request: None if request.url.startswith(base) else outside.append(request.url),
            )
            page.goto(f"{base}/api/v1/docs/")
            page.wait_for_url("**/accounts/login/**")
            page.fill("#id_username", "api.docs")
            page.fill("#id_password", "pw-for-tests-1")
            page.click("form.stack button[type=submit]")
            page.wait_for_url("**/api/v1/docs/")
            page.locator(".opblock-summary-path", has_text="/api/v1/tasks/").first.wait_for()
            assert page.evaluate("window.__csp") == []
            assert errors == []
            assert [url for url in outside if not url.startswith("data:")] == []
            # Control: the policy is in force on this page, so the empty list above means something.
            page.evaluate(
                "() => { const s = document.createElement('script');"
                " s.textContent = 'window.__ran = true'; document.body.appendChild(s); }"
            )
            page.wait_for_function("window.__csp.length > 0")
            assert page.evaluate("window.__ran === undefined")
        finally:
            browser.close()
