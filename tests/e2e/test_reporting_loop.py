"""The whole reporting loop in Chromium: an officer submits with a PDF, a manager returns it
with a note, the officer resubmits, the manager accepts, and the timeline shows every step."""

import datetime

import pytest
from django.utils import timezone

from core.roles import Role
from measures.models import Evidence, ProgressReport, ReportEvent, ReportingPeriod
from tests.factories import make_user
from tests.measures.upload_samples import PDF
from zones.models import Plan, Zone

pytestmark = pytest.mark.e2e


def sign_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base}/**")


def sign_out(page):
    page.click("header form[action$='/logout/'] button")
    page.wait_for_load_state()


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


def test_submit_return_resubmit_accept(live_server, period, page, screenshot, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    xiqing = Zone.objects.get(code="xiqing")
    make_user(Role.OFFICER, zones=[xiqing], username="li.officer", first_name="李填报")
    make_user(Role.MANAGER, username="zhao.manager", first_name="赵审核")
    base = live_server.url
    evidence_file = tmp_path / "阶段成果报告.pdf"
    evidence_file.write_bytes(PDF)

    # The officer starts on /my/, where task 1 waits to be reported.
    sign_in(page, base, "li.officer")
    assert page.url == f"{base}/my/"
    page.click("#to-report a[href*='/zones/xiqing/tasks/1/']")
    page.click("text=撰写报告")
    page.select_option("#id_status", "on_track")
    page.fill("#id_percent_complete", "140")
    page.fill("#id_progress", "完成集成电路产业政策梳理，形成初稿。")
    page.click("button[name=save]")
    # Bad input: a clear message, and what was typed is kept.
    assert "100" in page.locator(".field-error").inner_text()
    assert page.input_value("#id_progress") == "完成集成电路产业政策梳理，形成初稿。"
    page.fill("#id_percent_complete", "40")
    page.click("button[name=save]")
    page.wait_for_url("**/zones/xiqing/tasks/1/**")

    page.set_input_files("#id_file", str(evidence_file))
    page.fill("#evidence-file-form #id_description", "政策梳理阶段成果")
    page.click("#evidence-file-form button[type=submit]")
    page.locator(".evidence-list a.file-link").first.wait_for()
    assert "阶段成果报告.pdf" in page.locator(".evidence-list").inner_text()
    page.click("text=提交审核")
    page.locator(".state-submitted").first.wait_for()
    screenshot("loop-1-submitted")
    sign_out(page)

    # The manager returns it with a note.
    sign_in(page, base, "zhao.manager")
    assert page.locator("#kpi-review strong").inner_text() == "1"
    page.click("#kpi-review")
    page.click("#awaiting-review a")
    page.check("input[name=action][value=return]")
    page.fill("#id_note", "请补充与市工业和信息化局的对接情况。")
    page.click("text=记录审核意见")
    page.locator(".state-returned").first.wait_for()
    sign_out(page)

    # The officer sees the returned report first on /my/ and resubmits.
    sign_in(page, base, "li.officer")
    assert "请补充" not in page.content()  # the note is on the task page, the task on /my/
    page.click("#returned a")
    assert "请补充与市工业和信息化局的对接情况。" in page.locator(".alert-warn").inner_text()
    page.click("text=编辑报告")
    page.fill("#id_progress", "完成集成电路产业政策梳理，已与市工业和信息化局对接两次。")
    page.click("button[name=submit]")
    page.locator(".state-submitted").first.wait_for()
    sign_out(page)

    # The manager accepts.
    sign_in(page, base, "zhao.manager")
    page.goto(f"{base}/zones/xiqing/tasks/1/?period={period.pk}")
    page.check("input[name=action][value=accept]")
    # Accepting records the assessed completion (verified progress, issue 18).
    page.check("input[name=assessment][value=largely]")
    page.click("text=记录审核意见")
    page.locator(".state-accepted").first.wait_for()
    timeline = page.locator("#history .event .event-head strong").all_inner_texts()
    screenshot("loop-2-accepted")

    # Newest first: accepted, resubmitted, edited, returned, submitted, evidence, created.
    assert [t for t in timeline if t in ("已报送", "已退回", "已通过")] == [
        "已通过",
        "已报送",
        "已退回",
        "已报送",
    ]
    report = ProgressReport.objects.get(task__zone=xiqing, task__number=1, period=period)
    assert report.state == "accepted" and report.percent_complete == 40
    kinds = list(
        ReportEvent.objects.filter(report=report).order_by("at", "pk").values_list("kind", flat=True)
    )
    # Each submission's first opening by the manager is recorded once (the zone can no longer recall it).
    assert kinds == [
        "created",
        "evidence_added",
        "submitted",
        "opened_for_review",
        "returned",
        "edited",
        "submitted",
        "opened_for_review",
        "accepted",
    ]
    evidence = Evidence.objects.get(report=report)
    assert evidence.original_name == "阶段成果报告.pdf" and evidence.content_type == "application/pdf"

    # The evidence downloads as an attachment, never rendered inline.
    response = page.request.get(f"{base}{evidence.get_download_url()}")
    assert response.ok and response.body() == PDF
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["x-content-type-options"] == "nosniff"
