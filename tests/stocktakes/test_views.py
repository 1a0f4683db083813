"""Stocktake pages through the client: who may open what, the forms, the pack (page and Word), the
list filters and query counts fixed whatever the number of rows, and /my/ of the assignee."""

import datetime
import io

import pytest
from django.urls import reverse
from docx import Document

from measures import services as measures_services
from measures.choices import TaskStatus
from measures.models import Task
from stocktakes import services
from stocktakes.choices import ItemState
from stocktakes.models import AssignedItem, Stocktake
from tests.factories import make_period
from tests.helpers import SESSION

pytestmark = pytest.mark.django_db


@pytest.fixture
def urls(meeting, item):
    return {
        "list": reverse("stocktakes:list"),
        "create": reverse("stocktakes:create"),
        "detail": reverse("stocktakes:detail", args=[meeting.pk]),
        "docx": reverse("stocktakes:pack-docx", args=[meeting.pk]),
        "items": reverse("stocktakes:items"),
        "item": reverse("stocktakes:item", args=[item.pk]),
    }


MANAGER_PAGES = ["list", "create", "detail", "docx"]


@pytest.mark.parametrize("name", ["list", "create", "detail", "docx", "items", "item"])
def test_anonymous_goes_to_sign_in(client, urls, name):
    response = client.get(urls[name])
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", MANAGER_PAGES)
def test_meeting_pages_are_for_managers(client, urls, officer, liaison, leader, manager, name):
    for user in (officer, liaison, leader):
        client.force_login(user)
        assert client.get(urls[name]).status_code == 403
    client.force_login(manager)
    assert client.get(urls[name]).status_code == 200


def test_an_item_is_seen_by_its_zone_and_not_by_another(
    client, urls, item, officer, leader, foreign_officer, liaison
):
    for user in (officer, leader):
        client.force_login(user)
        assert client.get(urls["item"]).status_code == 200
    for user in (foreign_officer, liaison):
        client.force_login(user)
        assert client.get(urls["item"]).status_code == 404
        assert item.title not in client.get(urls["items"]).content.decode()


def test_actions_refused_to_the_wrong_role(client, item, foreign_officer, leader, officer):
    progress = reverse("stocktakes:item-progress", args=[item.pk])
    close = reverse("stocktakes:item-close", args=[item.pk])
    client.force_login(foreign_officer)
    assert client.post(progress, {"note": "x"}).status_code == 404
    client.force_login(leader)
    assert client.post(progress, {"note": "x"}).status_code == 403
    client.force_login(officer)
    assert client.post(close, {"note": "x", "confirmed": "on"}).status_code == 403
    assert list(item.events.values_list("kind", flat=True)) == ["assigned"]


def test_schedule_assign_report_close_reopen_through_the_pages(
    client, plan, xiqing, manager, other_manager, officer
):
    client.force_login(manager)
    data = {"title": "", "held_on": "2026-12-10", "plan": plan.pk, "zone": xiqing.pk, "notes": "保留的备注"}
    response = client.post(reverse("stocktakes:create"), data)
    assert response.status_code == 400 and "保留的备注" in response.content.decode()
    response = client.post(reverse("stocktakes:create"), {**data, "title": "十二月调度会"})
    meeting = Stocktake.objects.get()
    assert response.status_code == 302 and response.url == meeting.get_absolute_url()
    assign = reverse("stocktakes:assign", args=[meeting.pk])
    response = client.post(assign, {"title": "报送台账", "due": "2026-12-20", "description": "保留的说明"})
    assert response.status_code == 400 and "保留的说明" in response.content.decode()
    response = client.post(assign, {"title": "报送台账", "due": "2026-12-20", "zone": xiqing.pk})
    item = AssignedItem.objects.get()
    assert response.status_code == 302 and item.zone == xiqing
    client.force_login(officer)
    assert item.title in client.get(reverse("measures:my")).content.decode()
    progress = reverse("stocktakes:item-progress", args=[item.pk])
    response = client.post(progress, {"note": "", "link": "https://example.cn/t", "description": "台账"})
    assert response.status_code == 400
    response = client.post(
        progress, {"note": "已报送", "link": "https://example.cn/t", "description": "台账"}
    )
    assert response.status_code == 302
    client.force_login(manager)
    close = reverse("stocktakes:item-close", args=[item.pk])
    response = client.post(close, {"note": "办结了"})
    assert response.status_code == 400 and "办结了" in response.content.decode()
    assert client.post(close, {"note": "办结了", "confirmed": "on"}).status_code == 302
    client.force_login(other_manager)
    reopen = reverse("stocktakes:item-reopen", args=[item.pk])
    assert client.post(reopen, {"reason": ""}).status_code == 400
    assert client.post(reopen, {"reason": "再核实"}).status_code == 302
    item.refresh_from_db()
    assert item.state == ItemState.IN_PROGRESS and item.events.count() == 4


def _report(task, period, officer, percent, status):
    measures_services.save_and_submit_report(
        task=task,
        period=period,
        user=officer,
        data={"status": status, "percent_complete": percent, "progress": "进展", "problems": "问题"},
    )


# The pack page's queries: the meeting, its periods, tasks, movers (measures.changes.summed_changes
# without the zones' tallies, which the pack does not show: the movers' ranks and their rows, ranked
# in the database as on the dashboard), escalations, matters, overdue requests, the indicator gaps
# (the periods and indicators: none here), the previous meeting, the items, and the top bar; the red
# and yellow tasks by the dashboard's rule (one query each) and the plan's zones.
PACK_QUERIES = 20


@pytest.mark.parametrize("rows", [1, 3])
def test_the_pack_shows_each_section_and_queries_stay_fixed(
    client, plan, xiqing, manager, officer, meeting, today, rows, django_assert_num_queries
):
    period, previous = make_period(plan, day=today), make_period(plan, day=today, shift=-1)
    for task in Task.objects.filter(zone=xiqing).order_by("number")[:rows]:
        _report(task, previous, officer, 10, TaskStatus.ON_TRACK)
        _report(task, period, officer, 40, TaskStatus.BLOCKED)
        measures_services.raise_matter(zone=xiqing, task=task, user=officer, title="事项", description="说明")
    for k in range(rows):
        services.assign_item(stocktake=meeting, user=manager, title=f"事项{k}", zone=xiqing, due=today)
    client.force_login(manager)
    with django_assert_num_queries(SESSION + PACK_QUERIES):
        page = client.get(reverse("stocktakes:detail", args=[meeting.pk]))
    pack = page.context["pack"]
    # One definition of a mover (measures.changes): 10% on track → 40% blocked is a gain and a
    # status worsening, each listed on its own.
    gains, losses, worsened = pack.movers
    assert len(gains) == rows and all(row.delta == 30 for row in gains) and losses == []
    assert len(worsened) == rows
    assert len(pack.items) == rows and len(pack.red) == rows and len(pack.matters) == rows
    assert pack.period == period and pack.previous_period == previous


def test_the_word_pack_holds_the_sections_and_the_previous_items(
    client, plan, xiqing, manager, meeting, item, today
):
    later = services.schedule_stocktake(
        user=manager,
        plan=plan,
        zone=xiqing,
        title="第二次调度会",
        held_on=today + datetime.timedelta(days=30),
    )
    client.force_login(manager)
    page = client.get(reverse("stocktakes:detail", args=[later.pk])).content.decode()
    assert item.title in page.split('id="red-tasks"')[0]
    response = client.get(reverse("stocktakes:pack-docx", args=[later.pk]))
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert "第二次调度会" in text and item.title in text
    assert text.index(item.title) < text.index("红灯任务")


@pytest.mark.parametrize("rows", [1, 4])
def test_lists_filter_and_count_queries_fixed(
    client, plan, xiqing, wuqing, manager, officer, today, rows, django_assert_num_queries
):
    for k in range(rows):
        meeting = services.schedule_stocktake(
            user=manager, plan=plan, zone=xiqing, title=f"会{k}", held_on=today
        )
        services.assign_item(stocktake=meeting, user=manager, title=f"事项{k}", zone=xiqing, due=today)
    services.schedule_stocktake(user=manager, plan=plan, zone=wuqing, title="武清会", held_on=today)
    client.force_login(manager)
    with django_assert_num_queries(SESSION + 8):
        page = client.get(reverse("stocktakes:list"), {"zone": "xiqing"})
    assert len(page.context["stocktakes"]) == rows
    with django_assert_num_queries(SESSION + 7):
        page = client.get(reverse("stocktakes:items"), {"zone": "xiqing", "state": "assigned"})
    assert len(page.context["items"]) == rows
    client.force_login(officer)
    assert list(client.get(reverse("stocktakes:items"), {"overdue": "true"}).context["items"]) == []


@pytest.mark.parametrize("name", ["assign", "item-progress", "item-close", "item-reopen"])
def test_anonymous_posts_go_to_sign_in(client, meeting, item, name):
    target = meeting if name == "assign" else item
    response = client.post(reverse(f"stocktakes:{name}", args=[target.pk]), {"note": "x"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert item.events.count() == 1


def test_assigning_and_reopening_are_for_managers(client, meeting, item, officer, xiqing, today):
    client.force_login(officer)
    data = {"title": "x", "due": today.isoformat(), "zone": xiqing.pk}
    assert client.post(reverse("stocktakes:assign", args=[meeting.pk]), data).status_code == 403
    assert client.post(reverse("stocktakes:item-reopen", args=[item.pk]), {"reason": "x"}).status_code == 403
    assert AssignedItem.objects.count() == 1


def test_evidence_downloads_as_an_attachment_within_scope_only(
    client, settings, tmp_path, item, officer, foreign_officer, manager
):
    from stocktakes.models import ItemEvidence
    from tests.measures.upload_samples import PDF, upload

    settings.MEDIA_ROOT = tmp_path
    services.report_progress(
        item=item, user=officer, note="见附件", uploaded_file=upload(PDF, "台账.pdf"), description="台账"
    )
    url = reverse("stocktakes:evidence-download", args=[ItemEvidence.objects.get().pk])
    assert client.get(url).status_code == 302
    client.force_login(foreign_officer)
    assert client.get(url).status_code == 404
    for user in (officer, manager):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment")
        assert b"".join(response.streaming_content) == PDF


def test_a_liaison_finds_the_agencys_items_on_my_work(client, meeting, manager, agency, liaison, today):
    services.assign_item(stocktake=meeting, user=manager, title="出台配套政策", agency=agency, due=today)
    client.force_login(liaison)
    page = client.get(reverse("measures:my")).content.decode()
    assert 'id="assigned-items"' in page and "出台配套政策" in page


# The item page: the item, its events with their actors, its evidence, and the top bar.
ITEM_QUERIES = 5


@pytest.mark.parametrize("steps", [1, 4])
def test_the_item_page_queries_stay_fixed(client, item, officer, manager, steps, django_assert_num_queries):
    for k in range(steps):
        services.report_progress(
            item=item, user=officer, note=f"第{k}次", link=f"https://example.cn/{k}", description="链接"
        )
    client.force_login(manager)
    with django_assert_num_queries(SESSION + ITEM_QUERIES):
        page = client.get(reverse("stocktakes:item", args=[item.pk]))
    assert len(page.context["events"]) == steps + 1 and len(page.context["evidence"]) == steps


def test_the_item_list_filters_one_meeting_for_managers_only(
    client, plan, xiqing, manager, officer, meeting, item, today
):
    other = services.schedule_stocktake(user=manager, plan=plan, zone=xiqing, title="另一次会", held_on=today)
    services.assign_item(stocktake=other, user=manager, title="另一项", zone=xiqing, due=today)
    client.force_login(manager)
    page = client.get(reverse("stocktakes:items"), {"stocktake": meeting.pk, "zone": "xiqing"})
    assert [row.pk for row in page.context["items"]] == [item.pk]
    html = page.content.decode()
    assert meeting.title in html and f'name="stocktake" value="{meeting.pk}"' in html
    # An officer reads the items of their zone, but not a meeting's title by its number.
    client.force_login(officer)
    page = client.get(reverse("stocktakes:items"), {"stocktake": meeting.pk})
    assert page.status_code == 200 and meeting.title not in page.content.decode()
