"""Every role's main pages on a phone (390 px): the top bar folds behind a menu button, no page is
wider than the window (tables scroll inside their own box, long text wraps); at 1366 px the bar and
the tables are as they were."""

import pytest

from core.roles import Role
from measures import services
from measures.choices import TaskStatus
from measures.models import Task
from tests.e2e.test_dashboard import periods  # noqa: F401  (the fixture)
from tests.factories import make_user
from zones.models import Agency, Zone

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
# An address pasted into a report: one "word" far wider than a phone.
LONG_URL = "https://example.org/" + "evidence-" * 40

OVERFLOW = """() => ({
  page: document.documentElement.scrollWidth,
  window: window.innerWidth,
  wider: [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-scroll'))
    .slice(0, 3).map(e => e.tagName + '.' + e.className),
  unboxed: [...document.querySelectorAll('main table')].filter(t => !t.parentElement.matches('.table-scroll')).length,
})"""


@pytest.fixture
def people(periods):  # noqa: F811
    _earlier, current = periods
    xiqing = Zone.objects.get(code="xiqing")
    agency = Agency.objects.get(name="市商务局")
    officer = make_user(Role.OFFICER, zones=[xiqing], username="narrow.officer")
    task = Task.objects.get(zone=xiqing, number=3)
    report = services.save_report(
        task=task,
        period=current,
        user=officer,
        data={"status": TaskStatus.ON_TRACK, "percent_complete": 30, "progress": f"见 {LONG_URL}"},
    )
    services.submit_report(report=report, user=officer)
    make_user(Role.MANAGER, username="narrow.manager")
    make_user(Role.LIAISON, agency=agency, username="narrow.liaison")
    make_user(Role.ADMINISTRATOR, username="narrow.admin")
    make_user(Role.LEADER, zones=[xiqing], username="narrow.leader")
    return {"task": task, "period": current, "agency": agency}


def sign_in(browser, live_server, username, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.press("#id_password", "Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return context, page


def main_pages(page, people):
    """What the role's top bar links to (the More menu's entries too, Django's admin aside), and
    the pages one level down where tables and typed text are widest."""
    links = page.eval_on_selector_all("#mainnav a", "links => links.map(a => a.getAttribute('href'))")
    task, period = people["task"], people["period"]
    return [
        *(href for href in links if not href.startswith("/admin/")),
        f"/zones/xiqing/tasks/{task.number}/?period={period.pk}",
        "/zones/xiqing/",
        f"/agencies/{people['agency'].pk}/",
        f"/reports/?period={period.pk}",
        "/notifications/",
    ]


@pytest.mark.parametrize(
    "username",
    ["narrow.officer", "narrow.manager", "narrow.liaison", "narrow.admin", "narrow.leader"],
)
def test_every_main_page_fits_a_phone(live_server, browser, people, username):
    context, page = sign_in(browser, live_server, username, PHONE)
    try:
        pages = main_pages(page, people)
        links = pages[:-5]
        assert len(links) >= 4
        too_wide = {}
        for path in dict.fromkeys(pages):
            response = page.goto(f"{live_server.url}{path}")
            if response.status != 200:
                # One level down, some pages are another role's (an agency page for an officer).
                assert response.status in (403, 404) and path not in links, (path, response.status)
                continue
            page.wait_for_load_state("load")
            measured = page.evaluate(OVERFLOW)
            if measured["page"] > measured["window"] or measured["unboxed"]:
                too_wide[path] = measured
        assert too_wide == {}
    finally:
        context.close()


def test_the_menu_button_works_by_keyboard(live_server, browser, people):
    context, page = sign_in(browser, live_server, "narrow.manager", PHONE)
    try:
        toggle = page.locator(".nav-toggle")
        assert toggle.is_visible()
        assert toggle.get_attribute("aria-expanded") == "false"
        assert not page.locator("#mainnav").is_visible()
        assert not page.locator(".langswitch").is_visible()
        # The bell stays in view: unread notices are seen without opening the menu.
        assert page.locator("#bell").is_visible()

        toggle.focus()
        page.keyboard.press("Enter")
        assert toggle.get_attribute("aria-expanded") == "true"
        assert page.locator("#mainnav a", has_text="任务").first.is_visible()
        assert page.locator(".langswitch").is_visible()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('#mainnav') !== null")
        page.keyboard.press("Escape")
        assert toggle.get_attribute("aria-expanded") == "false"
        assert not page.locator("#mainnav").is_visible()
        assert page.evaluate("document.activeElement.classList.contains('nav-toggle')")

        page.keyboard.press("Space")
        page.locator("#mainnav a", has_text="任务").first.click()
        page.wait_for_url("**/tasks/")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()


def test_desktop_keeps_its_top_bar_and_tables(live_server, browser, people):
    context, page = sign_in(browser, live_server, "narrow.manager", DESKTOP)
    try:
        assert not page.locator(".nav-toggle").is_visible()
        links = page.locator("#mainnav > a")
        assert links.count() >= 8
        tops = {round(box["y"]) for box in (links.nth(i).bounding_box() for i in range(links.count()))}
        assert len(tops) == 1, "the bar's links stay on one line"
        assert page.locator(".langswitch").is_visible()
        assert page.locator(".topbar .user").is_visible()
        for path in ("/", "/my/", "/tasks/", f"/reports/?period={people['period'].pk}", "/zones/xiqing/"):
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("load")
            measured = page.evaluate(
                """() => ({
                  page: document.documentElement.scrollWidth <= window.innerWidth,
                  // Each table as wide as its box, as before it had one: nothing scrolls sideways.
                  scrolled: [...document.querySelectorAll('main .table-scroll')]
                    .filter(box => box.scrollWidth > box.clientWidth + 1).map(box => box.parentElement.id),
                })"""
            )
            assert measured == {"page": True, "scrolled": []}, path
    finally:
        context.close()


def test_english_dashboard_and_review_queue_fit_a_phone(live_server, browser, people):
    """English labels are longer, and the queue's lights carry a visually hidden name: neither may
    widen the page past the phone (the dashboard's single column and the scroll boxes hold them)."""
    context = browser.new_context(viewport=PHONE, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "narrow.manager")
        page.fill("#id_password", "pw-for-tests-1")
        page.press("#id_password", "Enter")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        too_wide = {}
        for path in ("/", "/reviews/"):
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("load")
            measured = page.evaluate(OVERFLOW)
            if measured["page"] > measured["window"]:
                too_wide[path] = measured
        assert page.locator("#review-queue .visually-hidden").count() >= 1
        # Placed against its scroll box, a hidden name scrolls with the table; placed against the
        # page, it widens the page whenever the table is wider than the phone.
        escaping = page.eval_on_selector_all(
            ".table-scroll .visually-hidden",
            "spans => spans.filter(s => !s.offsetParent || !s.offsetParent.closest('.table-scroll')).length",
        )
        assert escaping == 0
        assert too_wide == {}
    finally:
        context.close()
