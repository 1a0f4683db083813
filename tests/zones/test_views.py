"""Zone and agency pages: sign-in required, 404s, content, and query counts pinned."""

import pytest
from django.urls import reverse

from core.roles import Role
from measures.models import Task
from tests.factories import make_agency, make_block, make_task, make_user, make_zone
from tests.helpers import SESSION
from zones.models import Agency, Zone

pytestmark = pytest.mark.django_db

# Every signed-in request costs 2 queries before the view runs: the session and the user.


@pytest.fixture
def client_in(client):
    client.force_login(make_user(Role.MANAGER))
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/zones/",
        "/zones/xiqing/",
        "/zones/xiqing/tasks/1/",
        "/tasks/",
        "/agencies/",
    ],
)
def test_anonymous_goes_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_agency_detail_needs_sign_in(client):
    agency = Agency.objects.get(name="天津海关")
    response = client.get(agency.get_absolute_url())
    assert response.status_code == 302


def test_home_is_the_dashboard_for_managers(client_in):
    response = client_in.get("/")
    assert response.status_code == 200
    assert "measures/dashboard.html" in [t.name for t in response.templates]


def test_zone_list_shows_both_areas_and_the_flag(client_in):
    response = client_in.get("/zones/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in ["西青经开区", "武清经开区", "北辰经开区", "子牙经开区", "东丽经开区"]:
        assert name in html
    assert "49.75" in html and "49.74" in html
    assert html.count("badge warn") == 1


def test_zone_list_query_count_does_not_grow(client_in, django_assert_num_queries):
    # access, zones with totals, the navigation's count of unanswered major matters (managers only)
    with django_assert_num_queries(SESSION + 3):
        client_in.get("/zones/")
    zone = make_zone()
    make_block(zone)
    make_task(zone=zone)
    with django_assert_num_queries(SESSION + 3):
        assert client_in.get("/zones/").status_code == 200


def test_zone_detail_lists_blocks_plots_and_tasks(client_in):
    html = client_in.get("/zones/dongli/").content.decode()
    assert "华明高新区" in html
    assert "北至宝能城" in html  # a 地块 boundary
    assert html.count('class="plots"') == 3
    assert "打造数据贸易创新高地" in html or "提升数字贸易能级" in html
    beichen = client_in.get("/zones/beichen/").content.decode()
    assert "alert-warn" in beichen and "49.74" in beichen


def test_zone_detail_query_count_does_not_grow(client_in, django_assert_num_queries):
    zone = make_zone()
    make_block(zone).subplots.create(number=1, boundary="东至")
    make_task(zone=zone, agencies=[make_agency()])
    # access, current periods, zone, blocks, plots, categories, tasks (with report and
    # overdue-milestone subqueries), agency links, overdue milestones, and the navigation's count of
    # unanswered major matters (managers only)
    with django_assert_num_queries(SESSION + 10):
        client_in.get(zone.get_absolute_url())
    for number in (1, 2):
        make_block(zone).subplots.create(number=number, boundary="西至")
    for _ in range(5):
        make_task(zone=zone, agencies=[make_agency(), make_agency()])
    with django_assert_num_queries(SESSION + 10):
        assert client_in.get(zone.get_absolute_url()).status_code == 200


def test_unknown_zone_is_404(client_in):
    assert client_in.get("/zones/atlantis/").status_code == 404


def test_agency_list_and_search(client_in):
    response = client_in.get("/agencies/")
    assert response.status_code == 200
    assert "市委网信办" in response.content.decode()
    # An alias finds its agency.
    html = client_in.get("/agencies/", {"q": "市网信办"}).content.decode()
    assert "市委网信办" in html and "天津海关" not in html


def test_agency_list_query_count_does_not_grow(client_in, django_assert_num_queries):
    # access, count, page of agencies, their aliases, the navigation's count of unanswered major
    # matters (managers only)
    with django_assert_num_queries(SESSION + 5):
        client_in.get("/agencies/")
    for _ in range(5):
        make_agency().aliases.create(alias=f"别名{Agency.objects.count()}")
    with django_assert_num_queries(SESSION + 5):
        client_in.get("/agencies/")


def test_agency_detail_shows_tasks_across_zones(client_in, django_assert_num_queries):
    customs = Agency.objects.get(name="天津海关")
    # access, agency, aliases, current periods, coordination requests, the tasks' count by zone, a
    # page of tasks (with report subqueries), agency links, the zone filter's choices, and the
    # navigation's count of unanswered major matters (managers only)
    with django_assert_num_queries(SESSION + 10):
        response = client_in.get(customs.get_absolute_url())
    html = response.content.decode()
    zones_with_customs = Zone.objects.filter(tasks__agency_links__agency=customs).distinct()
    assert zones_with_customs.count() == 5
    for zone in zones_with_customs:
        assert zone.name in html
    # 市网信办 (xiqing 6) and 市委网信办 (wuqing 4, dongli 8, 12) are one agency.
    cyber = Agency.objects.get(name="市委网信办")
    cyber_html = client_in.get(cyber.get_absolute_url()).content.decode()
    for title in ["构建未来产业创新生态", "赋能数据产业发展", "提升数字贸易能级"]:
        assert title in cyber_html


def test_the_agency_page_shows_a_page_of_tasks_and_links_to_all_of_them(
    client_in, monkeypatch, django_assert_num_queries
):
    from measures.zone_pages import views

    agency = make_agency()
    first, second = make_zone(), make_zone()
    made = [make_task(zone=first, agencies=[agency])]
    monkeypatch.setattr(views, "AGENCY_TASKS_PER_PAGE", 2)
    with django_assert_num_queries(SESSION + 10):
        page = client_in.get(agency.get_absolute_url())
    assert [task.pk for task in page.context["tasks"]] == [made[0].pk] and not page.context["is_paginated"]
    made += [make_task(zone=first, agencies=[agency]), make_task(zone=second, agencies=[agency])]
    with django_assert_num_queries(SESSION + 10):
        page = client_in.get(agency.get_absolute_url())
    html = page.content.decode()
    assert [task.pk for task in page.context["tasks"]] == [made[0].pk, made[1].pk]
    assert page.context["task_count"] == 3 and made[2].get_absolute_url() not in html
    link = f"{reverse('measures:task-list')}?agency={agency.pk}"
    assert link in html and 'rel="next"' in html
    # The rest on the next page, its zone's count whole; the task list holds them all.
    rest = client_in.get(agency.get_absolute_url(), {"page": 2})
    assert [task.pk for task in rest.context["tasks"]] == [made[2].pk]
    listed = client_in.get(link).content.decode()
    assert all(task.get_absolute_url() in listed for task in made)
    # A zone cut by the page says how many of its tasks it shows.
    monkeypatch.setattr(views, "AGENCY_TASKS_PER_PAGE", 1)
    assert "1 of 2" in client_in.get(agency.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_agency_pages_sorted_by_percent_or_status_hold_every_task_once(client_in, monkeypatch):
    """A page of a sorted list is picked by its order (KeysFirstPaginator): ties in it (no report,
    the same zone annex and task number in two plans) would let the database put a task on two
    pages and none on another, so the order ends on a unique key."""
    from measures.zone_pages import views

    agency = make_agency()
    made = [make_task(zone=make_zone(), agencies=[agency]) for _ in range(3)]
    monkeypatch.setattr(views, "AGENCY_TASKS_PER_PAGE", 1)
    for sort in ("percent", "-status", "zone"):
        page = client_in.get(agency.get_absolute_url(), {"sort": sort})
        tasks = page.context["page_obj"].paginator.object_list
        keys = list(tasks.values_list(*(str(field).lstrip("-") for field in tasks.query.order_by)))
        assert len(set(keys)) == len(made), sort
        shown = [
            task.pk
            for number in (1, 2, 3)
            for task in client_in.get(agency.get_absolute_url(), {"sort": sort, "page": number}).context[
                "tasks"
            ]
        ]
        assert sorted(shown) == sorted(task.pk for task in made)


def test_unknown_agency_is_404(client_in):
    assert client_in.get("/agencies/999999/").status_code == 404


def test_agency_tasks_filter_by_zone_and_status_and_sort(client_in):
    customs = Agency.objects.get(name="天津海关")
    url = customs.get_absolute_url()
    ziya = client_in.get(url, {"zone": "ziya"}).context["tasks"]
    expected = Task.objects.filter(zone__code="ziya", agency_links__agency=customs).count()
    assert len(ziya) == expected and {t.zone.code for t in ziya} == {"ziya"}
    # No period, so no task has a report: "no report" keeps them all, a status keeps none.
    assert len(client_in.get(url, {"status": "none"}).context["tasks"]) == customs.task_links.count()
    assert client_in.get(url, {"status": "blocked"}).context["tasks"] == []
    descending = client_in.get(url, {"sort": "-zone"}).context["tasks"]
    assert descending[0].zone.annex_number == 5
    bad = client_in.get(url, {"status": "nonsense"})
    assert bad.status_code == 200 and "alert-error" in bad.content.decode()
