"""The dashboard's tables by category and by supporting agency, on a page of their own: who may
open it, the dashboard's link to it for the same choice, fixed queries, both languages."""

import pytest
from django.urls import reverse

from core.roles import Role
from tests.factories import make_agency, make_task, make_user
from tests.helpers import SESSION
from tests.measures.dashboard.test_dashboard import manager, period, report, reported  # noqa: F401 (fixtures)
from zones.models import Zone

pytestmark = pytest.mark.django_db

URL = reverse("measures:dashboard-tables")


def test_who_may_open_the_tables(client, reported):  # noqa: F811
    assert client.get(URL).url.startswith("/accounts/login/")
    client.force_login(make_user(Role.OFFICER, zones=[Zone.objects.get(code="xiqing")]))
    assert client.get(URL, {"plan": reported.plan.code}).status_code == 403
    client.force_login(make_user(Role.MANAGER))
    response = client.get(URL, {"plan": reported.plan.code, "period": reported.pk})
    assert response.status_code == 200
    assert response.context["period"] == reported
    html = response.content.decode()
    assert 'id="by-category"' in html and 'id="by-agency"' in html


def test_the_dashboard_links_to_the_tables_of_its_choice_and_back(client, manager, reported):  # noqa: F811
    client.force_login(manager)
    query = {"plan": reported.plan.code, "period": reported.pk, "as_of": reported.deadline.isoformat()}
    dashboard = client.get("/", query)
    assert 'id="by-agency"' not in dashboard.content.decode()
    link = dashboard.context["tables_url"]
    assert link.startswith(URL) and all(f"{key}={value}" in link for key, value in query.items())
    tables = client.get(link)
    assert tables.context["as_of"] == reported.deadline and tables.context["period"] == reported
    assert (
        tables.context["dashboard_url"].startswith("/?")
        and f"period={reported.pk}" in tables.context["dashboard_url"]
    )


def test_both_languages(client, manager, reported):  # noqa: F811
    client.force_login(manager)
    query = {"plan": reported.plan.code}
    assert "按任务类别和支持单位" in client.get(URL, query, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert (
        "By category and by supporting agency"
        in client.get(URL, query, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    assert (
        "查看按任务类别和支持单位的统计表"
        in client.get("/", query, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    )


def test_the_tables_queries_do_not_grow(client, manager, reported, django_assert_num_queries):  # noqa: F811
    client.force_login(manager)
    query = {"plan": reported.plan.code, "period": reported.pk}
    client.get(URL, query)  # remembers the plan chosen (a session write)
    # access, plans, the plan's periods, the tasks grouped by zone and category, the categories,
    # the tasks grouped by agency, the agencies, the navigation's count of open major matters.
    with django_assert_num_queries(SESSION + 8):
        client.get(URL, query)
    zone = Zone.objects.get(code="ziya")
    officer = make_user(Role.OFFICER, zones=[zone])
    for _ in range(10):
        report(make_task(zone=zone, agencies=[make_agency()]), reported, officer)
    with django_assert_num_queries(SESSION + 8):
        assert client.get(URL, query).status_code == 200
