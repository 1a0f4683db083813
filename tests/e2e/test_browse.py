"""A person in headless Chromium: sign in, open a zone, open a task, switch language."""

import pytest

from core.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.e2e


def test_sign_in_browse_and_switch_language(live_server, loaded_plan, page, screenshot):
    make_user(Role.MANAGER, username="wang.officer")

    page.goto(f"{live_server.url}/zones/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "wang.officer")
    page.fill("#id_password", "wrong password")
    page.click("form.stack button[type=submit]")
    page.locator(".alert-error").wait_for()

    page.fill("#id_password", "pw-for-tests-1")
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{live_server.url}/zones/")
    assert page.locator(".zone-card").count() == 5
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    screenshot("zones-zh")

    page.click("text=北辰经开区")
    page.wait_for_url("**/zones/beichen/")
    assert page.locator(".alert-warn").is_visible()  # 49.75 stated vs 49.74 summed
    assert page.locator("#block-7").is_visible()
    screenshot("zone-beichen-zh")

    page.click("text=优化生物医药研发用物品进口“白名单”制度")
    page.wait_for_url("**/zones/beichen/tasks/2/")
    assert page.locator("h1").inner_text() == "优化生物医药研发用物品进口“白名单”制度"
    agencies = page.locator(".agency-list li a").all_inner_texts()
    assert agencies == ["市药监局", "市科技局", "市商务局", "天津海关", "自贸试验区管委会"]
    assert "附件3 二（一）第2项" in page.locator(".ref").first.inner_text()

    page.click(".langswitch button[value=en]")
    page.wait_for_load_state()
    assert page.url.endswith("/zones/beichen/tasks/2/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Supporting agencies" in page.content()
    assert "whitelist" in page.locator("h1").inner_text().lower()
    # The plan's text stays Chinese.
    assert "支持和推动研发投入大的生物医药企业" in page.locator(".plan-text").first.inner_text()
    screenshot("task-en")

    page.click(".langswitch button[value=zh-hans]")
    page.wait_for_load_state()
    assert "支持单位" in page.locator("h2").all_inner_texts()

    page.goto(f"{live_server.url}/tasks/?zone=dongli&q=保税")
    rows = page.locator("table.tasks tbody tr")
    assert rows.count() >= 4
    screenshot("tasks-filtered-zh")


def test_tablet_width_has_no_horizontal_scroll(live_server, loaded_plan, page, screenshot):
    make_user(Role.MANAGER, username="tablet.user")
    page.set_viewport_size({"width": 820, "height": 1180})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "tablet.user")
    page.fill("#id_password", "pw-for-tests-1")
    page.click("form.stack button[type=submit]")
    page.goto(f"{live_server.url}/zones/dongli/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 820
    screenshot("zone-dongli-tablet")
