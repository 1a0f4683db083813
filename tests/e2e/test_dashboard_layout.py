"""The dashboard at the widths managers use, in Chinese and English: no table runs past its
card, the page is never wider than the window, and no row or column hides in a scroll box."""

import pytest

from core.roles import Role
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_dashboard import periods  # noqa: F401  (the fixture)
from tests.factories import make_user

pytestmark = pytest.mark.e2e

MEASURE = """() => {
  const sections = [...document.querySelectorAll('main section.card')].filter(s => s.querySelector('table'));
  return {
    page: document.documentElement.scrollWidth,
    window: window.innerWidth,
    tables: sections.map(s => {
      const table = s.querySelector('table');
      const box = s.querySelector('.table-scroll');
      return {
        id: s.id,
        table: Math.ceil(table.getBoundingClientRect().width),
        card: Math.floor(s.getBoundingClientRect().width),
        hidden: box ? box.scrollHeight - box.clientHeight + box.scrollWidth - box.clientWidth : 0,
      };
    }),
    period: document.querySelector('.kpi-period strong')?.getBoundingClientRect().height,
  };
}"""


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
@pytest.mark.parametrize("width", [1280, 1920])
def test_dashboard_fits_the_window(live_server, periods, browser, locale, width):  # noqa: F811
    make_user(Role.MANAGER, username="qian.manager")
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "qian.manager")
        page.fill("#id_password", "pw-for-tests-1")
        page.click("form.stack button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/?plan=second-batch")
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang").startswith(locale[:2].lower())
        measured = page.evaluate(MEASURE)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{locale}-{width}.png"), full_page=True)
        assert measured["page"] <= measured["window"], measured
        ids = {table["id"] for table in measured["tables"]}
        assert {"reporting-rate", "status-by-zone"} <= ids
        # 2026年第四季度 (here 本季度) on one line: one line of the KPI's figure is under 40 px.
        assert measured["period"] < 40
        tables = measured["tables"]
        # The tables by category and by agency: a link away, without script.
        page.click("#tables-link a")
        page.wait_for_load_state("networkidle")
        measured = page.evaluate(MEASURE)
        page.screenshot(path=str(ARTIFACTS / f"dashboard-tables-{locale}-{width}.png"), full_page=True)
        assert measured["page"] <= measured["window"], measured
        assert {"by-category", "by-agency"} <= {table["id"] for table in measured["tables"]}
        for table in tables + measured["tables"]:
            assert table["table"] <= table["card"], table
            assert table["hidden"] == 0, table
    finally:
        context.close()
