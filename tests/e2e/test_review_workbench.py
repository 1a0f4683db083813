"""A manager works through 30 waiting reports in Chromium with the keyboard only: the queue,
then 2 (基本完成) and A on each report, landing on the next one of the same filtered queue; one is
returned with R, a note (whose letters must not act as keys) and Ctrl+Enter."""

import datetime

import pytest
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import Assessment, EventKind, ReportState, TaskStatus
from measures.models import ProgressReport, ReportEvent, Task
from tests.factories import make_period, make_user
from zones.models import Plan, Zone

pytestmark = pytest.mark.e2e

COUNT = 30


def sign_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{base}/**")


@pytest.fixture
def waiting(loaded_plan):
    plan = Plan.objects.get(code="second-batch")
    period = make_period(plan)
    officer = make_user(Role.OFFICER, zones=list(Zone.objects.filter(plan=plan)), username="li.officer")
    tasks = list(Task.objects.filter(zone__plan=plan).order_by("zone__annex_number", "number")[:COUNT])
    assert len(tasks) == COUNT
    for number, task in enumerate(tasks):
        data = {
            "status": TaskStatus.ON_TRACK,
            "percent_complete": 10 + number,
            "progress": f"第{number + 1}项任务按计划推进。",
            "problems": "",
            "next_steps": "",
            "support_needed": "",
            "support_agency": None,
        }
        report = services.save_report(task=task, period=period, user=officer, data=data)
        services.submit_report(report=report, user=officer)
    # The second one has a history to compare with: last period's report (verified) and milestones.
    second, earlier = tasks[1], make_period(plan, shift=-1)
    data = {**data, "percent_complete": 5, "progress": "完成前期调研，形成工作方案初稿。"}
    before = services.save_report(task=second, period=earlier, user=officer, data=data)
    before = services.submit_report(report=before, user=officer)
    services.accept_report(
        report=before,
        user=make_user(Role.MANAGER),
        assessment=Assessment.PARTLY,
        verified_percent=3,
        assessment_reason="方案尚未印发",
    )
    today = timezone.localdate()
    services.add_milestone(
        task=second, user=officer, title="出台专项支持政策", due=today + datetime.timedelta(days=3)
    )
    services.add_milestone(
        task=second, user=officer, title="首批项目落地", due=today + datetime.timedelta(days=40)
    )
    return period


def test_manager_reviews_thirty_reports_with_the_keyboard(live_server, waiting, page, screenshot):
    make_user(Role.MANAGER, username="zhao.manager", first_name="赵审核")
    base = live_server.url
    sign_in(page, base, "zhao.manager")

    page.goto(f"{base}/reviews/?plan=second-batch")
    assert page.locator("#waiting-total").inner_text() == str(COUNT)
    assert page.locator("nav.mainnav a[href='/reviews/'] .nav-badge").inner_text() == str(COUNT)
    # The hints are on the page, not only in the script.
    assert "快捷键" in page.locator(".key-hints").inner_text()
    screenshot("review-queue")
    with page.expect_navigation():
        page.keyboard.press("n")
    assert "/reviews/" in page.url and "plan=second-batch" in page.url
    assert page.locator(".key-hints kbd").count() >= 5

    # The first one goes back: R puts the focus in the note; the letters typed there (a, n, r) are
    # text, not keys; Ctrl+Enter sends it.
    returned_url = page.url
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.name") == "note"
    page.keyboard.type("请补充佐证材料 and return")
    assert page.url == returned_url
    screenshot("review-report")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    assert page.url != returned_url

    # Beside the report: the previous period's (with its verified progress) and the milestones.
    assert "方案尚未印发" in page.locator("#previous-report").inner_text()
    assert "出台专项支持政策" in page.locator("#review-milestones").inner_text()
    for step in range(COUNT - 1):
        current = page.url
        assert "plan=second-batch" in current
        page.keyboard.press("2")
        if step == 0:
            assert page.locator("input[name=assessment][value=largely]").is_checked()
            screenshot("review-report-assessed")
        with page.expect_navigation():
            page.keyboard.press("a")
        assert page.url != current, f"report {step + 2} did not move on"
    # The queue is done: back on it, with nothing left.
    assert page.url.startswith(f"{base}/reviews/?")
    assert "本队列中没有其他等待您审核的报告" in page.locator("body").inner_text()
    assert page.locator("#review-queue td.empty").count() == 1

    reports = ProgressReport.objects.filter(period=waiting)
    assert reports.filter(state=ReportState.RETURNED).count() == 1
    accepted = reports.filter(state=ReportState.ACCEPTED)
    assert accepted.count() == COUNT - 1
    assert set(accepted.values_list("assessment", flat=True)) == {Assessment.LARGELY}
    # The zone's own percent stayed, and became the verified one (no correction typed).
    assert all(r.verified_percent == r.percent_complete for r in accepted)
    assert ReportEvent.objects.filter(kind=EventKind.ACCEPTED, period=waiting).count() == COUNT - 1
    note = ReportEvent.objects.get(kind=EventKind.RETURNED).note
    assert note == "请补充佐证材料 and return"
