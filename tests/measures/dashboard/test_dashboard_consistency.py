"""The dashboard gives one figure per question: the ranking, the KPI and the chart across
periods agree on average completion; drafts count as not submitted; the 待审核 card links to
a list of exactly what it counted; before the deadline nothing is drawn as missing."""

import datetime
import re

import pytest
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import ReportState, TaskStatus
from measures.models import ProgressReport, ReportingPeriod, Task
from tests.factories import CLOSE_OFF_LINK, make_user
from zones.models import Plan, Zone

pytestmark = pytest.mark.django_db
SUBMITTED = [ReportState.SUBMITTED, ReportState.ACCEPTED]


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


def current_period(plan_code="second-batch"):
    """Today falls in it and its deadline is ahead, as on the reviewer's day."""
    today = timezone.localdate()
    return ReportingPeriod.objects.create(
        plan=Plan.objects.get(code=plan_code),
        name="2026年第四季度",
        start=today - datetime.timedelta(days=50),
        end=today + datetime.timedelta(days=40),
        deadline=today + datetime.timedelta(days=55),
    )


def save(task, period, officer, status, percent):
    data = {"status": status, "percent_complete": percent, "progress": "推进中。", "problems": "无"}
    return services.save_report(task=task, period=period, user=officer, data=data)


@pytest.fixture
def entered(manager):
    """The reviewer's entries for xiqing: 1 delayed 40% accepted; 2 a draft at 90%; 3 on track
    60% submitted (awaiting review); 7 completed, accepted and closed off; wuqing 1 submitted."""
    period = current_period()
    officer = make_user(Role.OFFICER, zones=[Zone.objects.get(code="xiqing")])
    xiqing = {n: Task.objects.get(zone__code="xiqing", number=n) for n in (1, 2, 3, 7)}
    first = services.submit_report(
        report=save(xiqing[1], period, officer, TaskStatus.DELAYED, 40), user=officer
    )
    services.accept_report(report=first, user=manager)
    save(xiqing[2], period, officer, TaskStatus.DELAYED, 90)
    services.submit_report(report=save(xiqing[3], period, officer, TaskStatus.ON_TRACK, 60), user=officer)
    seventh = services.submit_report(
        report=save(xiqing[7], period, officer, TaskStatus.COMPLETED, 100), user=officer
    )
    services.accept_report(report=seventh, user=manager)
    services.close_task(url=CLOSE_OFF_LINK, task=xiqing[7], user=manager)
    wuqing_officer = make_user(Role.OFFICER, zones=[Zone.objects.get(code="wuqing")])
    services.submit_report(
        report=save(
            Task.objects.get(zone__code="wuqing", number=1), period, wuqing_officer, TaskStatus.ON_TRACK, 20
        ),
        user=wuqing_officer,
    )
    return period


def zone_row(context, code):
    return next(row for row in context["zones"] if row["zone"].code == code)


def test_one_average_completion_for_a_zone_and_period(client, manager, entered):
    client.force_login(manager)
    response = client.get("/", {"plan": "second-batch", "period": entered.pk})
    context = response.context
    xiqing = zone_row(context, "xiqing")["tally"]
    open_tasks = Task.objects.filter(zone__code="xiqing", closed_at__isnull=True).count()
    assert open_tasks == 11
    # Submitted reports of open tasks only: 40 + 60; not the draft's 90, not the closed task's 100.
    # Before the deadline the nine tasks not reported yet are not yet due, not 0 %: the average
    # and the score are over the two reported.
    assert xiqing.due == xiqing.reported == 2
    assert xiqing.average_percent == round((40 + 60) / 2) == 50
    assert xiqing.score == round(50 * 2 / 2 + 50 * (100 / 2) / 100, 1) == 75
    series = next(s for s in context["history"]["series"] if s["zone"].code == "xiqing")
    point = next(p for p in series["points"] if p["period"] == entered)
    assert point["average"] == xiqing.average_percent
    assert point["score"] == xiqing.score and point["open"] == xiqing.open and point["due"] == xiqing.due
    ranked = next(row for row in context["ranking"] if row["zone"].code == "xiqing")
    assert ranked["tally"].average_percent == xiqing.average_percent
    # The chart draws the same number, and the page writes the rule down.
    chart = next(
        s for s in context["chart_data"]["progress"]["series"] if s["label"] == series["zone"].short_name
    )
    assert chart["values"][-1] == xiqing.average_percent
    assert 'id="completion-rule"' in response.content.decode()


def test_once_the_deadline_has_passed_every_open_task_is_due(client, manager, entered):
    ReportingPeriod.objects.filter(pk=entered.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    client.force_login(manager)
    context = client.get("/", {"plan": "second-batch", "period": entered.pk}).context
    xiqing = zone_row(context, "xiqing")["tally"]
    assert xiqing.due == xiqing.open == 11
    assert xiqing.average_percent == round((40 + 60) / 11) == 9
    series = next(s for s in context["history"]["series"] if s["zone"].code == "xiqing")
    point = next(p for p in series["points"] if p["period"].pk == entered.pk)
    assert (point["average"], point["score"], point["due"]) == (9, xiqing.score, 11)


def test_statuses_count_submitted_reports_only(client, manager, entered):
    client.force_login(manager)
    context = client.get("/", {"plan": "second-batch", "period": entered.pk}).context
    total = context["total"]
    submitted = ProgressReport.objects.filter(period=entered, state__in=SUBMITTED)
    with_status = sum(count for status, count in total.statuses() if status != "none")
    assert with_status == submitted.count() == 4
    # The draft's 滞后 is not a status (only task 1's accepted one is); the status table and the
    # reporting table agree.
    assert total.by_status[TaskStatus.DELAYED] == 1
    xiqing = zone_row(context, "xiqing")["tally"]
    assert xiqing.by_status["none"] == 12 - 3
    assert xiqing.open - xiqing.reported == xiqing.missing == 9


def test_review_card_links_to_the_list_it_counts(client, manager, entered, django_assert_num_queries):
    # A submitted report of the other plan's period and of an earlier period: not this card's.
    earlier = ReportingPeriod.objects.create(
        plan=entered.plan,
        name="上期",
        start=entered.start - datetime.timedelta(days=90),
        end=entered.start - datetime.timedelta(days=1),
        deadline=entered.start,
    )
    officer = make_user(Role.OFFICER, zones=[Zone.objects.get(code="beichen")])
    services.submit_report(
        report=save(
            Task.objects.get(zone__code="beichen", number=1), earlier, officer, TaskStatus.ON_TRACK, 10
        ),
        user=officer,
    )
    client.force_login(manager)
    response = client.get("/", {"plan": "second-batch", "period": entered.pk})
    count = response.context["awaiting_review"]
    assert count == ProgressReport.objects.filter(period=entered, state=ReportState.SUBMITTED).count() == 2
    link = re.search(r'href="([^"]+)" id="kpi-review"', response.content.decode())[1].replace("&amp;", "&")
    assert link == f"/my/?period={entered.pk}#awaiting-review"
    queue = client.get(link.split("#")[0])
    listed = queue.context["awaiting_review"]
    assert len(listed) == count and {r.period_id for r in listed} == {entered.pk}
    assert 'id="review-filter"' in queue.content.decode()
    # Unfiltered, the queue still lists every period's.
    assert len(client.get("/my/").context["awaiting_review"]) == 3
    # The filter costs one query (the period), whatever the number of reports.
    with django_assert_num_queries(_queries(client, "/my/") + 1):
        client.get(link.split("#")[0])


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured)


def test_not_yet_due_is_not_drawn_as_missing(client, manager, entered):
    client.force_login(manager)
    response = client.get("/", {"plan": "second-batch", "period": entered.pk})
    unsent = response.context["chart_data"]["reporting"][-1]
    assert str(unsent["label"]) == "未到期" and unsent["colour"] != "--light-red"
    html = response.content.decode()
    assert 'class="num flag"' not in html.split('id="reporting-rate"')[1].split("</section>")[0]
    # Once the deadline has passed, the same tasks are missing, in red.
    ReportingPeriod.objects.filter(pk=entered.pk).update(
        end=timezone.localdate() - datetime.timedelta(days=5),
        deadline=timezone.localdate() - datetime.timedelta(days=1),
    )
    unsent = client.get("/", {"plan": "second-batch", "period": entered.pk}).context["chart_data"][
        "reporting"
    ][-1]
    assert str(unsent["label"]) == "未报送" and unsent["colour"] == "--light-red"
