"""Nothing recorded against a task reaches someone the task page answers 404 to (issue 14, item 1).

A liaison sees a zone through the tasks their agency supports; an officer of another zone sees
none of it. Each scoped list, page, selector and API list is read as those users and must not
contain a marker recorded on a task outside their scope: a milestone title (overdue, so the zone
page and /my/ list it), a report's progress text, a coordination request and a matter.
"""

import datetime

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from core.roles import Role
from measures import services
from measures.choices import OutcomeType
from measures.models import Milestone, Task, TaskAgency
from measures.scoping import visible_zones
from measures.zone_pages import selectors as zone_selectors
from tests.factories import make_user, submit_outcome_with_evidence
from tests.security.conftest import REPORT
from zones.models import Zone

pytestmark = pytest.mark.django_db

SECRET_MILESTONE = "隐秘里程碑甲"
SECRET_PROGRESS = "隐秘进展乙"
SECRET_OUTCOME_TASK_NOTE = "隐秘成果丙"


def _liaison_split(zone):
    """An agency supporting some but not all tasks of `zone`, one task it supports, one it does not."""
    tasks = list(Task.objects.filter(zone=zone).order_by("number"))
    for link in TaskAgency.objects.filter(task__zone=zone).select_related("agency").order_by("task__number"):
        supported = set(TaskAgency.objects.filter(agency=link.agency).values_list("task_id", flat=True))
        outside = [t for t in tasks if t.pk not in supported]
        if outside:
            return link.agency, link.task, outside[0]
    raise AssertionError("every agency supports every task of the zone")


@pytest.fixture
def leak(world):
    zone = world.zone
    agency, seen, hidden = _liaison_split(zone)
    officer = world.officer
    services.save_report(
        task=hidden, period=world.period, user=officer, data={**REPORT, "progress": SECRET_PROGRESS}
    )
    milestone = services.add_milestone(
        confirm_past=True,
        task=hidden,
        user=officer,
        title=SECRET_MILESTONE,
        due=world.today + datetime.timedelta(days=5),
    )
    # Overdue, so the zone page and the work lists show it; written directly because the service
    # refuses a due date in the past.
    Milestone.objects.filter(pk=milestone.pk).update(due=world.today - datetime.timedelta(days=3))
    outcome = services.create_outcome(
        zone=zone,
        user=officer,
        title="联动成果",
        description="成果说明",
        type=OutcomeType.INSTITUTIONAL,
        period=world.period,
        tasks=[hidden, seen],
    )
    submit_outcome_with_evidence(outcome=outcome, user=officer)
    liaison = make_user(Role.LIAISON, agency=agency)
    foreign = make_user(Role.OFFICER, zones=[Zone.objects.get(code="wuqing")])
    return world, agency, seen, hidden, outcome, liaison, foreign


def test_the_hidden_task_really_is_hidden_and_the_zone_visible(client, leak):
    world, _agency, seen, hidden, _outcome, liaison, _foreign = leak
    client.force_login(liaison)
    assert client.get(seen.get_absolute_url()).status_code == 200
    assert client.get(hidden.get_absolute_url()).status_code == 404
    assert client.get(reverse("zones:detail", args=[world.zone.code])).status_code == 200


def test_zone_page_lists_only_overdue_milestones_of_visible_tasks(client, leak):
    world, _agency, _seen, hidden, _outcome, liaison, _foreign = leak
    client.force_login(world.manager)
    assert SECRET_MILESTONE in client.get(reverse("zones:detail", args=[world.zone.code])).content.decode()
    client.force_login(liaison)
    page = client.get(reverse("zones:detail", args=[world.zone.code])).content.decode()
    assert SECRET_MILESTONE not in page
    zone = zone_selectors.zone_detail(liaison, world.zone.code)
    assert hidden.pk not in {m.task_id for m in zone.overdue_milestones}


PAGES = [
    lambda w, leak: reverse("zones:detail", args=[w.zone.code]),
    lambda w, leak: reverse("zones:list"),
    lambda w, leak: reverse("zones:agency-detail", args=[leak[1].pk]),
    lambda w, leak: reverse("zones:agency-list"),
    lambda w, leak: reverse("measures:my"),
    lambda w, leak: reverse("measures:task-list") + "?q=" + leak[3].title[:4],
    lambda w, leak: reverse("measures:outcome-list"),
    lambda w, leak: reverse("measures:outcome-detail", args=[leak[4].pk]),
    lambda w, leak: reverse("measures:outcome-list-xlsx", args=[w.period.pk]),
    lambda w, leak: reverse("measures:outcome-list-docx", args=[w.period.pk]),
    lambda w, leak: reverse("measures:adjustment-list"),
    lambda w, leak: reverse("measures:matter-list"),
    lambda w, leak: reverse("measures:period-report-html", args=[w.period.pk]),
    lambda w, leak: reverse("measures:period-report-csv", args=[w.period.pk]),
    lambda w, leak: reverse("indicators:scorecard", args=[w.zone.code]),
    lambda w, leak: reverse("api:task-list"),
    lambda w, leak: reverse("api:report-list"),
    lambda w, leak: reverse("api:outcome-list"),
    lambda w, leak: reverse("api:zone-list"),
]


def _text(response):
    content = response.content
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return content.decode("utf-8-sig", "replace")


@pytest.mark.parametrize("who", ["liaison", "foreign"])
@pytest.mark.parametrize("page", range(len(PAGES)))
def test_no_page_or_list_shows_what_was_recorded_on_a_task_out_of_scope(client, leak, who, page):
    world, _agency, _seen, hidden, _outcome, liaison, foreign = leak
    user = liaison if who == "liaison" else foreign
    client.force_login(user)
    response = client.get(PAGES[page](world, leak))
    assert response.status_code in (200, 404)
    text = _text(response)
    assert SECRET_MILESTONE not in text
    assert SECRET_PROGRESS not in text
    assert hidden.title not in text or Task.objects.visible_to(user).filter(title=hidden.title).exists()


def test_api_outcome_links_only_visible_tasks(leak):
    world, _agency, seen, hidden, outcome, liaison, _foreign = leak
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token " + Token.objects.create(user=liaison).key)
    rows = api.get(reverse("api:outcome-list")).json()["results"]
    linked = next(row["tasks"] for row in rows if row["id"] == outcome.pk)
    assert seen.pk in linked and hidden.pk not in linked


def test_every_zone_selector_honours_the_scope(leak):
    """The zone pages' selectors hold no zone the user may not see, and its tasks only visible ones."""
    world, agency, _seen, hidden, _outcome, liaison, foreign = leak
    assert world.zone.pk in set(zone_selectors.zone_list(liaison).values_list("pk", flat=True))
    assert world.zone.pk not in set(zone_selectors.zone_list(foreign).values_list("pk", flat=True))
    zone = zone_selectors.zone_detail(liaison, world.zone.code)
    shown = {task.pk for category in zone.visible_categories for task in category.tasks.all()}
    assert hidden.pk not in shown
    assert set(visible_zones(foreign).values_list("code", flat=True)) == {"wuqing"}
    _agency, tasks, _periods, requests = zone_selectors.agency_detail(foreign, world.customs.pk)
    assert world.zone.pk not in {task.zone_id for task in tasks}
    assert all(r.task.zone_id != world.zone.pk for r in requests)


def test_every_scoped_selector_holds_nothing_of_a_foreign_zone(leak):
    """Each user-taking selector and scoping helper, read as the wuqing officer: no row of xiqing."""
    from api import selectors as api_selectors
    from indicators import selectors as indicator_selectors
    from measures import scoping
    from measures.followup import selectors as followup_selectors
    from measures.tasks import selectors as task_selectors
    from portal import selectors as portal_selectors

    world, _agency, _seen, _hidden, _outcome, _liaison, foreign = leak
    xiqing = world.zone.pk
    zone_of = {
        "api.zones": (api_selectors.zones(foreign), "pk"),
        "api.blocks": (api_selectors.blocks(foreign), "zone_id"),
        "api.tasks": (api_selectors.tasks(foreign), "zone_id"),
        "api.reports": (api_selectors.reports(foreign), "task__zone_id"),
        "api.outcomes": (api_selectors.outcomes(foreign), "zone_id"),
        "api.indicator_values": (api_selectors.indicator_values(foreign), "zone_id"),
        "task_list": (task_selectors.task_list(foreign)[0], "zone_id"),
        "open_requests": (followup_selectors.open_requests(foreign), "task__zone_id"),
        "visible_zones": (scoping.visible_zones(foreign), "pk"),
        "visible_outcomes": (scoping.visible_outcomes(foreign), "zone_id"),
        "visible_matters": (scoping.visible_matters(foreign), "zone_id"),
        "visible_adjustments": (scoping.visible_adjustments(foreign), "task__zone_id"),
        "visible_indicator_values": (indicator_selectors.visible_values(foreign), "zone_id"),
        "visible_tasks": (Task.objects.visible_to(foreign), "zone_id"),
    }
    for name, (queryset, field) in zone_of.items():
        assert xiqing not in set(queryset.values_list(field, flat=True)), name
    # The same selectors do hold xiqing's rows for its own officer, so the check can fail.
    assert xiqing in set(api_selectors.reports(world.officer).values_list("task__zone_id", flat=True))
    assert xiqing in set(
        followup_selectors.open_requests(world.officer).values_list("task__zone_id", flat=True)
    )
    page = portal_selectors.my_page(foreign)
    assert all(m.task.zone_id != xiqing for m in page["overdue_milestones"])
