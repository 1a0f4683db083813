"""The API answers with the pages' data: the same filters select the same rows in the same order."""

import pytest
from django.urls import reverse

from core.roles import Role
from measures import services
from measures.choices import OutcomeType
from measures.models import Task, TaskCategory
from tests.factories import make_period, make_task, make_user, submit_outcome_with_evidence
from zones.models import Block, Zone

from .conftest import REPORT, token_client
from .test_permissions import every_id

pytestmark = pytest.mark.django_db


def users(w):
    return {
        "officer": w.officer,
        "liaison": make_user(Role.LIAISON, agency=w.customs),
        "manager": w.manager,
    }


def page_ids(client, user, url, params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200
    return [row.pk for row in response.context["paginator"].object_list]


def api_ids(user, url, params):
    client = token_client(user)
    return every_id(client, url, params)


def task_filters(w):
    category = TaskCategory.objects.filter(zone=w.zone).order_by("number").first()
    return [
        {},
        {"plan": "second-batch"},
        {"zone": "xiqing"},
        {"q": "集成电路"},
        {"q": "1"},
        {"agency": w.customs.pk},
        {"zone": "xiqing", "category": category.pk},
    ]


@pytest.mark.parametrize("role", ["officer", "liaison", "manager"])
def test_task_list_api_returns_exactly_the_tasks_page(client, world, role):
    user = users(world)[role]
    for params in task_filters(world):
        shown = page_ids(client, user, reverse("measures:task-list"), params)
        assert api_ids(user, reverse("api:task-list"), params) == shown, params
    assert shown  # the last filter matched something, so the comparison says something


@pytest.fixture
def outcomes(world):
    """Outcomes of both zones in several types and states."""
    wuqing_officer = make_user(Role.OFFICER, zones=[world.wuqing])
    wuqing_task = Task.objects.filter(zone=world.wuqing).order_by("number").first()
    made = [world.outcome]
    for zone, officer, task, kind in [
        (world.zone, world.officer, world.task, OutcomeType.STRESS_TEST),
        (world.zone, world.officer, world.task, OutcomeType.INTL_RULES),
        (world.wuqing, wuqing_officer, wuqing_task, OutcomeType.INSTITUTIONAL),
        (world.wuqing, wuqing_officer, wuqing_task, OutcomeType.FIRST_OF_KIND),
    ]:
        made.append(
            services.create_outcome(
                zone=zone,
                user=officer,
                title=f"{zone.name}{kind.label}成果",
                description="可复制推广的做法",
                type=kind,
                period=world.period if kind != OutcomeType.INTL_RULES else None,
                tasks=[task],
            )
        )
    submit_outcome_with_evidence(outcome=made[1], user=world.officer)
    submit_outcome_with_evidence(outcome=made[3], user=wuqing_officer)
    return made


def outcome_filters(w):
    return [
        {},
        {"plan": "second-batch"},
        {"zone": "xiqing"},
        {"type": OutcomeType.STRESS_TEST},
        {"type": OutcomeType.INSTITUTIONAL},
        {"state": "submitted"},
        {"period": w.period.pk},
        {"q": "可复制"},
        {"q": "保税研发", "zone": "xiqing"},
    ]


@pytest.mark.parametrize("role", ["officer", "liaison", "manager"])
def test_outcome_list_api_returns_exactly_the_outcomes_page(client, world, outcomes, role):
    user = users(world)[role]
    for params in outcome_filters(world):
        shown = page_ids(client, user, reverse("measures:outcome-list"), params)
        assert api_ids(user, reverse("api:outcome-list"), params) == shown, params
    assert api_ids(world.manager, reverse("api:outcome-list"), {}) == [o.pk for o in reversed(outcomes)]


@pytest.mark.parametrize("role", ["officer", "manager"])
def test_agency_list_api_returns_exactly_the_agencies_page(client, world, role):
    user = users(world)[role]
    for params in [{}, {"q": "海关"}, {"q": "市"}]:
        shown = page_ids(client, user, reverse("zones:agency-list"), params)
        assert api_ids(user, reverse("api:agency-list"), params) == shown, params


def test_a_tasks_latest_report_is_the_one_on_its_page(client, world):
    client.force_login(world.officer)
    page = client.get(world.task.get_absolute_url()).context["report"]
    row = token_client(world.officer).get(reverse("api:task-detail", args=[world.task.pk])).json()
    assert row["latest_report"]["id"] == page.pk
    assert row["latest_report"]["status"] == page.status == REPORT["status"]
    assert row["latest_report"]["percent_complete"] == page.percent_complete == 40
    assert row["latest_report"]["period"]["id"] == world.period.pk
    assert row["agencies"] == [
        {"id": link.agency_id, "name": link.agency.name, "role": link.role}
        for link in world.task.agency_links.all()
    ]


def test_a_task_without_reports_has_no_latest_report(world):
    task = Task.objects.filter(zone=world.zone).exclude(pk=world.task.pk).order_by("number").first()
    row = token_client(world.officer).get(reverse("api:task-detail", args=[task.pk])).json()
    assert row["latest_report"] is None


def test_reports_are_filtered_per_period(world):
    client = token_client(world.manager)
    url = reverse("api:report-list")
    assert every_id(client, url, {"period": world.period.pk}) == [world.report.pk]
    other = services.save_report(
        task=Task.objects.get(zone=world.zone, number=2), period=world.period, user=world.officer, data=REPORT
    )
    assert set(every_id(client, url, {"period": world.period.pk, "zone": "xiqing"})) == {
        world.report.pk,
        other.pk,
    }
    assert every_id(client, url, {"task": other.task_id}) == [other.pk]
    # A task outside the caller's scope is refused like a foreign zone.
    wuqing_task = Task.objects.filter(zone=world.wuqing).first()
    assert token_client(world.officer).get(url, {"task": wuqing_task.pk}).status_code == 400


def test_a_foreign_zone_in_a_filter_is_refused_with_a_reason(world):
    client = token_client(world.officer)
    for name in ["task-list", "outcome-list", "report-list", "block-list", "indicator-value-list"]:
        response = client.get(reverse(f"api:{name}"), {"zone": "wuqing"})
        assert response.status_code == 400, name
        assert "zone" in response.json()


def test_page_size_is_50_by_default_and_at_most_200(world):
    client = token_client(world.manager)
    url = reverse("api:task-list")
    category = TaskCategory.objects.filter(zone=world.zone).order_by("number").first()
    Task.objects.bulk_create(
        Task(zone=world.zone, category=category, number=500 + n, title=f"任务{n}", text="正文")
        for n in range(160)
    )
    total = Task.objects.count()
    assert total > 200
    body = client.get(url).json()
    assert body["count"] == total and len(body["results"]) == 50
    assert len(client.get(url, {"page_size": 500}).json()["results"]) == 200
    assert client.get(url, {"page": 9999}).status_code == 404


def test_blocks_carry_their_plots(world):
    zone = Zone.objects.get(code="xiqing")
    client = token_client(world.officer)
    rows = every_id(client, reverse("api:block-list"), {"zone": "xiqing"})
    assert rows == list(zone.blocks.order_by("number").values_list("pk", flat=True))
    block = Block.objects.filter(subplots__isnull=False).distinct().order_by("pk").first()
    manager = token_client(world.manager)
    row = manager.get(reverse("api:block-detail", args=[block.pk])).json()
    assert row["subplots"] == [
        {"number": p.number, "boundary": p.boundary} for p in block.subplots.order_by("number")
    ]


def test_the_api_task_filters_are_the_pages_less_the_drafts_choice():
    """`drafts` only decides what the page's rows show of an unsubmitted report; the API gives every
    report with its state, so it offers no such parameter (it would do nothing)."""
    from api.filters import ApiTaskFilter
    from measures.tasks.filters import TaskFilter

    assert set(TaskFilter.base_filters) - set(ApiTaskFilter.base_filters) == {"drafts"}


def test_report_pages_hold_the_rows_of_the_whole_ordered_list(world):
    """Report pages are read per period (api.pagination.ReportPagination): every page, the count and
    the links must be those of slicing the whole list in its order, across periods, plans and zones."""
    from api import selectors as api_selectors
    from tests.factories import make_zone

    earlier = make_period(world.zone.plan, day=world.period.start, shift=-1)
    other_plan_zone = make_zone()
    other_period = make_period(other_plan_zone.plan, day=world.period.start)
    officer = make_user(Role.OFFICER, zones=[world.zone, world.wuqing, other_plan_zone])
    for period, tasks in (
        (world.period, Task.objects.filter(zone__in=[world.zone, world.wuqing]).order_by("pk")[:5]),
        (earlier, Task.objects.filter(zone=world.wuqing).order_by("-pk")[:3]),
        (other_period, [make_task(other_plan_zone) for _ in range(2)]),
    ):
        for task in tasks:
            if not task.reports.filter(period=period).exists():
                services.save_report(task=task, period=period, user=officer, data=REPORT)
    expected = [report.pk for report in api_selectors.reports(world.manager)]
    assert len({report.period_id for report in api_selectors.reports(world.manager)}) == 3
    client = token_client(world.manager)
    url = reverse("api:report-list")
    for size in (1, 3, 4, len(expected), 200):
        ids, body = [], client.get(url, {"page_size": size}).json()
        assert body["count"] == len(expected) and body["previous"] is None
        while True:
            ids += [row["id"] for row in body["results"]]
            if not body["next"]:
                break
            body = client.get(body["next"]).json()
        assert ids == expected
    last = -(-len(expected) // 3)
    assert client.get(url, {"page_size": 3, "page": last + 1}).status_code == 404
    assert client.get(url, {"page_size": 3, "period": earlier.pk}).json()["count"] == 3
