"""A manager's deputy reaches the review queue from the top bar (Review, with its badge), at 1366 px
and at 390 px behind the menu button, in Chromium; an officer who deputises for no one sees no link."""

import datetime

import pytest
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import TaskStatus
from measures.models import Task
from tests.factories import make_period, make_user
from zones.models import Plan, Zone

pytestmark = pytest.mark.e2e


def sign_in(browser, base, username, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.press("#id_password", "Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return context, page


@pytest.mark.parametrize("width", [1366, 390])
def test_a_deputy_opens_the_queue_from_the_top_bar(browser, live_server, loaded_plan, width):
    plan = Plan.objects.get(code="second-batch")
    xiqing = Zone.objects.get(plan=plan, code="xiqing")
    period = make_period(plan)
    officer = make_user(Role.OFFICER, zones=[xiqing], username="zone.officer")
    for task in Task.objects.filter(zone=xiqing).order_by("number")[:2]:
        data = {"status": TaskStatus.ON_TRACK, "percent_complete": 20, "progress": "按计划推进。"}
        report = services.save_report(task=task, period=period, user=officer, data=data)
        services.submit_report(report=report, user=officer)
    manager = make_user(Role.MANAGER)
    deputy = make_user(Role.OFFICER, zones=[Zone.objects.get(plan=plan, code="wuqing")], username="deputy")
    make_user(Role.OFFICER, zones=[xiqing], username="plain.officer")
    today = timezone.localdate()
    services.name_deputy(
        principal=manager,
        deputy=deputy,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=3),
        user=manager,
    )

    context, page = sign_in(browser, live_server.url, "deputy", width)
    page.goto(f"{live_server.url}/my/")
    if width == 390:
        page.click(".nav-toggle")
    link = page.locator("#nav-review")
    assert link.is_visible() and link.locator(".nav-badge").inner_text() == "2"
    link.click()
    page.wait_for_url(f"{live_server.url}/reviews/**")
    assert page.locator("h1").first.inner_text() == "审核工作台 2"
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    context.close()

    context, page = sign_in(browser, live_server.url, "plain.officer", width)
    page.goto(f"{live_server.url}/my/")
    assert page.locator("#nav-review").count() == 0
    context.close()
