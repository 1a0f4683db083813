"""An innovation outcome in Chromium: an officer records and submits it, a manager evaluates it
and recommends it for citywide replication, and it appears in the period's submission list."""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from core.roles import Role
from measures.choices import OutcomeState
from measures.models import InnovationOutcome, ReportingPeriod
from tests.e2e.test_reporting_loop import sign_in, sign_out
from tests.factories import make_user
from tests.measures.upload_samples import PDF
from zones.models import Plan, Zone

pytestmark = pytest.mark.e2e
TITLE = "集成电路保税研发“一单多证”监管模式"


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


def test_record_submit_evaluate_recommend_and_list(live_server, period, page, screenshot, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    xiqing = Zone.objects.get(code="xiqing")
    make_user(Role.OFFICER, zones=[xiqing], username="li.officer", first_name="李填报")
    make_user(Role.MANAGER, username="zhao.manager", first_name="赵审核")
    base = live_server.url

    sign_in(page, base, "li.officer")
    page.goto(f"{base}/outcomes/new/")
    page.select_option("#id_zone", label="西青经开区")
    page.select_option("#id_type", "first_of_kind")
    page.select_option("#id_period", label=period.name)
    page.fill("#id_description", "保税研发企业一次申报、多证联办。")
    page.select_option("#id_tasks", index=0)
    # The title is missing: a clear message, and what was typed is kept.
    page.click("form.report-form button[type=submit]")
    assert page.locator(".field-error").count() >= 1
    assert page.input_value("#id_description") == "保税研发企业一次申报、多证联办。"
    page.fill("#id_title", TITLE)
    page.click("form.report-form button[type=submit]")
    page.wait_for_url("**/outcomes/*/")
    # Submitting needs evidence, as the page says.
    evidence = tmp_path / "经验材料.pdf"
    evidence.write_bytes(PDF)
    page.set_input_files("#outcome-file-form input[type=file]", str(evidence))
    page.fill("#outcome-file-form input[name=description]", "经验材料")
    page.click("#outcome-file-form button[type=submit]")
    page.locator("#evidence a.file-link").first.wait_for()
    page.click("form[action$='/submit/'] button")
    page.locator(".state-outcome-submitted").first.wait_for()
    sign_out(page)

    sign_in(page, base, "zhao.manager")
    page.goto(f"{base}/outcomes/?state=submitted")
    page.click(f"text={TITLE}")
    page.fill("#id_score", "88")
    page.fill("#id_notes", "首创性强，具备复制推广条件。")
    page.click("#evaluate button[type=submit]")
    page.locator(".state-outcome-evaluated").first.wait_for()
    page.fill("#recommend-note", "建议全市推广")
    page.click("text=推荐全市复制推广")
    page.locator(".state-outcome-recommended").first.wait_for()
    screenshot("outcome-recommended")
    outcome = InnovationOutcome.objects.get(title=TITLE)
    assert outcome.state == OutcomeState.RECOMMENDED
    assert outcome.score == 88

    # The period's submission list: the page offers it, and the Excel file lists the outcome.
    page.goto(f"{base}/outcomes/?period={period.pk}")
    assert TITLE in page.locator("table").inner_text()
    with page.expect_download() as download:
        page.click("a[href$='.xlsx']")
    workbook = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    cells = {cell for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row}
    assert TITLE in cells
    assert outcome.get_state_display() in cells or "推荐全市复制推广" in "".join(map(str, cells))
    screenshot("outcome-list")
