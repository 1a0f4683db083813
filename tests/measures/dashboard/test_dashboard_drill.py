"""Every number on the dashboard opens its rows: each count links to the task list filtered to
exactly the tasks it counts, and the list's total equals the number clicked."""

import csv
import datetime
import io
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from measures.models import Milestone, Task
from tests.factories import make_agency, make_task, make_user
from tests.helpers import SESSION, drawn
from tests.measures.dashboard.test_dashboard import manager, period, reported  # noqa: F401 (fixtures)
from tests.measures.dashboard.test_dashboard_consistency import entered  # noqa: F401 (fixture)
from tests.measures.test_views import TASK_LIST

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<a class="drill" href="([^"]+)">(\d+)</a>')


@pytest.fixture
def varied(reported, manager):  # noqa: F811
    """The dashboard fixture's reports, plus a task closed off, one withdrawn after the period and
    one with a milestone overdue, so every light and every timeliness has tasks behind it."""
    now = timezone.now()
    Task.objects.filter(zone__code="xiqing", number=6).update(
        closed_at=now - datetime.timedelta(days=20), closed_by=manager
    )
    Task.objects.filter(zone__code="xiqing", number=7).update(withdrawn_at=now - datetime.timedelta(days=90))
    Milestone.objects.create(
        task=Task.objects.get(zone__code="wuqing", number=3),
        title="试点方案印发",
        due=timezone.localdate() - datetime.timedelta(days=3),
        created_by=manager,
        created_at=now,
        updated_at=now,
    )
    return reported


def drill_links(client, shown):
    """The counts' links on the dashboard and on its page of tables by category and agency."""
    query = {"plan": shown.plan.code, "period": shown.pk}
    html = client.get("/", query).content.decode()
    html += client.get(reverse("measures:dashboard-tables"), query).content.decode()
    return [(unescape(url), int(count)) for url, count in LINK.findall(html)]


def test_every_dashboard_count_equals_the_list_it_opens(client, manager, varied):  # noqa: F811
    client.force_login(manager)
    links = drill_links(client, varied)
    kinds = set()
    for url, count in links:
        query = parse_qs(urlsplit(url).query)
        assert query["period"] == [str(varied.pk)] and query["plan"] == [varied.plan.code]
        response = drawn(client, url)
        assert response.status_code == 200
        assert not response.context["filter"].form.errors, url
        assert response.context["paginator"].count == count, url
        kinds |= {name for name in ("light", "status", "reported") if name in query}
        kinds |= {f"{name}={query[name][0]}" for name in ("light", "reported") if name in query}
        kinds |= {name for name in ("zone", "category", "agency") if name in query}
    # Each kind of count on the page is among those followed, not only the easy ones.
    assert {"light", "status", "reported", "zone", "category", "agency"} <= kinds
    assert {"light=red", "light=green", "light=closed", "reported=on_time", "reported=late"} <= kinds
    assert "reported=missing" in kinds


def test_counts_of_an_open_period_equal_their_lists_too(client, manager, entered):  # noqa: F811
    """Before the deadline the unreported tasks are not yet due (grey), not missing."""
    client.force_login(manager)
    links = drill_links(client, entered)
    assert any("light=none" in url for url, _count in links)
    for url, count in links:
        response = drawn(client, url)
        assert response.context["paginator"].count == count, url
    assert response.context["period_shown"] == entered


def test_drill_filters_use_the_dashboards_rule(client, manager, varied):  # noqa: F811
    client.force_login(manager)
    base = {"plan": varied.plan.code, "period": varied.pk, "zone": "xiqing"}

    def numbers(**params):
        response = drawn(client, "/tasks/", {**base, **params})
        assert not response.context["filter"].form.errors
        return sorted(task.number for task in response.context["object_list"])

    # A draft is not reported: xiqing 5's draft counts as "not submitted", its state as a draft.
    assert 5 in numbers(status="none") and 5 not in numbers(status="on_track")
    assert numbers(state="draft") == [5]
    assert numbers(status="blocked") == [3]
    assert numbers(reported="late") == [4]
    assert numbers(light="closed") == [6]
    # Withdrawn before the period: counted nowhere, listed under no count.
    assert 7 not in numbers(status="none") + numbers(reported="missing") + numbers(light="red")
    # Closed off in the period: no longer open, so not missing either.
    assert 6 not in numbers(reported="missing")


def test_an_unknown_period_is_not_found(client, manager, varied):  # noqa: F811
    client.force_login(manager)
    response = client.get("/tasks/", {"period": 999999, "light": "red"})
    assert response.status_code == 200
    assert response.context["paginator"].count == 0


def test_drilled_task_list_query_count_does_not_grow(client, manager, varied, django_assert_num_queries):  # noqa: F811
    client.force_login(manager)
    params = {"plan": varied.plan.code, "period": varied.pk, "light": "red", "status": "none"}
    # The task list's queries, the navigation's count for a manager, and the grouped read of lights.
    queries = SESSION + TASK_LIST + 1 + 1
    with django_assert_num_queries(queries):
        before = client.get("/tasks/", params).context["paginator"].count
    zone = Task.objects.get(zone__code="xiqing", number=1).zone
    for _ in range(30):
        make_task(zone=zone, agencies=[make_agency()])
    with django_assert_num_queries(queries):
        after = client.get("/tasks/", {**params, "page": 2}).context["paginator"].count
    # Unreported past the deadline: the new tasks are red and not submitted.
    assert after == before + 30


def test_officer_drills_only_into_their_zone(client, varied):
    officer = make_user(Role.OFFICER, zones=[Task.objects.get(zone__code="xiqing", number=1).zone])
    client.force_login(officer)
    response = client.get("/tasks/", {"period": varied.pk, "status": "completed"})
    # wuqing's two completed tasks are outside the officer's zone.
    assert response.context["paginator"].count == 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_has_the_filtered_list(client, manager, varied, fmt):  # noqa: F811
    client.force_login(manager)
    params = {"plan": varied.plan.code, "period": varied.pk, "zone": "xiqing", "reported": "on_time"}
    listed = client.get("/tasks/", params).context["paginator"].count
    response = client.get(reverse("measures:task-list-export", args=[fmt]), params)
    assert response.status_code == 200
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert listed == len(rows) == 3
    assert {str(row[1]) for row in rows} == {"1", "2", "3"}


def test_export_of_an_unknown_format_is_not_found(client, manager):  # noqa: F811
    client.force_login(manager)
    assert client.get("/tasks/export.pdf").status_code == 404


def test_drilled_task_list_sends_no_list_of_ids(client, manager, varied):  # noqa: F811
    """The tasks behind a count are selected by a subquery: the largest parameter list of any
    query stays the same however many tasks match. A list of their ids (one parameter each)
    broke the list past SQLite's 32,766 parameters at 20,000 tasks."""
    client.force_login(manager)
    params = {"plan": varied.plan.code, "period": varied.pk, "reported": "missing"}

    def largest_parameter_list():
        sizes = []

        def count(execute, sql, parameters, many, context):
            sizes.append(len(parameters or ()))
            return execute(sql, parameters, many, context)

        with connection.execute_wrapper(count):
            listed = client.get("/tasks/", params).context["paginator"].count
        return listed, max(sizes)

    before, largest = largest_parameter_list()
    zone = Task.objects.get(zone__code="xiqing", number=1).zone
    for _ in range(40):
        make_task(zone=zone)
    after, largest_after = largest_parameter_list()
    assert after == before + 40
    assert largest_after == largest
