"""In Chromium: a liaison answers a coordination request from the agency page itself, the officer
asks again, and the liaison sees the request reopened; an administrator onboards a user in one
screen (a refusal first, what was typed kept) and the new user signs in."""

import pytest

from core.roles import Role
from measures import services
from measures.choices import RequestState
from measures.models import CoordinationRequest, Task
from notifications.choices import NoticeKind
from notifications.models import Notification
from tests.e2e.test_reporting_loop import sign_in, sign_out
from tests.factories import make_user
from zones.models import Zone

pytestmark = pytest.mark.e2e


def test_a_liaison_answers_from_the_agency_page(live_server, loaded_plan, page, screenshot):
    task = Task.objects.select_related("zone").get(zone__code="xiqing", number=1)
    agency = task.agency_links.order_by("position").first().agency
    officer = make_user(Role.OFFICER, zones=[task.zone], username="ask.officer", first_name="周填报")
    make_user(Role.LIAISON, agency=agency, username="answer.liaison", first_name="吴联络")
    request = services.ask_agency(task=task, user=officer, agency=agency, question="请协调用地指标")
    base = live_server.url

    sign_in(page, base, "answer.liaison")
    # A liaison lands on the agency page, where the request waits with its reply-by date.
    page.goto(f"{base}{agency.get_absolute_url()}")
    article = page.locator(f"#request-{request.pk}")
    assert request.reply_by.isoformat() in article.locator(".reply-by").inner_text()
    article.locator("textarea").fill("已协调规划部门，下周反馈。")
    screenshot("liaison-answer-on-agency-page")
    article.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}{agency.get_absolute_url()}#request-{request.pk}")
    assert "已协调规划部门" in page.locator(f"#request-{request.pk} .answer").inner_text()
    assert page.locator(f"#request-{request.pk} textarea").count() == 0
    request.refresh_from_db()
    assert request.state == RequestState.ANSWERED
    sign_out(page)

    # The answer did not help: the officer asks again from the task page.
    sign_in(page, base, "ask.officer")
    page.goto(f"{base}{task.get_absolute_url()}#request-{request.pk}")
    again = page.locator(f"#request-{request.pk} details.ask-again")
    again.locator("summary").click()
    again.locator("textarea").fill("答复未说明用地指标来源。")
    again.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert CoordinationRequest.objects.get(pk=request.pk).state == RequestState.OPEN
    sign_out(page)

    sign_in(page, base, "answer.liaison")
    assert Notification.objects.filter(
        recipient__username="answer.liaison", kind=NoticeKind.REQUEST_REOPENED
    ).exists()
    page.goto(f"{base}{agency.get_absolute_url()}")
    article = page.locator(f"#request-{request.pk}")
    assert "答复未说明用地指标来源" in article.locator(".reopened").inner_text()
    assert article.locator("textarea").count() == 1
    screenshot("liaison-request-asked-again")


def test_an_administrator_onboards_a_user_in_one_screen(live_server, loaded_plan, page, screenshot):
    make_user(Role.ADMINISTRATOR, username="onboard.admin")
    xiqing = Zone.objects.get(code="xiqing")
    base = live_server.url

    sign_in(page, base, "onboard.admin")
    page.goto(f"{base}/people/")
    page.click("a[href='/people/new/']")
    page.wait_for_url(f"{base}/people/new/")
    page.fill("#id_name", "欧阳娜娜")
    page.fill("#id_username", "ouyang.nana")
    page.fill("#id_email", "ouyang@xiqing.example.cn")
    page.select_option("#id_role", "officer")
    # No zone chosen for an officer: refused, in Chinese, with what was typed kept.
    page.click("#onboard-form button[type=submit]")
    page.wait_for_load_state()
    assert "联动创新区" in page.locator("#id_zones_error").inner_text()
    assert page.input_value("#id_name") == "欧阳娜娜"
    page.check(f"#onboard-form input[name=zones][value='{xiqing.pk}']")
    screenshot("onboard-user-form")
    page.click("#onboard-form button[type=submit]")
    page.wait_for_selector("#initial-password")
    password = page.locator("#initial-password").inner_text()
    screenshot("onboard-user-done")
    page.click("a[href='/people/?q=ouyang.nana']")
    row = page.locator("#people tbody tr").first
    assert "欧阳娜娜" in row.inner_text() and xiqing.name in row.inner_text()
    sign_out(page)

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "ouyang.nana")
    page.fill("#id_password", password)
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{base}/my/")
    assert "欧阳娜娜" in page.locator("header").inner_text()
