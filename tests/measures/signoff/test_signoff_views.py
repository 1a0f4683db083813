"""Sign-off pages: the leader's queue, the task page's sign-off form, the deputy page, the badge.
Each view: anonymous → sign-in, wrong role or foreign zone → 403/404, right role → 200/302; query
counts pinned and constant in rows."""

import datetime

import pytest
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import EventKind, ReportState, TaskStatus
from measures.models import Deputy, ProgressReport, ReportingPeriod, Task
from tests.factories import make_user
from zones.models import Plan, Zone

pytestmark = pytest.mark.django_db

# Pinned query counts, each constant in rows. Every page: the session, the user, their access (with
# unread notices and whether they deputise today) and the badge's count of reports to sign off.
# The queue adds its count, its rows and the filter's zone and period choices (8); /my/ for a
# leader the current periods, their tasks, the queue's count and rows, open requests, notices and
# the stocktakes' open assigned items of their zones (11; its tasks' agency links were read and not
# shown until the task list read them per page, f4c6239); the deputy page the deputies named, those
# stood in for and the form's people (7); the task page for a leader its usual reads (12).
QUEUE_QUERIES, MY_QUERIES, DEPUTY_QUERIES, TASK_QUERIES = 8, 11, 7, 12
# A deputy pays one more, for what they stand in for (core.access._stood_in_for).
DEPUTY_EXTRA = 1

LIST = "/signoff/"
DEPUTIES = "/my/deputy/"
MY = "/my/"


@pytest.fixture
def period():
    plan = Plan.objects.get(code="second-batch")
    Plan.objects.filter(pk=plan.pk).update(requires_signoff=True)
    today = timezone.localdate()
    return ReportingPeriod.objects.create(
        plan=plan,
        name="本季度",
        start=today - datetime.timedelta(days=30),
        end=today + datetime.timedelta(days=60),
        deadline=today + datetime.timedelta(days=70),
    )


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
def leader(xiqing):
    return make_user(Role.LEADER, zones=[xiqing])


@pytest.fixture
def foreign_leader():
    return make_user(Role.LEADER, zones=[Zone.objects.get(code="wuqing")])


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


def submit(task, period, officer):
    data = {"status": TaskStatus.ON_TRACK, "percent_complete": 20, "progress": "推进中"}
    report = services.save_report(task=task, period=period, user=officer, data=data)
    return services.submit_report(report=report, user=officer)


def signoff_url(task, period):
    return reverse("measures:report-signoff", args=[task.zone.code, task.number, period.pk])


def errors(response):
    return [m.message for m in messages.get_messages(response.wsgi_request) if m.level == messages.ERROR]


# --- the queue -----------------------------------------------------------------------------------


def test_queue_anonymous_goes_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", [Role.OFFICER, Role.MANAGER, Role.LIAISON, None])
def test_queue_refused_to_anyone_who_signs_nothing_off(client, xiqing, role):
    client.force_login(make_user(role, zones=[xiqing]) if role else make_user())
    assert client.get(LIST).status_code == 403


def test_queue_lists_the_leaders_zone_only_and_not_their_own_submissions(
    client, task, period, officer, leader, foreign_leader, xiqing
):
    report = submit(task, period, officer)
    # A report the leader wrote themselves waits for another leader: not in their queue.
    both = make_user(Role.LEADER, zones=[xiqing])
    both.groups.add(*officer.groups.all())
    own = submit(Task.objects.get(zone=xiqing, number=2), period, get_user_model().objects.get(pk=both.pk))
    client.force_login(leader)
    response = client.get(LIST)
    assert response.status_code == 200
    assert [r.pk for r in response.context["reports"]] == [report.pk, own.pk]
    assert response.context["total"] == 2
    client.force_login(both)
    assert [r.pk for r in client.get(LIST).context["reports"]] == [report.pk]
    client.force_login(foreign_leader)
    response = client.get(LIST)
    assert response.status_code == 200 and response.context["total"] == 0


def test_queue_filters_by_zone_and_search(client, task, period, officer, leader):
    submit(task, period, officer)
    client.force_login(leader)
    assert client.get(LIST, {"zone": "xiqing"}).context["total"] == 1
    assert client.get(LIST, {"q": "不存在的任务名"}).context["total"] == 0


def test_queue_query_count_is_constant_in_rows(client, task, period, officer, leader):
    submit(task, period, officer)
    client.force_login(leader)
    client.get(LIST)  # the session and the translations are warm from here on

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST)
        assert response.status_code == 200
        return len(queries), response.context["total"]

    before, total_before = count()
    for number in range(2, 7):
        submit(Task.objects.get(zone=task.zone, number=number), period, officer)
    after, total_after = count()
    assert total_after == total_before + 5
    assert before == after == QUEUE_QUERIES


# --- signing off from the task page -------------------------------------------------------------


def test_signoff_anonymous_goes_to_sign_in(client, task, period, officer):
    submit(task, period, officer)
    response = client.post(signoff_url(task, period), {"action": "sign_off"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_signoff_foreign_leader_does_not_find_the_task(client, task, period, officer, foreign_leader):
    submit(task, period, officer)
    client.force_login(foreign_leader)
    assert client.post(signoff_url(task, period), {"action": "sign_off"}).status_code == 404
    assert client.get(task.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("role", [Role.OFFICER, Role.MANAGER])
def test_signoff_refused_to_other_roles(client, task, period, officer, xiqing, role):
    submit(task, period, officer)
    client.force_login(officer if role == Role.OFFICER else make_user(role))
    assert client.post(signoff_url(task, period), {"action": "sign_off"}).status_code == 403


def test_leader_sees_the_form_and_signs_off(client, task, period, officer, leader):
    report = submit(task, period, officer)
    client.force_login(leader)
    page = client.get(task.get_absolute_url() + f"?period={period.pk}")
    assert page.status_code == 200
    assert 'id="signoff"' in page.content.decode() and "<form" in page.content.decode()
    response = client.post(
        signoff_url(task, period), {"action": "sign_off", "note": "同意", "version": report.version}
    )
    assert response.status_code == 302 and errors(response) == []
    assert ProgressReport.objects.get(pk=report.pk).state == ReportState.SUBMITTED


def test_send_back_without_a_note_is_refused_with_the_typing_kept(client, task, period, officer, leader):
    report = submit(task, period, officer)
    client.force_login(leader)
    response = client.post(
        signoff_url(task, period), {"action": "send_back", "note": "", "version": report.version}
    )
    assert response.status_code == 400
    assert response.context["signoff_form"].errors["note"]
    assert ProgressReport.objects.get(pk=report.pk).state == ReportState.AWAITING_SIGNOFF
    response = client.post(
        signoff_url(task, period), {"action": "send_back", "note": "请补充", "version": report.version}
    )
    assert response.status_code == 302
    assert ProgressReport.objects.get(pk=report.pk).state == ReportState.RETURNED


def test_the_officer_page_says_it_waits_for_signoff_and_managers_get_no_decision(
    client, task, period, officer, manager
):
    submit(task, period, officer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(officer)
    html = client.get(task.get_absolute_url() + f"?period={period.pk}").content.decode()
    assert "Waiting for the zone leader" in html and "awaiting-signoff" in html
    client.force_login(manager)
    html = client.get(task.get_absolute_url() + f"?period={period.pk}").content.decode()
    assert 'id="review"' not in html and "Record decision" not in html


def test_the_history_reads_deputy_for_principal(client, task, period, officer, leader):
    deputy = make_user(first_name="张", last_name="副")
    leader.first_name = "李主任"
    leader.save()
    services.name_deputy(
        principal=leader,
        deputy=deputy,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        user=leader,
    )
    report = submit(task, period, officer)
    client.force_login(deputy)
    response = client.post(signoff_url(task, period), {"action": "sign_off", "version": report.version})
    assert response.status_code == 302
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = client.get(task.get_absolute_url() + f"?period={period.pk}").content.decode()
    assert f"{deputy.get_full_name()} for 李主任" in html
    assert report.events.get(kind=EventKind.SIGNED_OFF).on_behalf_of == leader


def test_a_signed_off_report_is_not_recalled_by_the_deputy_who_is_also_the_zones_officer(
    client, task, period, officer, leader
):
    """The sign-off is the zone leader's word to the city: neither the officer who wrote the report
    nor a deputy who signed it off and is the zone's officer too may take it back; a manager returns
    it (ProgressReport.is_recallable)."""
    deputy = make_user(Role.OFFICER, zones=[task.zone])
    today = timezone.localdate()
    services.name_deputy(principal=leader, deputy=deputy, starts_on=today, ends_on=today, user=leader)
    report = submit(task, period, officer)
    recall = reverse("measures:report-recall", args=[task.zone.code, task.number, period.pk])
    page = task.get_absolute_url() + f"?period={period.pk}"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(deputy)
    # Before the sign-off any officer of the zone may still take it back.
    assert recall in client.get(page).content.decode()
    response = client.post(signoff_url(task, period), {"action": "sign_off", "version": report.version})
    assert response.status_code == 302 and errors(response) == []
    for user in (deputy, officer):
        client.force_login(user)
        assert recall not in client.get(page).content.decode()
        response = client.post(recall)
        assert response.status_code == 302
        assert errors(response) == [
            "The zone leader has signed this report off, so it can no longer be recalled. "
            "Ask a manager to return it if it needs changes."
        ]
        assert ProgressReport.objects.get(pk=report.pk).state == ReportState.SUBMITTED
    assert not report.events.filter(kind=EventKind.RECALLED).exists()


def test_a_deputys_queue_costs_one_query_more(client, task, period, officer, leader):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    deputy = make_user()
    today = timezone.localdate()
    services.name_deputy(principal=leader, deputy=deputy, starts_on=today, ends_on=today, user=leader)
    submit(task, period, officer)
    client.force_login(deputy)
    client.get(LIST)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    assert response.context["total"] == 1
    assert len(queries) == QUEUE_QUERIES + DEPUTY_EXTRA


def test_a_deputy_out_of_range_neither_sees_nor_signs(client, task, period, officer, leader):
    deputy = make_user()
    Deputy.objects.create(
        principal=leader,
        deputy=deputy,
        starts_on=timezone.localdate() + datetime.timedelta(days=1),
        ends_on=timezone.localdate() + datetime.timedelta(days=2),
        created_at=timezone.now(),
        created_by=leader,
    )
    submit(task, period, officer)
    client.force_login(deputy)
    assert client.post(signoff_url(task, period), {"action": "sign_off"}).status_code == 404
    assert client.get(LIST).status_code == 403


def test_task_page_query_count_for_a_leader_is_constant_in_history(
    client, task, period, officer, leader, manager
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    report = submit(task, period, officer)
    client.force_login(leader)
    url = task.get_absolute_url() + f"?period={period.pk}"
    client.get(url)
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    for round_ in range(3):
        report = services.send_back_report(report=report, user=leader, note=f"退回{round_}")
        report = services.submit_report(report=report, user=officer)
    with CaptureQueriesContext(connection) as second:
        response = client.get(url)
    assert response.status_code == 200 and len(second) == len(first) == TASK_QUERIES


# --- /my/ and the badge ----------------------------------------------------------------------------


def test_my_page_shows_the_leader_the_true_count(client, task, period, officer, leader):
    submit(task, period, officer)
    client.force_login(leader)
    response = client.get(MY)
    assert response.context["signoff_count"] == 1
    assert [r.task_id for r in response.context["awaiting_signoff"]] == [task.pk]
    assert 'id="awaiting-signoff"' in response.content.decode()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        client.get(MY)
    for number in range(2, 5):
        submit(Task.objects.get(zone=task.zone, number=number), period, officer)
    with CaptureQueriesContext(connection) as second:
        response = client.get(MY)
    assert response.context["signoff_count"] == 4
    assert len(second) == len(first) == MY_QUERIES


def test_badge_counts_what_the_leader_can_sign_off(client, task, period, officer, leader):
    client.force_login(leader)
    html = client.get(MY).content.decode()
    assert 'id="nav-signoff"' in html and 'class="nav-badge"' not in html.split('id="nav-signoff"')[1][:300]
    submit(task, period, officer)
    submit(Task.objects.get(zone=task.zone, number=2), period, officer)
    html = client.get(MY).content.decode()
    badge = html.split('id="nav-signoff"')[1].split("</a>")[0]
    assert '<span class="nav-badge"' in badge and ">2</span>" in badge


def test_no_badge_for_officers_and_managers(client, officer, manager):
    for user in (officer, manager):
        client.force_login(user)
        assert 'id="nav-signoff"' not in client.get(MY).content.decode()


# --- the deputy page -----------------------------------------------------------------------------


def test_deputy_page_anonymous_goes_to_sign_in(client):
    response = client.get(DEPUTIES)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", [Role.OFFICER, Role.LIAISON, None])
def test_deputy_page_refused_to_those_who_name_none(client, xiqing, role):
    client.force_login(make_user(role, zones=[xiqing]) if role else make_user())
    assert client.get(DEPUTIES).status_code == 403


def test_leader_names_and_withdraws_a_deputy(client, leader, officer):
    client.force_login(leader)
    assert client.get(DEPUTIES).status_code == 200
    today = timezone.localdate()
    response = client.post(
        DEPUTIES,
        {
            "deputy": officer.pk,
            "starts_on": today.isoformat(),
            "ends_on": today.isoformat(),
            "reason": "出差",
        },
    )
    assert response.status_code == 302
    row = Deputy.objects.get(principal=leader)
    assert (row.deputy, row.reason, row.created_by) == (officer, "出差", leader)
    response = client.post(reverse("measures:deputy-withdraw", args=[row.pk]))
    assert response.status_code == 302
    assert Deputy.objects.get(pk=row.pk).withdrawn_at is not None


def test_a_bad_range_is_refused_with_the_form_kept(client, leader, officer):
    client.force_login(leader)
    today = timezone.localdate()
    response = client.post(
        DEPUTIES,
        {
            "deputy": officer.pk,
            "starts_on": today.isoformat(),
            "ends_on": (today - datetime.timedelta(days=1)).isoformat(),
            "reason": "休假",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["ends_on"]
    assert 'value="休假"' in response.content.decode()
    assert not Deputy.objects.exists()


def test_someone_elses_deputyship_is_not_found(client, leader, manager, officer):
    today = timezone.localdate()
    row = services.name_deputy(
        principal=manager, deputy=officer, starts_on=today, ends_on=today, user=manager
    )
    client.force_login(leader)
    assert client.post(reverse("measures:deputy-withdraw", args=[row.pk])).status_code == 404
    assert Deputy.objects.get(pk=row.pk).withdrawn_at is None


def test_deputy_page_query_count_is_constant_in_rows(client, leader):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    today = timezone.localdate()
    client.force_login(leader)
    client.get(DEPUTIES)
    with CaptureQueriesContext(connection) as first:
        client.get(DEPUTIES)
    for k in range(4):
        day = today + datetime.timedelta(days=k * 3)
        services.name_deputy(principal=leader, deputy=make_user(), starts_on=day, ends_on=day, user=leader)
    with CaptureQueriesContext(connection) as second:
        response = client.get(DEPUTIES)
    assert len(response.context["named"]) == 4
    assert len(second) == len(first) == DEPUTY_QUERIES


def test_a_managers_deputy_gets_the_review_queue_on_my_page(client, task, period, officer, leader, manager):
    deputy = make_user(Role.OFFICER, zones=[Zone.objects.get(code="wuqing")])
    today = timezone.localdate()
    services.name_deputy(principal=manager, deputy=deputy, starts_on=today, ends_on=today, user=manager)
    services.sign_off_report(report=submit(task, period, officer), user=leader)
    client.force_login(deputy)
    response = client.get(MY)
    assert [r.task_id for r in response.context["awaiting_review"]] == [task.pk]


# --- the admin -----------------------------------------------------------------------------------


def test_admin_names_a_deputy_through_the_service_and_refuses_an_overlap(client, leader, officer):
    admin = make_user(Role.ADMINISTRATOR)
    client.force_login(admin)
    add = reverse("admin:measures_deputy_add")
    today = timezone.localdate()
    data = {
        "principal": leader.pk,
        "deputy": officer.pk,
        "starts_on": today.isoformat(),
        "ends_on": (today + datetime.timedelta(days=3)).isoformat(),
        "reason": "休假",
    }
    assert client.get(add).status_code == 200
    response = client.post(add, data)
    assert response.status_code == 302
    row = Deputy.objects.get(principal=leader)
    assert (row.deputy, row.created_by) == (officer, admin)
    response = client.post(add, {**data, "deputy": make_user().pk})
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert Deputy.objects.filter(principal=leader).count() == 1
    # Never deleted or edited: withdrawn, which keeps the row.
    assert client.post(reverse("admin:measures_deputy_delete", args=[row.pk])).status_code == 403
    response = client.post(
        reverse("admin:measures_deputy_changelist"),
        {"action": "withdraw_selected", "_selected_action": [row.pk]},
    )
    assert response.status_code == 302
    assert Deputy.objects.get(pk=row.pk).withdrawn_by == admin


def test_admin_refuses_a_principal_who_is_no_leader_or_manager(client, officer):
    client.force_login(make_user(Role.ADMINISTRATOR))
    today = timezone.localdate().isoformat()
    response = client.post(
        reverse("admin:measures_deputy_add"),
        {"principal": officer.pk, "deputy": make_user().pk, "starts_on": today, "ends_on": today},
    )
    assert response.status_code == 200
    assert "principal" in response.context["adminform"].form.errors
    assert not Deputy.objects.exists()


def test_a_liaison_deputising_for_a_leader_reads_and_signs_the_report(client, task, period, officer, leader):
    # A liaison reads only reported reports, but one standing in for the leader reads what they sign.
    agency = task.agency_links.select_related("agency").first().agency
    liaison = make_user(Role.LIAISON, agency=agency)
    today = timezone.localdate()
    services.name_deputy(principal=leader, deputy=liaison, starts_on=today, ends_on=today, user=leader)
    report = submit(task, period, officer)
    client.force_login(liaison)
    page = client.get(task.get_absolute_url() + f"?period={period.pk}")
    assert page.context["report"].pk == report.pk and page.context["may_sign_off"]
    response = client.post(signoff_url(task, period), {"action": "sign_off", "version": report.version})
    assert response.status_code == 302 and errors(response) == []
    assert ProgressReport.objects.get(pk=report.pk).state == ReportState.SUBMITTED


def test_the_leaders_button_names_a_sign_off_not_a_review(client, task, period, officer, leader):
    submit(task, period, officer)
    client.force_login(leader)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    html = client.get(task.get_absolute_url() + f"?period={period.pk}").content.decode()
    form = html.split('class="review-form signoff-form"')[1].split("</form>")[0]
    assert "提交签批意见" in form and "审核意见" not in form
