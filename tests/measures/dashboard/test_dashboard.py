"""The managers' dashboard: numbers equal independent counts, fixed queries, who lands where."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import ReportState, TaskStatus
from measures.dashboard.selectors import zone_score
from measures.models import ProgressReport, ReportingPeriod, Task
from tests.factories import make_agency, make_task, make_user
from tests.helpers import SESSION
from zones.models import Agency, Plan, Zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def period():
    today = timezone.localdate()
    return ReportingPeriod.objects.create(
        plan=Plan.objects.get(code="second-batch"),
        name="本期",
        start=today - datetime.timedelta(days=60),
        end=today - datetime.timedelta(days=10),
        deadline=today - datetime.timedelta(days=5),
    )


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


def report(task, period, officer, *, status=TaskStatus.ON_TRACK, percent=50, submit=True, accept=False):
    saved = services.save_report(
        task=task,
        period=period,
        user=officer,
        data={"status": status, "percent_complete": percent, "progress": "推进中", "problems": "问题"},
    )
    if submit:
        saved = services.submit_report(report=saved, user=officer)
    if accept:
        saved = services.accept_report(report=saved, user=make_user(Role.MANAGER))
    return saved


@pytest.fixture
def reported(period):
    """xiqing: 3 submitted on time (one blocked), 1 late, 1 draft; wuqing: 2 accepted."""
    xiqing, wuqing = Zone.objects.get(code="xiqing"), Zone.objects.get(code="wuqing")
    xo, wo = make_user(Role.OFFICER, zones=[xiqing]), make_user(Role.OFFICER, zones=[wuqing])
    tasks = {n: Task.objects.get(zone=xiqing, number=n) for n in range(1, 6)}
    report(tasks[1], period, xo, percent=40)
    report(tasks[2], period, xo, percent=60)
    report(tasks[3], period, xo, status=TaskStatus.BLOCKED, percent=10)
    late = report(tasks[4], period, xo, percent=30)
    ProgressReport.objects.filter(pk=late.pk).update(
        submitted_at=timezone.now(), submitted_on=timezone.localdate()
    )  # after the deadline
    report(tasks[5], period, xo, percent=90, submit=False)
    for number in (1, 2):
        report(
            Task.objects.get(zone=wuqing, number=number),
            period,
            wo,
            percent=100,
            status=TaskStatus.COMPLETED,
            accept=True,
        )
    # The fixture's reports were all submitted "now", i.e. after the deadline; make the
    # on-time ones on time.
    before = timezone.make_aware(datetime.datetime.combine(period.deadline, datetime.time(9)))
    ProgressReport.objects.exclude(pk=late.pk).filter(submitted_at__isnull=False).update(
        submitted_at=before, submitted_on=period.deadline
    )
    return period


def zone_row(context, code):
    return next(row for row in context["zones"] if row["zone"].code == code)


def test_reporting_rate_and_status_equal_independent_counts(client, manager, reported):
    client.force_login(manager)
    response = client.get("/")
    assert response.status_code == 200
    context = response.context
    xiqing = zone_row(context, "xiqing")["tally"]
    open_xiqing = Task.objects.filter(zone__code="xiqing", closed_at__isnull=True).count()
    assert (xiqing.open, xiqing.on_time, xiqing.late) == (open_xiqing, 3, 1)
    assert xiqing.missing == open_xiqing - 4
    assert xiqing.by_status[TaskStatus.BLOCKED] == 1
    # The draft (task 5) is not submitted: no status of its own.
    assert xiqing.by_status["none"] == open_xiqing - 4
    wuqing = zone_row(context, "wuqing")["tally"]
    assert wuqing.on_time == 2 and wuqing.by_status[TaskStatus.COMPLETED] == 2
    total = context["total"]
    assert total.tasks == Task.objects.filter(zone__plan__code="second-batch").count() == 58
    submitted = ProgressReport.objects.filter(
        period=reported, state__in=[ReportState.SUBMITTED, ReportState.ACCEPTED]
    )
    assert total.on_time + total.late == submitted.count() == 6
    # The score follows the rule written on the page.
    percent_sum = sum(
        ProgressReport.objects.filter(
            period=reported,
            task__zone__code="xiqing",
            state__in=[ReportState.SUBMITTED, ReportState.ACCEPTED],
        ).values_list("percent_complete", flat=True)
    )
    assert xiqing.score == round(50 * 3 / open_xiqing + 50 * percent_sum / open_xiqing / 100, 1)
    assert xiqing.score == zone_score(on_time=3, open_tasks=open_xiqing, percent_sum=percent_sum)
    # Lights: one blocked (red); deadline passed, so every unsubmitted open task is red too.
    assert xiqing.by_light["red"] == 1 + (open_xiqing - 4)
    html = response.content.decode()
    assert 'id="chart-data"' in html and "chart.umd.min.js" in html


def test_agency_rows_count_each_supported_task(client, manager, reported):
    client.force_login(manager)
    context = client.get(reverse("measures:dashboard-tables")).context
    customs = Agency.objects.get(name="天津海关")
    row = next(r for r in context["agencies"] if r["agency"] == customs)
    assert row["tally"].tasks == Task.objects.filter(agency_links__agency=customs).count()


def test_dashboard_query_count_does_not_grow(client, manager, reported, django_assert_num_queries):
    client.force_login(manager)
    # access, plans, the plan's periods, tasks with report subqueries, zones, per-period
    # aggregates (the categories and agencies are on the page of tables, below), the navigation's count of unanswered major
    # matters (managers only); the comparison with the last period summed per zone and its
    # milestones per zone (measures.changes.summed_changes); the verified progress per zone
    # (measures.review). The plan's first period has no movers to rank. The first view counts
    # the chart across periods' figures and keeps them (dashboard.figures: what was kept, the
    # count, and keeping them: savepoint, upsert, release); the next reads them back.
    with django_assert_num_queries(SESSION + 10 + 4):
        client.get("/")
    with django_assert_num_queries(SESSION + 10):
        client.get("/")
    zone = Zone.objects.get(code="ziya")
    officer = make_user(Role.OFFICER, zones=[zone])
    for _ in range(10):
        task = make_task(zone=zone, agencies=[make_agency()])
        report(task, reported, officer)
    ReportingPeriod.objects.create(
        plan=reported.plan,
        name="上期",
        start=reported.start - datetime.timedelta(days=90),
        end=reported.start - datetime.timedelta(days=1),
        deadline=reported.start,
    )
    # With a period before: the movers ranked (one query; the chosen ones are read in one more
    # when there are any, and there are none without reports last period). The reports written
    # made the kept figures stale: counted and kept again, then read back.
    with django_assert_num_queries(SESSION + 11 + 4):
        assert client.get("/").status_code == 200
    with django_assert_num_queries(SESSION + 11):
        assert client.get("/").status_code == 200


def test_who_lands_where(client):
    client.force_login(make_user(Role.OFFICER, zones=[Zone.objects.get(code="ziya")]))
    assert client.get("/").url == "/my/"
    customs = Agency.objects.get(name="天津海关")
    client.force_login(make_user(Role.LIAISON, agency=customs))
    assert client.get("/").url == customs.get_absolute_url()
    client.logout()
    assert client.get("/").url.startswith("/accounts/login/")


def test_dashboard_without_periods_says_so(client, manager):
    client.force_login(manager)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "No reporting period has been defined yet." in response.content.decode()


def test_a_period_of_another_plan_falls_back_to_the_current(client, manager, reported):
    other = ReportingPeriod.objects.create(
        plan=Plan.objects.create(code="other", title="其他方案"),
        name="其他",
        start=reported.start,
        end=reported.end,
        deadline=reported.deadline,
    )
    client.force_login(manager)
    response = client.get("/", {"period": other.pk})
    assert response.status_code == 200 and response.context["period"] == reported
