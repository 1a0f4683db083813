"""Major matter pages through the client: raise from a task or zone, the managers' badge and
e-mail, respond, close; the list's filters and fixed query counts."""

import pytest
from django.core import mail
from django.urls import reverse

from core.roles import Role
from measures import services
from measures.choices import MatterState, MatterUrgency
from measures.models import MajorMatter, Task
from tests.factories import make_user
from tests.helpers import SESSION
from zones.models import Zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def xiqing():
    return Zone.objects.get(code="xiqing")


@pytest.fixture
def officer(xiqing):
    return make_user(Role.OFFICER, zones=[xiqing])


@pytest.fixture
def manager():
    return make_user(Role.MANAGER, email="leader@ftz.example.cn")


def raise_some(zone, officer, n, **fields):
    return [
        services.raise_matter(zone=zone, user=officer, title=f"事项{k}", description="说明", **fields)
        for k in range(n)
    ]


def test_officer_raises_from_the_task_page_and_managers_are_emailed_after_commit(
    client, xiqing, officer, manager, django_capture_on_commit_callbacks
):
    task = Task.objects.get(zone=xiqing, number=3)
    client.force_login(officer)
    page = client.get(task.get_absolute_url()).content.decode()
    start = reverse("measures:matter-create") + f"?task={task.pk}"
    assert start in page
    form = client.get(start).context["form"]
    assert form.initial["task"] == task and form.initial["zone"] == xiqing
    data = {
        "zone": xiqing.pk,
        "task": task.pk,
        "urgency": "critical",
        "title": "",
        "description": "保留的说明",
    }
    response = client.post(reverse("measures:matter-create"), data)
    assert response.status_code == 400 and "保留的说明" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("measures:matter-create"), {**data, "title": "设备进口受阻"})
    matter = MajorMatter.objects.get()
    assert response.status_code == 302 and response.url == matter.get_absolute_url()
    assert [m.to for m in mail.outbox] == [[manager.email]]
    assert matter.urgency == MatterUrgency.CRITICAL and matter.task == task


def test_zone_page_links_to_its_matters(client, xiqing, officer):
    client.force_login(officer)
    page = client.get(reverse("zones:detail", args=["xiqing"])).content.decode()
    assert reverse("measures:matter-list") + "?zone=xiqing" in page
    assert reverse("measures:matter-create") + "?zone=xiqing" in page
    assert (
        client.get(reverse("measures:matter-create"), {"zone": "xiqing"}).context["form"].initial["zone"]
        == xiqing
    )


def test_badge_counts_unanswered_matters_for_managers_only(client, xiqing, officer, manager):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(manager)
    assert 'class="nav-badge"' not in client.get("/my/").content.decode()
    first, _second = raise_some(xiqing, officer, 2)
    assert '<span class="nav-badge" title="2 major matters await a response">2</span>' in (
        client.get("/my/").content.decode()
    )
    services.respond_to_matter(matter=first, user=manager, response="已协调")
    assert '<span class="nav-badge" title="1 major matter awaits a response">1</span>' in (
        client.get("/my/").content.decode()
    )
    client.force_login(officer)
    assert "nav-badge" not in client.get("/my/").content.decode()


def test_respond_and_close_through_the_page(client, xiqing, officer, manager):
    (matter,) = raise_some(xiqing, officer, 1)
    client.force_login(manager)
    url = reverse("measures:matter-respond", args=[matter.pk])
    assert client.post(url, {"response": ""}).status_code == 400
    assert client.post(url, {"response": "已协调海关"}).status_code == 302
    client.force_login(officer)
    page = client.get(matter.get_absolute_url())
    assert "已协调海关" in page.content.decode()
    assert client.post(reverse("measures:matter-close", args=[matter.pk]), {"note": ""}).status_code == 302
    matter.refresh_from_db()
    assert matter.state == MatterState.CLOSED
    assert [e.kind for e in client.get(matter.get_absolute_url()).context["thread"]] == [
        "matter_raised",
        "matter_responded",
        "matter_closed",
    ]


def test_list_filters(client, xiqing, officer, manager):
    raise_some(xiqing, officer, 2)
    task = Task.objects.get(zone=xiqing, number=1)
    services.raise_matter(
        zone=xiqing,
        task=task,
        user=officer,
        title="紧急事项",
        description="说明",
        urgency=MatterUrgency.URGENT,
    )
    client.force_login(manager)
    assert len(client.get("/matters/").context["matters"]) == 3
    assert len(client.get("/matters/", {"urgency": "urgent"}).context["matters"]) == 1
    assert len(client.get("/matters/", {"q": "紧急"}).context["matters"]) == 1
    assert len(client.get("/matters/", {"zone": "xiqing", "state": "open"}).context["matters"]) == 3
    assert len(client.get("/matters/", {"state": "closed"}).context["matters"]) == 0
    assert len(client.get("/matters/", {"task": task.pk}).context["matters"]) == 1
    closed = MajorMatter.objects.get(title="事项0")
    services.close_matter(matter=closed, user=manager)
    services.respond_to_matter(matter=MajorMatter.objects.get(title="事项1"), user=manager, response="答复")
    # Not closed: open and responded ones, as a stocktake pack lists them; "no" the closed ones.
    not_closed = client.get("/matters/", {"zone": "xiqing", "not_closed": "true"}).context["matters"]
    assert sorted(matter.title for matter in not_closed) == ["事项1", "紧急事项"]
    assert list(client.get("/matters/", {"not_closed": "false"}).context["matters"]) == [closed]
    # Officers see only their zones' matters.
    client.force_login(make_user(Role.OFFICER, zones=[Zone.objects.get(code="wuqing")]))
    assert len(client.get("/matters/").context["matters"]) == 0


@pytest.mark.parametrize(("who", "queries"), [("officer", 4), ("manager", 5)])
def test_list_and_page_query_counts_do_not_grow(
    client, xiqing, officer, manager, django_assert_num_queries, who, queries
):
    raise_some(xiqing, officer, 1)
    client.force_login({"officer": officer, "manager": manager}[who])
    # access, count, page of matters (zone, task, raiser), zone choices; managers: the badge
    with django_assert_num_queries(SESSION + queries):
        client.get("/matters/")
    raise_some(xiqing, officer, 5, task=Task.objects.get(zone=xiqing, number=2))
    with django_assert_num_queries(SESSION + queries):
        assert len(client.get("/matters/").context["matters"]) == 6
    matter = MajorMatter.objects.first()
    # access, the matter (with zone, task, people), its thread (+ the badge for managers)
    with django_assert_num_queries(SESSION + queries - 1):
        client.get(matter.get_absolute_url())


def test_a_matter_no_manager_could_be_emailed_says_so(
    client, xiqing, officer, django_capture_on_commit_callbacks
):
    make_user(Role.MANAGER)  # no e-mail address, and no other manager in this test
    with django_capture_on_commit_callbacks(execute=True):
        [matter] = raise_some(xiqing, officer, 1)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(officer)
    page = client.get(matter.get_absolute_url()).content.decode()
    assert "No manager has an e-mail address" in page and "0 managers e-mailed" not in page


def test_the_form_preselects_an_officers_only_zone_and_has_no_django_empty_label(client, xiqing, officer):
    client.force_login(officer)
    response = client.get(reverse("measures:matter-create"))
    form = response.context["form"]
    assert form["zone"].value() == xiqing.pk
    html = response.content.decode()
    assert f'<option value="{xiqing.pk}" selected>' in html
    assert "---------" not in html


def test_an_officer_of_two_zones_chooses(client, xiqing):
    other = Zone.objects.exclude(pk=xiqing.pk).filter(plan=xiqing.plan).first()
    officer = make_user(Role.OFFICER, zones=[xiqing, other])
    client.force_login(officer)
    response = client.get(reverse("measures:matter-create"))
    assert response.context["form"]["zone"].value() in (None, "")
    assert "---------" not in response.content.decode()
