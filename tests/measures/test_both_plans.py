"""Every page, filter and report works for the five-year plan as well as the second-batch plan.

The session loads only the second-batch plan (tests/conftest.py); here the five-year plan is
loaded beside it, as `make run` does, and each page is asked for the five-year plan's data."""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from openpyxl import load_workbook

from core.roles import Role
from measures import services
from measures.choices import OutcomeType, TaskStatus
from measures.models import ReportingPeriod, Task
from measures.periods.services import create_quarterly_periods
from tests.factories import make_user
from zones.models import Plan, Zone

pytestmark = pytest.mark.django_db

FYP = "ftz-14th-fyp"
REPORT = {
    "status": TaskStatus.ON_TRACK,
    "percent_complete": 30,
    "progress": "商业保理业务规模稳步扩大",
    "problems": "",
    "next_steps": "",
    "support_needed": "",
    "support_agency": None,
}


@pytest.fixture
def both_plans():
    call_command("load_plan", str(settings.PLAN_FIXTURE_DIR / "ftz-14th-fyp.json"), stdout=io.StringIO())
    for plan in Plan.objects.all():
        create_quarterly_periods(plan=plan, year=2026)
    return Plan.objects.get(code=FYP)


@pytest.fixture
def ftz():
    return Zone.objects.get(code="tianjin-ftz")


@pytest.fixture
def manager_client(client, both_plans):
    client.force_login(make_user(Role.MANAGER))
    return client


def fyp_period():
    return ReportingPeriod.objects.filter(plan__code=FYP).order_by("start").last()


def test_task_list_filters_by_plan(manager_client):
    fyp = manager_client.get("/tasks/", {"plan": FYP})
    assert fyp.status_code == 200
    assert fyp.context["paginator"].count == Task.objects.filter(zone__plan__code=FYP).count() == 91
    second = manager_client.get("/tasks/", {"plan": "second-batch"})
    assert second.context["paginator"].count == Task.objects.filter(zone__plan__code="second-batch").count()
    # With a plan chosen, the zone choice offers only that plan's zones.
    zone_choices = {code for code, _label in fyp.context["filter"].form.fields["zone"].choices if code}
    assert zone_choices == set(Zone.objects.filter(plan__code=FYP).values_list("code", flat=True))


def test_a_zone_of_the_other_plan_is_reported_not_500(manager_client):
    response = manager_client.get("/tasks/", {"plan": FYP, "zone": "xiqing"})
    assert response.status_code == 200
    assert "alert-error" in response.content.decode()


def test_five_year_plan_measures_show_their_chapter_section_paragraph_number(manager_client):
    html = manager_client.get("/tasks/", {"plan": FYP, "q": "商业保理"}).content.decode()
    task = Task.objects.get(zone__plan__code=FYP, title__contains="商业保理之都")
    assert f'<td class="num">{task.code}</td>' in html
    page = manager_client.get(task.get_absolute_url()).content.decode()
    assert task.code in page and task.text in page


def test_dashboard_for_the_five_year_plan(manager_client, ftz):
    officer = make_user(Role.OFFICER, zones=[ftz])
    task = Task.objects.filter(zone=ftz).order_by("number").first()
    services.save_and_submit_report(task=task, period=fyp_period(), user=officer, data=REPORT)
    response = manager_client.get("/", {"plan": FYP})
    assert response.status_code == 200
    assert response.context["plan"].code == FYP
    html = response.content.decode()
    assert ftz.name in html
    assert "西青" not in html.split("<main", 1)[1]


def test_period_report_and_excel_for_the_five_year_plan(manager_client, ftz):
    period = fyp_period()
    officer = make_user(Role.OFFICER, zones=[ftz])
    task = Task.objects.filter(zone=ftz).order_by("number").first()
    services.save_and_submit_report(task=task, period=period, user=officer, data=REPORT)
    html = manager_client.get(f"/reports/period/{period.pk}/")
    assert html.status_code == 200
    # Several zones give their summary, each zone's rows on its own page.
    assert f'?zone={ftz.code}">{ftz.name}</a>' in html.content.decode()
    zone_html = manager_client.get(f"/reports/period/{period.pk}/", {"zone": ftz.code})
    assert REPORT["progress"] in zone_html.content.decode()
    xlsx = manager_client.get(f"/reports/period/{period.pk}/xlsx")
    assert xlsx.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content) if xlsx.streaming else xlsx.content))
    cells = [cell for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row]
    assert REPORT["progress"] in cells


def test_officer_of_a_five_year_plan_area_works_on_my_page(client, both_plans, ftz):
    officer = make_user(Role.OFFICER, zones=[ftz])
    client.force_login(officer)
    response = client.get("/my/")
    assert response.status_code == 200
    html = response.content.decode()
    assert ftz.name in html


def test_outcome_list_filters_by_plan(manager_client, ftz):
    officer = make_user(Role.OFFICER, zones=[ftz])
    services.create_outcome(
        zone=ftz,
        user=officer,
        title="跨境融资租赁监管创新",
        description="东疆租赁资产跨境转让",
        type=OutcomeType.FIRST_OF_KIND,
        period=fyp_period(),
    )
    assert len(manager_client.get("/outcomes/", {"plan": FYP}).context["outcomes"]) == 1
    assert len(manager_client.get("/outcomes/", {"plan": "second-batch"}).context["outcomes"]) == 0


@pytest.mark.parametrize("code", ["tianjin-ftz", "dongjiang", "binhai-hitech"])
def test_zone_pages_of_the_five_year_plan(manager_client, code):
    assert manager_client.get(f"/zones/{code}/").status_code == 200


def test_only_the_second_batch_zones_are_annexes_of_their_plan(manager_client):
    """附件N belongs to the second-batch plan, whose zones are its annexes; the five-year plan
    has none, so its first-batch linked zones are not labelled 附件4 and 附件5."""
    page = manager_client.get("/zones/").content.decode()
    assert page.count("附件") == Zone.objects.filter(plan__code="second-batch").count()
    assert "附件4" not in manager_client.get("/zones/binhai-hitech/").content.decode().split("<main", 1)[1]
    assert "附件1" in manager_client.get("/zones/xiqing/").content.decode()


@pytest.mark.parametrize("url", ["/reports/", "/outcomes/"])
def test_period_choices_name_their_plan(manager_client, url):
    page = manager_client.get(url).content.decode()
    for plan in Plan.objects.all():
        assert f"2026年第四季度 · {plan.title}</option>" in page


def test_previous_and_next_links_use_the_plans_numbering(manager_client):
    task = Task.objects.get(zone__code="tianjin-ftz", code="3.1.2")
    page = manager_client.get(task.get_absolute_url()).content.decode()
    assert "任务3.1.1" in page and "任务3.1.3" in page


def test_dashboard_says_why_the_agency_table_is_empty(manager_client):
    page = manager_client.get("/dashboard/tables/", {"plan": FYP}).content.decode()
    section = page.split('id="by-agency"', 1)[1].split("</section>", 1)[0]
    assert 'class="empty"' in section
