"""A manager in Chromium: the dashboard draws its charts, filters by period, downloads Excel."""

import datetime

import openpyxl
import pytest
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import TaskStatus
from measures.models import ReportingPeriod, Task
from tests.factories import make_user
from zones.models import Plan, Zone

pytestmark = pytest.mark.e2e


@pytest.fixture
def periods(loaded_plan):
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
    xiqing = Zone.objects.get(code="xiqing")
    officer = make_user(Role.OFFICER, zones=[xiqing])
    for number, percent in ((1, 40), (2, 70)):
        task = Task.objects.get(zone=xiqing, number=number)
        for period, value in ((earlier, percent // 2), (current, percent)):
            report = services.save_report(
                task=task,
                period=period,
                user=officer,
                data={"status": TaskStatus.ON_TRACK, "percent_complete": value, "progress": "按计划推进"},
            )
            services.submit_report(report=report, user=officer)
    return earlier, current


def test_manager_dashboard_filter_and_excel(live_server, periods, page, screenshot, tmp_path):
    earlier, current = periods
    make_user(Role.MANAGER, username="qian.manager")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "qian.manager")
    page.fill("#id_password", "pw-for-tests-1")
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert "本季度" in page.locator(".kpis").inner_text()
    # Chart.js, served by the app itself, drew on every canvas.
    page.wait_for_function("document.querySelectorAll('canvas').length === 3")
    drawn = page.evaluate("[...document.querySelectorAll('canvas')].map(c => !!Chart.getChart(c))")
    assert drawn == [True, True, True]
    xiqing_row = page.locator("#reporting-rate tbody tr", has_text="西青").inner_text()
    assert "\t2\t" in xiqing_row  # two reported on time
    screenshot("dashboard")

    page.select_option("#id_period", str(earlier.pk))
    page.click(".compact-filters button[type=submit]")
    page.wait_for_url("**/?plan=*")
    assert "上一季度" in page.locator(".kpis").inner_text()

    with page.expect_download() as download_info:
        page.click("#download-xlsx")
    path = tmp_path / "report.xlsx"
    download_info.value.save_as(path)
    workbook = openpyxl.load_workbook(path)
    text = "\n".join(
        " ".join(str(cell) for cell in row if cell is not None)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
    )
    assert "构建京津冀集成电路产业协同开放新高地" in text


def test_every_dashboard_count_opens_exactly_its_tasks(live_server, periods, page):
    """Issue 15: a number clicked on the dashboard equals the number of tasks the list then shows."""
    import re

    make_user(Role.MANAGER, username="qian.manager")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "qian.manager")
    page.fill("#id_password", "pw-for-tests-1")
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{live_server.url}/")
    links = page.locator("a.drill")
    seen = {}
    for index in range(links.count()):
        link = links.nth(index)
        seen.setdefault(link.get_attribute("href"), int(link.inner_text()))
    # Lights, statuses, on time / late / missing per zone and in all: every kind of count is there.
    kinds = {key for href in seen for key in ("light=", "status=", "reported=") if key in href}
    assert kinds == {"light=", "status=", "reported="} and len(seen) >= 8
    for href, clicked in seen.items():
        page.goto(f"{live_server.url}{href.replace('&amp;', '&')}")
        listed = page.locator("main p.muted").first.inner_text()
        assert "任务" in listed and int(re.search(r"\d+", listed)[0]) == clicked, (href, listed)
