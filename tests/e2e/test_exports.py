"""The period report in Chromium: a manager picks a zone, opens the printable page (A4 print
styles hide the navigation) and downloads the Excel workbook, which holds the reported row."""

import datetime

import openpyxl
import pytest
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.models import ReportingPeriod, Task
from tests.factories import make_user
from zones.models import Plan, Zone

pytestmark = pytest.mark.e2e


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
        name="2026年第四季度",
        start=today - datetime.timedelta(days=30),
        end=today + datetime.timedelta(days=30),
        deadline=today + datetime.timedelta(days=45),
    )


def test_manager_prints_and_downloads_a_zone_report(live_server, period, page, screenshot, tmp_path):
    xiqing = Zone.objects.get(code="xiqing")
    officer = make_user(Role.OFFICER, zones=[xiqing])
    make_user(Role.MANAGER, username="zhao.manager")
    task = Task.objects.get(zone=xiqing, number=1)
    report = services.save_report(
        task=task,
        period=period,
        user=officer,
        data={"status": "on_track", "percent_complete": 60, "progress": "完成集成电路产业政策梳理。"},
    )
    services.submit_report(report=report, user=officer)
    base = live_server.url

    sign_in(page, base, "zhao.manager")
    page.goto(f"{base}/reports/")
    assert page.input_value("#id_period") == str(period.pk)
    page.select_option("#id_zone", "xiqing")
    page.click("#report-form button[type=submit]")
    page.wait_for_url("**/reports/?*zone=xiqing*")
    page.click("#format-html")
    page.wait_for_url(f"**/reports/period/{period.pk}/?zone=xiqing")
    assert "西青经开区" in page.locator("#period-report h2").first.inner_text()
    assert "完成集成电路产业政策梳理。" in page.locator("#row-xiqing-1").inner_text()
    assert page.locator("#zone-wuqing").count() == 0

    # Printed, the page is the report alone: no top bar, no tools.
    page.emulate_media(media="print")
    assert page.locator(".topbar").is_hidden() and page.locator(".report-tools").is_hidden()
    screenshot("period-report")
    page.emulate_media(media="screen")

    with page.expect_download() as info:
        page.click("#download-xlsx")
    download = info.value
    assert download.suggested_filename.endswith("-2026年第四季度-西青经开区.xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    book = openpyxl.load_workbook(saved)
    assert book.sheetnames[1:] == ["西青经开区", "与上期对比"]
    first = [cell.value for cell in book["西青经开区"][2]]
    assert first[:2] == [1, task.title] and first[4:6] == [60, "完成集成电路产业政策梳理。"]
