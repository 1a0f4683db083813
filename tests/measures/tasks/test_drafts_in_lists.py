"""Lists do not show managers a zone's unsubmitted report (a draft, a returned report being
edited again) as if it were the zone's report, unless they ask (the task list's "show the zones'
drafts" choice or its filter by such a state); the zone's own officers still see theirs. One rule
(reporting.unsubmitted_listed_for); lights and counts are unchanged; query counts stay constant."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.roles import Role
from measures import services
from measures.choices import TaskStatus
from measures.models import Task
from measures.review.selectors import previous_report
from tests.factories import make_period, make_user
from zones.models import Agency, Zone

pytestmark = pytest.mark.django_db
# Percentages no other row has, so a page shows a report's figures exactly when it shows them.
DRAFT, EDITED, SUBMITTED = 37, 73, 51


def save(task, period, user, status, percent, text):
    data = {"status": status, "percent_complete": percent, "progress": text}
    return services.save_report(task=task, period=period, user=user, data=data)


@pytest.fixture
def world():
    """xiqing 1: a blocked draft at 37 %; 2: submitted at 20 %, returned and being edited at 73 %;
    3: submitted on track at 51 %."""
    xiqing = Zone.objects.get(code="xiqing")
    period = make_period()
    officer = make_user(Role.OFFICER, zones=[xiqing])
    manager = make_user(Role.MANAGER)
    task = {n: Task.objects.get(zone=xiqing, number=n) for n in (1, 2, 3)}
    save(task[1], period, officer, TaskStatus.BLOCKED, DRAFT, "草稿进展")
    report = services.submit_report(
        report=save(task[2], period, officer, TaskStatus.ON_TRACK, 20, "初稿"), user=officer
    )
    services.return_report(report=report, user=manager, note="请补充。")
    save(task[2], period, officer, TaskStatus.ON_TRACK, EDITED, "修改中")
    services.submit_report(
        report=save(task[3], period, officer, TaskStatus.ON_TRACK, SUBMITTED, "已报"), user=officer
    )
    return period, officer, manager, task


def shown(html):
    return {percent for percent in (DRAFT, EDITED, SUBMITTED) if f"{percent}%" in html}


def task_list(client, **params):
    return client.get(reverse("measures:task-list"), {"zone": "xiqing", **params})


def test_the_task_list_hides_drafts_from_managers_until_asked(client, world):
    period, officer, manager, task = world
    client.force_login(manager)
    response = task_list(client)
    assert shown(response.content.decode()) == {SUBMITTED}
    rows = {t.number: t for t in response.context["tasks"]}
    # The light still reads the saved report (a blocked draft is red), as the dashboard counts it.
    assert rows[1].light == "red" and rows[1].report_status is None and rows[1].report_percent is None
    assert 'id="drafts-choice"' in response.content.decode()
    # Nor does the light's tooltip quote the draft's status (blocked): it says where the light comes from.
    asked = {t.number: t for t in task_list(client, drafts="on").context["tasks"]}
    assert len(asked[1].light_reasons) == 1 and len(rows[1].light_reasons) == 1
    assert rows[1].light_reasons != asked[1].light_reasons
    # Asked: the choice, or a filter by an unsubmitted state.
    assert shown(task_list(client, drafts="on").content.decode()) == {DRAFT, EDITED, SUBMITTED}
    assert shown(task_list(client, state="draft").content.decode()) == {DRAFT}
    assert shown(task_list(client, state="returned").content.decode()) == {EDITED}
    assert shown(task_list(client, state="submitted").content.decode()) == {SUBMITTED}


def test_the_zones_own_officer_still_sees_their_drafts(client, world):
    period, officer, manager, task = world
    client.force_login(officer)
    response = task_list(client)
    assert shown(response.content.decode()) == {DRAFT, EDITED, SUBMITTED}
    assert 'id="drafts-choice"' not in response.content.decode()
    zone = client.get(Zone.objects.get(code="xiqing").get_absolute_url()).content.decode()
    assert shown(zone) == {DRAFT, EDITED, SUBMITTED}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_hides_them_too(client, world, fmt):
    import openpyxl

    period, officer, manager, task = world
    client.force_login(manager)

    def percents(**params):
        url = reverse("measures:task-list-export", args=[fmt])
        content = client.get(url, {"zone": "xiqing", **params}).content
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:]
        else:
            rows = list(
                openpyxl.load_workbook(io.BytesIO(content))
                .worksheets[0]
                .iter_rows(min_row=2, values_only=True)
            )
        return {str(row[6]) for row in rows if row[6] not in (None, "")}

    assert percents() == {str(SUBMITTED)}
    assert percents(drafts="on") == {str(DRAFT), str(EDITED), str(SUBMITTED)}


def test_zone_and_agency_pages_hide_them_from_managers(client, world):
    period, officer, manager, task = world
    client.force_login(manager)
    zone = client.get(Zone.objects.get(code="xiqing").get_absolute_url()).content.decode()
    assert shown(zone) == {SUBMITTED}
    agency = Agency.objects.filter(task_links__task=task[1]).filter(task_links__task=task[2]).first()
    page = client.get(agency.get_absolute_url()).content.decode()
    assert DRAFT not in shown(page) and EDITED not in shown(page)
    assert 'id="drafts-choice"' in page
    # Asked, the manager sees them (the check above could fail).
    asked = client.get(agency.get_absolute_url(), {"drafts": "on"}).content.decode()
    assert {DRAFT, EDITED} <= shown(asked)
    # The zone's officer is not offered the choice: they see their zone's drafts anyway.
    client.force_login(officer)
    assert 'id="drafts-choice"' not in client.get(agency.get_absolute_url()).content.decode()


def test_the_review_page_sets_beside_a_report_what_the_zone_reported_before(world):
    period, officer, manager, task = world
    earlier = make_period(shift=-1)
    four, five = (Task.objects.get(zone__code="xiqing", number=n) for n in (4, 5))
    # Task 4's report of the period before was never submitted: nothing the zone reported.
    save(four, earlier, officer, TaskStatus.ON_TRACK, 11, "上期草稿")
    services.submit_report(report=save(five, earlier, officer, TaskStatus.ON_TRACK, 12, "上期"), user=officer)
    now = [
        services.submit_report(report=save(t, period, officer, TaskStatus.ON_TRACK, 60, "本期"), user=officer)
        for t in (four, five)
    ]
    assert previous_report(now[0]) is None
    assert previous_report(now[1]).percent_complete == 12


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_choice_reads_in_the_users_language(client, world, language):
    period, officer, manager, task = world
    client.force_login(manager)
    client.cookies["django_language"] = language
    label = {"zh-hans": "显示各区未报送的草稿", "en": "Show the zones&#x27; drafts"}[language]
    assert label in task_list(client).content.decode()


def test_query_count_is_the_same_asked_or_not_and_in_rows(client, world):
    period, officer, manager, task = world
    client.force_login(manager)

    def count(**params):
        with CaptureQueriesContext(connection) as captured:
            assert task_list(client, **params).status_code == 200
        return len(captured)

    plain, asked = count(), count(drafts="on")
    assert plain == asked
    for number in range(4, 9):
        save(
            Task.objects.get(zone__code="xiqing", number=number),
            period,
            officer,
            TaskStatus.DELAYED,
            10,
            "草稿",
        )
    assert count() == plain and count(drafts="on") == asked


def test_the_my_page_of_a_manager_who_also_reports_hides_other_zones_drafts(client, world):
    period, officer, manager, task = world
    from django.contrib.auth.models import Group

    both = make_user(Role.MANAGER, zones=[Zone.objects.exclude(code="xiqing").first()])
    both.groups.add(Group.objects.get(name=Role.OFFICER.group_name))
    client.force_login(both)
    page = client.get(reverse("measures:my")).content.decode()
    cells = {p for p in (DRAFT, EDITED, SUBMITTED) if f'<td class="num">{p}</td>' in page}
    assert cells == {SUBMITTED}
