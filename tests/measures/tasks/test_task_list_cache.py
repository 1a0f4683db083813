"""The task list's content kept between requests (measures.tasks.page_cache): a write of anything the
list shows changes the next page, whoever made it and however (a service, queryset.update(): then
the database triggers of measures 0025 are the only guard); nobody is served what was kept for
another user, language, scope, day or query; the frame (messages, CSRF token) is drawn per request."""

import datetime
import pickle
import re

import pytest
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.models import Milestone, ProgressReport, ReportingPeriod, Task, TaskAgency, TaskCategory
from measures.tasks import page_cache
from tests.factories import make_agency, make_period, make_user, save_report_as, submit_report_as
from tests.helpers import SESSION
from tests.measures.test_views import TASK_LIST, TASK_LIST_KEPT
from zones.models import Agency, Plan, Zone

pytestmark = pytest.mark.django_db

LIST = {"zone": "xiqing"}
# A manager's top bar reads what waits for them (portal.context_processors).
MANAGER_BAR = 1


@pytest.fixture
def period():
    return make_period()


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    return client


def content(response):
    """The kept part of a page: between the frame's <main> and its end, less the messages."""
    assert response.status_code == 200
    html = response.content.decode()
    main = html[html.index('<main class="page">') : html.index("</main>")]
    return re.sub(r'<ul class="messages">.*?</ul>', "", main, flags=re.S)


def first_task():
    return Task.objects.filter(zone__code="xiqing").order_by("number").first()


def test_a_second_request_is_served_from_what_was_kept_with_fewer_queries(
    as_manager, period, django_assert_num_queries
):
    with django_assert_num_queries(SESSION + TASK_LIST + MANAGER_BAR):
        drawn = as_manager.get("/tasks/", LIST)
    with django_assert_num_queries(SESSION + TASK_LIST_KEPT + MANAGER_BAR):
        kept = as_manager.get("/tasks/", LIST)
    assert content(kept) == content(drawn)
    assert first_task().display_title in content(kept)
    # The same parameters in another order mean the same list; empty ones are kept (the page's
    # links repeat them).
    with django_assert_num_queries(SESSION + TASK_LIST + MANAGER_BAR):
        reordered = as_manager.get("/tasks/?light=&zone=xiqing&q=")
    with django_assert_num_queries(SESSION + TASK_LIST_KEPT + MANAGER_BAR):
        assert content(as_manager.get("/tasks/?q=&zone=xiqing&light=")) == content(reordered)


def rename_task(manager, period):
    Task.objects.filter(pk=first_task().pk).update(title="改过的任务标题")
    return "改过的任务标题"


def renumber_task(manager, period):
    Task.objects.filter(pk=first_task().pk).update(code="9.8.7")
    return "9.8.7"


def move_task(manager, period):
    Task.objects.filter(pk=first_task().pk).update(zone=Zone.objects.get(code="beichen"), number=999)


def withdraw_task(manager, period):
    Task.objects.filter(pk=first_task().pk).update(withdrawn_at=timezone.now())
    return "state-withdrawn"


def reported(manager, period):
    task = first_task()
    return submit_report_as(task, period, make_user(Role.OFFICER, zones=[task.zone]), percent_complete=20)


def close_task(manager, period):
    Task.objects.filter(pk=first_task().pk).update(closed_at=timezone.now())


close_task.prepare = reported


def recategorise_task(manager, period):
    task = first_task()
    other = TaskCategory.objects.filter(zone=task.zone).exclude(pk=task.category_id).first()
    Task.objects.filter(pk=task.pk).update(category=other)


def submit_report(manager, period):
    task = first_task()
    submit_report_as(task, period, make_user(Role.OFFICER, zones=[task.zone]), percent_complete=37)
    return "37%"


def accept_report(manager, period):
    report = ProgressReport.objects.get(task=first_task(), period=period)
    services.accept_report(report=report, user=manager)


accept_report.prepare = reported


def report_percent_raw(manager, period):
    ProgressReport.objects.filter(task=first_task(), period=period).update(percent_complete=83)
    return "83%"


report_percent_raw.prepare = reported


def draft_report(manager, period):
    # A zone's draft is listed to managers only when asked; its light reads it all the same.
    task = first_task()
    save_report_as(task, period, make_user(Role.OFFICER, zones=[task.zone]), status="delayed")


def overdue_milestone(manager, period):
    task = first_task()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    now = timezone.now()
    Milestone.objects.create(
        task=task, title="逾期节点", due=yesterday, created_by=manager, created_at=now, updated_at=now
    )


def add_milestone_service(manager, period):
    task = first_task()
    officer = make_user(Role.OFFICER, zones=[task.zone])
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    services.add_milestone(task=task, user=officer, title="逾期节点", due=yesterday, confirm_past=True)


def link_agency(manager, period):
    TaskAgency.objects.create(task=first_task(), agency=make_agency(name="新加的单位"), position=99)
    return "新加的单位"


def unlink_agency(manager, period):
    TaskAgency.objects.filter(task=first_task()).delete()


def rename_agency(manager, period):
    link = TaskAgency.objects.filter(task=first_task()).first()
    Agency.objects.filter(pk=link.agency_id).update(name="改名的单位")
    return "改名的单位"


def rename_category(manager, period):
    TaskCategory.objects.filter(pk=first_task().category_id).update(title="改名的类别")
    return "改名的类别"


def rename_zone(manager, period):
    Zone.objects.filter(code="xiqing").update(name="改名的园区")
    return "改名的园区"


def rename_plan(manager, period):
    Plan.objects.filter(pk=period.plan_id).update(title="改名的方案")
    return "改名的方案"


def move_deadline(manager, period):
    # Past the deadline, a task without a report turns red.
    ReportingPeriod.objects.filter(pk=period.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1)
    )


WRITES = [
    rename_task,
    renumber_task,
    move_task,
    withdraw_task,
    close_task,
    recategorise_task,
    submit_report,
    accept_report,
    report_percent_raw,
    draft_report,
    overdue_milestone,
    add_milestone_service,
    link_agency,
    unlink_agency,
    rename_agency,
    rename_category,
    rename_zone,
    rename_plan,
    move_deadline,
]


@pytest.mark.parametrize("write", WRITES, ids=[write.__name__ for write in WRITES])
def test_a_write_of_what_the_list_shows_changes_the_next_page(
    as_manager, manager, period, write, django_assert_num_queries
):
    """The page drawn before the write is kept; the page after it is the page drawn from scratch,
    and differs from the one before (the write changed what is shown)."""
    if hasattr(write, "prepare"):
        write.prepare(manager, period)
    before = content(as_manager.get("/tasks/", LIST))
    with django_assert_num_queries(SESSION + TASK_LIST_KEPT + MANAGER_BAR):
        assert content(as_manager.get("/tasks/", LIST)) == before
    version = page_cache.data_version()
    expected = write(manager, period)
    assert page_cache.data_version() != version
    after = content(as_manager.get("/tasks/", LIST))
    cache.clear()
    assert after == content(as_manager.get("/tasks/", LIST))
    assert after != before
    if expected:
        assert expected in after and expected not in before


def test_another_user_with_the_same_role_gets_a_copy_of_their_own(
    client, as_manager, period, django_assert_num_queries
):
    as_manager.get("/tasks/", LIST)
    other = Client()
    other.force_login(make_user(Role.MANAGER))
    with django_assert_num_queries(SESSION + TASK_LIST + MANAGER_BAR):
        other.get("/tasks/", LIST)


def test_another_language_is_another_copy(as_manager, period):
    chinese = content(as_manager.get("/tasks/", LIST))
    as_manager.post("/i18n/setlang/", {"language": "en", "next": "/tasks/"})
    english = content(as_manager.get("/tasks/", LIST))
    assert "Xiqing ETDZ" in english and "Xiqing ETDZ" not in chinese
    assert "任务" in chinese and "<h1>Tasks</h1>" in english


def test_an_officer_of_another_zone_never_gets_their_copy(client, period):
    xiqing, beichen = Zone.objects.get(code="xiqing"), Zone.objects.get(code="beichen")
    client.force_login(make_user(Role.OFFICER, zones=[xiqing]))
    own = content(client.get("/tasks/"))
    other = Client()
    other.force_login(make_user(Role.OFFICER, zones=[beichen]))
    theirs = content(other.get("/tasks/"))
    assert first_task().get_absolute_url() in own and first_task().get_absolute_url() not in theirs
    assert "/zones/beichen/tasks/1/" in theirs and "/zones/beichen/tasks/1/" not in own


def test_a_changed_scope_misses_what_was_kept(client, period, django_assert_num_queries):
    officer = make_user(Role.OFFICER, zones=[Zone.objects.get(code="xiqing")])
    client.force_login(officer)
    before = content(client.get("/tasks/"))
    # A second zone given to the officer: profile rows, which no trigger counts; core.access's
    # answer is part of the key.
    officer.profile.zones.add(Zone.objects.get(code="beichen"))
    after = content(client.get("/tasks/"))
    assert "/zones/beichen/tasks/1/" in after and "/zones/beichen/tasks/1/" not in before


def test_another_day_is_another_copy(as_manager, period, monkeypatch, django_assert_num_queries):
    as_manager.get("/tasks/", LIST)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    with django_assert_num_queries(SESSION + TASK_LIST + MANAGER_BAR):
        as_manager.get("/tasks/", LIST)


def test_another_query_is_another_copy(as_manager, period):
    xiqing = content(as_manager.get("/tasks/", LIST))
    beichen = content(as_manager.get("/tasks/", {"zone": "beichen"}))
    page_two = content(as_manager.get("/tasks/", {**LIST, "page": 2}))
    assert len({xiqing, beichen, page_two}) == 3
    assert "/zones/beichen/tasks/1/" in beichen and "/zones/beichen/tasks/1/" not in xiqing


def message_cookie(text):
    """The messages cookie a view that said `text` would have set (the cookie storage goes first)."""
    storage = CookieStorage(RequestFactory().get("/"))
    response = HttpResponse()
    storage._store([Message(constants.SUCCESS, text)], response)
    return response.cookies[storage.cookie_name].value


def csrf_secret(response):
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()).group(1)
    return _unmask_cipher_token(token)


def test_messages_and_the_csrf_token_are_drawn_for_each_request(manager, period, django_assert_num_queries):
    first, second = Client(), Client()
    for client in (first, second):
        client.force_login(manager)
    first.cookies[CookieStorage.cookie_name] = message_cookie("只给第一个会话的消息")
    shown_first = first.get("/tasks/", LIST)
    second.cookies[CookieStorage.cookie_name] = message_cookie("只给第二个会话的消息")
    # The same user, language, query and data: the second session is served the kept content.
    with django_assert_num_queries(SESSION + TASK_LIST_KEPT + MANAGER_BAR):
        shown_second = second.get("/tasks/", LIST)
    assert "只给第一个会话的消息" in shown_first.content.decode()
    assert "只给第二个会话的消息" in shown_second.content.decode()
    assert "只给第一个会话的消息" not in shown_second.content.decode()
    assert "只给第二个会话的消息" not in shown_first.content.decode()
    assert csrf_secret(shown_first) == first.cookies[settings.CSRF_COOKIE_NAME].value
    assert csrf_secret(shown_second) == second.cookies[settings.CSRF_COOKIE_NAME].value
    assert csrf_secret(shown_first) != csrf_secret(shown_second)
    # A message is shown once: the next page of the first session, kept content and all, has none.
    assert "只给第一个会话的消息" not in first.get("/tasks/", LIST).content.decode()


def test_the_kept_content_holds_nothing_of_the_request(as_manager, manager, period):
    as_manager.get("/tasks/", LIST)
    (kept,) = [value for key, value in cache._cache.items() if "task-list" in key]
    text = pickle.loads(kept)
    assert "csrfmiddlewaretoken" not in text and manager.username not in text
    assert first_task().display_title in text


def test_the_export_is_never_served_from_the_kept_page(as_manager, period):
    as_manager.get("/tasks/", LIST)
    response = as_manager.get(reverse("measures:task-list-export", args=["csv"]), LIST)
    assert response["Content-Type"].startswith("text/csv")
