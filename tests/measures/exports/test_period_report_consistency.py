"""The period report (工作情况报告) agrees with itself: the page, the workbook, the CSV and the
Word report give the same figures, and those equal counts made here with plain queries. One
rule throughout: a report counts once submitted (or accepted); drafts and returned reports are
not submitted; a task closed off by the period's end counts as closed off, once, everywhere."""

import csv
import datetime
import io
import re
from collections import Counter
from types import SimpleNamespace

import docx
import openpyxl
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from core.roles import Role
from measures import services
from measures.choices import ReportState, TaskStatus
from measures.exports import text
from measures.exports.rows import NOT_REPORTED, row_labels, timeliness_labels
from measures.models import ProgressReport, ReportingPeriod, Task
from tests.factories import CLOSE_OFF_LINK, make_user
from zones.models import Plan, Zone

pytestmark = pytest.mark.django_db
SUBMITTED = [ReportState.SUBMITTED, ReportState.ACCEPTED]


@pytest.fixture
def period():
    """The current period: it has not ended and its deadline is ahead, as on the reviewer's day."""
    today = timezone.localdate()
    return ReportingPeriod.objects.create(
        plan=Plan.objects.get(code="second-batch"),
        name="2026年第四季度",
        start=today - datetime.timedelta(days=50),
        end=today + datetime.timedelta(days=40),
        deadline=today + datetime.timedelta(days=55),
    )


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


def xiqing(number):
    return Task.objects.get(zone__code="xiqing", number=number)


def save(task, period, officer, status, percent):
    data = {"status": status, "percent_complete": percent, "progress": "推进中。", "problems": "无"}
    return services.save_report(task=task, period=period, user=officer, data=data)


@pytest.fixture
def entered(period, manager):
    """What the reviewer entered: 1 delayed 40% accepted; 2 a draft (not started); 3 returned
    and resubmitted; 7 completed, accepted and closed off (销号)."""
    officer = make_user(Role.OFFICER, zones=[Zone.objects.get(code="xiqing")])
    first = services.submit_report(
        report=save(xiqing(1), period, officer, TaskStatus.DELAYED, 40), user=officer
    )
    services.accept_report(report=first, user=manager)
    save(xiqing(2), period, officer, TaskStatus.NOT_STARTED, 0)
    third = services.submit_report(
        report=save(xiqing(3), period, officer, TaskStatus.ON_TRACK, 60), user=officer
    )
    third = services.return_report(report=third, user=manager, note="请补充。")
    services.submit_report(report=save(xiqing(3), period, officer, TaskStatus.ON_TRACK, 60), user=officer)
    seventh = services.submit_report(
        report=save(xiqing(7), period, officer, TaskStatus.COMPLETED, 100), user=officer
    )
    services.accept_report(report=seventh, user=manager)
    services.close_task(url=CLOSE_OFF_LINK, task=xiqing(7), user=manager)
    return period


def independent(period):
    """The report's figures from plain queries, not from the rows selector."""
    tasks = Task.objects.filter(zone__plan=period.plan)
    closed = tasks.filter(closed_at__isnull=False)
    submitted = ProgressReport.objects.filter(period=period, task__in=tasks, state__in=SUBMITTED)
    counted = submitted.exclude(task__in=closed)
    on_time = counted.filter(submitted_on__lte=period.deadline).count()
    late = counted.filter(submitted_on__gt=period.deadline).count()
    by_status = Counter(submitted.values_list("status", flat=True))
    by_status[NOT_REPORTED] = tasks.count() - submitted.count()
    return {
        "tasks": tasks.count(),
        "timeliness": {
            "on_time": on_time,
            "late": late,
            "missing": tasks.count() - closed.count() - on_time - late,
            "closed": closed.count(),
        },
        "status": {key: by_status.get(key, 0) for key in [*TaskStatus.values, NOT_REPORTED]},
        "closed_light": closed.count(),
    }


def get(client, name, period):
    return client.get(reverse(f"measures:{name}", args=[period.pk]))


def test_every_format_gives_the_same_figures_as_independent_counts(client, manager, entered):
    period = entered
    expected = independent(period)
    # The reviewer's figures: 3 submitted (task 2 is a draft), 1 closed off, 54 not submitted.
    assert expected["timeliness"] == {"on_time": 2, "late": 0, "missing": 55, "closed": 1}
    assert expected["status"][TaskStatus.NOT_STARTED] == 0
    assert expected["status"][NOT_REPORTED] == 55
    client.force_login(manager)
    with translation.override("zh-hans"):
        labels = timeliness_labels()
        status_labels = {None: row_labels()["status"][None], **row_labels()["status"]}
        sentences = text.summary_sentences(
            SimpleNamespace(
                timeliness=lambda: expected["timeliness"],
                sections=[None] * 5,
                rows=[None] * expected["tasks"],
                period=period,
                by_status=lambda: [
                    (k, status_labels[k if k != NOT_REPORTED else None], n)
                    for k, n in expected["status"].items()
                ],
                by_light=lambda: [],
                # The sentences of the figures only, without the notes that come before them.
                provisional=False,
                accepted_only=False,
            )
        )[:2]

    # The page: the zone table's total, the status table and the lights' closed-off count.
    html = get(client, "period-report-html", period).content.decode()
    total = re.search(r'<tr data-zone="total">(.*?)</tr>', html, re.S)[1]
    assert {k: int(n) for k, n in re.findall(r'data-count="(\w+)">(\d+)<', total)} == expected["timeliness"]
    assert {k: int(n) for k, n in re.findall(r'data-status="(\w+)">(\d+)<', html)} == expected["status"]
    assert f'data-light="closed">{expected["closed_light"]}<' in html
    for sentence in sentences:
        assert sentence in html
    assert "已销号 1 项" in html and "已销号 0 项" not in html
    # The draft's text and status do not reach the report (its rows are on the zone's page: the
    # page of several zones is their summary).
    zone_html = client.get(reverse("measures:period-report-html", args=[period.pk]), {"zone": "xiqing"})
    assert zone_html.content.decode().count("推进中。") == 3

    # The workbook's summary: the total row, timeliness, statuses and lights in one row.
    sheet = openpyxl.load_workbook(io.BytesIO(get(client, "period-report-xlsx", period).content)).worksheets[
        0
    ]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    header, total_row = rows[0], rows[-1]
    line = dict(zip(header, total_row, strict=False))
    for key, count in expected["timeliness"].items():
        assert line[labels[key]] == count
    closed_cells = [v for h, v in zip(header, total_row, strict=False) if h == labels["closed"]]
    assert closed_cells and set(closed_cells) == {1}
    assert line[status_labels[None]] == expected["status"][NOT_REPORTED]
    assert line[status_labels[TaskStatus.NOT_STARTED]] == 0

    # The CSV: one row per task; statuses counted from its status column.
    body = get(client, "period-report-csv", period).content.decode("utf-8-sig")
    csv_rows = list(csv.reader(io.StringIO(body)))
    status_column = 4  # zone, number, title, agencies, status
    counted = Counter(row[status_column] for row in csv_rows[1:])
    assert len(csv_rows) - 1 == expected["tasks"]
    for key, count in expected["status"].items():
        assert counted.get(status_labels[key if key != NOT_REPORTED else None], 0) == count

    # The Word report carries the same summary sentences.
    document = docx.Document(io.BytesIO(get(client, "period-report-docx", period).content))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    for sentence in sentences:
        assert sentence in paragraphs
    assert "已销号 0 项" not in paragraphs


@pytest.mark.parametrize("code", ["second-batch", "ftz-14th-fyp"])
def test_opening_has_one_pair_of_title_marks(client, manager, code):
    if code == "ftz-14th-fyp":
        call_command("load_plan", str(settings.PLAN_FIXTURE_DIR / "ftz-14th-fyp.json"), stdout=io.StringIO())
    plan = Plan.objects.get(code=code)
    today = timezone.localdate()
    period = ReportingPeriod.objects.create(
        plan=plan, name="本期", start=today, end=today, deadline=today + datetime.timedelta(days=5)
    )
    client.force_login(manager)
    html = get(client, "period-report-html", period).content.decode()
    assert "《《" not in html and "》》" not in html
    assert f"《{plan.title}》" in html
    document = docx.Document(io.BytesIO(get(client, "period-report-docx", period).content))
    opening = next(p.text for p in document.paragraphs if p.text.startswith("按照"))
    assert opening.count("《") == 1 and f"《{plan.title}》" in opening


def test_a_title_stored_with_its_marks_is_not_marked_twice():
    plan = SimpleNamespace(title="《测试建设方案》", title_en="")
    report = SimpleNamespace(plan=plan, zone=None, period=SimpleNamespace(name="本期"))
    with translation.override("zh-hans"):
        assert "《测试建设方案》" in text.opening(report)
        assert "《《" not in text.opening(report)


def test_summary_counts_equal_the_rows_for_every_zone_and_category(manager, entered):
    """The page of several zones is counted in the database (period_summary), the zone pages
    and the exports from the rows (period_rows): the same figures by zone, by category and in
    total, with a draft, a returned and resubmitted report, a closed-off task, a task withdrawn
    during the period, a late submission and an overdue milestone among them."""
    from measures.exports.rows import period_rows, period_summary

    period = entered
    officer = make_user(Role.OFFICER, zones=[Zone.objects.get(code="xiqing")])
    services.add_milestone(
        confirm_past=True,
        task=xiqing(5),
        user=officer,
        title="逾期节点",
        due=timezone.localdate() - datetime.timedelta(days=3),
    )
    Task.objects.filter(pk=xiqing(6).pk).update(withdrawn_at=timezone.now())
    late = services.submit_report(
        report=save(xiqing(8), period, officer, TaskStatus.BLOCKED, 10), user=officer
    )
    ProgressReport.objects.filter(pk=late.pk).update(
        submitted_on=period.deadline + datetime.timedelta(days=1)
    )

    def figures(tally):
        return {"status": tally.by_status(), "light": tally.by_light(), "timeliness": tally.timeliness()}

    rows = period_rows(manager, period)
    summary = period_summary(manager, period)
    assert figures(summary) == figures(rows) and summary.tasks == len(rows.rows) == 58
    assert summary.timeliness()["late"] == 1 and summary.timeliness()["closed"] == 2
    assert [s.zone for s in summary.sections] == [s.zone for s in rows.sections]
    for counted, section in zip(summary.sections, rows.sections, strict=True):
        assert figures(counted.tally) == figures(section)
        assert counted.tally.requests == len(section.requests)
    by_category = {}
    for row in rows.rows:
        by_category.setdefault(row.task.category_id, []).append(row)
    assert {c.category.pk for c in summary.categories} == set(by_category)
    for counted in summary.categories:
        expected = by_category[counted.category.pk]
        assert counted.tally.tasks == len(expected)
        assert counted.tally.counts["light"] == Counter(row.light for row in expected)
        assert counted.tally.counts["timeliness"] == Counter(row.timeliness for row in expected)
