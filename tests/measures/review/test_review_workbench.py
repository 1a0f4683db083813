"""The review workbench (issue 15) and verified progress (issue 18): the one rule of what waits for
review, the queue and its filters, one report with what to compare it with, batch accept under four
eyes, locking a period with reports still waiting, and the assessed completion beside the zone's
own percent everywhere it is shown."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import Assessment, EventKind, ReportState, TaskStatus
from measures.models import Deputy, ProgressReport, ReportEvent, ReportingPeriod, Task
from measures.review import selectors
from measures.review.services import accept_reports
from tests.factories import make_period, make_user, report_data, submit_report_as
from tests.helpers import SESSION
from zones.models import Zone

pytestmark = pytest.mark.django_db

QUEUE = reverse("measures:review-queue")
BATCH = reverse("measures:review-batch-accept")


def data(percent=40, status=TaskStatus.ON_TRACK, progress="按计划推进"):
    return report_data(percent_complete=percent, status=status, progress=progress)


@pytest.fixture
def xiqing():
    return Zone.objects.get(code="xiqing")


@pytest.fixture
def wuqing():
    return Zone.objects.get(code="wuqing")


@pytest.fixture
def period(xiqing):
    return make_period(xiqing.plan)


@pytest.fixture
def earlier(xiqing):
    return make_period(xiqing.plan, shift=-1)


@pytest.fixture
def officer(xiqing, wuqing):
    return make_user(Role.OFFICER, zones=[xiqing, wuqing])


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


@pytest.fixture
def other_manager():
    return make_user(Role.MANAGER)


@pytest.fixture
def admin():
    # An administrator may write reports and review: four eyes keeps them off their own.
    return make_user(Role.ADMINISTRATOR)


def submit(task, period, user, percent=40, status=TaskStatus.ON_TRACK):
    return submit_report_as(task, period, user, percent_complete=percent, status=status)


def tasks_of(zone, n):
    return list(Task.objects.filter(zone=zone).order_by("number")[:n])


# --------------------------------------------------------------------------- the rule


def test_awaiting_review_is_submitted_reports_of_open_periods_and_tasks(xiqing, period, officer, manager):
    first, second, third, fourth = tasks_of(xiqing, 4)
    waiting = submit(first, period, officer)
    services.save_report(task=second, period=period, user=officer, data=data())  # a draft
    accepted = submit(third, period, officer)
    services.accept_report(report=accepted, user=manager)
    withdrawn = submit(fourth, period, officer)
    Task.objects.filter(pk=fourth.pk).update(withdrawn_at=timezone.now())
    assert set(ProgressReport.objects.awaiting_review()) == {waiting}
    # A locked period's reports can no longer be decided: they leave the queue.
    services.lock_period(period=period, user=manager, confirm_waiting=True)
    assert not ProgressReport.objects.awaiting_review().exists()
    assert withdrawn.pk not in selectors.waiting_reports().values_list("pk", flat=True)


# --------------------------------------------------------------------------- verified progress


def test_accept_records_the_assessment_in_the_same_history_row(xiqing, period, officer, manager):
    report = submit(tasks_of(xiqing, 1)[0], period, officer, percent=80)
    services.accept_report(
        report=report,
        user=manager,
        assessment=Assessment.PARTLY,
        verified_percent=50,
        assessment_reason="佐证不足",
    )
    report.refresh_from_db()
    assert (report.state, report.assessment, report.verified_percent) == (ReportState.ACCEPTED, "partly", 50)
    # The zone's own percent is kept beside the verified one.
    assert report.percent_complete == 80 and report.percent_gap == 30
    event = ReportEvent.objects.get(report=report, kind=EventKind.ACCEPTED)
    assert event.changes["assessment"] == ["", "partly"]
    assert event.changes["verified_percent"] == [None, 50]
    assert event.changes["assessment_reason"] == ["", "佐证不足"]
    assert ReportEvent.objects.filter(report=report, kind=EventKind.ACCEPTED).count() == 1


def test_a_corrected_percent_needs_a_reason_and_nothing_is_written_without(xiqing, period, officer, manager):
    report = submit(tasks_of(xiqing, 1)[0], period, officer, percent=80)
    with pytest.raises(ValidationError) as refused:
        services.accept_report(
            report=report, user=manager, assessment=Assessment.LARGELY, verified_percent=60
        )
    assert "assessment_reason" in refused.value.error_dict
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED and report.assessment == ""
    assert not ReportEvent.objects.filter(report=report, kind=EventKind.ACCEPTED).exists()


def test_assessment_defaults_and_rules(xiqing, period, officer, manager):
    same, complete, bad = (submit(task, period, officer, percent=70) for task in tasks_of(xiqing, 3))
    services.accept_report(report=same, user=manager, assessment=Assessment.LARGELY)
    same.refresh_from_db()
    # No correction: the verified percent is the zone's, and no reason is needed.
    assert same.verified_percent == 70
    with pytest.raises(ValidationError) as refused:
        services.accept_report(report=complete, user=manager, assessment=Assessment.COMPLETED)
    # 已完成 is 100 percent, which differs from the zone's 70: say why.
    assert "assessment_reason" in refused.value.error_dict
    services.accept_report(
        report=complete, user=manager, assessment=Assessment.COMPLETED, assessment_reason="现场核验已完成"
    )
    complete.refresh_from_db()
    assert complete.verified_percent == 100
    for wrong in ({"assessment": "maybe"}, {"assessment": "", "verified_percent": 10}):
        with pytest.raises(ValidationError):
            services.accept_report(report=bad, user=manager, **wrong)


def test_database_refuses_an_assessment_out_of_its_rules(xiqing, period, officer, manager):
    report = submit(tasks_of(xiqing, 1)[0], period, officer)
    rows = ProgressReport.objects.filter(pk=report.pk)
    for values in (
        {"assessment": "partly", "verified_percent": 10},  # still submitted, not accepted
        {"state": ReportState.ACCEPTED, "assessment": "partly"},  # no verified percent
        {"state": ReportState.ACCEPTED, "assessment": "completed", "verified_percent": 90},
        {"state": ReportState.ACCEPTED, "assessment": "bogus", "verified_percent": 10},
        {"state": ReportState.ACCEPTED, "assessment": "partly", "verified_percent": 101},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            rows.update(**values)


# --------------------------------------------------------------------------- batch accept


def test_batch_accept_skips_own_submissions_and_writes_one_row_each(xiqing, period, officer, admin):
    reports = [submit(task, period, officer) for task in tasks_of(xiqing, 3)]
    own = submit(tasks_of(xiqing, 4)[3], period, admin)
    result = accept_reports(
        report_ids=[r.pk for r in [*reports, own]], user=admin, assessment=Assessment.LARGELY
    )
    assert [r.pk for r in result.accepted] == [r.pk for r in reports]
    assert [r.pk for r in result.own] == [own.pk]
    for report in reports:
        report.refresh_from_db()
        assert report.state == ReportState.ACCEPTED and report.assessment == Assessment.LARGELY
        assert ReportEvent.objects.filter(report=report, kind=EventKind.ACCEPTED).count() == 1
    own.refresh_from_db()
    assert own.state == ReportState.SUBMITTED


def test_batch_accept_reports_what_no_longer_waits_and_accepts_the_rest(xiqing, period, officer, manager):
    first, second = (submit(task, period, officer) for task in tasks_of(xiqing, 2))
    services.return_report(report=first, user=manager, note="请补充")
    result = accept_reports(report_ids=[first.pk, second.pk], user=manager, assessment=Assessment.PARTLY)
    assert [r.pk for r in result.accepted] == [second.pk]
    assert [r.pk for r, _reason in result.refused] == [first.pk]


def test_batch_accept_view_says_how_many_were_skipped_and_why(client, xiqing, period, officer, admin):
    reports = [submit(task, period, officer) for task in tasks_of(xiqing, 2)]
    own = [submit(task, period, admin) for task in tasks_of(xiqing, 4)[2:]]
    client.force_login(admin)
    response = client.post(
        BATCH + "?zone=xiqing",
        {"reports": [r.pk for r in reports + own], "assessment": Assessment.LARGELY},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == QUEUE + "?zone=xiqing"
    text = [str(m) for m in response.context["messages"]]
    assert "已通过 2 份报告。" in text
    assert any("已跳过 2 份报告" in m and "四眼" in m for m in text)
    assert ProgressReport.objects.filter(state=ReportState.ACCEPTED).count() == 2


def test_batch_accept_needs_ticked_reports_and_an_assessment(client, xiqing, period, officer, manager):
    report = submit(tasks_of(xiqing, 1)[0], period, officer)
    client.force_login(manager)
    response = client.post(BATCH, {"reports": [report.pk]}, follow=True)
    assert any("评估" in str(m) for m in response.context["messages"])
    response = client.post(BATCH, {"assessment": Assessment.LARGELY}, follow=True)
    assert any("勾选" in str(m) for m in response.context["messages"])
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED


# --------------------------------------------------------------------------- access


def test_workbench_views_refuse_who_may_not_review(client, xiqing, wuqing, period, officer, manager):
    report = submit(tasks_of(xiqing, 1)[0], period, officer)
    page = reverse("measures:review-report", args=[report.pk])
    for url in (QUEUE, page):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url
    response = client.post(BATCH, {"reports": [report.pk]})
    assert response.status_code == 302 and "/accounts/login/" in response.url
    # An officer of the zone sees the task but may not review: 403; one of another zone: 404.
    client.force_login(officer)
    assert client.get(QUEUE).status_code == 403
    assert client.get(page).status_code == 403
    assert client.post(BATCH, {"reports": [report.pk], "assessment": "largely"}).status_code == 403
    client.force_login(make_user(Role.OFFICER, zones=[wuqing]))
    assert client.get(page).status_code == 404
    client.force_login(make_user(Role.LIAISON))
    assert client.get(QUEUE).status_code == 403
    client.force_login(manager)
    assert client.get(QUEUE).status_code == 200
    assert client.get(page).status_code == 200
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED


def test_no_one_decides_on_their_own_submission_from_the_review_page(client, xiqing, period, admin):
    report = submit(tasks_of(xiqing, 1)[0], period, admin)
    page = reverse("measures:review-report", args=[report.pk])
    client.force_login(admin)
    response = client.get(page)
    assert response.context["own"] and not response.context["decidable"]
    assert b'id="review"' not in response.content
    response = client.post(page, {"action": "accept", "assessment": "largely", "version": report.version})
    assert response.status_code == 200
    assert any("四眼" in str(m) for m in response.context["messages"])
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED


# --------------------------------------------------------------------------- the queue


def test_queue_lists_every_waiting_report_with_the_true_count(
    client, xiqing, wuqing, period, officer, manager
):
    tasks = tasks_of(xiqing, 8) + tasks_of(wuqing, 8)
    for task in tasks:
        submit(task, period, officer)
    client.force_login(manager)
    response = client.get(QUEUE)
    assert response.context["total"] == len(tasks) == 16
    assert response.context["page_obj"].paginator.count == 16
    assert len(response.context["rows"]) == 16
    response = client.get(QUEUE + "?zone=wuqing")
    assert response.context["total"] == 16
    assert {row.task.zone.code for row in response.context["rows"]} == {"wuqing"}
    # Links carry the filters.
    assert response.context["rows"][0].review_url.endswith("?zone=wuqing")


def test_queue_paginates(client, xiqing, wuqing, period, officer, manager, monkeypatch):
    from measures.review import views

    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    for task in tasks_of(xiqing, 7):
        submit(task, period, officer)
    client.force_login(manager)
    response = client.get(QUEUE + "?page=2")
    assert len(response.context["rows"]) == 2 and response.context["is_paginated"]
    assert response.context["total"] == 7


def test_queue_filters(client, xiqing, wuqing, period, earlier, officer, manager):
    a, b, c = tasks_of(xiqing, 3)
    on_track = submit(a, period, officer)
    blocked = services.save_report(
        task=b, period=period, user=officer, data={**data(20, TaskStatus.BLOCKED), "problems": "资金未到位"}
    )
    blocked = services.submit_report(report=blocked, user=officer)
    resubmitted = submit(c, period, officer)
    services.return_report(report=resubmitted, user=manager, note="请补充")
    services.submit_report(report=resubmitted, user=officer)
    old = submit(tasks_of(wuqing, 1)[0], earlier, officer)
    ProgressReport.objects.filter(pk=old.pk).update(
        submitted_on=timezone.localdate() - datetime.timedelta(days=40)
    )
    client.force_login(manager)

    def listed(query):
        response = client.get(QUEUE + "?" + query)
        assert response.status_code == 200
        return {row.pk for row in response.context["rows"]}

    assert listed("") == {on_track.pk, blocked.pk, resubmitted.pk, old.pk}
    assert listed("light=red") == {blocked.pk}
    assert listed("light=green") == {on_track.pk, resubmitted.pk, old.pk}
    assert listed("state=resubmitted") == {resubmitted.pk}
    assert listed("state=first") == {on_track.pk, blocked.pk, old.pk}
    assert listed(f"period={earlier.pk}") == {old.pk}
    assert listed("plan=second-batch&zone=xiqing") == {on_track.pk, blocked.pk, resubmitted.pk}
    assert listed("status=blocked") == {blocked.pk}
    since = (timezone.localdate() - datetime.timedelta(days=10)).isoformat()
    assert listed(f"since={since}") == {on_track.pk, blocked.pk, resubmitted.pk}
    row = next(r for r in client.get(QUEUE).context["rows"] if r.pk == old.pk)
    assert row.days_waiting == 40
    # A bad value is said, not a 500.
    response = client.get(QUEUE + "?light=purple&since=yesterday")
    assert response.status_code == 200 and response.context["rows"] == []


def test_queue_query_count_is_constant_in_rows(
    client, xiqing, wuqing, period, officer, manager, django_assert_num_queries
):
    for task in tasks_of(xiqing, 2):
        submit(task, period, officer)
    client.force_login(manager)
    # access, the count of the page, the page's rows, the true count, the top bar's badges, and the
    # filter form's plans, periods and zones.
    queries = 8
    with django_assert_num_queries(SESSION + queries):
        first = client.get(QUEUE)
    for task in tasks_of(xiqing, 8)[2:] + tasks_of(wuqing, 8):
        submit(task, period, officer)
    with django_assert_num_queries(SESSION + queries):
        second = client.get(QUEUE)
    assert len(second.context["rows"]) == len(first.context["rows"]) + 14


# --------------------------------------------------------------------------- one report


def test_review_page_shows_previous_report_and_milestones(client, xiqing, period, earlier, officer, manager):
    task = tasks_of(xiqing, 1)[0]
    before = submit(task, earlier, officer, percent=20)
    services.accept_report(report=before, user=manager, assessment=Assessment.PARTLY)
    services.add_milestone(task=task, user=officer, title="完成政策梳理", due=timezone.localdate())
    report = submit(task, period, officer, percent=50)
    client.force_login(manager)
    response = client.get(reverse("measures:review-report", args=[report.pk]))
    assert response.context["previous"] == before
    assert [m.title for m in response.context["milestones"]] == ["完成政策梳理"]
    content = response.content.decode()
    assert "完成政策梳理" in content and earlier.name in content
    assert "部分完成" in content  # the previous report's verified progress


def test_accept_lands_on_the_next_report_of_the_same_filtered_queue(
    client, xiqing, wuqing, period, officer, manager
):
    x1, x2 = (submit(task, period, officer) for task in tasks_of(xiqing, 2))
    submit(tasks_of(wuqing, 1)[0], period, officer)
    client.force_login(manager)
    url = reverse("measures:review-report", args=[x1.pk]) + "?zone=xiqing"
    response = client.post(url, {"action": "accept", "assessment": "largely", "version": x1.version})
    assert response.status_code == 302
    assert response.url == reverse("measures:review-report", args=[x2.pk]) + "?zone=xiqing"
    response = client.post(response.url, {"action": "return", "note": "请补充佐证", "version": x2.version})
    # The filtered queue is empty now (the wuqing report is outside it): back to the queue.
    assert response.url == QUEUE + "?zone=xiqing"
    x1.refresh_from_db()
    x2.refresh_from_db()
    assert (x1.state, x1.assessment, x2.state) == (ReportState.ACCEPTED, "largely", ReportState.RETURNED)


def test_accepting_without_an_assessment_is_refused_on_the_page(client, xiqing, period, officer, manager):
    report = submit(tasks_of(xiqing, 1)[0], period, officer)
    client.force_login(manager)
    response = client.post(
        reverse("measures:review-report", args=[report.pk]), {"action": "accept", "version": report.version}
    )
    assert response.status_code == 400
    assert "assessment" in response.context["form"].errors
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED


def test_next_in_queue_skips_own_and_wraps(xiqing, period, officer, admin):
    reports = [submit(task, period, officer) for task in tasks_of(xiqing, 3)]
    own = submit(tasks_of(xiqing, 4)[3], period, admin)
    queue = selectors.waiting_reports()
    assert selectors.next_in_queue(queue, admin, reports[0]) == reports[1]
    # After the last one: back to the first still waiting (skipped earlier), never one's own.
    assert selectors.next_in_queue(queue, admin, reports[2]) == reports[0]
    assert selectors.next_in_queue(queue, admin, own) == reports[0]


def test_review_page_query_count_is_constant(
    client, xiqing, period, earlier, officer, manager, django_assert_num_queries
):
    task = tasks_of(xiqing, 1)[0]
    report = submit(task, period, officer)
    url = reverse("measures:review-report", args=[report.pk])
    client.force_login(manager)
    # The first opening records it (one history row: the zone can no longer recall the report).
    client.get(url)
    report.refresh_from_db()
    assert report.opened_for_review_by == manager
    assert ReportEvent.objects.filter(report=report, kind=EventKind.OPENED_FOR_REVIEW).count() == 1
    # Then: access, the report, its authors, whether it waits, the next one, how many are left in the
    # queue, the previous report, milestones, evidence and the top bar's badges.
    with django_assert_num_queries(SESSION + 10):
        client.get(url)
    for k in range(6):
        services.add_milestone(task=task, user=officer, title=f"节点{k}", due=timezone.localdate())
    submit(tasks_of(xiqing, 2)[1], period, officer)
    with django_assert_num_queries(SESSION + 10):
        response = client.get(url)
    assert len(response.context["milestones"]) == 6


# --------------------------------------------------------------------------- locking


def test_lock_with_waiting_reports_asks_for_a_confirmation(client, xiqing, period, officer, manager):
    for task in tasks_of(xiqing, 3):
        submit(task, period, officer)
    client.force_login(manager)
    url = reverse("measures:period-lock", args=[period.pk])
    listing = client.get(reverse("measures:period-list"))
    assert "3 份待审核" in listing.content.decode()
    response = client.post(url)
    assert response.status_code == 409
    assert response.context["waiting"] == 3
    assert "3 份报告仍在等待审核" in response.content.decode()
    period.refresh_from_db()
    assert not period.is_locked
    response = client.post(url, {"confirm_waiting": "on"})
    assert response.status_code == 302
    period.refresh_from_db()
    assert period.is_locked
    event = ReportEvent.objects.get(period=period, kind=EventKind.PERIOD_LOCKED)
    assert event.changes == {"waiting_for_review": 3}


def test_lock_without_waiting_reports_needs_no_confirmation(client, period, manager):
    client.force_login(manager)
    response = client.post(reverse("measures:period-lock", args=[period.pk]))
    assert response.status_code == 302
    assert ReportingPeriod.objects.get(pk=period.pk).is_locked


def test_a_report_left_unreviewed_in_a_locked_period_says_why(client, xiqing, period, officer, manager):
    task = tasks_of(xiqing, 1)[0]
    report = submit(task, period, officer)
    services.lock_period(period=period, user=manager, confirm_waiting=True)
    with pytest.raises(ValidationError):
        services.accept_report(report=report, user=manager, assessment="largely")
    client.force_login(manager)
    for url in (
        reverse("measures:review-report", args=[report.pk]),
        task.get_absolute_url() + f"?period={period.pk}",
    ):
        content = client.get(url).content.decode()
        assert "本报告仍在等待审核" in content and "无法再通过或退回" in content
        assert 'id="review"' not in content


# --------------------------------------------------------------------------- the badge, the my page


def test_badge_counts_every_waiting_report_but_ones_own(client, xiqing, period, officer, admin):
    for task in tasks_of(xiqing, 3):
        submit(task, period, officer)
    submit(tasks_of(xiqing, 4)[3], period, admin)
    client.force_login(admin)
    response = client.get(QUEUE)
    assert response.context["nav_pending"]["reports"] == 3
    assert '<span class="nav-badge" title="3 份报告待审核">3</span>' in response.content.decode()
    assert response.context["total"] == 4


def test_my_page_shows_the_true_count_beyond_its_list(
    client, xiqing, wuqing, period, officer, manager, monkeypatch
):
    from portal import selectors as portal_selectors

    monkeypatch.setattr(portal_selectors, "MY_LIST_LIMIT", 3)
    for task in tasks_of(xiqing, 5):
        submit(task, period, officer)
    client.force_login(manager)
    response = client.get(reverse("measures:my"))
    assert len(response.context["awaiting_review"]) == 3
    assert response.context["awaiting_total"] == 5
    assert reverse("measures:review-queue") in response.content.decode()


# --------------------------------------------------------------------------- shown everywhere


@pytest.fixture
def assessed(xiqing, wuqing, period, officer, manager):
    first, second = tasks_of(xiqing, 2)
    one = submit(first, period, officer, percent=80)
    services.accept_report(
        report=one,
        user=manager,
        assessment=Assessment.PARTLY,
        verified_percent=50,
        assessment_reason="佐证不足",
    )
    two = submit(second, period, officer, percent=60)
    services.accept_report(report=two, user=manager, assessment=Assessment.LARGELY)
    return one, two


def test_gap_per_zone(assessed, xiqing, wuqing, period):
    rows = {row["zone"].code: row for row in selectors.verification_gaps(period, [xiqing, wuqing])}
    assert rows["xiqing"]["assessed"] == 2
    assert rows["xiqing"]["reported"] == 70 and rows["xiqing"]["verified"] == 55
    assert rows["xiqing"]["gap"] == 15 and rows["xiqing"]["overstated"] == 1
    assert rows["wuqing"]["assessed"] == 0


def test_task_page_and_period_report_show_both(client, assessed, xiqing, period, manager):
    one, _two = assessed
    client.force_login(manager)
    content = client.get(one.task.get_absolute_url() + f"?period={period.pk}").content.decode()
    assert "部分完成" in content and "核定 50%，自报 80%" in content and "佐证不足" in content
    report = client.get(reverse("measures:period-report-html", args=[period.pk]) + "?zone=xiqing")
    text = report.content.decode()
    assert 'id="verification-gap"' in text and "部分完成" in text
    summary = client.get(reverse("measures:period-report-html", args=[period.pk])).content.decode()
    assert 'id="verification-gap"' in summary


def test_dashboard_shows_the_gap_beside_the_figures(client, assessed, xiqing, period, manager):
    client.force_login(manager)
    response = client.get("/", {"plan": period.plan.code, "period": period.pk})
    rows = {row["zone"].code: row for row in response.context["gaps"]}
    assert rows["xiqing"]["reported"] == 70 and rows["xiqing"]["verified"] == 55
    assert 'id="verification-gap"' in response.content.decode()
    # A view as of a day before the acceptances shows their zones with nothing assessed yet.
    day = (period.start).isoformat()
    gaps = client.get("/", {"plan": period.plan.code, "period": period.pk, "as_of": day}).context["gaps"]
    assert gaps and all(row["assessed"] == 0 for row in gaps)


def test_exports_and_api_carry_both(client, assessed, period, manager):
    import csv
    import io

    import docx
    import openpyxl

    one, _two = assessed
    client.force_login(manager)

    def export(kind):
        return reverse(f"measures:period-report-{kind}", args=[period.pk]) + "?zone=xiqing"

    response = client.get(export("csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[0]
    assert "评估完成情况" in header and "核定完成百分比" in header
    line = next(row for row in rows if row[header.index("任务编号")] == str(one.task.number))
    assert line[header.index("评估完成情况")] == "部分完成"
    assert line[header.index("核定完成百分比")] == "50"
    assert line[header.index("完成进度（%）")] == "80"
    book = openpyxl.load_workbook(io.BytesIO(client.get(export("xlsx")).content))
    sheet = book["西青经开区"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == one.task.number)
    assert row[header.index("评估完成情况")] == "部分完成" and row[header.index("核定完成百分比")] == 50
    document = docx.Document(io.BytesIO(client.get(export("docx")).content))
    line = next(p.text for p in document.paragraphs if p.text.startswith(f"{one.task.number}. "))
    assert "80%" in line and "（核定：部分完成，50%）" in line
    api = client.get(f"/api/v1/reports/{one.pk}/")
    body = json.loads(api.content)
    assert (body["percent_complete"], body["verified_percent"], body["assessment"]) == (80, 50, "partly")
    assert body["assessment_reason"] == "佐证不足"


def test_the_period_report_as_of_a_day_before_the_acceptance_shows_no_assessment(
    xiqing, period, officer, manager
):
    from measures.changes.asof import period_rows_as_of

    report = submit(tasks_of(xiqing, 1)[0], period, officer, percent=80)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    ReportEvent.objects.filter(report=report).update(at=timezone.now() - datetime.timedelta(days=2))
    services.accept_report(
        report=report,
        user=manager,
        assessment=Assessment.PARTLY,
        verified_percent=50,
        assessment_reason="佐证不足",
    )
    then = next(row for row in period_rows_as_of(manager, period, yesterday, zone=xiqing).rows if row.report)
    assert (then.report.state, then.report.assessment, then.verified_percent) == (
        ReportState.SUBMITTED,
        "",
        "",
    )
    now = next(
        row
        for row in period_rows_as_of(manager, period, timezone.localdate(), zone=xiqing).rows
        if row.report
    )
    assert (now.report.assessment, now.verified_percent) == (Assessment.PARTLY, 50)


# --------------------------------------------------------------------------- a manager's deputy


def name_managers_deputy(manager, deputy, starts_in=0):
    """`deputy` reviews for `manager` from `starts_in` days from today, for two days."""
    starts_on = timezone.localdate() + datetime.timedelta(days=starts_in)
    if starts_in <= 0:
        return services.name_deputy(
            principal=manager,
            deputy=deputy,
            starts_on=starts_on,
            ends_on=starts_on + datetime.timedelta(days=1),
            user=manager,
        )
    # A range still to come (the service would accept it too; written directly to say so plainly).
    return Deputy.objects.create(
        principal=manager,
        deputy=deputy,
        starts_on=starts_on,
        ends_on=starts_on + datetime.timedelta(days=1),
        created_at=timezone.now(),
        created_by=manager,
    )


def test_a_managers_deputy_reviews_from_the_workbench_for_the_manager(
    client, xiqing, wuqing, period, officer, manager
):
    manager.first_name, manager.last_name = "王", "处长"
    manager.save()
    deputy = make_user(Role.OFFICER, zones=[wuqing], first_name="赵", last_name="副")
    name_managers_deputy(manager, deputy)
    first, second, third = (submit(task, period, officer) for task in tasks_of(xiqing, 3))
    client.force_login(deputy)
    response = client.get(QUEUE)
    assert response.status_code == 200 and response.context["total"] == 3
    page = reverse("measures:review-report", args=[first.pk])
    response = client.get(page)
    assert response.status_code == 200 and response.context["decidable"]
    opened = first.events.get(kind=EventKind.OPENED_FOR_REVIEW)
    assert (opened.actor, opened.on_behalf_of) == (deputy, manager)
    response = client.post(page, {"action": "accept", "assessment": "largely", "version": first.version})
    assert response.status_code == 302
    accepted = first.events.get(kind=EventKind.ACCEPTED)
    assert (accepted.actor, accepted.on_behalf_of) == (deputy, manager)
    response = client.post(BATCH, {"reports": [second.pk, third.pk], "assessment": "largely"})
    assert response.status_code == 302
    rows = ReportEvent.objects.filter(report__in=[second, third], kind=EventKind.ACCEPTED)
    assert sorted((row.actor_id, row.on_behalf_of_id) for row in rows) == [(deputy.pk, manager.pk)] * 2
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    history = client.get(first.task.get_absolute_url() + f"?period={period.pk}").content.decode()
    assert f"{deputy.get_full_name()} for {manager.get_full_name()}" in history


def test_four_eyes_hold_for_a_deputy_on_the_workbench(client, xiqing, period, manager):
    # The deputy is an officer of the zone too: what they submitted they may not accept for the manager.
    deputy = make_user(Role.OFFICER, zones=[xiqing])
    name_managers_deputy(manager, deputy)
    own = submit(tasks_of(xiqing, 1)[0], period, deputy)
    client.force_login(deputy)
    page = reverse("measures:review-report", args=[own.pk])
    response = client.get(page)
    assert response.context["own"] and not response.context["decidable"]
    assert not own.events.filter(kind=EventKind.OPENED_FOR_REVIEW).exists()
    assert [row.own for row in client.get(QUEUE).context["rows"]] == [True]
    client.post(page, {"action": "accept", "assessment": "largely", "version": own.version})
    client.post(BATCH, {"reports": [own.pk], "assessment": "largely"})
    own.refresh_from_db()
    assert own.state == ReportState.SUBMITTED


def test_a_deputy_out_of_range_may_not_use_the_workbench(client, xiqing, period, officer, manager):
    # An officer of the zone reads the report's task, so the page answers 403 (not 404) to them.
    deputy = make_user(Role.OFFICER, zones=[xiqing])
    name_managers_deputy(manager, deputy, starts_in=1)
    report = submit(tasks_of(xiqing, 1)[0], period, officer)
    client.force_login(deputy)
    assert client.get(QUEUE).status_code == 403
    page = reverse("measures:review-report", args=[report.pk])
    assert client.get(page).status_code == 403
    assert client.post(BATCH, {"reports": [report.pk], "assessment": "largely"}).status_code == 403
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED and report.opened_for_review_at is None


def test_the_queues_and_dashboards_period_choices_are_in_english_in_the_english_ui(client, xiqing, manager):
    named = make_period(xiqing.plan, name="2026年第一季度")
    client.force_login(manager)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    queue = client.get(QUEUE).content.decode()
    choices = queue.split('name="period"')[1].split("</select>")[0]
    assert f'value="{named.pk}"' in choices and "Q1 2026 · " in choices and "2026年第一季度" not in choices
    dashboard = client.get(reverse("home") + f"?plan={xiqing.plan.code}").content.decode()
    choices = dashboard.split('name="period"')[1].split("</select>")[0]
    assert "Q1 2026" in choices and "2026年第一季度" not in choices
    plans = dashboard.split('name="plan"')[1].split("</select>")[0]
    assert xiqing.plan.title_en and xiqing.plan.title_en in plans
