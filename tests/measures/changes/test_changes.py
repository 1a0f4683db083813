"""What changed since the last period (measures.changes.selectors) and where it is shown: the task
page, the period report and its Excel and Word files, the dashboard's movers."""

import datetime
import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.roles import Role
from measures import services
from measures.changes.selectors import BETTER, COUNTS, SAME, WORSE, period_changes, summed_changes
from measures.choices import TaskStatus
from measures.models import Milestone, ProgressReport, Task
from tests.factories import make_task, make_user
from tests.helpers import SESSION
from tests.measures.changes.conftest import quarter, write
from zones.models import Zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def periods():
    today = timezone.localdate()
    before = quarter(today - datetime.timedelta(days=220), name="上期")
    now = quarter(today - datetime.timedelta(days=125), name="本期")
    return before, now


@pytest.fixture
def xiqing():
    return Zone.objects.get(code="xiqing")


@pytest.fixture
def officer(xiqing):
    return make_user(Role.OFFICER, zones=[xiqing])


@pytest.fixture
def compared(periods, xiqing, officer):
    """xiqing 1: on track 40 → delayed 50, a new problem; 2: blocked 30 (problem) → on track 60,
    resolved; 3: on track 70 → 60; 4: none → on track 20; 5: on track 50 → a draft of 80."""
    before, now = periods
    task = {n: Task.objects.get(zone=xiqing, number=n) for n in range(1, 6)}
    write(task[1], before, officer, TaskStatus.ON_TRACK, 40)
    write(task[1], now, officer, TaskStatus.DELAYED, 50, problems="资金缺口")
    write(task[2], before, officer, TaskStatus.BLOCKED, 30, problems="用地未落实")
    write(task[2], now, officer, TaskStatus.ON_TRACK, 60)
    write(task[3], before, officer, TaskStatus.ON_TRACK, 70)
    write(task[3], now, officer, TaskStatus.ON_TRACK, 60)
    write(task[4], now, officer, TaskStatus.ON_TRACK, 20)
    write(task[5], before, officer, TaskStatus.ON_TRACK, 50)
    write(task[5], now, officer, TaskStatus.ON_TRACK, 80, submit=False)
    for title, due, done in [
        ("甲", now.start, now.end),
        ("乙", now.end, None),
        ("丙", before.end, before.end),
    ]:
        Milestone.objects.create(
            task=task[1],
            title=title,
            due=due,
            done_on=done,
            created_by=officer,
            created_at=timezone.now(),
            updated_at=timezone.now(),
        )
    return task


def row_of(changes, task):
    return next(row for row in changes.rows if row.task.pk == task.pk)


def test_rows_say_what_moved(periods, compared, officer):
    before, now = periods
    changes = period_changes(tasks=Task.objects.visible_to(officer), period=now)
    assert changes.previous == before
    one, two, three, four, five = (row_of(changes, compared[n]) for n in range(1, 6))
    assert (one.delta, one.move, one.new_problem, one.resolved_problem) == (10, WORSE, True, False)
    assert (two.delta, two.move, two.new_problem, two.resolved_problem) == (30, BETTER, False, True)
    assert (three.delta, three.move) == (-10, SAME)
    # No counted report last period: no delta or move, not a gain from 0.
    assert (four.delta, four.move, four.before) == (None, None, None)
    # A draft is no report: its 80 does not count.
    assert (five.now, five.delta) == (None, None)
    # Milestones due in the period: 甲 (met) and 乙 (not); 丙 was due the period before.
    assert (one.milestones_due, one.milestones_met) == (2, 1)


def test_zone_tally_and_movers(periods, compared, officer, xiqing):
    _before, now = periods
    changes = period_changes(tasks=Task.objects.visible_to(officer), period=now)
    assert [tally.zone for tally in changes.zones] == [xiqing]
    tally = changes.zones[0]
    assert tally.tasks == Task.objects.filter(zone=xiqing).count()
    assert (tally.reported_before, tally.reported_now) == (4, 4)
    assert (tally.percent_before, tally.percent_now) == (40 + 30 + 70 + 50, 50 + 60 + 60 + 20)
    assert (tally.worsened, tally.improved, tally.new_problems, tally.resolved_problems) == (1, 1, 1, 1)
    assert (tally.milestones_due, tally.milestones_met) == (2, 1)
    assert tally.average_delta == tally.average_now - tally.average_before
    assert [row.task for row in changes.gains()] == [compared[2], compared[1]]
    assert [row.task for row in changes.losses()] == [compared[3]]
    assert [row.task for row in changes.worsened()] == [compared[1]]
    # A manager sees every zone; the totals add up over them.
    everything = period_changes(tasks=Task.objects.visible_to(make_user(Role.MANAGER)), period=now)
    assert everything.total.tasks == Task.objects.filter(zone__plan=now.plan).count()
    assert sum(t.tasks for t in everything.zones) == everything.total.tasks


def test_first_period_has_nothing_to_compare(periods, compared, officer):
    before, _now = periods
    changes = period_changes(tasks=Task.objects.visible_to(officer), period=before)
    assert changes.previous is None
    assert all(row.delta is None and row.move is None for row in changes.rows)
    assert not changes.has_movers


@pytest.fixture
def varied(periods, compared, xiqing, officer):
    """Besides `compared`: ties in percent and status moves, problems of whitespace only (a
    full-width space is no problem, as str.strip() reads it), a second zone, a task withdrawn
    before the period began and one withdrawn during it, and a milestone of the other zone."""
    before, now = periods
    wuqing = Zone.objects.get(code="wuqing")
    other = make_user(Role.OFFICER, zones=[wuqing])
    plans = [
        (xiqing, officer, 6, (TaskStatus.ON_TRACK, 10, ""), (TaskStatus.BLOCKED, 40, "停工")),
        (xiqing, officer, 7, (TaskStatus.ON_TRACK, 10, ""), (TaskStatus.BLOCKED, 40, "缺人")),
        (xiqing, officer, 8, (TaskStatus.DELAYED, 90, "慢"), (TaskStatus.ON_TRACK, 60, "")),
        (wuqing, other, 1, (TaskStatus.NOT_STARTED, 0, ""), (TaskStatus.ON_TRACK, 30, "")),
        (wuqing, other, 2, (TaskStatus.COMPLETED, 100, "无"), (TaskStatus.DELAYED, 70, "迟")),
        (wuqing, other, 3, (TaskStatus.ON_TRACK, 50, ""), (TaskStatus.ON_TRACK, 80, "")),
        (wuqing, other, 4, (TaskStatus.ON_TRACK, 50, ""), (TaskStatus.BLOCKED, 20, "停")),
    ]
    tasks = {}
    for zone, author, number, then, later in plans:
        task = tasks[zone.code, number] = Task.objects.get(zone=zone, number=number)
        write(task, before, author, *then[:2], problems=then[2])
        write(task, now, author, *later[:2], problems=later[2])
    # Problems of whitespace only, as older or imported reports may hold them.
    for (code, number), period, blank in [
        (("xiqing", 7), before, " \n"),
        (("xiqing", 8), now, "\t\u3000 "),
        (("wuqing", 2), now, "\u3000\u3000"),
    ]:
        ProgressReport.objects.filter(task=tasks[code, number], period=period).update(problems=blank)
    began = datetime.datetime.combine(now.start, datetime.time.min, tzinfo=datetime.UTC)
    Task.objects.filter(pk=tasks["wuqing", 3].pk).update(withdrawn_at=began - datetime.timedelta(days=1))
    Task.objects.filter(pk=tasks["wuqing", 4].pk).update(withdrawn_at=began + datetime.timedelta(days=3))
    Milestone.objects.create(
        task=tasks["wuqing", 1],
        title="丁",
        due=now.end,
        done_on=now.end,
        created_by=other,
        created_at=timezone.now(),
        updated_at=timezone.now(),
    )
    return tasks


def tallies(changes):
    return [(t.zone, *(getattr(t, name) for name in COUNTS)) for t in [*changes.zones, changes.total]]


@pytest.mark.parametrize("limit", [5, 2])
def test_summed_changes_equal_the_rows(periods, varied, officer, limit):
    """The dashboard's changes, counted in the database, give period_changes()'s numbers and
    movers (ties in the plan's order), for a manager and for an officer of one zone."""
    before, now = periods
    for user in (make_user(Role.MANAGER), officer):
        tasks = Task.objects.visible_to(user)
        for period in (now, before):
            rows = period_changes(tasks=tasks, period=period, limit=limit)
            summed = summed_changes(tasks=tasks, period=period, limit=limit)
            assert summed.previous == rows.previous
            assert tallies(summed) == tallies(rows)
            for movers in ("gains", "losses", "worsened"):
                expected = [(r.task, r.delta, r.now, r.before) for r in getattr(rows, movers)()]
                assert [(r.task, r.delta, r.now, r.before) for r in getattr(summed, movers)()] == expected
            assert summed.has_movers == rows.has_movers
    # What the comparison is about: problems of whitespace only, ties, a second zone, withdrawals.
    rows = period_changes(tasks=Task.objects.all(), period=now, limit=limit)
    assert (
        row_of(rows, varied["xiqing", 7]).new_problem and row_of(rows, varied["xiqing", 8]).resolved_problem
    )
    assert row_of(rows, varied["wuqing", 2]).resolved_problem
    everything = summed_changes(tasks=Task.objects.all(), period=now, limit=limit)
    assert [t.zone.code for t in everything.zones][:2] == ["xiqing", "wuqing"]
    assert (everything.zones[1].tasks, everything.zones[1].milestones_met) == (
        Task.objects.filter(zone__code="wuqing").count() - 1,
        1,
    )
    assert [r.task for r in everything.worsened()][:2] == [varied["xiqing", 6], varied["xiqing", 7]]


def test_worse_movers_come_steepest_first(periods, xiqing, officer):
    before, now = periods
    tasks = [Task.objects.get(zone=xiqing, number=n) for n in (6, 7)]
    for task in tasks:
        write(task, before, officer, TaskStatus.ON_TRACK, 40)
    write(tasks[0], now, officer, TaskStatus.DELAYED, 40, problems="慢")
    write(tasks[1], now, officer, TaskStatus.BLOCKED, 40, problems="停")
    changes = period_changes(tasks=Task.objects.visible_to(officer), period=now)
    assert [row.task for row in changes.worsened()] == [tasks[1], tasks[0]]


def test_query_count_is_constant_in_rows(periods, compared, officer, xiqing, django_assert_num_queries):
    before, now = periods
    tasks = Task.objects.visible_to(officer)
    # previous period, tasks, zones, reports, milestones
    with django_assert_num_queries(5):
        period_changes(tasks=tasks, period=now).gains()
    for _ in range(6):
        task = make_task(zone=xiqing)
        write(task, before, officer, TaskStatus.ON_TRACK, 10, problems="旧")
        write(task, now, officer, TaskStatus.BLOCKED, 5, problems="新")
    with django_assert_num_queries(5):
        changes = period_changes(tasks=tasks, period=now)
        assert len(changes.worsened()) == 5 and changes.total.worsened == 7
    with django_assert_num_queries(4):
        period_changes(tasks=tasks, period=now, periods=[before, now])


# ------------------------------------------------------------------ where it is shown


def test_task_page_shows_the_change(client, periods, compared, officer):
    _before, now = periods
    client.force_login(officer)
    response = client.get(compared[1].get_absolute_url(), {"period": now.pk})
    assert response.status_code == 200
    assert response.context["change"].delta == 10
    html = response.content.decode()
    assert 'id="since-last-period"' in html and 'id="change-delta">+10<' in html
    # The first period says there is nothing to compare with.
    first = client.get(compared[1].get_absolute_url(), {"period": periods[0].pk})
    assert first.context["change_previous"] is None
    assert "没有更早的期次" in first.content.decode()


def test_task_page_query_count_is_pinned(client, periods, compared, officer, django_assert_num_queries):
    _before, now = periods
    client.force_login(officer)
    url = compared[1].get_absolute_url()
    client.get(url, {"period": now.pk})
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        client.get(url, {"period": now.pk})
    for _ in range(3):
        services.add_milestone(confirm_past=True, task=compared[1], user=officer, title="再一个", due=now.end)
    with django_assert_num_queries(len(first)):
        client.get(url, {"period": now.pk})


def test_period_report_page_and_files_compare(client, periods, compared, officer):
    _before, now = periods
    client.force_login(officer)
    response = client.get(reverse("measures:period-report-html", args=[now.pk]), {"zone": "xiqing"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="changed-tasks"' in html and 'data-mover="worsened"' in html
    workbook = load_workbook(
        io.BytesIO(
            client.get(reverse("measures:period-report-xlsx", args=[now.pk]), {"zone": "xiqing"}).content
        )
    )
    sheet = workbook[workbook.sheetnames[-1]]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    task_header = next(row for row in rows if row and "上期状态" in row)
    assert "本期完成百分比" in task_header and "完成百分比变化" in task_header and "新增问题" in task_header
    at = rows.index(task_header)
    by_title = {row[2]: row for row in rows[at + 1 :] if row and row[2]}
    assert by_title[compared[1].title][8] == 10 and by_title[compared[1].title][5] == "变差"
    assert by_title[compared[2].title][10] == "是"
    assert by_title[compared[4].title][6] is None and by_title[compared[4].title][7] == 20
    docx = client.get(reverse("measures:period-report-docx", args=[now.pk]), {"zone": "xiqing"}).content
    document = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode()
    assert "与上期相比的变化" in document and "1项任务状态变差" in document


def test_dashboard_lists_movers(client, periods, compared):
    _before, now = periods
    client.force_login(make_user(Role.MANAGER))
    response = client.get("/", {"period": now.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="movers"' in html and 'id="movers-gains"' in html
    assert [row.task for row in response.context["changes"].gains()] == [compared[2], compared[1]]


def test_dashboard_query_count_with_movers_is_constant(
    client, periods, compared, xiqing, officer, django_assert_num_queries
):
    before, now = periods
    client.force_login(make_user(Role.MANAGER))
    # the dashboard's 8 (test_dashboard, with the verified progress) and the comparison summed per
    # zone, its milestones per zone, the movers ranked and the chosen ones read (summed_changes);
    # each time after the view that counts and keeps the chart across periods' figures
    # (dashboard.figures), as the writes make them stale.
    client.get("/", {"period": now.pk})
    with django_assert_num_queries(SESSION + 12):
        client.get("/", {"period": now.pk})
    for _ in range(5):
        task = make_task(zone=xiqing)
        write(task, before, officer, TaskStatus.ON_TRACK, 10)
        write(task, now, officer, TaskStatus.ON_TRACK, 30)
    client.get("/", {"period": now.pk})
    with django_assert_num_queries(SESSION + 12):
        client.get("/", {"period": now.pk})
