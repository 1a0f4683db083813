"""Task list and task page."""

import pytest

from core.roles import Role
from measures.models import Task
from tests.factories import make_agency, make_task, make_user, make_zone
from tests.helpers import SESSION
from zones.models import Agency

pytestmark = pytest.mark.django_db


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
    # access (roles and zones), task (with zone, plan, category and the previous and next
    # task numbers), agency links, the plan's periods (none here, so no report to read),
    # milestones, coordination requests, history, and the navigation's count of what waits
    # for a manager (managers only)
    with django_assert_num_queries(SESSION + 8):
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


# The task list: access, the data version its kept content is keyed by (measures.tasks.page_cache),
# current periods, count, page of tasks (with report and overdue-milestone subqueries), agency
# links, then the filter's choices: the visible zones with their plans (plan and zone choices),
# categories, agencies; which also check the values sent. Drawn once, kept: TASK_LIST_KEPT.
TASK_LIST = 9
# Access and the data version: the rest is kept (tests/measures/tasks/test_task_list_cache.py).
TASK_LIST_KEPT = 2
# Managers (and administrators) also read the navigation's count of what waits for them.
TASK_LIST_EXTRA = {Role.MANAGER: 1, Role.ADMINISTRATOR: 1, Role.OFFICER: 0, Role.LIAISON: 0}


def test_task_list_query_count_does_not_grow(client_in, django_assert_num_queries):
    with django_assert_num_queries(SESSION + TASK_LIST + 1):
        client_in.get("/tasks/")
    zone = make_zone()
    for _ in range(30):
        make_task(zone=zone, agencies=[make_agency()])
    with django_assert_num_queries(SESSION + TASK_LIST + 1):
        assert client_in.get("/tasks/", {"page": 2}).status_code == 200


@pytest.mark.parametrize("role", list(TASK_LIST_EXTRA))
def test_task_list_with_every_filter_costs_the_same_for_every_role(client, role, django_assert_num_queries):
    task = Task.objects.get(zone__code="xiqing", number=1)
    customs = Agency.objects.get(name="天津海关")
    user = make_user(role, zones=[task.zone] if role == Role.OFFICER else [], agency=customs)
    client.force_login(user)
    params = {
        "plan": task.zone.plan.code,
        "zone": "xiqing",
        "category": task.category_id,
        "agency": customs.pk,
        "q": "",
    }
    queries = SESSION + TASK_LIST + TASK_LIST_EXTRA[role]
    assert queries <= 12
    with django_assert_num_queries(queries):
        before = client.get("/tasks/", params)
    assert not before.context["filter"].form.errors
    for _ in range(30):
        make_task(zone=task.zone, category=task.category, agencies=[customs, make_agency()])
    with django_assert_num_queries(queries):
        after = client.get("/tasks/", {**params, "page": 2})
    assert not after.context["filter"].form.errors
    assert after.context["paginator"].count == before.context["paginator"].count + 30
    # A value outside the choices is still an error on the page, not a widened list.
    # A refused filter lists nothing: no count, no page of tasks, no agency links to read.
    with django_assert_num_queries(queries - 3):
        refused = client.get("/tasks/", {**params, "category": 999999})
    assert "category" in refused.context["filter"].form.errors
    assert refused.context["paginator"].count == 0


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


# The task list's rows as the template drew them before measures.templatetags.reporting's
# task_list_rows wrote them in Python; both must give the same HTML.
ROWS_AS_TEMPLATE = """{% load i18n reporting %}{% for task in tasks %}
    <tr><td><a href="{{ task.zone.get_absolute_url }}">{{ task.zone.short_name }}</a></td><td class="num">{{ task.display_number }}</td><td class="light-col">{% light_badge task.light task.light_reasons True %}</td>
      <td><a href="{{ task.get_absolute_url }}">{{ task.display_title }}</a>{% if task.withdrawn_at %} <span class="state state-withdrawn">{% translate "Withdrawn (撤销)" %}</span>{% endif %}<div class="muted small">{{ task.source_ref }}{% if task.report_status %} · {{ task.report_status|status_label }} {{ task.report_percent }}% · {{ task.report_state|state_label }}{% endif %}</div></td>
      <td class="small">{{ task.category.display_number }} {{ task.category.display_title }}</td>
      <td>{% agency_chips task.ordered_agencies %}</td></tr>
  {% endfor %}"""  # noqa: E501


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_task_list_rows_are_those_the_template_drew(client_in, language):
    from django.template import engines
    from django.utils import timezone, translation

    from measures import services
    from tests.factories import make_period

    xiqing = Task.objects.filter(zone__code="xiqing").order_by("number")
    officer = make_user(Role.OFFICER, zones=[xiqing[0].zone])
    today = timezone.localdate()
    period = make_period(xiqing[0].zone.plan, today.year, (today.month - 1) // 3 + 1)
    data = {"status": "delayed", "percent_complete": 30, "progress": "进展", "problems": "问题<b>"}
    services.save_and_submit_report(task=xiqing[0], period=period, user=officer, data=data)
    services.save_report(task=xiqing[1], period=period, user=officer, data=data)
    Task.objects.filter(pk=xiqing[2].pk).update(withdrawn_at=timezone.now(), source_ref="附件<1> & 2")
    response = client_in.get("/tasks/", {"zone": "xiqing"}, HTTP_ACCEPT_LANGUAGE=language)
    tasks = response.context["tasks"]
    with translation.override(language):
        expected = engines["django"].from_string(ROWS_AS_TEMPLATE).render({"tasks": tasks})
    html = response.content.decode()
    assert (
        expected.count("<tr>") == len(tasks) == xiqing.count()
        and "state-withdrawn" in expected
        and "30%" in expected
    )
    assert "附件&lt;1&gt; &amp; 2" in expected
    assert "<tbody>\n  " + expected + "\n  </tbody>" in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_agency_chips_are_escaped_as_format_html_wrote_them(language):
    from django.template import engines
    from django.utils import translation
    from django.utils.html import format_html

    odd = make_agency(name="发改委<\"&'>", name_en="NDRC <\"&'>")
    plain = make_agency(name="商务局", name_en="")
    with translation.override(language):
        drawn = (
            engines["django"]
            .from_string("{% load reporting %}{% agency_chips agencies %}")
            .render({"agencies": [odd, plain, odd]})
        )
        chips = [
            format_html(
                '<li><a href="{}" title="{}">{}</a></li>',
                agency.get_absolute_url(),
                agency.name_en,
                agency.display_name,
            )
            for agency in (odd, plain, odd)
        ]
    assert "&lt;&quot;&amp;&#x27;&gt;" in drawn
    assert drawn == format_html('<ul class="chips">{}{}{}</ul>', *chips)
