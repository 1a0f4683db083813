"""The dashboard and the period report as of a past date (measures.changes.asof): rebuilt from the
history rows, they equal what the same pages showed on that date, whatever changed after it.

No clock library is installed: the data "written before D" is written through the services and
then dated explicitly (history rows, submission dates, close-off, milestones) to a day before D;
the pages "on D" are the selectors with today = D before anything after D happens."""

import datetime
import io
import json

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.roles import Role
from measures import services
from measures.changes import asof
from measures.changes.selectors import period_changes
from measures.choices import TaskStatus
from measures.dashboard import selectors as reads
from measures.exports.rows import period_rows
from measures.models import (
    AgencyLinkChange,
    Evidence,
    ProgressReport,
    ReportEvent,
    ReportingPeriod,
    Task,
    TaskCategory,
)
from plans.revision import prepare
from tests.conftest import PLAN_FIXTURE
from tests.factories import CLOSE_OFF_LINK, make_task, make_user
from tests.helpers import SESSION
from tests.measures.changes.conftest import (
    TODAY,
    WRITTEN,
    D,
    as_of_query_counts,
    quarter,
    task_before_the_day,
    write,
)
from zones.models import Zone

pytestmark = pytest.mark.django_db


def change_after_d(world):
    """What happens after D: returns, edits, resubmissions, acceptances, a new report, a reopened
    task, milestones done, moved and added."""
    task, officer, now = world["task"], world["officer"], world["now"]
    first = ProgressReport.objects.get(task=task[1], period=now)
    first = services.return_report(report=first, user=world["reviewer"], note="请补充")
    write(task[1], now, officer, TaskStatus.BLOCKED, 55, problems="新问题")
    services.accept_report(
        report=ProgressReport.objects.get(task=task[2], period=now), user=world["reviewer"]
    )
    write(task[3], now, officer, TaskStatus.COMPLETED, 100)
    services.reopen_task(task=task[6], user=world["manager"], reason="复核")
    overdue, late, moved = world["milestones"]
    services.complete_milestone(milestone=overdue, user=officer)
    services.complete_milestone(milestone=late, user=officer, done_on=D - datetime.timedelta(days=8))
    services.update_milestone(
        confirm_past=True, milestone=moved, user=officer, title="验收", due=D - datetime.timedelta(days=20)
    )
    services.add_milestone(
        confirm_past=True, task=task[10], user=officer, title="补充", due=D - datetime.timedelta(days=40)
    )
    shifted, dropped = world["adjusted"]
    adjustment = services.propose_adjustment(
        task=task[10],
        user=officer,
        kind="milestones",
        reason="调整计划",
        move=[(shifted, D - datetime.timedelta(days=15))],
        drop=[dropped],
    )
    services.approve_adjustment(adjustment=adjustment, user=world["manager"])
    draft = ProgressReport.objects.get(task__zone=world["wuqing"], task__number=1, period=now)
    services.submit_report(report=draft, user=officer)


RETITLED = "构建京津冀集成电路产业协同开放新高地（修订）"
ADDED = "建设集成电路保税研发公共服务平台"


def revise_after_d(tmp_path):
    """A revision of the plan applied today (after D): a task added at the head of 西青's list, so
    every other one is renumbered; task 4 (accepted report) withdrawn; task 1 and category 2
    retitled."""
    records = json.loads(PLAN_FIXTURE.read_text(encoding="utf-8"))
    xiqing = [r for r in records if r["model"] == "measures.task" and r["fields"]["zone"] == ["xiqing"]]
    first = min(xiqing, key=lambda r: r["fields"]["number"])
    first["fields"]["title"] = RETITLED
    renumbered = {4: None}
    for record in sorted(xiqing, key=lambda r: r["fields"]["number"]):
        old = record["fields"]["number"]
        if old != 4:
            renumbered[old] = len(renumbered) + 1  # 1 → 2, 2 → 3, 3 → 4, 5 → 5, …
    kept = []
    for record in records:
        fields = record["fields"]
        if record["model"] == "measures.task" and fields["zone"] == ["xiqing"]:
            if renumbered[fields["number"]] is None:
                continue
            fields["number"] = renumbered[fields["number"]]
        elif record["model"] == "measures.taskagency" and fields["task"][0] == "xiqing":
            if renumbered[fields["task"][1]] is None:
                continue
            fields["task"] = ["xiqing", renumbered[fields["task"][1]]]
        elif (
            record["model"] == "measures.taskcategory"
            and fields["zone"] == ["xiqing"]
            and fields["number"] == 2
        ):
            fields["title"] += "（修订）"
        kept.append(record)
    kept.append(
        {
            "model": "measures.task",
            "fields": {
                "zone": ["xiqing"],
                "category": ["xiqing", 1],
                "number": 1,
                "title": ADDED,
                "text": f"{ADDED}。支持区内集成电路企业开展保税研发，探索研发用料件分类监管，建立研发耗材核销便利机制。",
            },
        }
    )
    path = tmp_path / "revised.json"
    path.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
    revision = prepare(path).apply()
    assert (revision.tasks_added, revision.tasks_withdrawn) == (1, 1)


def tally(t):
    return (t.tasks, t.open, t.on_time, t.late, t.missing, t.percent_sum, dict(t.by_status), dict(t.by_light))


def dashboard_figures(data):
    return {
        "total": tally(data["total"]),
        "zones": [(row["zone"].code, tally(row["tally"])) for row in data["zones"]],
        "categories": [
            (row["category"].pk, row["category"].number, row["category"].title, tally(row["tally"]))
            for row in data["categories"]
        ],
        "agencies": [(row["agency"].pk, tally(row["tally"])) for row in data["agencies"]],
        "ranking": [row["zone"].code for row in data["ranking"]],
        "history": [
            (
                s["zone"].code,
                [(p["period"].pk, p["average"], p["on_time"], p["open"], p["score"]) for p in s["points"]],
            )
            for s in data["history"]["series"]
        ],
        "awaiting_review": data["awaiting_review"],
        "deadline_passed": data["deadline_passed"],
    }


def page_figures(client, params):
    """dashboard_figures() of the dashboard page, with its tables by category and by agency from
    their own page (the dashboard links to them), for the same query."""
    page = client.get("/", params)
    tables = client.get(reverse("measures:dashboard-tables"), params)
    assert page.status_code == tables.status_code == 200
    assert "categories" not in page.context and "agencies" not in page.context
    context = {key: page.context[key] for key in ("total", "zones", "ranking", "history", "awaiting_review")}
    context.update(
        deadline_passed=page.context["deadline_passed"],
        categories=tables.context["categories"],
        agencies=tables.context["agencies"],
    )
    # The tables page counts the same tasks.
    assert tally(tables.context["total"]) == tally(context["total"])
    return dashboard_figures(context), page


def report_figures(report):
    return [
        (
            section.zone.code,
            [
                (
                    row.task.number,
                    row.task.title,
                    row.status,
                    row.state,
                    row.task.report_percent,
                    row.light,
                    tuple(str(reason) for reason in row.light_reasons),
                    row.timeliness,
                    row.evidence_count,
                    row.text("problems"),
                )
                for row in section.rows
            ],
            len(section.requests),
        )
        for section in report.sections
    ]


def change_figures(changes):
    return (
        [
            (r.task.pk, r.task.number, r.task.title, r.now, r.before, r.milestones_due, r.milestones_met)
            for r in changes.rows
        ],
        [r.task.pk for r in changes.gains()],
        [r.task.pk for r in changes.losses()],
        [r.task.pk for r in changes.worsened()],
    )


def live(world):
    manager, now, plan = world["manager"], world["now"], world["now"].plan
    periods = list(ReportingPeriod.objects.filter(plan=plan).select_related("plan"))
    tasks = Task.objects.visible_to(manager)
    return (
        dashboard_figures(reads.dashboard(tasks=tasks, plan=plan, period=now, periods=periods, today=D)),
        report_figures(period_rows(manager, now, zone=world["xiqing"], today=D)),
        change_figures(period_changes(tasks=tasks.filter(zone__plan=plan), period=now)),
    )


def rebuilt(world, user=None):
    user = user or world["manager"]
    now, plan = world["now"], world["now"].plan
    periods = list(ReportingPeriod.objects.filter(plan=plan).select_related("plan"))
    tasks = Task.objects.visible_to(user)
    data = asof.dashboard_as_of(tasks=tasks, plan=plan, period=now, periods=periods, day=D)
    snapshot = data.pop("snapshot")
    report = asof.period_rows_as_of(user, now, D, zone=world["xiqing"])
    changes = period_changes(
        tasks=tasks.filter(zone__plan=plan),
        period=now,
        reports=snapshot.counted(),
        milestones=snapshot.milestone_rows(),
        tasks_then=snapshot.then,
    )
    return dashboard_figures(data), report_figures(report), change_figures(changes)


def test_rebuilt_pages_equal_what_they_showed_on_the_day(world):
    on_the_day = live(world)
    # Nothing changed yet: the rebuild is the live state.
    assert rebuilt(world) == on_the_day
    change_after_d(world)
    # The live pages moved on (the test could fail)...
    moved = live(world)
    assert moved[0] != on_the_day[0] and moved[1] != on_the_day[1] and moved[2] != on_the_day[2]
    # ...and the rebuild still shows D.
    dashboard, report, changes = rebuilt(world)
    assert dashboard == on_the_day[0]
    assert report == on_the_day[1]
    assert changes == on_the_day[2]


def test_the_plan_as_it_stood_before_a_later_revision(world, tmp_path, client):
    """A revision after D adds a task, withdraws one, renumbers and retitles others: the pages as
    of D show the plan of D, with what happened to the reports after D undone as well."""
    on_the_day = live(world)
    category = TaskCategory.objects.get(zone=world["xiqing"], number=2)
    withdrawn, retitled = world["task"][4], world["task"][1]
    revise_after_d(tmp_path)
    change_after_d(world)
    withdrawn.refresh_from_db()
    retitled.refresh_from_db()
    assert withdrawn.withdrawn_at is not None and withdrawn.number != 4
    assert (retitled.number, retitled.title) == (2, RETITLED)
    assert Task.objects.filter(zone=world["xiqing"], title=ADDED, number=1).exists()
    # The live pages show the revised plan (the test could fail)...
    moved = live(world)
    assert all(now != then for now, then in zip(moved, on_the_day, strict=True))
    # ...and the rebuild the plan of D.
    dashboard, report, changes = rebuilt(world)
    assert dashboard == on_the_day[0]
    assert report == on_the_day[1]
    assert changes == on_the_day[2]
    # So do the pages themselves.
    client.force_login(world["manager"])
    figures, response = page_figures(client, {"period": world["now"].pk, "as_of": D.isoformat()})
    assert figures == on_the_day[0]
    assert change_figures(response.context["changes"]) == on_the_day[2]
    url = reverse("measures:period-report-html", args=[world["now"].pk])
    page = client.get(url, {"zone": "xiqing", "as_of": D.isoformat()})
    assert report_figures(page.context["report"]) == on_the_day[1]
    html = page.content.decode()
    assert ADDED not in html and RETITLED not in html and "构建京津冀集成电路产业协同开放新高地" in html
    summary = client.get(url, {"as_of": D.isoformat()})
    titles = {
        row.category.pk: (row.category.number, row.category.title)
        for row in summary.context["report"].categories
    }
    assert titles[category.pk] == (category.number, category.title)
    assert "（修订）" not in summary.content.decode()


def test_rows_loaded_in_bulk_keep_their_version_before_a_revision(world, tmp_path):
    """Tasks and categories loaded in bulk have no history of their own: a revision first keeps the
    version it changes, as a change (not a creation), which the pages as of D read; one kept by
    an older version of the code as a creation (in the language of the day) is read the same."""
    TaskCategory.history.all().delete()
    category = TaskCategory.objects.get(zone=world["xiqing"], number=2)
    retitled = world["task"][1]
    revise_after_d(tmp_path)
    first = ("history_date", "history_id")
    kept = TaskCategory.history.filter(id=category.pk).earliest(*first)
    assert (kept.history_type, kept.title) == ("~", category.title)
    task_kept = Task.history.filter(id=retitled.pk).earliest(*first)
    assert (task_kept.history_type, task_kept.title, task_kept.number) == ("~", retitled.title, 1)
    [then] = asof.categories_then(TaskCategory.objects.filter(pk=category.pk).select_related("zone"), D)
    assert then.title == category.title != TaskCategory.objects.get(pk=category.pk).title
    Task.history.filter(pk=task_kept.pk).update(history_type="+", history_change_reason="方案导入时的原貌")
    snapshot = asof.rebuild(Task.objects.filter(pk=retitled.pk), D)
    assert retitled.pk not in snapshot.absent
    assert (snapshot.tasks_then[retitled.pk]["number"], snapshot.tasks_then[retitled.pk]["title"]) == (
        1,
        retitled.title,
    )


def test_the_day_decides_the_lights(world):
    """Yellow on D (deadline in five days), red today, for the same unsubmitted task."""
    change_after_d(world)
    dashboard, _report, _changes = rebuilt(world)
    today = reads.dashboard(
        tasks=Task.objects.visible_to(world["manager"]),
        plan=world["now"].plan,
        period=world["now"],
        periods=list(ReportingPeriod.objects.filter(plan=world["now"].plan).select_related("plan")),
    )
    assert dashboard["total"][7].get("yellow", 0) > today["total"].by_light.get("yellow", 0)
    assert not dashboard["deadline_passed"] and today["deadline_passed"]


def test_pages_state_the_date_and_equal_the_rebuild(client, world):
    on_the_day = live(world)
    change_after_d(world)
    client.force_login(world["manager"])
    figures, response = page_figures(client, {"period": world["now"].pk, "as_of": D.isoformat()})
    assert figures == on_the_day[0]
    html = response.content.decode()
    assert 'id="as-of-note"' in html and f"截至 {D.isoformat()}" in html and "不是今天的数据" in html
    report_link = reverse("measures:period-report-html", args=[world["now"].pk]) + f"?as_of={D.isoformat()}"
    assert f'id="as-of-report" href="{report_link}"' in html
    # A chase (催办) goes out on today's missing reports: not offered beside a past day's counts.
    assert "/chase/" not in html
    assert "/chase/" in client.get("/", {"period": world["now"].pk}).content.decode()
    # Without a period chosen, the period current on D is shown.
    default = client.get("/", {"as_of": D.isoformat()})
    assert default.context["period"] == world["now"]
    url = reverse("measures:period-report-html", args=[world["now"].pk])
    page = client.get(url, {"zone": "xiqing", "as_of": D.isoformat()})
    assert page.status_code == 200
    assert report_figures(page.context["report"]) == on_the_day[1]
    # Inside the printable report too, not only in the banner above it.
    assert 'id="as-of-line"' in page.content.decode()
    # The summary of every zone counts the same rows.
    summary = client.get(url, {"as_of": D.isoformat()})
    assert summary.status_code == 200
    xiqing = next(s for s in summary.context["report"].sections if s.zone.code == "xiqing")
    rows = on_the_day[1][0][1]
    assert xiqing.tally.tasks == len(rows)
    assert dict(xiqing.tally.counts["light"]) == {
        light: sum(1 for row in rows if row[5] == light) for light in {row[5] for row in rows}
    }


def test_exports_as_of_say_so_and_carry_the_comparison(client, world):
    change_after_d(world)
    client.force_login(world["manager"])
    url = reverse("measures:period-report-xlsx", args=[world["now"].pk])
    response = client.get(url, {"zone": "xiqing", "as_of": D.isoformat()})
    assert response.status_code == 200
    assert (
        "截至" in response["Content-Disposition"] or "%E6%88%AA%E8%87%B3" in response["Content-Disposition"]
    )
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook[workbook.sheetnames[-1]]
    rows = [row for row in sheet.iter_rows(values_only=True)]
    assert any(row[0] and str(row[0]).startswith(f"截至 {D.isoformat()}") for row in rows)
    header = next(row for row in rows if row and "上期状态" in row)
    by_title = {row[2]: row for row in rows[rows.index(header) + 1 :] if row and row[2]}
    # On D task 1's report said on track 50, not the blocked 55 written after.
    assert by_title[world["task"][1].title][7] == 50
    docx = client.get(
        reverse("measures:period-report-docx", args=[world["now"].pk]), {"as_of": D.isoformat()}
    )
    assert docx.status_code == 200


@pytest.mark.parametrize(
    ("value", "message"),
    [("2026-13-45", "请按 YYYY-MM-DD"), ("昨天", "请按 YYYY-MM-DD"), ("2999-01-01", "是将来的日期")],
)
def test_bad_or_future_dates_say_why(client, world, value, message):
    client.force_login(world["manager"])
    response = client.get("/", {"period": world["now"].pk, "as_of": value})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="as-of-refused"' in html and message in html and 'id="as-of-note"' not in html
    # What was typed is said back (a date input cannot hold a mistyped date).
    assert f"未采用日期“{value}”" in html
    url = reverse("measures:period-report-html", args=[world["now"].pk])
    page = client.get(url, {"zone": "xiqing", "as_of": value})
    assert page.status_code == 200 and message in page.content.decode()
    download = client.get(reverse("measures:period-report-xlsx", args=[world["now"].pk]), {"as_of": value})
    assert download.status_code == 400 and message in download.content.decode()


def test_today_is_the_live_page(client, world):
    client.force_login(world["manager"])
    response = client.get("/", {"as_of": TODAY.isoformat()})
    assert response.status_code == 200 and response.context["as_of"] is None


def test_who_may_see_a_past_date(client, world):
    url = reverse("measures:period-report-html", args=[world["now"].pk])
    xlsx = reverse("measures:period-report-xlsx", args=[world["now"].pk])
    day = {"as_of": D.isoformat()}
    for target in ("/", url, xlsx):
        assert client.get(target, day).url.startswith("/accounts/login/")
    # An officer does not see the dashboard (lands on their own page) nor another zone's report.
    ziya = make_user(Role.OFFICER, zones=[Zone.objects.get(code="ziya")])
    client.force_login(ziya)
    assert client.get("/", day).url == "/my/"
    assert client.get(url, {**day, "zone": "xiqing"}).status_code == 404
    assert client.get(xlsx, {**day, "zone": "xiqing"}).status_code == 404
    # Their own zone's report as of D: only their zone's rows.
    page = client.get(url, {**day, "zone": "ziya"})
    assert page.status_code == 200 and [s.zone.code for s in page.context["report"].sections] == ["ziya"]


def test_a_liaison_reads_only_what_was_submitted_on_the_day(world):
    from zones.models import Agency

    change_after_d(world)
    wuqing_one = Task.objects.get(zone=world["wuqing"], number=1)
    agency = Agency.objects.filter(task_links__task=wuqing_one).first()
    liaison = make_user(Role.LIAISON, agency=agency)
    # Submitted after D: the liaison reads it today...
    today = {row.task.pk: row.state for row in period_rows(liaison, world["now"]).rows}
    assert today[wuqing_one.pk] == "submitted"
    # ...but on D it was the zone's draft, which a liaison does not read.
    on_the_day = {row.task.pk: row for row in asof.period_rows_as_of(liaison, world["now"], D).rows}
    assert wuqing_one.pk in on_the_day
    assert on_the_day[wuqing_one.pk].state is None and on_the_day[wuqing_one.pk].report is None


def test_the_first_day_there_is(client, world):
    """A day before anything was recorded: every report undone, nothing breaks."""
    client.force_login(world["manager"])
    response = client.get("/", {"period": world["now"].pk, "as_of": "0001-01-01"})
    assert response.status_code == 200
    assert response.context["total"].on_time + response.context["total"].late == 0


def test_query_counts_are_constant_in_rows(client, world):
    change_after_d(world)
    counts = as_of_query_counts(client, world, D)

    def tables_count():
        with CaptureQueriesContext(connection) as queries:
            page = client.get(
                reverse("measures:dashboard-tables"), {"period": world["now"].pk, "as_of": D.isoformat()}
            )
            assert page.status_code == 200
        return len(queries)

    counts.append(tables_count())
    # dashboard: access, plans, periods; the rebuild's tasks, reports (of the period shown and the
    # one before, and those changed since), milestones, plan adjustments, history rows after the
    # day and those before it they undo, and the tasks' own history after the day; the tasks' zone
    # and category, zones; the figures kept of the periods, and the sums of those without (none
    # kept here); the comparison's tasks (its reports and milestones come from the rebuild); the
    # top bar's matters. The tables by category and by agency are on their own page, which reads
    # the categories and their history after the day, the agency links and their changes after
    # the day, and the agencies instead of the comparison.
    assert counts[0] == SESSION + 16
    assert counts[3] == SESSION + 20
    officer = world["officer"]
    for _ in range(5):
        task = task_before_the_day(world["xiqing"])
        write(task, world["now"], officer, TaskStatus.ON_TRACK, 30)
        services.add_milestone(confirm_past=True, task=task, user=officer, title="新", due=D)
    assert [*as_of_query_counts(client, world, D), tables_count()] == counts


# Agencies a revision after D changes on 西青's tasks: {number: (dropped, added)}.
RELINKED = {
    1: (["天津海关"], ["市科技局"]),
    2: (["市工业和信息化局"], []),
    3: ([], ["市药监局"]),
    # Its only task in 西青: its liaison had the zone on D, not today.
    8: (["市委组织部"], []),
}


def relink_after_d(tmp_path):
    """A revision of the plan applied today (after D) that drops and adds supporting agencies."""
    records = json.loads(PLAN_FIXTURE.read_text(encoding="utf-8"))
    kept = []
    for record in records:
        fields = record["fields"]
        if record["model"] == "measures.taskagency" and fields["task"][0] == "xiqing":
            dropped, _added = RELINKED.get(fields["task"][1], ([], []))
            if fields["agency"][0] in dropped:
                continue
        kept.append(record)
    for number, (_dropped, added) in RELINKED.items():
        for position, name in enumerate(added, start=10):
            kept.append(
                {
                    "model": "measures.taskagency",
                    "fields": {"task": ["xiqing", number], "agency": [name], "position": position},
                }
            )
    path = tmp_path / "relinked.json"
    path.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
    return prepare(path).apply()


def liaison_view(user, period, day=None):
    """(task ids, {task id: state}) of the period report a liaison reads, live with today = D or
    rebuilt as of D."""
    report = period_rows(user, period, today=D) if day is None else asof.period_rows_as_of(user, period, day)
    return sorted(row.task.pk for row in report.rows), report_figures(report)


def link_rows():
    return sorted(
        AgencyLinkChange.objects.values_list(
            "task_id", "agency_id", "kind", "role_before", "role_after", "at"
        )
    )


def test_agency_links_as_they_stood_before_a_later_revision(world, tmp_path, client):
    """A revision after D drops and adds agencies: the per-agency table of the dashboard and a
    liaison's period report as of D show the links of D, captured on D and compared after."""
    from zones.models import Agency

    customs, science = Agency.objects.get(name="天津海关"), Agency.objects.get(name="市科技局")
    dropped_liaison = make_user(Role.LIAISON, agency=customs)
    added_liaison = make_user(Role.LIAISON, agency=science)
    on_the_day = live(world)
    scopes = {user: liaison_view(user, world["now"]) for user in (dropped_liaison, added_liaison)}
    task1 = world["task"][1]
    assert task1.pk in scopes[dropped_liaison][0] and task1.pk not in scopes[added_liaison][0]
    revision = relink_after_d(tmp_path)
    change_after_d(world)
    assert revision.agency_changes == 5
    # Recorded with the revision, in its transaction.
    assert {
        (r.task.number, r.agency.name, r.kind)
        for r in AgencyLinkChange.objects.select_related("task", "agency")
    } == {
        (1, "天津海关", "dropped"),
        (1, "市科技局", "added"),
        (2, "市工业和信息化局", "dropped"),
        (3, "市药监局", "added"),
        (8, "市委组织部", "dropped"),
    }
    # Live, the links moved (the test could fail)...
    moved = live(world)
    assert moved[0]["agencies"] != on_the_day[0]["agencies"]
    for user, (tasks, _figures) in scopes.items():
        assert liaison_view(user, world["now"])[0] != tasks
    # ...and as of D they are the links of D.
    dashboard, _report, _changes = rebuilt(world)
    assert dashboard == on_the_day[0]
    for user, scope in scopes.items():
        assert liaison_view(user, world["now"], D) == scope
    client.force_login(world["manager"])
    figures, _page = page_figures(client, {"period": world["now"].pk, "as_of": D.isoformat()})
    assert figures["agencies"] == on_the_day[0]["agencies"]
    client.force_login(dropped_liaison)
    url = reverse("measures:period-report-html", args=[world["now"].pk])
    page = client.get(url, {"zone": "xiqing", "as_of": D.isoformat()})
    assert page.status_code == 200
    assert task1.pk in {row.task.pk for row in page.context["report"].rows}
    client.force_login(added_liaison)
    page = client.get(url, {"zone": "xiqing", "as_of": D.isoformat()})
    assert page.status_code == 200
    assert task1.pk not in {row.task.pk for row in page.context["report"].rows}
    # A liaison whose agency has no task in 西青 since the revision: the zone's page of D, with its
    # comparison, is theirs; today's is not.
    client.force_login(make_user(Role.LIAISON, agency=Agency.objects.get(name="市委组织部")))
    assert client.get(url, {"zone": "xiqing"}).status_code == 404
    page = client.get(url, {"zone": "xiqing", "as_of": D.isoformat()})
    assert page.status_code == 200
    task8 = world["task"][8]
    assert [row.task.pk for row in page.context["report"].rows] == [task8.pk]
    assert [row.task.pk for row in page.context["changes"].rows] == [task8.pk]


def test_links_before_the_record_are_derived_from_the_change_list(world, tmp_path):
    """A revision applied before the links' changes were recorded: plans migration 0002 derives
    them from its change list, the same rows the revision now records itself."""
    from django.apps import apps

    from plans.link_history import derive_link_changes, forget_derived_link_changes

    on_the_day = live(world)
    relink_after_d(tmp_path)
    recorded = link_rows()
    assert len(recorded) == 5
    # Run again over changes the code recorded itself (a migration run back and forth): nothing twice.
    derive_link_changes(apps)
    assert link_rows() == recorded
    AgencyLinkChange.objects.all().delete()
    assert rebuilt(world)[0]["agencies"] != on_the_day[0]["agencies"]
    derive_link_changes(apps)
    assert link_rows() == recorded
    assert set(AgencyLinkChange.objects.values_list("derived", flat=True)) == {True}
    assert rebuilt(world)[0] == on_the_day[0]
    forget_derived_link_changes(apps)
    assert not AgencyLinkChange.objects.exists()


def test_an_adjustment_a_merge_and_the_admin_record_link_changes(world, admin_client):
    """Every other writer of a task's agencies records what it changed, so the links as of a day
    before it are those of then."""
    from measures.tasks.models import TaskAgency
    from plans.agencies import merge_agencies
    from zones.models import Agency

    task = world["task"][5]
    before = {link.agency_id for link in TaskAgency.objects.filter(task=task)}
    newcomer = Agency.objects.exclude(pk__in=before).order_by("pk").first()
    adjustment = services.propose_adjustment(
        task=task, user=world["officer"], kind="agencies", reason="机构调整", agencies=[newcomer]
    )
    services.approve_adjustment(adjustment=adjustment, user=world["manager"])
    assert {link.agency_id for link in TaskAgency.objects.filter(task=task)} == {newcomer.pk}
    end = asof.day_end(D)
    assert set(AgencyLinkChange.objects.links_then([task.pk], end)[task.pk]) == before
    # A merge moves the links of the merged agency onto the one kept: as of D, the kept one.
    other = Agency.objects.create(name="市新设机构")
    link = TaskAgency.objects.get(task=task)
    link.agency = other
    link.save()
    merge_agencies(target=newcomer, others=[other], user=world["manager"])
    assert AgencyLinkChange.objects.filter(cause="merge").count() == 2
    assert set(AgencyLinkChange.objects.links_then([task.pk], end)[task.pk]) == before
    assert set(AgencyLinkChange.objects.links_then([task.pk], timezone.now())[task.pk]) == {newcomer.pk}
    # The admin's inline: a link deleted there is recorded as dropped.
    link = TaskAgency.objects.get(task=task)
    url = reverse("admin:measures_task_change", args=[task.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if value is not None and not isinstance(value, (list, dict))
    }
    data.update(
        {
            "zone": task.zone_id,
            "category": task.category_id,
            "agency_links-TOTAL_FORMS": 1,
            "agency_links-INITIAL_FORMS": 1,
            "agency_links-0-id": link.pk,
            "agency_links-0-task": task.pk,
            "agency_links-0-position": 1,
            "agency_links-0-agency": newcomer.pk,
            "agency_links-0-DELETE": "on",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert not TaskAgency.objects.filter(task=task).exists()
    assert AgencyLinkChange.objects.filter(cause="edit", kind="dropped", agency=newcomer, task=task).exists()
    # The record reads in the admin, and is not edited there.
    listing = admin_client.get(reverse("admin:measures_agencylinkchange_changelist"))
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == AgencyLinkChange.objects.count() == len(before) + 1 + 2 + 1
    assert admin_client.get(reverse("admin:measures_agencylinkchange_add")).status_code == 403


def test_a_lead_role_changed_after_the_day(world):
    """A liaison reads the draft of a task their agency led on D, as of D, though it leads it no
    more: captured on D, compared after the role changed."""
    from measures.choices import AgencyRole
    from measures.tasks.models import TaskAgency

    wuqing_one = Task.objects.get(zone=world["wuqing"], number=1)
    link = TaskAgency.objects.filter(task=wuqing_one).order_by("position").first()
    TaskAgency.objects.filter(pk=link.pk).update(role=AgencyRole.LEAD)  # as loaded from the plan
    liaison = make_user(Role.LIAISON, agency=link.agency)
    on_the_day = liaison_view(liaison, world["now"])
    state = {row.task.pk: row.state for row in period_rows(liaison, world["now"], today=D).rows}
    assert state[wuqing_one.pk] == "draft"
    before = services.links_of([wuqing_one.pk])
    TaskAgency.objects.filter(pk=link.pk).update(role=AgencyRole.SUPPORTING)
    services.record_link_changes(before=before, after=services.links_of([wuqing_one.pk]), cause="edit")
    assert AgencyLinkChange.objects.get().kind == "role"
    # No longer led: the draft is not read live (the test could fail)...
    state = {row.task.pk: row.state for row in period_rows(liaison, world["now"], today=D).rows}
    assert state[wuqing_one.pk] is None
    # ...but as of D it was.
    assert liaison_view(liaison, world["now"], D) == on_the_day


def test_a_liaisons_past_report_counts_queries_constant_in_links(client, world, django_assert_num_queries):
    """The links of then are read in a fixed number of queries, however many changed since."""
    from measures.tasks.models import TaskAgency
    from zones.models import Agency

    customs = Agency.objects.get(name="天津海关")
    liaison = make_user(Role.LIAISON, agency=customs)
    client.force_login(liaison)
    url = reverse("measures:period-report-html", args=[world["now"].pk])
    params = {"zone": "xiqing", "as_of": D.isoformat()}
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    expected = len(queries)
    for _ in range(4):
        task = task_before_the_day(world["xiqing"])
        before = services.links_of([task.pk])
        TaskAgency.objects.create(task=task, agency=customs, position=1)
        services.record_link_changes(before=before, after=services.links_of([task.pk]), cause="edit")
    with django_assert_num_queries(expected):
        response = client.get(url, params)
    # Linked after D: not the liaison's on D.
    assert not {row.task.pk for row in response.context["report"].rows} & set(
        AgencyLinkChange.objects.values_list("task_id", flat=True)
    )


def test_a_period_and_its_comparison_as_of_the_day_with_history_in_other_periods(world):
    """The rebuild reads the period shown and the one before it in full, and the other periods'
    figures (the dashboard's chart) from the database for the tasks unchanged since the day: with
    reports in four periods and changes after D in each, every page of D (the dashboard, the
    all-zones report and the comparison, for the latest period and an earlier one) still equals
    what it showed on D, so a filter that left out a period or a changed task would show."""
    task, officer, reviewer, manager = world["task"], world["officer"], world["reviewer"], world["manager"]
    older = quarter(world["before"].start - datetime.timedelta(days=120), name="前期")
    following = quarter(world["now"].end + datetime.timedelta(days=1), name="下期")
    wuqing = Task.objects.get(zone=world["wuqing"], number=2)
    write(task[1], older, officer, TaskStatus.ON_TRACK, 10)
    write(task[5], older, officer, TaskStatus.DELAYED, 15, problems="资金")
    write(task[7], older, officer, TaskStatus.ON_TRACK, 25)
    write(wuqing, older, officer, TaskStatus.ON_TRACK, 5)
    write(task[5], following, officer, TaskStatus.ON_TRACK, 60)
    write(wuqing, world["before"], officer, TaskStatus.ON_TRACK, 12)
    ReportEvent.objects.filter(at__gt=WRITTEN).update(at=WRITTEN)
    # The close-off's evidence too (the fixture leaves it dated today; the report of its period
    # counts it).
    Evidence.objects.update(added_at=WRITTEN)
    ProgressReport.objects.filter(submitted_at__gt=WRITTEN).update(
        submitted_at=WRITTEN, submitted_on=WRITTEN.date(), updated_at=WRITTEN
    )
    periods = list(ReportingPeriod.objects.filter(plan=older.plan).select_related("plan"))
    shown = (following, world["now"], world["before"])

    def pages(day=None):
        found = []
        tasks = Task.objects.visible_to(manager)
        for period in shown:
            if day is None:
                data = reads.dashboard(tasks=tasks, plan=period.plan, period=period, periods=periods, today=D)
                report = period_rows(manager, period, today=D)
                changes = period_changes(tasks=tasks.filter(zone__plan=period.plan), period=period)
            else:
                data = asof.dashboard_as_of(
                    tasks=tasks, plan=period.plan, period=period, periods=periods, day=day
                )
                data.pop("snapshot")
                report = asof.period_rows_as_of(manager, period, day)
                snapshot = report.snapshot
                changes = period_changes(
                    tasks=tasks.filter(zone__plan=period.plan),
                    period=period,
                    reports=snapshot.counted(),
                    milestones=snapshot.milestone_rows(),
                    tasks_then=snapshot.then,
                )
            found.append((dashboard_figures(data), report_figures(report), change_figures(changes)))
        return found

    def same(rebuilt, shown):
        for (dashboard, report, changes), (dashboard_then, report_then, changes_then) in zip(
            rebuilt, shown, strict=True
        ):
            assert dashboard == dashboard_then
            assert report == report_then
            assert changes == changes_then

    on_the_day = pages()
    same(pages(D), on_the_day)
    # After D, in every period: an older report returned and resubmitted lower, a report accepted,
    # a task finished and closed off in the latest period, a report written where there was none.
    returned = services.return_report(
        report=ProgressReport.objects.get(task=task[7], period=older), user=reviewer, note="请核实"
    )
    assert returned.state == "returned"
    write(task[7], older, officer, TaskStatus.DELAYED, 20, problems="进度核减")
    services.accept_report(
        report=ProgressReport.objects.get(task=wuqing, period=world["before"]), user=reviewer
    )
    latest = services.return_report(
        report=ProgressReport.objects.get(task=task[5], period=following), user=reviewer, note="已完成请更新"
    )
    write(latest.task, following, officer, TaskStatus.COMPLETED, 100)
    services.accept_report(report=ProgressReport.objects.get(task=task[5], period=following), user=reviewer)
    services.close_task(task=task[5], user=manager, note="完成", url=CLOSE_OFF_LINK)
    write(wuqing, following, officer, TaskStatus.DELAYED, 40, problems="新问题")
    change_after_d(world)
    moved = pages()
    for now_page, then_page in zip(moved, on_the_day, strict=True):
        assert now_page != then_page
    # The chart across periods (an older period's cell) moved too: only the rebuild keeps it.
    assert moved[0][0]["history"] != on_the_day[0][0]["history"]
    same(pages(D), on_the_day)


def test_the_chart_from_kept_figures_corrected_to_the_day(world, monkeypatch):
    """The chart across periods as of D starts from the figures kept of each period today
    (LockedPeriodFigures, as the live dashboard reads them) and corrects them by what changed
    since D: kept figures that still hold today are wrong for D once a period changed after it.
    After D: a report of the earlier period returned and resubmitted lower, a report there of a
    task created after D, then that period locked (kept final); in the later one returns,
    acceptances, a reopened task (change_after_d). Captured on D, compared after, with the kept
    figures read and nothing counted again."""
    from measures.dashboard import figures
    from measures.dashboard.models import LockedPeriodFigures

    manager, officer, reviewer = world["manager"], world["officer"], world["reviewer"]
    before, now, plan = world["before"], world["now"], world["now"].plan
    # A period running today, with reports written before D: a finished task closed off after D
    # (the close-off adds its evidence to the report) and one withdrawn after D (its report
    # unchanged since) no longer count in it today.
    following = quarter(now.end + datetime.timedelta(days=1), name="下期")
    finished, dropped = world["task"][7], world["task"][5]
    services.accept_report(
        report=write(finished, following, officer, TaskStatus.COMPLETED, 100), user=reviewer
    )
    write(dropped, following, officer, TaskStatus.DELAYED, 35, problems="暂缓")
    ReportEvent.objects.filter(at__gt=WRITTEN).update(at=WRITTEN)
    ProgressReport.objects.filter(submitted_at__gt=WRITTEN).update(
        submitted_at=WRITTEN, submitted_on=WRITTEN.date(), updated_at=WRITTEN
    )
    periods = list(ReportingPeriod.objects.filter(plan=plan).select_related("plan"))
    tasks = Task.objects.visible_to(manager)

    def as_of_d():
        data = asof.dashboard_as_of(tasks=tasks, plan=plan, period=now, periods=periods, day=D, complete=True)
        data.pop("snapshot")
        return dashboard_figures(data)

    on_the_day = live(world)[0]
    assert as_of_d() == on_the_day
    earlier = ProgressReport.objects.get(task=world["task"][1], period=before)
    services.return_report(report=earlier, user=reviewer, note="请核实")
    write(world["task"][1], before, officer, TaskStatus.DELAYED, 25, problems="核减")
    newcomer = make_task(zone=world["xiqing"])  # created today: not on D
    write(newcomer, before, officer, TaskStatus.ON_TRACK, 90)
    services.lock_period(period=before, user=manager, confirm_waiting=True)
    change_after_d(world)
    services.close_task(task=finished, user=manager, note="完成", url=CLOSE_OFF_LINK)
    # As a plan revision withdraws it (the pages read a withdrawal from the task's own date).
    Task.objects.filter(pk=dropped.pk).update(withdrawn_at=timezone.now())
    periods[:] = ReportingPeriod.objects.filter(plan=plan).select_related("plan")  # the lock read
    # The live page keeps the open period's figures as they are today.
    today = reads.dashboard(tasks=tasks, plan=plan, period=now, periods=periods, complete=True)
    kept = LockedPeriodFigures.objects.filter(period__in=[before, now])
    assert kept.filter(period=before, final=True).exists()
    assert kept.filter(period=now, counted_at=F("changes")).exists()
    assert LockedPeriodFigures.objects.filter(period=following, counted_at=F("changes")).exists()
    # Today's chart differs from D's in both periods (the test could fail)...
    history = {s["zone"].code: s["points"] for s in today["history"]["series"]}
    then = dict(on_the_day["history"])
    for period in (before, now, following):
        point = next(p for p in history["xiqing"] if p["period"] == period)
        on_d = next(p for p in then["xiqing"] if p[0] == period.pk)
        assert (point["average"], point["on_time"]) != (on_d[1], on_d[2])
    # ...while as of D, read from those kept figures (no period counted again), it is D's chart.
    counted = []
    original = figures.counted
    monkeypatch.setattr(figures, "counted", lambda t, p: counted.append(list(p)) or original(t, p))
    assert as_of_d() == on_the_day
    assert counted == [[]]
    # Without the kept figures every period is counted again, to the same chart.
    LockedPeriodFigures.objects.all().delete()
    assert as_of_d() == on_the_day
    assert {p.pk for p in counted[-1]} >= {before.pk, now.pk, following.pk}


def summary_figures(summary):
    def counts(tally):
        return (tally.tasks, {key: dict(value) for key, value in tally.counts.items()}, tally.requests)

    return (
        counts(summary),
        [(s.zone.code, counts(s.tally)) for s in summary.sections],
        [(c.category.pk, c.category.number, c.category.title, counts(c.tally)) for c in summary.categories],
    )


def test_the_summary_of_every_zone_as_of_the_day(world, tmp_path):
    """The summary of every zone as of D (counted from the rebuild's groups, without a row per
    task) equals the live summary on D, after a revision and the changes after D; and a
    liaison's, who reads only what was submitted then."""
    from measures.exports.rows import period_summary
    from zones.models import Agency

    manager, now = world["manager"], world["now"]
    liaison = make_user(Role.LIAISON, agency=Agency.objects.get(name="天津海关"))
    on_the_day = {user: summary_figures(period_summary(user, now, today=D)) for user in (manager, liaison)}
    assert on_the_day[manager][0][0] > 0 and on_the_day[liaison][0][0] > 0
    revise_after_d(tmp_path)
    change_after_d(world)
    for user, figures in on_the_day.items():
        assert summary_figures(period_summary(user, now)) != figures
        assert summary_figures(asof.period_summary_as_of(user, now, D)) == figures


def test_a_past_day_is_counted_without_garbage_collection(client, world, monkeypatch):
    """The page of a past day pauses automatic collection while it counts and renders (the
    rebuild's rows would set off full collections), and leaves it as it was after."""
    import gc

    from measures.dashboard import views as dashboard_views

    seen = []
    original = dashboard_views.period_changes

    def comparison(**kwargs):
        seen.append(gc.isenabled())
        return original(**kwargs)

    monkeypatch.setattr(dashboard_views, "period_changes", comparison)
    client.force_login(world["manager"])
    assert gc.isenabled()
    assert client.get("/", {"period": world["now"].pk, "as_of": D.isoformat()}).status_code == 200
    assert seen == [False] and gc.isenabled()
