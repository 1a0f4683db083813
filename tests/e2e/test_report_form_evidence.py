"""An officer attaches evidence on the report form itself and submits in Chromium: a refused file
keeps what was typed, the form lists what is attached, the submission can be recalled until a
manager opens it, and a long unbroken link wraps at 390 px."""

import datetime

import pytest
from django.utils import timezone

from core.roles import Role
from measures.choices import ReportState
from measures.models import ProgressReport, ReportingPeriod
from tests.e2e.test_reporting_loop import sign_in
from tests.factories import make_user
from tests.measures.upload_samples import EXE, PDF
from zones.models import Plan, Zone

pytestmark = pytest.mark.e2e

LONG_LINK = "https://www.tj.gov.cn/zwgk/" + "0123456789" * 12


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


def test_officer_attaches_evidence_on_the_report_form_and_submits(
    live_server, period, page, screenshot, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    make_user(Role.OFFICER, zones=[Zone.objects.get(code="xiqing")], username="li.officer")
    good = tmp_path / "会议纪要.pdf"
    good.write_bytes(PDF)
    bad = tmp_path / "伪装.pdf"
    bad.write_bytes(EXE)
    base = live_server.url
    sign_in(page, base, "li.officer")
    page.goto(f"{base}/zones/xiqing/tasks/1/periods/{period.pk}/report/")

    typed = "完成集成电路产业政策梳理，形成初稿。"
    page.select_option("#id_status", "on_track")
    page.fill("#id_percent_complete", "40")
    page.fill("#id_progress", typed)
    page.set_input_files("#id_evidence_file", str(bad))
    page.fill("#id_evidence_description", "会议纪要")
    page.click("button[name=submit]")
    # Refused by content: said beside the file, the typing kept, nothing saved.
    page.locator("#report-evidence .field-error").first.wait_for()
    assert page.input_value("#id_progress") == typed
    assert page.input_value("#id_evidence_description") == "会议纪要"
    assert not ProgressReport.objects.exists()
    screenshot("report-form-evidence-refused")

    page.set_input_files("#id_evidence_file", str(good))
    page.fill("#id_evidence_url", LONG_LINK)
    page.click("button[name=submit]")
    page.wait_for_url("**/zones/xiqing/tasks/1/**")
    page.locator(".state-submitted").first.wait_for()
    evidence = page.locator(".evidence-list").inner_text()
    assert "会议纪要.pdf" in evidence
    report = ProgressReport.objects.get()
    assert report.state == ReportState.SUBMITTED
    assert report.evidence.count() == 2

    # A long unbroken link wraps inside its box: no horizontal scroll at 390 px.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot("report-form-evidence-submitted-390")
    page.set_viewport_size({"width": 1366, "height": 900})

    # Nobody has opened it for review yet: the officer takes it back, and the form lists the evidence.
    page.click("form.recall button[type=submit]")
    page.locator(".state-draft").first.wait_for()
    report.refresh_from_db()
    assert report.state == ReportState.DRAFT
    page.goto(f"{base}/zones/xiqing/tasks/1/periods/{period.pk}/report/")
    attached = page.locator(".evidence-list.attached").inner_text()
    assert "会议纪要.pdf" in attached and LONG_LINK[:30] in attached
