"""Every admin page loads for an administrator; Chinese search works."""

import pytest
from django.contrib import admin
from django.urls import reverse

from core.roles import Role
from measures.models import Task
from tests.factories import make_user
from zones.models import Plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client):
    client.force_login(make_user(Role.ADMINISTRATOR))
    return client


MODELS = [model for model in admin.site._registry if model._meta.app_label in {"zones", "measures", "auth"}]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_changelist_add_and_change_pages_load(admin_client_, model):
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    assert admin_client_.get(reverse(f"{prefix}_changelist")).status_code == 200
    add_page = admin_client_.get(reverse(f"{prefix}_add"))
    # Reports, their history and everything attached to them are written only by measures.services.
    service_only = {
        "progressreport",
        "reportevent",
        "evidence",
        "milestone",
        "coordinationrequest",
        "reminder",
        # Plan adjustments and major matters change only through their pages' services.
        "planadjustment",
        "majormatter",
        # Plan uploads are made by the import's pages (/plans/import/).
        "planupload",
        # A task's agency links' history is written by the writers of the links themselves.
        "agencylinkchange",
    }
    assert add_page.status_code == (403 if model._meta.model_name in service_only else 200)
    obj = model.objects.first()
    if obj is not None:
        assert admin_client_.get(reverse(f"{prefix}_change", args=[obj.pk])).status_code == 200


@pytest.mark.parametrize(
    ("model_name", "term", "expected"),
    [
        ("measures_task", "保税维修", "创新医疗器械保税服务监管模式"),
        ("zones_agency", "网信办", "市委网信办"),
        ("zones_block", "宝能城", "华明高新区"),
        ("zones_zone", "子牙", "子牙经开区"),
    ],
)
def test_chinese_search(admin_client_, model_name, term, expected):
    response = admin_client_.get(reverse(f"admin:{model_name}_changelist"), {"q": term})
    assert response.status_code == 200
    assert expected in response.content.decode()


def test_area_flag_in_zone_changelist(admin_client_):
    html = admin_client_.get(reverse("admin:zones_zone_changelist")).content.decode()
    assert "49.74 ⚠" in html


def test_administrator_corrects_a_task_and_history_keeps_it(admin_client_):
    task = Task.objects.get(zone__code="ziya", number=16)
    links = list(task.agency_links.order_by("position"))
    data = {
        "zone": task.zone_id,
        "category": task.category_id,
        "number": task.number,
        "title": task.title,
        "title_en": task.title_en,
        "text": task.text + "（修订）",
        "agencies_text": task.agencies_text,
        "source_ref": task.source_ref,
        "source_line": task.source_line,
        "agency_links-TOTAL_FORMS": len(links) + 1,
        "agency_links-INITIAL_FORMS": len(links),
        "agency_links-MIN_NUM_FORMS": 0,
        "agency_links-MAX_NUM_FORMS": 1000,
    }
    for index, link in enumerate(links):
        data[f"agency_links-{index}-id"] = link.pk
        data[f"agency_links-{index}-task"] = task.pk
        data[f"agency_links-{index}-position"] = link.position
        data[f"agency_links-{index}-agency"] = link.agency_id
    from zones.models import Agency

    customs = Agency.objects.get(name="天津海关")
    data[f"agency_links-{len(links)}-task"] = task.pk
    data[f"agency_links-{len(links)}-position"] = len(links) + 1
    data[f"agency_links-{len(links)}-agency"] = customs.pk
    response = admin_client_.post(reverse("admin:measures_task_change", args=[task.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    task.refresh_from_db()
    assert task.text.endswith("（修订）")
    assert task.ordered_agencies[-1] == customs
    assert task.history.count() == 1
    assert task.history.first().history_user.is_superuser


def test_non_staff_cannot_open_admin(client):
    client.force_login(make_user(Role.OFFICER))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302


def test_agency_counts_do_not_multiply_under_search(admin_client_):
    response = admin_client_.get(reverse("admin:measures_task_changelist"), {"q": "保税"})
    counts = {task.pk: task.agency_count for task in response.context["cl"].result_list}
    for pk, count in counts.items():
        assert count == Task.objects.get(pk=pk).agency_links.count()


def test_period_with_deadline_before_start_is_refused_with_a_message(admin_client_):
    from measures.models import ReportingPeriod

    data = {
        "plan": Plan.objects.get(code="second-batch").pk,
        "name": "2027年第一季度",
        "start": "2027-01-01",
        "end": "2026-12-01",
        "deadline": "2026-12-15",
    }
    response = admin_client_.post(
        reverse("admin:measures_reportingperiod_add"), data, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "报送截止日期不能早于报送期开始日期" in html
    assert "报送期的结束日期不能早于开始日期" in html
    assert response.context["adminform"].form.data["name"] == "2027年第一季度"
    assert not ReportingPeriod.objects.filter(name="2027年第一季度").exists()


def test_the_report_changelist_reads_newest_first_in_fixed_queries(admin_client_):
    """The report changelist sorts by primary key (an index), not by period and task (a join and a
    sort of every report per page), and does not count the unfiltered total again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from measures import services
    from measures.choices import TaskStatus
    from tests.factories import make_period

    zone_tasks = list(Task.objects.filter(zone__code="xiqing").order_by("number")[:6])
    officer = make_user(Role.OFFICER, zones=[zone_tasks[0].zone])
    period = make_period(zone_tasks[0].zone.plan)
    data = {"status": TaskStatus.ON_TRACK, "percent_complete": 10, "progress": "进展"}
    url = reverse("admin:measures_progressreport_changelist")
    counts = []
    for tasks in (zone_tasks[:1], zone_tasks[1:]):
        reports = [services.save_report(task=task, period=period, user=officer, data=data) for task in tasks]
        with CaptureQueriesContext(connection) as queries:
            response = admin_client_.get(url)
        counts.append(len(queries))
        assert [row.pk for row in response.context["cl"].result_list][0] == reports[-1].pk
    assert counts[0] == counts[1]
    assert not response.context["cl"].show_full_result_count
