"""Every form draws its fields through core/field.html, and every aria-describedby an input carries
(Django points it at <id>_helptext and <id>_error) names an element the page prints."""

import re

import pytest
from django.urls import reverse

from core.roles import Role
from measures.models import Task
from tests.factories import make_period, make_user
from tests.indicators.conftest import make_indicator

pytestmark = pytest.mark.django_db

DESCRIBED_BY = re.compile(r'aria-describedby="([^"]*)"')


def missing_ids(page):
    """(ids named by aria-describedby, those of them no element on the page carries)."""
    named = {name for value in DESCRIBED_BY.findall(page) for name in value.split()}
    return named, {name for name in named if f'id="{name}"' not in page}


@pytest.fixture
def world():
    task = Task.objects.select_related("zone").get(zone__code="xiqing", number=1)
    period = make_period(task.zone.plan)
    make_indicator(task.zone.plan)
    officer = make_user(Role.OFFICER, zones=[task.zone])
    return task, period, officer


def form_pages(task, period):
    zone = task.zone
    return [
        reverse("measures:report-edit", args=[zone.code, task.number, period.pk]),
        reverse("measures:task-detail", args=[zone.code, task.number]) + f"?period={period.pk}",
        reverse("measures:matter-create"),
        reverse("measures:outcome-create"),
        reverse("measures:adjustment-create", args=[zone.code, task.number, "text"]),
        reverse("measures:adjustment-create", args=[zone.code, task.number, "agencies"]),
        reverse("measures:adjustment-create", args=[zone.code, task.number, "milestones"]),
        reverse("indicators:enter", args=[zone.code, period.pk]),
        reverse("measures:bulk-upload", args=[period.pk]),
    ]


def test_every_described_by_id_is_on_the_page(client, world):
    task, period, officer = world
    client.force_login(officer)
    described = set()
    for url in form_pages(task, period):
        response = client.get(url)
        assert response.status_code == 200, url
        named, missing = missing_ids(response.content.decode())
        assert not missing, (url, missing)
        described |= named
    # The pages do describe fields: the check above is not vacuous.
    assert {"id_percent_complete_helptext", "id_task_helptext", "id_reason_helptext"} <= described


def test_refused_input_keeps_the_error_and_help_ids(client, world):
    task, period, officer = world
    client.force_login(officer)
    url = reverse("measures:report-edit", args=[task.zone.code, task.number, period.pk])
    response = client.post(url, {"percent_complete": "250", "status": "on_track", "save": ""})
    page = response.content.decode()
    assert response.status_code == 400
    assert 'aria-describedby="id_percent_complete_helptext id_percent_complete_error"' in page
    assert missing_ids(page)[1] == set()


def test_the_field_template_marks_wide_fields_and_errors(world):
    from measures.reporting.forms import ReportForm

    task, _, _ = world
    form = ReportForm(data={"percent_complete": "x"}, task=task)
    progress = form["progress"].as_field_group()
    assert progress.startswith('<div class="form-field wide')
    percent = form["percent_complete"].as_field_group()
    assert '<div class="form-field has-error">' in percent
    assert 'id="id_percent_complete_error"' in percent


def test_a_refused_milestone_date_names_its_error(client, world):
    task, period, officer = world
    client.force_login(officer)
    url = reverse("measures:adjustment-create", args=[task.zone.code, task.number, "milestones"])
    page = client.post(
        url, {"add_title_1": "新节点", "add_due_1": "x", "reason": "政策调整"}
    ).content.decode()
    named, missing = missing_ids(page)
    assert any(name.endswith("_error") for name in named) and not missing


def test_the_plan_import_page_names_only_ids_it_prints(client):
    client.force_login(make_user(Role.ADMINISTRATOR))
    response = client.get("/plans/import/")
    assert response.status_code == 200
    named, missing = missing_ids(response.content.decode())
    assert "id_file_helptext" in named and not missing


def list_pages(task, period):
    zone = task.zone
    return [
        "/",
        reverse("measures:my"),
        reverse("measures:task-list"),
        reverse("measures:matter-list"),
        reverse("measures:outcome-list"),
        reverse("measures:adjustment-list"),
        reverse("measures:period-list"),
        reverse("measures:period-report"),
        reverse("zones:list"),
        reverse("zones:detail", args=[zone.code]),
        reverse("zones:agency-list"),
        reverse("indicators:review"),
        reverse("indicators:scorecard", args=[zone.code]),
        reverse("notifications:list"),
        reverse("notifications:preferences"),
    ]


def test_no_select_offers_djangos_dashes(client, world):
    """Every empty choice reads the app's own words ((none), (choose), All zones ...) in the
    user's language, never Django's ---------."""
    task, period, officer = world
    manager, admin = make_user(Role.MANAGER), make_user(Role.ADMINISTRATOR)
    pages = form_pages(task, period) + list_pages(task, period)
    seen, dashed = 0, []
    for user in (officer, manager, admin):
        client.force_login(user)
        for url in pages + ["/plans/import/"]:
            response = client.get(url)
            if response.status_code != 200:
                continue
            page = response.content.decode()
            seen += page.count("<select")
            if "---------" in page:
                dashed.append((user.username, url))
    assert not dashed
    assert seen > 20
