"""Who goes silent: per officer and agency, for managers only; a fixed number of queries."""

import datetime

import pytest
from django.urls import reverse

from core.roles import Role
from measures import services
from measures.choices import TaskStatus
from measures.dashboard.silence import silence
from measures.models import ReportingPeriod
from tests.factories import make_agency, make_category, make_task, make_user, make_zone

pytestmark = pytest.mark.django_db
URL = reverse("measures:silence")


@pytest.fixture
def world():
    zone = make_zone()
    other = make_zone(plan=zone.plan)
    agency = make_agency()
    category = make_category(zone)
    tasks = [make_task(zone=zone, category=category, agencies=[agency]) for _ in range(4)]
    make_task(zone=other, category=make_category(other))
    period = ReportingPeriod.objects.create(
        plan=zone.plan,
        name="Q3",
        start=datetime.date(2026, 7, 1),
        end=datetime.date(2026, 9, 30),
        deadline=datetime.date(2026, 10, 10),
    )
    busy = make_user(Role.OFFICER, zones=[zone], first_name="勤", last_name="王")
    quiet = make_user(Role.OFFICER, zones=[other], first_name="默", last_name="赵")
    manager = make_user(Role.MANAGER)
    return locals()


def submit(task, period, officer):
    data = {"status": TaskStatus.ON_TRACK, "percent_complete": 10, "progress": "推进"}
    report = services.save_report(task=task, period=period, user=officer, data=data)
    return services.submit_report(report=report, user=officer)


def test_the_numbers(world):
    w = world
    for task in w["tasks"][:3]:
        submit(
            task, w["period"], w["busy"]
        )  # submitted today, after the deadline (the test's clock is today)
    request = services.ask_agency(task=w["tasks"][0], user=w["busy"], agency=w["agency"], question="请协调")
    liaison = make_user(Role.LIAISON, agency=w["agency"])
    services.answer_request(request=request, user=liaison, answer="好")
    services.ask_agency(task=w["tasks"][1], user=w["busy"], agency=w["agency"], question="再请协调")
    # Requests count by the span of the periods: stretch it to include today's.
    ReportingPeriod.objects.filter(pk=w["period"].pk).update(end=datetime.date(2099, 1, 1))
    today = datetime.date.today() + datetime.timedelta(days=1)
    if today <= w["period"].deadline:
        pytest.skip("the period must have lapsed")
    data = silence(plan=w["zone"].plan, periods=list(ReportingPeriod.objects.all()), today=today)
    rows = {row["name"]: row for row in data["officers"]}
    busy, quiet = rows["王勤"], rows["赵默"]
    assert (busy["owed"], busy["submitted"], quiet["owed"], quiet["submitted"]) == (4, 3, 1, 0)
    assert busy["on_time_rate"] == 0 and quiet["on_time_rate"] == 0  # everything came late
    assert quiet["average_days_late"] == (today - w["period"].deadline).days
    (agency,) = data["agencies"]
    assert (agency["received"], agency["answered"], agency["answer_rate"]) == (2, 1, 50)
    assert agency["median_days"] is not None and agency["median_days"] < 1
    assert data["officers"][0]["name"] in ("王勤", "赵默")


def test_only_managers_see_it_in_a_fixed_number_of_queries(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client.get(URL).status_code == 302
    client.force_login(world["busy"])
    assert client.get(URL).status_code == 403
    client.force_login(world["manager"])
    query = {"plan": world["zone"].plan.code}
    with CaptureQueriesContext(connection) as before:
        response = client.get(URL, query)
    assert response.status_code == 200
    for task in world["tasks"]:
        submit(task, world["period"], world["busy"])
    make_user(Role.OFFICER, zones=[world["other"]])
    with CaptureQueriesContext(connection) as after:
        client.get(URL, query)
    assert len(after) == len(before) <= 17  # +1: the steps of items assigned to agencies
    assert "赵默" in response.content.decode()
    bad = client.get(URL, {"plan": world["zone"].plan.code, "since": "999999"})
    assert bad.status_code == 200 and "alert-error" in bad.content.decode()


def test_periods_before_tracking_started_are_not_counted(world):
    """Owed periods only (issue 14, item 10): a fresh install does not show everyone as silent."""
    w = world
    plan = w["zone"].plan
    plan.tracking_start = w["period"].deadline + datetime.timedelta(days=1)
    plan.save(update_fields=["tracking_start"])
    today = w["period"].deadline + datetime.timedelta(days=30)
    result = silence(plan=plan, periods=[w["period"]], today=today)
    assert result["periods"] == [] and result["officers"] == []


def test_zone_and_agency_names_read_in_the_users_language(client, world):
    zone, agency = world["zone"], world["agency"]
    type(zone).objects.filter(pk=zone.pk).update(name="西青经开区", name_en="Xiqing ETDZ")
    type(agency).objects.filter(pk=agency.pk).update(name="市商务委", name_en="Municipal Commerce Commission")
    services.ask_agency(task=world["tasks"][0], user=world["busy"], agency=agency, question="请协调")
    # Requests count by the span of the periods: stretch it to include today's.
    ReportingPeriod.objects.filter(pk=world["period"].pk).update(end=datetime.date(2099, 1, 1))
    client.force_login(world["manager"])
    query = {"plan": zone.plan.code}
    zh = client.get(URL, query, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "西青经开区" in zh and "市商务委" in zh
    client.post("/i18n/setlang/", {"language": "en", "next": URL})
    en = client.get(URL, query).content.decode()
    assert "Xiqing ETDZ" in en and "Municipal Commerce Commission" in en
    assert "西青经开区" not in en and "市商务委" not in en


def test_the_page_shows_the_last_year_unless_asked_for_more(client, world):
    """Without a first period the page counts the last four owed periods (every period since the plan
    began read all its reports: 7 s at 20,000 tasks); choosing a first period widens it, and the
    figures are silence()'s for the periods shown."""
    from tests.factories import make_period

    plan = world["zone"].plan
    periods = [
        world["period"],
        *(make_period(plan, day=world["period"].start, shift=-k) for k in range(1, 6)),
    ]
    for period in periods[:3]:
        submit(world["tasks"][0], period, world["busy"])
    owed = sorted(periods, key=lambda p: p.start)
    client.force_login(world["manager"])
    page = client.get(URL, {"plan": plan.code})
    assert page.context["periods"] == owed[-4:] and page.context["recent_only"] == 4
    expected = silence(plan=plan, periods=owed[-4:])["officers"]
    assert page.context["officers"] == expected and expected[0]["owed"] > 0
    assert 'id="recent-only"' in page.content.decode()
    wider = client.get(URL, {"plan": plan.code, "since": owed[0].pk})
    assert wider.context["periods"] == owed and "recent_only" not in wider.context
    assert wider.context["officers"] == silence(plan=plan, periods=owed)["officers"]
    busy = {row["name"]: row for row in wider.context["officers"]}["王勤"]
    assert busy["submitted"] == 3 and busy["owed"] == 4 * 6
