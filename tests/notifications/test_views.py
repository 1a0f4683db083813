"""The notification centre: who sees what, the bell, mark read, filters, preferences, and the notices
that services give on returned reports, answers, decisions and chases."""

import pytest
from django.urls import reverse

from core.roles import Role
from measures import services
from measures.choices import TaskStatus
from measures.models import Task
from notifications.choices import Level, Mode, NoticeKind
from notifications.models import Notification, Preference
from notifications.services import notify
from tests.factories import make_period, make_user
from tests.helpers import SESSION
from zones.models import Zone

pytestmark = pytest.mark.django_db
LIST = reverse("notifications:list")


@pytest.fixture
def xiqing():
    return Zone.objects.get(code="xiqing")


@pytest.fixture
def period(xiqing):
    return make_period(xiqing.plan, shift=0)


@pytest.fixture
def officer(xiqing):
    return make_user(Role.OFFICER, zones=[xiqing])


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


def returned_report(task, period, officer, manager):
    data = {"status": TaskStatus.ON_TRACK, "percent_complete": 30, "progress": "推进中"}
    report = services.save_report(task=task, period=period, user=officer, data=data)
    report = services.submit_report(report=report, user=officer)
    return services.return_report(report=report, user=manager, note="请补充数据")


def test_anonymous_are_sent_to_sign_in(client):
    for url in (LIST, reverse("notifications:preferences"), reverse("notifications:open", args=[1])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_returned_report_reaches_its_zones_officers_with_the_bell(client, xiqing, period, officer, manager):
    wuqing_officer = make_user(Role.OFFICER, zones=[Zone.objects.get(code="wuqing")])
    task = Task.objects.get(zone=xiqing, number=1)
    returned_report(task, period, officer, manager)
    (notice,) = Notification.objects.filter(recipient=officer)
    assert notice.kind == NoticeKind.REPORT_RETURNED and notice.needs_action and notice.zone == xiqing
    assert (
        notice.body == "请补充数据" and notice.url == f"{task.get_absolute_url()}?period={period.pk}#report"
    )
    assert not Notification.objects.filter(recipient__in=[manager, wuqing_officer]).exists()

    client.force_login(officer)
    page = client.get(reverse("measures:my")).content.decode()
    assert 'class="bell-count">1<' in page
    assert notice.title in page  # /my/ lists the unread notices that need action
    response = client.get(reverse("notifications:open", args=[notice.pk]))
    assert response.status_code == 302 and response.url == notice.url
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert "bell-count" not in client.get(LIST).content.decode()


def test_someone_elses_notice_is_not_found(client, xiqing, officer, manager):
    notify(kind=NoticeKind.CHASE, recipients=[officer], title="只给西青的通知", zone=xiqing)
    notice = Notification.objects.get()
    client.force_login(manager)
    assert client.get(reverse("notifications:open", args=[notice.pk])).status_code == 404
    assert "只给西青的通知" not in client.get(LIST).content.decode()
    client.post(reverse("notifications:mark-read"), {"ids": [notice.pk]})
    notice.refresh_from_db()
    assert notice.read_at is None


def test_a_notice_is_scoped_like_its_object(client, xiqing, officer):
    notify(kind=NoticeKind.CHASE, recipients=[officer], title="西青催办", zone=xiqing)
    client.force_login(officer)
    assert "西青催办" in client.get(LIST).content.decode()
    officer.profile.zones.set([Zone.objects.get(code="wuqing")])  # moved to another zone
    assert "西青催办" not in client.get(LIST).content.decode()


def test_filter_and_mark_read(client, xiqing, officer):
    notify(kind=NoticeKind.CHASE, recipients=[officer], title="催办甲", zone=xiqing)
    notify(
        kind=NoticeKind.ESCALATION, recipients=[officer], title="蓝色督办乙", zone=xiqing, level=Level.BLUE
    )
    client.force_login(officer)
    page = client.get(LIST, {"level": "blue"}).content.decode()
    assert "蓝色督办乙" in page and "催办甲" not in page
    page = client.get(LIST, {"kind": NoticeKind.CHASE}).content.decode()
    assert "催办甲" in page and "蓝色督办乙" not in page
    first = Notification.objects.get(title="催办甲")
    client.post(reverse("notifications:mark-read"), {"ids": [first.pk]})
    page = client.get(LIST, {"state": "unread"}).content.decode()
    assert "蓝色督办乙" in page and "催办甲" not in page
    assert client.post(reverse("notifications:mark-read"), {"ids": ["x"]}).status_code == 302
    client.post(reverse("notifications:mark-read"), {"all": "1"})
    assert not Notification.objects.unread().exists()
    assert client.get(LIST, {"kind": "nonsense"}).status_code == 200  # a bad filter says so, no error


def test_the_list_query_count_does_not_grow(client, xiqing, officer, django_assert_num_queries):
    client.force_login(officer)
    notify(kind=NoticeKind.CHASE, recipients=[officer], title="催办0", zone=xiqing)
    # access (with the unread count), the page's notices, their count for the paginator
    with django_assert_num_queries(SESSION + 3):
        client.get(LIST)
    for n in range(1, 30):
        notify(kind=NoticeKind.CHASE, recipients=[officer], title=f"催办{n}", zone=xiqing)
    with django_assert_num_queries(SESSION + 3):
        response = client.get(LIST)
    assert len(response.context["page_obj"]) == 30


def test_preferences_are_saved_per_kind(client, officer):
    client.force_login(officer)
    assert client.get(reverse("notifications:preferences")).status_code == 200
    data = {f"mode-{kind}": Mode.IMMEDIATE for kind in NoticeKind.values}
    data[f"mode-{NoticeKind.CHASE}"] = Mode.DAILY
    data[f"mode-{NoticeKind.ESCALATION}"] = Mode.IN_APP
    client.post(reverse("notifications:preferences"), data)
    assert dict(Preference.objects.filter(user=officer).values_list("kind", "mode")) == {
        NoticeKind.CHASE: Mode.DAILY,
        NoticeKind.ESCALATION: Mode.IN_APP,
    }
    data[f"mode-{NoticeKind.CHASE}"] = "sometimes"
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 200 and "sometimes" not in str(Preference.objects.values_list("mode"))


def test_a_chase_and_an_answer_reach_the_right_people(client, xiqing, period, officer, manager):
    task = Task.objects.get(zone=xiqing, number=1)
    agency = task.agency_links.first().agency
    liaison = make_user(Role.LIAISON, agency=agency)
    services.chase_zone(period=period, zone=xiqing, user=manager)
    chase = Notification.objects.get(recipient=officer, kind=NoticeKind.CHASE)
    assert chase.needs_action and chase.mailed_elsewhere and chase.actor == manager
    request = services.ask_agency(task=task, user=officer, agency=agency, question="请协调")
    asked = Notification.objects.get(recipient=liaison)
    assert asked.kind == NoticeKind.REQUEST_ASKED and asked.url == request.get_absolute_url()
    services.answer_request(request=request, user=liaison, answer="已协调")
    assert Notification.objects.filter(recipient=officer, kind=NoticeKind.REQUEST_ANSWERED).count() == 1
    assert not Notification.objects.filter(recipient=liaison, kind=NoticeKind.REQUEST_ANSWERED).exists()


def test_a_zone_leader_reads_the_zones_tasks_but_cannot_report(client, xiqing, period):
    leader = make_user(Role.LEADER, zones=[xiqing])
    task = Task.objects.get(zone=xiqing, number=1)
    client.force_login(leader)
    assert client.get(task.get_absolute_url()).status_code == 200
    other = Task.objects.get(zone__code="wuqing", number=1)
    assert client.get(other.get_absolute_url()).status_code == 404
    edit = reverse("measures:report-edit", args=[xiqing.code, 1, period.pk])
    assert client.get(edit).status_code == 403
