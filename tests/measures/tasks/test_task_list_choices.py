"""The task list's filter choices are kept per process under the rows they are made of
(measures.tasks.filters): a write shows on the next request, whatever wrote it, and what was made
for one user's rows never reaches another whose visible rows differ. Its pages are picked by key
first (core.pagination.KeysFirstPaginator) and hold the rows that slicing the list would."""

import re

import pytest

from core.roles import Role
from measures.models import Task, TaskCategory
from tests.factories import make_agency, make_task, make_user, make_zone
from zones.models import Agency, Zone

pytestmark = pytest.mark.django_db


def options(html, name):
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select))


def task_list(client, **params):
    response = client.get("/tasks/", params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def manager_client(client):
    client.force_login(make_user(Role.MANAGER))
    return client


def test_a_rename_shows_on_the_next_request_in_both_languages(manager_client):
    zone = Zone.objects.get(code="xiqing")
    category = TaskCategory.objects.filter(zone=zone).first()
    agency = Agency.objects.filter(task_links__task__zone=zone).first()
    before = task_list(manager_client)
    assert options(before, "zone")["xiqing"] == zone.name
    # Queryset updates: no save(), no signal; only the rows read on the next request tell.
    Zone.objects.filter(pk=zone.pk).update(name="改名后的西青", name_en="Renamed Xiqing")
    TaskCategory.objects.filter(pk=category.pk).update(title="改名后的类别", title_en="Renamed category")
    Agency.objects.filter(pk=agency.pk).update(name="改名后的单位", name_en="Renamed agency")
    after = task_list(manager_client)
    assert options(after, "zone")["xiqing"] == "改名后的西青"
    assert options(after, "category")[str(category.pk)].endswith("改名后的类别")
    assert options(after, "agency")[str(agency.pk)] == "改名后的单位"
    manager_client.post("/i18n/setlang/", {"language": "en", "next": "/tasks/"})
    english = task_list(manager_client)
    assert options(english, "zone")["xiqing"] == "Renamed Xiqing"
    assert options(english, "category")[str(category.pk)].endswith("Renamed category")
    assert options(english, "agency")[str(agency.pk)] == "Renamed agency"
    assert "改名后的西青" not in options(english, "zone").values()


def test_new_and_deleted_choices_show_on_the_next_request(manager_client):
    task_list(manager_client)
    zone = make_zone(name="新建经开区")
    task = make_task(zone=zone, agencies=[make_agency(name="新建单位")])
    html = task_list(manager_client)
    assert options(html, "zone")[zone.code] == "新建经开区"
    assert str(task.category_id) in options(html, "category")
    assert "新建单位" in options(html, "agency").values()
    Task.objects.filter(pk=task.pk).delete()
    TaskCategory.objects.filter(pk=task.category_id).delete()
    Agency.objects.filter(name="新建单位").delete()
    html = task_list(manager_client)
    assert str(task.category_id) not in options(html, "category")
    assert "新建单位" not in options(html, "agency").values()


def test_what_a_manager_was_shown_never_reaches_an_officer_or_a_liaison(client):
    xiqing = Zone.objects.get(code="xiqing")
    client.force_login(make_user(Role.MANAGER))
    everything = task_list(client)
    assert len(options(everything, "zone")) > 2

    client.force_login(make_user(Role.OFFICER, zones=[xiqing]))
    html = task_list(client)
    assert set(options(html, "zone")) == {"", "xiqing"}
    own_categories = {str(pk) for pk in TaskCategory.objects.filter(zone=xiqing).values_list("pk", flat=True)}
    assert set(options(html, "category")) - {""} == own_categories
    own_agencies = {
        str(pk) for pk in Agency.objects.filter(task_links__task__zone=xiqing).values_list("pk", flat=True)
    }
    assert set(options(html, "agency")) - {""} == own_agencies
    # A zone or category outside the officer's scope is refused, not listed.
    foreign = TaskCategory.objects.exclude(zone=xiqing).first()
    refused = client.get("/tasks/", {"category": foreign.pk})
    assert "category" in refused.context["filter"].form.errors
    assert refused.context["paginator"].count == 0

    customs = Agency.objects.get(name="天津海关")
    client.force_login(make_user(Role.LIAISON, agency=customs))
    html = task_list(client)
    assert set(options(html, "agency")) == {"", str(customs.pk)}
    seen = set(Task.objects.filter(agency_links__agency=customs).values_list("zone__code", flat=True))
    assert set(options(html, "zone")) - {""} == seen


def test_every_page_holds_the_rows_slicing_the_list_would(manager_client):
    zone = make_zone()
    for _ in range(30):
        make_task(zone=zone)
    expected = list(
        Task.objects.order_by("zone__plan__code", "zone__annex_number", "number").values_list("pk", flat=True)
    )
    first = manager_client.get("/tasks/")
    pages = first.context["paginator"].num_pages
    assert pages >= 2
    listed = []
    for page in range(1, pages + 1):
        listed += [task.pk for task in manager_client.get("/tasks/", {"page": page}).context["tasks"]]
    assert listed == expected
    filtered = manager_client.get("/tasks/", {"zone": zone.code, "page": 2}).context["tasks"]
    assert [task.pk for task in filtered] == list(zone.tasks.order_by("number").values_list("pk", flat=True))[
        25:
    ]
