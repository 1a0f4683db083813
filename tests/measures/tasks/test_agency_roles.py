"""Agency roles on tasks: the lead agency's liaison reports; roles show, filter and export."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from core.access import can_report
from core.roles import Role
from measures.choices import AgencyRole, TaskStatus
from measures.exports.rows import agencies_as_written
from measures.models import ProgressReport, ReportingPeriod, Task, TaskAgency
from measures.services import save_report
from tests.factories import make_agency, make_task, make_user
from zones.models import Plan, Zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def period():
    return ReportingPeriod.objects.create(
        plan=Plan.objects.get(code="second-batch"),
        name="2026年第四季度",
        start=datetime.date(2026, 10, 1),
        end=datetime.date(2026, 12, 31),
        deadline=datetime.date(2027, 1, 10),
    )


@pytest.fixture
def led_task():
    lead, helper = make_agency(name="牵头局"), make_agency(name="配合局")
    zone = Zone.objects.get(code="xiqing")
    task = make_task(zone=zone, number=90)
    TaskAgency.objects.create(task=task, agency=lead, position=1, role=AgencyRole.LEAD)
    TaskAgency.objects.create(task=task, agency=helper, position=2, role=AgencyRole.COOPERATING)
    return task


def test_lead_agency_liaison_reports_and_cooperating_one_does_not(led_task, period):
    lead_liaison = make_user(Role.LIAISON, agency=led_task.agency_links.get(role="lead").agency)
    other_liaison = make_user(Role.LIAISON, agency=led_task.agency_links.get(role="cooperating").agency)
    assert can_report(lead_liaison, led_task)
    assert not can_report(other_liaison, led_task)
    data = {"status": TaskStatus.ON_TRACK, "percent_complete": 30, "progress": "推进中"}
    report = save_report(task=led_task, period=period, user=lead_liaison, data=data)
    assert report.updated_by == lead_liaison
    with pytest.raises(PermissionDenied):
        save_report(task=led_task, period=period, user=other_liaison, data=data)
    assert ProgressReport.objects.filter(task=led_task).count() == 1


def test_lead_liaison_sees_the_report_form(client, led_task, period):
    liaison = make_user(Role.LIAISON, agency=led_task.agency_links.get(role="lead").agency)
    client.force_login(liaison)
    url = f"/zones/xiqing/tasks/90/periods/{period.pk}/report/"
    assert client.get(url).status_code == 200
    client.force_login(make_user(Role.LIAISON, agency=led_task.agency_links.get(role="cooperating").agency))
    assert client.get(url).status_code == 403


def test_task_page_shows_roles(client, led_task):
    client.force_login(make_user(Role.MANAGER))
    page = client.get("/zones/xiqing/tasks/90/").content.decode()
    assert "牵头局" in page and "role-lead" in page and "role-cooperating" in page


def test_task_list_filters_by_role(client, led_task):
    client.force_login(make_user(Role.MANAGER))
    lead = led_task.agency_links.get(role="lead").agency
    tasks = client.get("/tasks/", {"role": "lead"}).context["tasks"]
    assert [t.pk for t in tasks] == [led_task.pk]
    assert [
        t.pk for t in client.get("/tasks/", {"role": "cooperating", "agency": lead.pk}).context["tasks"]
    ] == []
    supporting = client.get("/tasks/", {"role": "supporting", "zone": "xiqing"}).context["paginator"].count
    assert supporting == Task.objects.filter(zone__code="xiqing").exclude(pk=led_task.pk).count()


def test_agency_list_filters_by_role(client, led_task):
    client.force_login(make_user(Role.MANAGER))
    names = [a.name for a in client.get("/agencies/", {"role": "lead"}).context["agencies"]]
    assert names == ["牵头局"]


def test_api_gives_roles(client, led_task):
    from rest_framework.authtoken.models import Token

    user = make_user(Role.MANAGER)
    token = Token.objects.create(user=user)
    row = client.get(f"/api/v1/tasks/{led_task.pk}/", HTTP_AUTHORIZATION=f"Token {token.key}").json()
    assert [(a["name"], a["role"]) for a in row["agencies"]] == [
        ("牵头局", "lead"),
        ("配合局", "cooperating"),
    ]


@pytest.mark.parametrize(
    ("written", "exported"),
    [
        ("（支持单位：市科技局、天津海关）", "市科技局、天津海关"),
        ("（牵头单位：市商务局；配合单位：天津海关）", "牵头单位：市商务局；配合单位：天津海关"),
        ("〔责任单位：市商务局〕", "责任单位：市商务局"),
    ],
)
def test_exports_keep_role_labels(written, exported):
    assert agencies_as_written(written) == exported


def test_lead_liaisons_my_page_lists_what_to_report(client, led_task, period):
    # A period running today, so the task is owed a report now.
    import datetime as dt

    from measures.models import ReportingPeriod

    today = dt.date.today()
    ReportingPeriod.objects.filter(pk=period.pk).update(
        start=today - dt.timedelta(days=10),
        end=today + dt.timedelta(days=20),
        deadline=today + dt.timedelta(days=30),
    )
    lead = led_task.agency_links.get(role="lead").agency
    client.force_login(make_user(Role.LIAISON, agency=lead))
    to_report = client.get("/my/").context["to_report"]
    assert [t.pk for t in to_report] == [led_task.pk]
    client.force_login(make_user(Role.LIAISON, agency=led_task.agency_links.get(role="cooperating").agency))
    assert client.get("/my/").context["to_report"] == []


def test_a_cooperating_liaison_reads_submitted_reports_not_zone_drafts(client, led_task, period):
    """The one rule (reports_shown_to): on the task page, its history, the task list, the period
    report and the API; the lead agency's liaison, who writes the report, still reads the draft."""
    from django.urls import reverse

    from measures.services import submit_report

    officer = make_user(Role.OFFICER, zones=[led_task.zone])
    helper = make_user(Role.LIAISON, agency=led_task.agency_links.get(role="cooperating").agency)
    lead = make_user(Role.LIAISON, agency=led_task.agency_links.get(role="lead").agency)
    data = {"status": TaskStatus.ON_TRACK, "percent_complete": 40, "progress": "草稿里的进展XYZ"}
    report = save_report(task=led_task, period=period, user=officer, data=data)
    pages = [
        f"{led_task.get_absolute_url()}?period={period.pk}",
        reverse("measures:task-list"),
        reverse("measures:period-report-html", args=[period.pk]),
        "/api/v1/reports/",
        f"/api/v1/tasks/{led_task.pk}/",
    ]

    def read(user):
        client.force_login(user)
        return {url: client.get(url).content.decode() for url in pages}

    shown = read(helper)
    assert all("草稿里的进展XYZ" not in page for page in shown.values()), shown.keys()
    assert f'"id":{report.pk},' not in shown["/api/v1/reports/"].replace(" ", "")
    assert "草稿里的进展XYZ" in read(lead)[pages[0]]
    submit_report(report=report, user=officer)
    shown = read(helper)
    assert "草稿里的进展XYZ" in shown[pages[0]]
    assert "草稿里的进展XYZ" in shown[pages[2]]
    assert "草稿里的进展XYZ" in shown["/api/v1/reports/"]
    assert ProgressReport.objects.shown_to(helper).get() == report
