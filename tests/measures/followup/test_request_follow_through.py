"""Coordination requests followed through (issues 15, 16): a reply-by date set when asking (the
plan's usual time by default), the overdue rule defined once, asking again after an answer that
did not help (one history row, a notice to the agency's liaisons), answering from the agency page,
and the managers' overdue table by agency whose counts open exactly their rows."""

import datetime
import re
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import EventKind, RequestState
from measures.models import CoordinationRequest, ReportEvent, Task
from notifications.choices import NoticeKind
from notifications.models import EscalationRule, Notification
from tests.factories import make_user
from tests.helpers import SESSION

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def task():
    return Task.objects.select_related("zone__plan").get(zone__code="xiqing", number=1)


@pytest.fixture
def agency(task):
    return task.agency_links.order_by("position").first().agency


@pytest.fixture
def officer(task):
    return make_user(Role.OFFICER, zones=[task.zone])


@pytest.fixture
def liaison(agency):
    return make_user(Role.LIAISON, agency=agency)


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


def ask(task, officer, agency, **fields):
    return services.ask_agency(task=task, user=officer, agency=agency, question="请协调用地指标", **fields)


def make_overdue(request, days=3):
    CoordinationRequest.objects.filter(pk=request.pk).update(reply_by=TODAY - datetime.timedelta(days=days))


# --- reply-by date ----------------------------------------------------------------------------


@override_settings(FTZ_REQUEST_REPLY_DAYS=12)
def test_reply_by_defaults_to_the_setting_without_an_escalation_rule(task, officer, agency):
    request = ask(task, officer, agency)
    assert request.reply_by == TODAY + datetime.timedelta(days=12)
    event = ReportEvent.objects.get(kind=EventKind.REQUEST_OPENED, changes__request=request.pk)
    assert event.changes["reply_by"] == request.reply_by.isoformat()


def test_reply_by_defaults_to_the_plans_escalation_rule(task, officer, agency):
    EscalationRule.objects.create(plan=task.zone.plan, request_reply_days=4)
    assert ask(task, officer, agency).reply_by == TODAY + datetime.timedelta(days=4)


def test_a_reply_by_date_named_is_kept_and_one_in_the_past_refused(task, officer, agency):
    named = TODAY + datetime.timedelta(days=30)
    assert ask(task, officer, agency, reply_by=named).reply_by == named
    with pytest.raises(ValidationError) as refused:
        ask(task, officer, agency, reply_by=TODAY - datetime.timedelta(days=1))
    assert "reply_by" in refused.value.error_dict
    assert CoordinationRequest.objects.filter(task=task).count() == 1


# --- the overdue rule -------------------------------------------------------------------------


def test_overdue_is_open_past_its_reply_by_date_on_a_task_still_carried_out(task, officer, agency, liaison):
    late, on_time, answered = (
        ask(task, officer, agency),
        ask(task, officer, agency),
        ask(task, officer, agency),
    )
    make_overdue(late)
    make_overdue(answered)
    services.answer_request(request=answered, user=liaison, answer="已协调")
    assert list(CoordinationRequest.objects.overdue()) == [late]
    flags = dict(CoordinationRequest.objects.with_overdue().values_list("pk", "overdue"))
    assert flags == {late.pk: True, on_time.pk: False, answered.pk: False}
    late.refresh_from_db()
    assert late.is_overdue() and not on_time.is_overdue()
    # Due today is not late yet.
    assert not CoordinationRequest.objects.overdue(TODAY - datetime.timedelta(days=3)).exists()
    Task.objects.filter(pk=task.pk).update(closed_at=timezone.now())
    assert not CoordinationRequest.objects.overdue().exists()


# --- asking again -----------------------------------------------------------------------------


def test_asking_again_reopens_with_one_history_row_and_tells_the_liaisons(task, officer, agency, liaison):
    other_liaison = make_user(Role.LIAISON, agency=agency)
    request = ask(task, officer, agency)
    services.answer_request(request=request, user=liaison, answer="请自行联系")
    before = ReportEvent.objects.count()
    reopened = services.reopen_request(request=request, user=officer, note="答复未解决用地指标问题")
    assert ReportEvent.objects.count() == before + 1
    event = ReportEvent.objects.latest("pk")
    assert event.kind == EventKind.REQUEST_REOPENED and event.note == "答复未解决用地指标问题"
    reopened.refresh_from_db()
    assert reopened.state == RequestState.OPEN and reopened.reopen_note == "答复未解决用地指标问题"
    # The answer given stays for the agency to read; the ladder starts again from a new date.
    assert reopened.answer == "请自行联系" and reopened.reply_by > TODAY
    notices = Notification.objects.filter(kind=NoticeKind.REQUEST_REOPENED)
    assert set(notices.values_list("recipient", flat=True)) == {liaison.pk, other_liaison.pk}
    assert all(f"#request-{request.pk}" in notice.url for notice in notices)
    # Answered again, it can be asked again again.
    services.answer_request(request=reopened, user=liaison, answer="已协调规划部门")
    services.reopen_request(request=reopened, user=officer, note="仍需书面意见")
    assert ReportEvent.objects.filter(kind=EventKind.REQUEST_REOPENED).count() == 2


def test_only_an_answered_request_with_a_note_from_its_zone_is_asked_again(
    task, officer, agency, liaison, manager
):
    request = ask(task, officer, agency)
    with pytest.raises(ValidationError):
        services.reopen_request(request=request, user=officer, note="还没答复")
    services.answer_request(request=request, user=liaison, answer="已协调")
    with pytest.raises(ValidationError) as refused:
        services.reopen_request(request=request, user=officer, note="  ")
    assert "note" in refused.value.error_dict
    outsider = make_user(Role.OFFICER, zones=[Task.objects.get(zone__code="wuqing", number=1).zone])
    for user in (liaison, outsider, manager):
        with pytest.raises(PermissionDenied):
            services.reopen_request(request=request, user=user, note="越权")
    assert not ReportEvent.objects.filter(kind=EventKind.REQUEST_REOPENED).exists()
    assert CoordinationRequest.objects.get(pk=request.pk).state == RequestState.ANSWERED


# --- answering from the agency page -----------------------------------------------------------


def answer_url(agency, request):
    return reverse("zones:agency-request-answer", args=[agency.pk, request.pk])


def test_the_agency_page_offers_an_answer_form_per_open_request_to_its_liaison(
    client, task, officer, agency, liaison
):
    open_one, answered = ask(task, officer, agency), ask(task, officer, agency)
    services.answer_request(request=answered, user=liaison, answer="已协调")
    make_overdue(open_one)
    client.force_login(liaison)
    html = client.get(agency.get_absolute_url()).content.decode()
    assert html.count('action="' + answer_url(agency, open_one) + '"') == 1
    assert answer_url(agency, answered) not in html
    assert "Overdue" in html or "逾期" in html


def test_answering_on_the_agency_page(client, task, officer, agency, liaison):
    request = ask(task, officer, agency)
    url = answer_url(agency, request)
    assert client.post(url, {f"answer-{request.pk}-answer": "x"}).url.startswith(reverse("login"))
    client.force_login(liaison)
    response = client.post(url, {f"answer-{request.pk}-answer": "已协调规划部门"})
    assert response.status_code == 302 and response.url == f"{agency.get_absolute_url()}#request-{request.pk}"
    request.refresh_from_db()
    assert request.state == RequestState.ANSWERED and request.answer == "已协调规划部门"
    assert (
        ReportEvent.objects.filter(kind=EventKind.REQUEST_ANSWERED, changes__request=request.pk).count() == 1
    )


def test_a_refused_answer_draws_the_agency_page_again_with_what_was_typed(
    client, task, officer, agency, liaison
):
    request = ask(task, officer, agency)
    services.close_request(request=request, user=officer)
    client.force_login(liaison)
    response = client.post(answer_url(agency, request), {f"answer-{request.pk}-answer": "迟到的答复"})
    assert response.status_code == 400
    # Closed, the request offers no form: the refusal is said at the top, not lost.
    html = response.content.decode()
    assert "This request has been closed." in html or "该请求已关闭" in html or "已关闭" in html
    assert CoordinationRequest.objects.get(pk=request.pk).answer == ""


def test_an_empty_answer_is_refused_on_the_form(client, task, officer, agency, liaison):
    request = ask(task, officer, agency)
    client.force_login(liaison)
    response = client.post(answer_url(agency, request), {f"answer-{request.pk}-answer": ""})
    assert response.status_code == 400
    assert f'id="id_answer-{request.pk}-answer_error"' in response.content.decode()


def test_only_the_agencys_liaison_answers_from_its_page(client, task, officer, agency, manager):
    request = ask(task, officer, agency)
    url = answer_url(agency, request)
    data = {f"answer-{request.pk}-answer": "越权"}
    other = Task.objects.get(zone__code="wuqing", number=1).agency_links.exclude(agency=agency).first().agency
    client.force_login(make_user(Role.LIAISON, agency=other))
    assert client.post(url, data).status_code == 404
    client.force_login(manager)
    assert client.post(url, data).status_code == 403
    client.force_login(officer)
    assert client.post(url, data).status_code in (403, 404)
    assert CoordinationRequest.objects.get(pk=request.pk).state == RequestState.OPEN


# --- asking again on the task page ------------------------------------------------------------


def reopen_url(task, request):
    return reverse("measures:request-reopen", args=[task.zone.code, task.number, request.pk])


def test_asking_again_on_the_task_page(client, task, officer, agency, liaison):
    request = ask(task, officer, agency)
    services.answer_request(request=request, user=liaison, answer="请自行联系")
    url = reopen_url(task, request)
    data = {f"reopen-{request.pk}-note": "答复未解决问题"}
    assert client.post(url, data).url.startswith(reverse("login"))
    client.force_login(liaison)
    assert client.post(url, data).status_code == 403
    client.force_login(officer)
    page = client.get(task.get_absolute_url()).content.decode()
    assert f'action="{url}' in page
    assert client.post(url, {f"reopen-{request.pk}-note": ""}).status_code == 400
    assert client.post(url, data).status_code == 302
    assert CoordinationRequest.objects.get(pk=request.pk).state == RequestState.OPEN


# --- the managers' overdue table --------------------------------------------------------------

COUNT = re.compile(r'<a href="([^"]+)" data-count="(open|overdue)">(?:<strong>)?(\d+)')


@pytest.fixture
def spread(task, officer, agency):
    """Requests to two agencies: some overdue, some not, one answered, one on another zone."""
    second = task.agency_links.order_by("position")[1].agency
    made = [ask(task, officer, agency) for _ in range(3)] + [ask(task, officer, second)]
    for request in made[:2] + made[3:]:
        make_overdue(request)
    liaison = make_user(Role.LIAISON, agency=agency)
    services.answer_request(request=ask(task, officer, agency), user=liaison, answer="已答")
    return agency, second


def test_overdue_table_for_managers_only(client, officer, liaison, manager, spread):
    url = reverse("measures:requests-overdue")
    assert client.get(url).url.startswith(reverse("login"))
    for user in (officer, liaison):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.get(reverse("measures:request-list")).status_code == 403
    client.force_login(manager)
    assert client.get(url).status_code == 200


def test_each_count_opens_exactly_its_rows(client, manager, spread):
    client.force_login(manager)
    html = client.get(reverse("measures:requests-overdue")).content.decode()
    links = COUNT.findall(html)
    agency, second = spread
    counts = {(kind, re.search(r"agency=(\d+)", unescape(href)).group(1)): int(n) for href, kind, n in links}
    assert counts == {
        ("open", str(agency.pk)): 3,
        ("overdue", str(agency.pk)): 2,
        ("open", str(second.pk)): 1,
        ("overdue", str(second.pk)): 1,
    }
    for href, _kind, number in links:
        listed = client.get(unescape(href))
        assert listed.status_code == 200
        assert listed.context["paginator"].count == int(number)


def test_overdue_table_and_list_query_counts_do_not_grow_with_rows(
    client, task, officer, manager, spread, django_assert_num_queries
):
    client.force_login(manager)
    pages = [reverse("measures:requests-overdue"), reverse("measures:request-list")]

    def counted(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    before = [counted(url) for url in pages]
    for link in task.agency_links.all():
        for _ in range(3):
            make_overdue(ask(task, officer, link.agency))
    assert [counted(url) for url in pages] == before
    # Pinned: session and user, roles, then the page's own reads.
    # Pinned: session and user, roles with the bell, the top bar's badges, the table (one
    # aggregate), the plan and zone choices of its filter.
    with django_assert_num_queries(SESSION + 5):
        client.get(pages[0])
