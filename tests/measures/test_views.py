"""Task list and task page."""

import pytest

from measures.models import Task
from tests.factories import make_agency, make_task, make_user, make_zone
from zones.models import Agency
from zones.roles import Role

pytestmark = pytest.mark.django_db
SESSION = 2


@pytest.fixture
def client_in(client):
    client.force_login(make_user(Role.MANAGER))
    return client


def test_task_page_shows_full_text_agencies_and_reference(client_in):
    response = client_in.get("/zones/xiqing/tasks/8/")
    assert response.status_code == 200
    html = response.content.decode()
    task = Task.objects.get(zone__code="xiqing", number=8)
    assert task.text in html
    assert "附件1 二（四）第8项" in html
    assert html.index("市科技局") < html.index("市公安局出入境管理局")


def test_task_page_query_count(client_in, django_assert_num_queries):
    # access (roles and zones), task (with zone, plan, category), agency links, the plan's
    # periods, milestones, coordination requests, history, sibling numbers, and (a manager)
    # the navigation's count of unanswered major matters (managers only)
    with django_assert_num_queries(SESSION + 9):
        client_in.get("/zones/xiqing/tasks/8/")


def test_unknown_task_is_404(client_in):
    assert client_in.get("/zones/xiqing/tasks/99/").status_code == 404
    assert client_in.get("/zones/nowhere/tasks/1/").status_code == 404


def test_task_list_paginates_all_58_tasks(client_in):
    response = client_in.get("/tasks/")
    assert response.status_code == 200
    assert response.context["paginator"].count == 58
    assert len(response.context["tasks"]) == 25
    page3 = client_in.get("/tasks/", {"page": 3})
    assert len(page3.context["tasks"]) == 8


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"zone": "ziya"}, 16),
        ({"q": "保税"}, None),
        ({"q": "保税", "zone": "dongli"}, None),
        ({"agency": "CUSTOMS"}, None),
        ({"q": "12"}, 3),
    ],
)
def test_task_list_filters(client_in, params, expected):
    customs = Agency.objects.get(name="天津海关")
    params = {key: (customs.pk if value == "CUSTOMS" else value) for key, value in params.items()}
    queryset = Task.objects.all()
    if "zone" in params:
        queryset = queryset.filter(zone__code=params["zone"])
    if "agency" in params:
        queryset = queryset.filter(agency_links__agency=customs)
    if "q" in params:
        from django.db.models import Q

        q = params["q"]
        condition = (
            Q(title__icontains=q)
            | Q(title_en__icontains=q)
            | Q(text__icontains=q)
            | Q(source_ref__icontains=q)
        )
        if q.isdigit():
            condition |= Q(number=int(q))
        queryset = queryset.filter(condition)
    response = client_in.get("/tasks/", params)
    assert response.status_code == 200
    count = response.context["paginator"].count
    assert count == queryset.distinct().count()
    if expected is not None:
        assert count == expected
    assert count > 0


def test_category_filter(client_in):
    task = Task.objects.get(zone__code="beichen", number=5)
    response = client_in.get("/tasks/", {"category": task.category.pk})
    numbers = sorted(t.number for t in response.context["tasks"])
    assert numbers == [5, 6]


def test_invalid_filter_value_is_reported_not_500(client_in):
    response = client_in.get("/tasks/", {"zone": "atlantis"})
    assert response.status_code == 200
    assert "alert-error" in response.content.decode()


def test_task_list_query_count_does_not_grow(client_in, django_assert_num_queries):
    # access, current periods, count, page of tasks (with report and overdue-milestone
    # subqueries), agency links, then the filter form's choices: plans, zones, categories, agencies,
    # and the navigation's count of unanswered major matters (managers only)
    with django_assert_num_queries(SESSION + 10):
        client_in.get("/tasks/")
    zone = make_zone()
    for _ in range(30):
        make_task(zone=zone, agencies=[make_agency()])
    with django_assert_num_queries(SESSION + 10):
        assert client_in.get("/tasks/", {"page": 2}).status_code == 200


@pytest.mark.parametrize("page", ["999", "abc"])
def test_out_of_range_page_shows_a_page_not_a_404(client_in, page):
    response = client_in.get("/tasks/", {"page": page})
    assert response.status_code == 200
    expected = 3 if page == "999" else 1
    assert response.context["page_obj"].number == expected


def test_not_found_page_is_the_apps_own(client_in, settings):
    settings.DEBUG = False
    response = client_in.get("/zones/xiqing/tasks/999/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.status_code == 404
    html = response.content.decode()
    assert "topbar" in html and "返回" in html


def test_zone_names_are_short_in_the_english_task_list(client_in):
    client_in.post("/i18n/setlang/", {"language": "en", "next": "/tasks/"})
    html = client_in.get("/tasks/").content.decode()
    assert "Xiqing ETDZ" in html
