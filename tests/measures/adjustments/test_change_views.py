"""Plan adjustment pages through the client: propose from the task page, decide, see the diff;
the list's filters and fixed query counts."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import AdjustmentKind, AdjustmentState
from measures.models import Milestone, PlanAdjustment, Task
from tests.factories import make_user
from tests.helpers import SESSION
from zones.models import Agency, Zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def xiqing():
    return Zone.objects.get(code="xiqing")


@pytest.fixture
def task(xiqing):
    return Task.objects.get(zone=xiqing, number=1)


@pytest.fixture
def officer(xiqing):
    return make_user(Role.OFFICER, zones=[xiqing])


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


def create_url(task, kind):
    return reverse("measures:adjustment-create", args=[task.zone.code, task.number, kind])


def test_task_page_offers_the_proposals_and_the_form_keeps_bad_input(client, task, officer):
    client.force_login(officer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(task.get_absolute_url()).content.decode()
    for kind in AdjustmentKind.values:
        assert create_url(task, kind) in page
    response = client.post(create_url(task, "text"), {"text": "新的表述，保留输入。", "reason": ""})
    assert response.status_code == 400
    assert "新的表述，保留输入。" in response.content.decode()
    assert not PlanAdjustment.objects.exists()
    response = client.post(create_url(task, "text"), {"text": "新的表述。", "reason": "政策调整"})
    adjustment = PlanAdjustment.objects.get()
    assert response.status_code == 302 and response.url == adjustment.get_absolute_url()
    # A second open proposal of the same kind is refused with a message, nothing lost.
    response = client.post(create_url(task, "text"), {"text": "另一表述。", "reason": "再调整"})
    assert response.status_code == 400
    assert "already has an open proposal" in response.content.decode()
    assert client.get(create_url(task, "nonsense")).status_code == 404


def test_agencies_and_milestones_forms_propose_in_order(client, task, officer):
    client.force_login(officer)
    customs, finance = Agency.objects.get(name="天津海关"), Agency.objects.get(name="天津金融监管局")
    response = client.post(
        create_url(task, "agencies"), {"agency_1": finance.pk, "agency_2": customs.pk, "reason": "职能调整"}
    )
    assert response.status_code == 302
    adjustment = PlanAdjustment.objects.get(kind=AdjustmentKind.AGENCIES)
    assert [a["name"] for a in adjustment.proposal["agencies"]] == ["天津金融监管局", "天津海关"]

    today = timezone.localdate()
    milestone = services.add_milestone(
        confirm_past=True, task=task, user=officer, title="完成方案", due=today
    )
    later = today + datetime.timedelta(days=20)
    data = {
        f"due_{milestone.pk}": later.isoformat(),
        "add_title_1": "新增节点",
        "add_due_1": later.isoformat(),
        "reason": "进度调整",
    }
    assert client.post(create_url(task, "milestones"), data).status_code == 302
    proposal = PlanAdjustment.objects.get(kind=AdjustmentKind.MILESTONES).proposal
    assert proposal["move"][0]["milestone"] == milestone.pk and proposal["add"][0]["title"] == "新增节点"
    # A new milestone without its date is refused, with what was typed kept.
    response = client.post(
        create_url(task, "milestones"),
        {f"due_{milestone.pk}": today.isoformat(), "add_title_1": "无日期节点", "reason": "x"},
    )
    assert response.status_code == 400 and "无日期节点" in response.content.decode()


def test_manager_approves_and_both_pages_show_before_and_after(client, task, officer, manager):
    old_text = task.text
    adjustment = services.propose_adjustment(
        task=task, user=officer, kind=AdjustmentKind.TEXT, text="调整后的表述。", reason="政策调整"
    )
    client.force_login(manager)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(adjustment.get_absolute_url()).content.decode()
    assert "<ins>" in page and "Approve and apply" in page
    response = client.post(reverse("measures:adjustment-approve", args=[adjustment.pk]), {"note": "同意"})
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).text == "调整后的表述。"
    page = client.get(adjustment.get_absolute_url()).content.decode()
    assert "Before and after" in page and old_text[:20] in page and "调整后的表述。" in page
    task_page = client.get(task.get_absolute_url()).content.decode()
    assert "Plan adjustment approved" in task_page and adjustment.get_absolute_url() in task_page


def test_stale_approval_is_refused_on_the_page(client, task, officer, manager):
    adjustment = services.propose_adjustment(
        task=task, user=officer, kind=AdjustmentKind.TEXT, text="调整后的表述。", reason="政策调整"
    )
    Task.objects.filter(pk=task.pk).update(text="后台改过。")
    client.force_login(manager)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(reverse("measures:adjustment-approve", args=[adjustment.pk]), {"note": ""})
    assert response.status_code == 400
    assert "changed after this adjustment was proposed" in response.content.decode()
    assert PlanAdjustment.objects.get(pk=adjustment.pk).state == AdjustmentState.PROPOSED


def test_withdrawn_task_is_marked_and_offers_no_more_changes(client, task, officer, manager):
    adjustment = services.propose_adjustment(
        task=task, user=officer, kind=AdjustmentKind.WITHDRAWAL, reason="撤销"
    )
    services.approve_adjustment(adjustment=adjustment, user=manager)
    client.force_login(officer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(task.get_absolute_url()).content.decode()
    assert "Withdrawn (撤销)" in page
    assert create_url(task, "text") not in page
    listed = client.get(reverse("measures:task-list")).context["tasks"]
    assert next(t for t in listed if t.pk == task.pk).light == "withdrawn"


def test_list_filters(client, task, officer, manager, xiqing):
    services.propose_adjustment(
        task=task, user=officer, kind=AdjustmentKind.TEXT, text="新表述。", reason="文本"
    )
    services.propose_adjustment(task=task, user=officer, kind=AdjustmentKind.WITHDRAWAL, reason="撤销任务")
    client.force_login(manager)
    assert len(client.get("/adjustments/").context["adjustments"]) == 2
    assert len(client.get("/adjustments/", {"kind": "withdrawal"}).context["adjustments"]) == 1
    assert len(client.get("/adjustments/", {"q": "撤销任务"}).context["adjustments"]) == 1
    assert len(client.get("/adjustments/", {"zone": "wuqing"}).context["adjustments"]) == 0
    assert len(client.get("/adjustments/", {"state": "approved"}).context["adjustments"]) == 0
    assert len(client.get("/adjustments/", {"task": task.pk}).context["adjustments"]) == 2
    assert client.get("/adjustments/", {"state": "bogus"}).status_code == 200


def propose_many(xiqing, officer, n):
    for task in Task.objects.filter(zone=xiqing).exclude(adjustments__isnull=False).order_by("number")[:n]:
        services.propose_adjustment(
            task=task, user=officer, kind=AdjustmentKind.TEXT, text="新表述。", reason="调整"
        )


def test_list_and_page_query_counts_do_not_grow(client, xiqing, officer, django_assert_num_queries):
    propose_many(xiqing, officer, 1)
    client.force_login(officer)
    # access, count, page of adjustments (task, zone, proposer, decider), zone choices
    with django_assert_num_queries(SESSION + 4):
        client.get("/adjustments/")
    propose_many(xiqing, officer, 5)
    with django_assert_num_queries(SESSION + 4):
        assert len(client.get("/adjustments/").context["adjustments"]) == 6
    adjustment = PlanAdjustment.objects.first()
    # access, the adjustment (with task, zone, people), its history entries
    with django_assert_num_queries(SESSION + 3):
        client.get(adjustment.get_absolute_url())


def test_milestone_diff_lists_every_row(client, task, officer, manager):
    today = timezone.localdate()
    keep = services.add_milestone(confirm_past=True, task=task, user=officer, title="保留节点", due=today)
    drop = services.add_milestone(confirm_past=True, task=task, user=officer, title="删除节点", due=today)
    adjustment = services.propose_adjustment(
        task=task,
        user=officer,
        kind=AdjustmentKind.MILESTONES,
        drop=[drop],
        add=[("新增节点", today)],
        reason="x",
    )
    services.approve_adjustment(adjustment=adjustment, user=manager)
    client.force_login(officer)
    rows = client.get(adjustment.get_absolute_url()).context["diff"]["milestones"]
    assert {(title, change) for title, _old, _new, change in rows} == {
        ("保留节点", "kept"),
        ("删除节点", "dropped"),
        ("新增节点", "added"),
    }
    assert Milestone.objects.filter(pk=keep.pk).exists() and not Milestone.objects.filter(pk=drop.pk).exists()


def test_a_withdrawn_task_leaves_the_reporting_rates(client, task, officer, manager, xiqing):
    from measures.models import ReportingPeriod

    today = timezone.localdate()
    ReportingPeriod.objects.create(
        plan=xiqing.plan,
        name="本期",
        start=today - datetime.timedelta(days=30),
        end=today + datetime.timedelta(days=30),
        deadline=today + datetime.timedelta(days=40),
    )
    client.force_login(manager)

    def counts():
        total = client.get("/").context["total"]
        zone = client.get(reverse("zones:detail", args=["xiqing"])).context["zone"]
        return total.open, total.tasks, total.missing, zone.open_task_count

    before = counts()
    adjustment = services.propose_adjustment(
        task=task, user=officer, kind=AdjustmentKind.WITHDRAWAL, reason="撤销"
    )
    services.approve_adjustment(adjustment=adjustment, user=manager)
    # Withdrawn within the period shown: out of the dashboard's open tasks, tasks counted and
    # reports missing, and out of the zone page's open tasks.
    assert counts() == tuple(n - 1 for n in before)
