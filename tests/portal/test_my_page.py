"""/my/: what each role should act on now, and a query count that does not grow with the rows."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from indicators import services as indicator_services
from indicators.models import Dimension, Indicator
from measures import services
from measures.choices import ReportState, TaskStatus
from measures.models import ReportingPeriod, Task
from tests.factories import (
    CLOSE_OFF_LINK,
    make_period,
    make_task,
    make_user,
    save_report_as,
    submit_report_as,
)
from tests.helpers import SESSION
from zones.models import Agency, Zone

pytestmark = pytest.mark.django_db

MY = reverse("measures:my")

# Every field given, 30 % (tests.factories.report_data).
REPORT = {"percent_complete": 30}


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
def officer(xiqing):
    return make_user(Role.OFFICER, zones=[xiqing])


@pytest.fixture
def wuqing_officer(wuqing):
    return make_user(Role.OFFICER, zones=[wuqing])


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


@pytest.fixture
def customs():
    return Agency.objects.get(name="天津海关")


def task(zone, number):
    return Task.objects.get(zone__code=zone, number=number)


def draft(task, period, user, **data):
    return save_report_as(task, period, user, **{**REPORT, **data})


def submitted(task, period, user, **data):
    return submit_report_as(task, period, user, **{**REPORT, **data})


def overdue(days=5):
    return timezone.localdate() - datetime.timedelta(days=days)


@pytest.fixture
def world(xiqing, period, officer, wuqing_officer, manager, customs):
    """Xiqing: task 1 submitted, 2 returned, 3 draft, 4 closed off, the rest untouched; wuqing
    task 1 submitted. Milestones and requests of every kind, in both zones."""
    x1, x2, x3, x4, x5 = (task("xiqing", n) for n in range(1, 6))
    w1 = task("wuqing", 1)
    industry = Agency.objects.get(name="市工业和信息化局")
    # A wuqing task customs supports, so the liaison's list spans zones.
    w_customs = (
        Task.objects.filter(zone__code="wuqing", agency_links__agency=customs).order_by("number").first()
    )

    submitted(x1, period, officer)
    returned = submitted(x2, period, officer)
    services.return_report(report=returned, user=manager, note="请补充数据")
    draft(x3, period, officer)
    # Due at its end, so it is not still "current" in the first days of this quarter.
    previous = make_period(xiqing.plan, shift=-1, grace=0)
    services.add_milestone(
        confirm_past=True, task=x4, user=officer, title="关闭任务的逾期节点", due=overdue()
    )
    closing = submitted(x4, previous, officer, status=TaskStatus.COMPLETED, percent_complete=100)
    services.accept_report(report=closing, user=manager)
    services.close_task(url=CLOSE_OFF_LINK, task=x4, user=manager)
    submitted(w1, period, wuqing_officer)

    late = services.add_milestone(
        confirm_past=True, task=x3, user=officer, title="西青逾期节点", due=overdue()
    )
    done = services.add_milestone(
        confirm_past=True, task=x5, user=officer, title="已完成节点", due=overdue(10)
    )
    services.complete_milestone(milestone=done, user=officer)
    services.add_milestone(
        confirm_past=True,
        task=x5,
        user=officer,
        title="未来节点",
        due=timezone.localdate() + datetime.timedelta(days=20),
    )
    services.add_milestone(
        confirm_past=True, task=w1, user=wuqing_officer, title="武清逾期节点", due=overdue()
    )

    liaison = make_user(Role.LIAISON, agency=customs)
    open_customs = services.ask_agency(task=x1, user=officer, agency=customs, question="西青问海关")
    answered_industry = services.ask_agency(task=x1, user=officer, agency=industry, question="西青问工信")
    services.answer_request(request=answered_industry, user=make_user(Role.ADMINISTRATOR), answer="已答复")
    closed = services.ask_agency(task=x1, user=officer, agency=customs, question="已关闭的请求")
    services.close_request(request=closed, user=officer)
    w_agency = w1.agency_links.order_by("position").first().agency
    open_wuqing = services.ask_agency(task=w1, user=wuqing_officer, agency=w_agency, question="武清的请求")
    wuqing_customs = services.ask_agency(
        task=w_customs, user=make_user(Role.ADMINISTRATOR), agency=customs, question="武清问海关"
    )
    return {
        "liaison": liaison,
        "late": late,
        "open_customs": open_customs,
        "answered_industry": answered_industry,
        "open_wuqing": open_wuqing,
        "wuqing_customs": wuqing_customs,
    }


def section(html, anchor):
    """The HTML of one <section id=anchor>, or None when the page has no such section."""
    marker = f'id="{anchor}"'
    if marker not in html:
        return None
    return html.split(marker, 1)[1].split("</section>", 1)[0]


def test_officer_sees_their_zones_work_returned_first(client, world, officer, period):
    client.force_login(officer)
    response = client.get(MY)
    assert response.status_code == 200
    context, html = response.context, response.content.decode()

    expected = Task.objects.filter(zone__code="xiqing", closed_at__isnull=True).exclude(number__in=[1, 2])
    assert [t.number for t in context["to_report"]] == sorted(expected.values_list("number", flat=True))
    assert 3 in [t.number for t in context["to_report"]]  # a draft still has to be reported
    assert [t.number for t in context["returned"]] == [2]
    assert html.index('id="returned"') < html.index('id="to-report"')
    assert f"/zones/xiqing/tasks/2/?period={period.pk}#report" in section(html, "returned")
    to_report = section(html, "to-report")
    assert "/zones/xiqing/tasks/3/" in to_report and "/zones/xiqing/tasks/1/" not in to_report
    assert "/zones/wuqing/" not in html

    assert [m.title for m in context["overdue_milestones"]] == ["西青逾期节点"]
    assert "西青逾期节点" in section(html, "overdue")
    assert {r.question for r in context["requests"]} == {"西青问海关", "西青问工信"}
    assert "西青问海关" in section(html, "requests") and "已关闭的请求" not in html
    assert section(html, "awaiting-review") is None


def test_liaison_sees_the_requests_to_their_agency(client, world):
    client.force_login(world["liaison"])
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.get(MY)
    html = response.content.decode()
    assert {r.question for r in response.context["requests"]} == {"西青问海关", "武清问海关"}
    requests = section(html, "requests")
    assert "Requests to your agency" in requests
    assert "西青问海关" in requests and "武清问海关" in requests
    assert "西青问工信" not in html and "已关闭的请求" not in html
    # Liaisons do not report: no report or milestone lists, and nothing is "returned" to them.
    assert section(html, "to-report") is None and section(html, "overdue") is None
    assert response.context["returned"] == [] and response.context["to_report"] == []


def test_manager_sees_what_awaits_review(client, world, manager):
    client.force_login(manager)
    response = client.get(MY)
    html = response.content.decode()
    awaiting = response.context["awaiting_review"]
    assert [(r.task.zone.code, r.task.number) for r in awaiting] == [("xiqing", 1), ("wuqing", 1)]
    assert all(r.state == ReportState.SUBMITTED for r in awaiting)
    listed = section(html, "awaiting-review")
    assert "/zones/xiqing/tasks/1/" in listed and "/zones/wuqing/tasks/1/" in listed
    assert "/zones/xiqing/tasks/2/" not in listed  # returned, not awaiting
    assert {r.question for r in response.context["requests"]} == {
        "西青问海关",
        "西青问工信",
        "武清的请求",
        "武清问海关",
    }


def test_user_without_a_role_is_told_so(client):
    client.force_login(make_user())
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.get(MY)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Your account has no role yet." in html
    for anchor in ("returned", "awaiting-review", "to-report", "overdue", "requests", "all-tasks"):
        assert section(html, anchor) is None
    assert response.context["tasks"] == []


def test_officer_with_a_role_sees_no_missing_role_notice(client, officer):
    client.force_login(officer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert "Your account has no role yet." not in client.get(MY).content.decode()


# --- query counts -----------------------------------------------------------------------------


def grow(xiqing, period, officer, manager, customs, n):
    """More tasks, reports in every state, overdue milestones and open requests."""
    for k in range(n):
        new = make_task(zone=xiqing, category=task("xiqing", 1).category, agencies=[customs])
        report = submitted(new, period, officer)
        if k % 2:
            services.return_report(report=report, user=manager, note="退回")
        services.add_milestone(
            confirm_past=True, task=new, user=officer, title=f"逾期{k}", due=overdue(k + 1)
        )
        services.ask_agency(task=new, user=officer, agency=customs, question=f"请求{k}")
        services.raise_matter(zone=xiqing, task=new, user=officer, title=f"重大事项{k}", description="说明")
        if k % 2:
            returned_indicator_value(xiqing, period, officer, manager, f"指标{k}")


# Whatever the rows: the user's access and the current periods; then for officers the visible
# tasks (with report and overdue-milestone subqueries), overdue milestones,
# open requests, and the past-deadline periods with the reports done in them; for managers the oldest reports awaiting review and open requests (managers
# get no task list: the dashboard covers it, and at 20,000 tasks this page must stay small).
# Both then read the major matters not yet closed (one query: officer 8 → 9), and
# managers also the count of unanswered matters for the badge in the navigation (4 → 6).
# Officers also read the indicator values returned to their zones (one query: 9 → 10).
# Everyone reads their unread notices that need action (one query: officer 11, manager 7); the
# reminders and chases sent to an officer are among them (notifications), not a query of their own.
# Officers also read the indicator values due this period: their zones, the plans' entered
# indicators and the values already submitted (three queries: 11 → 14).
# Officers also read the open items stocktake meetings assigned to their zones (one query: 14 → 15).
# The tasks' agency links are no longer read (15 → 14): the page never showed them, and the task
# list, which does, reads them per page since f4c6239.
@pytest.mark.parametrize(("who", "queries"), [("officer", 14), ("manager", 7)])
def test_my_page_query_count_does_not_grow(
    client, world, xiqing, period, officer, manager, customs, django_assert_num_queries, who, queries
):
    user = {"officer": officer, "manager": manager}[who]
    client.force_login(user)
    with django_assert_num_queries(SESSION + queries):
        first = client.get(MY)
    grow(xiqing, period, officer, manager, customs, 6)
    with django_assert_num_queries(SESSION + queries):
        second = client.get(MY)
    # The same queries over more rows.
    assert len(second.context["requests"]) == len(first.context["requests"]) + 6
    assert len(second.context["matters"]) == len(first.context["matters"]) + 6
    if who == "officer":
        # Three of the new reports were returned: a notice each, needing the officer's action.
        assert len(second.context["notices"]) == len(first.context["notices"]) + 3
        assert len(second.context["tasks"]) == len(first.context["tasks"]) + 6
        assert len(second.context["overdue_milestones"]) == len(first.context["overdue_milestones"]) + 6
        assert len(second.context["returned"]) == len(first.context["returned"]) + 3
        assert len(second.context["returned_values"]) == len(first.context["returned_values"]) + 3
    else:
        assert second.context["tasks"] == []
        assert len(second.context["awaiting_review"]) == len(first.context["awaiting_review"]) + 3


def test_officer_sees_reports_still_owed_for_earlier_periods(client):
    import datetime as dt

    from django.utils import timezone

    from core.roles import Role
    from measures import services
    from measures.models import Task
    from tests.factories import make_user
    from zones.models import Plan, Zone

    today = timezone.localdate()
    plan = Plan.objects.get(code="second-batch")
    past = ReportingPeriod.objects.create(
        plan=plan,
        name="上期",
        start=today - dt.timedelta(days=120),
        end=today - dt.timedelta(days=40),
        deadline=today - dt.timedelta(days=25),
    )
    ReportingPeriod.objects.create(
        plan=plan,
        name="更早且已锁定",
        start=today - dt.timedelta(days=240),
        end=today - dt.timedelta(days=150),
        deadline=today - dt.timedelta(days=130),
        locked_at=timezone.now(),
    )
    ziya = Zone.objects.get(code="ziya")
    officer = make_user(Role.OFFICER, zones=[ziya])
    task = Task.objects.get(zone=ziya, number=1)
    report = services.save_report(
        task=task,
        period=past,
        user=officer,
        data={"status": "on_track", "percent_complete": 10, "progress": "推进"},
    )
    services.submit_report(report=report, user=officer)
    client.force_login(officer)
    owed = client.get("/my/").context["overdue_periods"]
    # Only the open past period; every open ziya task but the one submitted.
    assert [period for period, _tasks in owed] == [past]
    assert {t.number for t in owed[0][1]} == set(range(2, Task.objects.filter(zone=ziya).count() + 1))


def test_officer_sees_only_the_periods_of_their_own_plan(client, xiqing, officer, period, manager):
    other_zone = make_task().zone  # a zone of another plan, with a task and a current period
    other = make_period(other_zone.plan)
    client.force_login(officer)
    page = client.get("/my/").content.decode()
    assert reverse("measures:bulk-upload", args=[period.pk]) in page
    assert reverse("measures:bulk-upload", args=[other.pk]) not in page
    assert page.count(f"<strong>{period.name}</strong>") == 1
    # Managers see every plan's current period, each named by its plan.
    client.force_login(manager)
    page = client.get("/my/").content.decode()
    assert xiqing.plan.title in page and other_zone.plan.title in page


def returned_indicator_value(zone, period, officer, manager, name, note="口径不符"):
    dimension = Dimension.objects.get_or_create(plan=zone.plan, name="开放水平")[0]
    indicator = Indicator.objects.create(
        plan=zone.plan, dimension=dimension, code=f"ind-{Indicator.objects.count()}", name=name, unit="亿元"
    )
    value = indicator_services.save_value(
        indicator=indicator, zone=zone, period=period, user=officer, data={"value": "3", "source": "统计局"}
    )
    value = indicator_services.submit_value(value=value, user=officer)
    return indicator_services.return_value(value=value, user=manager, note=note)


def test_officer_sees_indicator_values_returned_to_their_zone(
    client, xiqing, wuqing, period, officer, wuqing_officer, manager
):
    value = returned_indicator_value(xiqing, period, officer, manager, "进出口总额", note="请附海关数据")
    returned_indicator_value(wuqing, period, wuqing_officer, manager, "武清的指标")
    client.force_login(officer)
    html = client.get(MY).content.decode()
    returned = section(html, "returned-indicator-values")
    assert "进出口总额" in returned and "请附海关数据" in returned
    assert value.get_absolute_url() in returned
    # Not returned to this zone; the indicator is the plan's, so it is due from 西青 too.
    assert "武清的指标" not in returned
    assert "武清的指标" in section(html, "indicator-values-due")
    client.force_login(manager)
    assert section(client.get(MY).content.decode(), "returned-indicator-values") is None
