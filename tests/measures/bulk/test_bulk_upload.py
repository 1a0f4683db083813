"""Bulk update from a spreadsheet: template download, upload, all-or-nothing saving."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.roles import Role
from measures import bulk, services
from measures.bulk.columns import HEADERS, NUMBER, PERCENT, PROGRESS, STATUS, SUPPORT_AGENCY, VERSION, ZONE
from measures.bulk.files import read_upload
from measures.choices import EventKind, ReportState, TaskStatus
from measures.models import ProgressReport, ReportEvent, ReportingPeriod, Task
from tests.factories import make_user
from tests.helpers import SESSION
from zones.models import Agency, Plan, Zone

pytestmark = pytest.mark.django_db
ENGLISH = {"accept-language": "en"}
XLSX_HEADER = b"PK\x03\x04"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


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
def officer():
    return make_user(Role.OFFICER, zones=[Zone.objects.get(code="xiqing")])


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


def task(code, number):
    return Task.objects.get(zone__code=code, number=number)


def save(code, number, period, user, **data):
    data = {"status": TaskStatus.ON_TRACK, "percent_complete": 30, "progress": "完成方案编制", **data}
    return services.save_report(task=task(code, number), period=period, user=user, data=data)


def url(name, period):
    return reverse(f"measures:{name}", args=[period.pk])


def download(client, period, kind="xlsx", **params):
    response = client.get(url(f"bulk-template-{kind}", period), params)
    assert response.status_code == 200, response.status_code
    return response.content


def upload(client, period, content, name="template.xlsx", submit=False):
    data = {"file": SimpleUploadedFile(name, content)}
    if submit:
        data["submit_reports"] = "on"
    return client.post(url("bulk-upload", period), data, headers=ENGLISH)


def edit_xlsx(content, edits, extra_rows=()):
    """Change cells of the rows named by (zone code, task number), and append rows; the new bytes."""
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.active
    columns = {header: index for index, header in enumerate(HEADERS, start=1)}
    for row in range(2, sheet.max_row + 1):
        key = (sheet.cell(row, columns[ZONE]).value, sheet.cell(row, columns[NUMBER]).value)
        for header, value in edits.get(key, {}).items():
            sheet.cell(row, columns[header]).value = value
    for values in extra_rows:
        sheet.append([values.get(header) for header in HEADERS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row_of(content, code, number):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    for row in sheet.iter_rows(min_row=2):
        if (row[0].value, row[1].value) == (code, number):
            return row[0].row, dict(zip(HEADERS, [cell.value for cell in row], strict=True))
    raise AssertionError(f"no row for {code} {number}")


def summary(response):
    return [str(message) for message in response.context["messages"]]


def counts():
    return ProgressReport.objects.count(), ReportEvent.objects.count()


# Template ---------------------------------------------------------------------------------


def test_template_lists_the_officers_tasks_prefilled(officer_client, officer, period):
    save("xiqing", 2, period, officer, support_agency=Agency.objects.get(name="市科技局"))
    content = download(officer_client, period)
    assert content.startswith(XLSX_HEADER)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert sheet.freeze_panes == "A2"
    assert any("按计划推进" in v.formula1 for v in sheet.data_validations.dataValidation)
    assert sheet.column_dimensions["C"].width > 20
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1]) for r in rows] == [("xiqing", n) for n in range(1, 13)]
    assert rows[0][3:] == (None, None, None, None, None, None, None, 0)
    assert rows[1][3:] == ("按计划推进", 30, "完成方案编制", None, None, None, "市科技局", 1)


def test_template_headers_stay_chinese_in_english(officer_client, period):
    response = officer_client.get(url("bulk-template-csv", period), headers=ENGLISH)
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert response["Content-Type"].startswith("text/csv")
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header == HEADERS


def test_template_for_one_zone(client, period):
    client.force_login(make_user(Role.OFFICER, zones=Zone.objects.filter(code__in=["xiqing", "wuqing"])))
    both = openpyxl.load_workbook(io.BytesIO(download(client, period))).active
    assert both.max_row == 1 + 12 + 9
    one = openpyxl.load_workbook(io.BytesIO(download(client, period, zone="wuqing"))).active
    assert {row[0] for row in one.iter_rows(min_row=2, values_only=True)} == {"wuqing"}
    assert client.get(url("bulk-template-xlsx", period), {"zone": "ziya"}).status_code == 404


def test_template_query_count_is_fixed(officer_client, officer, period, django_assert_num_queries):
    # session and user, access, period, tasks with zones, the period's reports with agencies
    with django_assert_num_queries(SESSION + 4):
        download(officer_client, period)
    for number in range(1, 8):
        save("xiqing", number, period, officer, support_agency=task("xiqing", number).ordered_agencies[0])
    with django_assert_num_queries(SESSION + 4):
        download(officer_client, period, "csv")


def test_template_query_count_for_all_tasks(client, period, django_assert_num_queries):
    client.force_login(make_user(Role.ADMINISTRATOR))
    with django_assert_num_queries(SESSION + 4):
        content = download(client, period)
    assert openpyxl.load_workbook(io.BytesIO(content)).active.max_row == 1 + 58


# Round trip and edits ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_unchanged_template_round_trips_to_nothing(officer_client, officer, period, kind):
    save("xiqing", 1, period, officer, progress="=SUM(A1)\r\n第二行", problems="-暂无", next_steps="'引号")
    save("xiqing", 3, period, officer, support_agency=Agency.objects.get(name="天津海关"))
    before = counts()
    content = download(officer_client, period, kind)
    response = upload(officer_client, period, content, name=f"template.{kind}")
    assert response.status_code == 302
    page = officer_client.get(response.url, headers=ENGLISH)
    assert summary(page) == ["Spreadsheet applied. Updated: 0 · Unchanged: 12 · Submitted: 0."]
    assert counts() == before
    assert ProgressReport.objects.get(task=task("xiqing", 1)).version == 1


def test_editing_two_rows_changes_exactly_those(officer_client, officer, period):
    first = save("xiqing", 1, period, officer)
    save("xiqing", 4, period, officer)
    content = download(officer_client, period)
    edited = edit_xlsx(
        content,
        {
            ("xiqing", 1): {PERCENT: 60, PROGRESS: "完成样品检测"},
            # an alias of 市工业和信息化局, a supporting agency of task 2; the English label is accepted
            ("xiqing", 2): {ZONE: "XiQing", STATUS: "Delayed", PERCENT: "10", SUPPORT_AGENCY: "市工信局"},
        },
    )
    events_before = ReportEvent.objects.count()
    response = upload(officer_client, period, edited)
    assert response.status_code == 302
    assert ReportEvent.objects.count() == events_before + 2
    first = ProgressReport.objects.get(pk=first.pk)
    assert (first.percent_complete, first.progress, first.version) == (60, "完成样品检测", 2)
    assert [e.kind for e in first.events.all()] == [EventKind.CREATED, EventKind.EDITED]
    assert set(first.events.last().changes) == {"percent_complete", "progress", "_version"}
    second = ProgressReport.objects.get(task=task("xiqing", 2), period=period)
    assert (second.status, second.percent_complete, second.progress) == (TaskStatus.DELAYED, 10, "")
    assert second.support_agency.name == "市工业和信息化局"
    assert [e.kind for e in second.events.all()] == [EventKind.CREATED]
    assert ProgressReport.objects.get(task=task("xiqing", 4)).version == 1
    page = officer_client.get(response.url, headers=ENGLISH)
    assert "Updated: 2 · Unchanged: 10 · Submitted: 0." in summary(page)[0]


def test_submitting_the_saved_reports(officer_client, officer, period):
    save("xiqing", 1, period, officer)
    content = download(officer_client, period)
    edited = edit_xlsx(
        content,
        {
            ("xiqing", 1): {PERCENT: 50},
            ("xiqing", 2): {STATUS: "on_track", PERCENT: 5, PROGRESS: "启动调研"},
        },
    )
    response = upload(officer_client, period, edited, submit=True)
    assert response.status_code == 302
    states = ProgressReport.objects.filter(period=period).values_list("state", flat=True)
    assert list(states) == [ReportState.SUBMITTED] * 2
    assert "Submitted: 2." in summary(officer_client.get(response.url, headers=ENGLISH))[0]


def test_a_failed_submit_rolls_every_row_back(officer_client, officer, period):
    content = download(officer_client, period)
    # Row 2 saves and submits; row 3 saves but cannot be submitted without progress.
    edited = edit_xlsx(
        content,
        {
            ("xiqing", 1): {STATUS: "按计划推进", PERCENT: 20, PROGRESS: "启动"},
            ("xiqing", 2): {STATUS: "按计划推进", PERCENT: 20},
        },
    )
    before = counts()
    response = upload(officer_client, period, edited, submit=True)
    assert response.status_code == 400
    assert [(e.row, e.column) for e in response.context["row_errors"]] == [(3, "本期进展")]
    assert counts() == before


def test_a_conflict_while_applying_rolls_every_row_back(officer, period):
    save("xiqing", 3, period, officer)
    content = bulk.write_xlsx(
        bulk.template_rows(bulk.reportable_tasks(officer, period), period), sheet_title="x"
    )
    edited = edit_xlsx(content, {("xiqing", 1): {STATUS: "未启动", PERCENT: 0}, ("xiqing", 3): {PERCENT: 80}})
    outcome = bulk.check_rows(read_upload(SimpleUploadedFile("t.xlsx", edited)), period=period, user=officer)
    assert [change.row for change in outcome.changes] == [2, 4]
    # Someone saves task 3 between the check and the save: the service's version check catches it.
    save("xiqing", 3, period, officer, percent_complete=31)
    before = counts()
    errors, submitted = bulk.apply_changes(outcome.changes, user=officer, period=period, submit=False)
    assert [(e.row, e.column) for e in errors] == [(4, "版本")]
    assert (counts(), submitted) == (before, 0)


# Errors -----------------------------------------------------------------------------------


def test_bad_rows_are_all_reported_and_nothing_is_saved(officer_client, officer, period):
    save("xiqing", 5, period, officer)
    content = download(officer_client, period)
    edited = edit_xlsx(
        content,
        {
            ("xiqing", 1): {STATUS: "按计划推进", PERCENT: 140},
            ("xiqing", 2): {STATUS: "进行中", PERCENT: 10},
            ("xiqing", 3): {STATUS: "滞后", PERCENT: 10, SUPPORT_AGENCY: "市药监局"},
            ("xiqing", 5): {PERCENT: 90},  # valid on its own, and still not saved
        },
        extra_rows=[
            {ZONE: "wuqing", NUMBER: 1, STATUS: "未启动", PERCENT: 0, VERSION: 0},
            {ZONE: "xiqing", NUMBER: 4, STATUS: "未启动", PERCENT: 0, VERSION: 0},
            {ZONE: "nowhere", NUMBER: 1, STATUS: "未启动", PERCENT: 0},
            {ZONE: "xiqing", NUMBER: 99, STATUS: "未启动", PERCENT: 0},
        ],
    )
    before = counts()
    response = upload(officer_client, period, edited)
    assert response.status_code == 400
    assert counts() == before
    assert ProgressReport.objects.get(task=task("xiqing", 5)).percent_complete == 30
    found = [(e.row, e.column) for e in response.context["row_errors"]]
    assert found == [
        (2, "完成进度(%)"),
        (3, "推进状态"),
        (4, "需支持单位"),
        (14, "联动创新区代码"),
        (15, "任务编号"),
        (16, "联动创新区代码"),
        (17, "任务编号"),
    ]
    html = response.content.decode()
    assert "Nothing has been saved." in html
    assert "The percent complete must be a whole number from 0 to 100." in html
    assert "This task is also in row 5; keep one row per task." in html
    assert "市药监局 is not a supporting agency of this task." in html


def test_officer_of_wuqing_cannot_upload_a_xiqing_row(client, period):
    client.force_login(make_user(Role.OFFICER, zones=[Zone.objects.get(code="wuqing")]))
    content = download(client, period)
    edited = edit_xlsx(content, {}, extra_rows=[{ZONE: "xiqing", NUMBER: 1, STATUS: "滞后", PERCENT: 5}])
    response = upload(client, period, edited)
    assert response.status_code == 400
    [error] = response.context["row_errors"]
    assert (error.row, error.column, error.task) == (11, "联动创新区代码", "xiqing 1")
    assert "You cannot report on the tasks of" in error.message
    assert not ProgressReport.objects.exists()


def test_a_save_after_download_is_a_conflict(officer_client, officer, period):
    save("xiqing", 1, period, officer)
    content = download(officer_client, period)
    save("xiqing", 1, period, make_user(Role.OFFICER, zones=[task("xiqing", 1).zone]), percent_complete=45)
    edited = edit_xlsx(content, {("xiqing", 2): {STATUS: "未启动", PERCENT: 0}})
    before = counts()
    response = upload(officer_client, period, edited)
    assert response.status_code == 400
    assert [(e.row, e.column) for e in response.context["row_errors"]] == [(2, "版本")]
    assert "version 1 in the file, 2 now" in response.context["row_errors"][0].message
    assert counts() == before


def test_submitted_report_is_skipped_unchanged_and_refused_changed(officer_client, officer, period):
    services.submit_report(report=save("xiqing", 1, period, officer), user=officer)
    content = download(officer_client, period)
    assert upload(officer_client, period, content).status_code == 302
    response = upload(officer_client, period, edit_xlsx(content, {("xiqing", 1): {PERCENT: 99}}))
    assert response.status_code == 400
    assert "can no longer be edited" in response.context["row_errors"][0].message


def test_locked_period_refuses_uploads(officer_client, officer, period):
    content = download(officer_client, period)
    services.lock_period(period=period, user=make_user(Role.MANAGER))
    edited = edit_xlsx(content, {("xiqing", 1): {STATUS: "未启动", PERCENT: 0}})
    response = upload(officer_client, period, edited)
    assert response.status_code == 400
    assert "This reporting period is locked" in response.content.decode()
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("photo.xlsx", PNG, "The file is named .xlsx but its content is not a spreadsheet"),
        ("setup.xlsx", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "is not a spreadsheet"),
        ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200, "old-style Excel file (.xls)"),
        ("photo.csv", PNG, "The file is named .csv but its content is not a spreadsheet"),
        ("notes.txt", "联动创新区代码".encode(), "Upload an Excel workbook (.xlsx) or a CSV file (.csv)."),
        ("wrong.csv", b"a,b,c\r\n1,2,3\r\n", "The first row is not the template's header."),
        ("empty.csv", b"", "file is empty."),
    ],
)
def test_files_that_are_not_the_template_are_refused(officer_client, period, name, content, expected):
    response = upload(officer_client, period, content, name=name)
    assert response.status_code == 400
    assert expected in " ".join(response.context["form"].errors["file"])


def test_a_zip_that_is_not_a_workbook_is_refused(officer_client, period):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    response = upload(officer_client, period, buffer.getvalue())
    assert "not a spreadsheet" in " ".join(response.context["form"].errors["file"])


def test_files_over_5_mb_are_refused(officer_client, period):
    response = upload(officer_client, period, b"x" * (5 * 1024 * 1024 + 1), name="big.csv")
    assert "larger than 5 MB" in " ".join(response.context["form"].errors["file"])


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_in_utf8_and_gb18030_is_accepted(officer_client, period, encoding):
    text = download(officer_client, period, "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    rows[2][HEADERS.index(STATUS)] = "按计划推进"
    rows[2][HEADERS.index(PERCENT)] = "25%"
    rows[2][HEADERS.index(PROGRESS)] = "完成首批企业走访"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    response = upload(officer_client, period, buffer.getvalue().encode(encoding), name="填报.csv")
    assert response.status_code == 302, response.context and response.context["row_errors"]
    report = ProgressReport.objects.get(task=task("xiqing", 2), period=period)
    assert (report.percent_complete, report.progress) == (25, "完成首批企业走访")


# Access -----------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_log_in(client, period):
    for name in ("bulk-upload", "bulk-template-xlsx", "bulk-template-csv"):
        response = client.get(url(name, period))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_a_manager_who_cannot_report_gets_403(client, period):
    client.force_login(make_user(Role.MANAGER))
    assert client.get(url("bulk-upload", period)).status_code == 403
    assert upload(client, period, b"whatever").status_code == 403
    assert client.get(url("bulk-template-xlsx", period)).status_code == 403


def test_upload_page_offers_the_templates(officer_client, period):
    response = officer_client.get(url("bulk-upload", period), headers=ENGLISH)
    assert response.status_code == 200
    html = response.content.decode()
    # The English page names the period in English (2026年第四季度 is Q4 2026).
    assert "Q4 2026" in html and "2027-01-10" in html
    assert url("bulk-template-xlsx", period) in html and url("bulk-template-csv", period) in html
    assert 'enctype="multipart/form-data"' in html


def test_every_problem_is_listed_on_the_first_upload(officer_client, officer, period):
    """The reviewer's file: task 4 at 140% (a row check) and task 5 已完成 at 50% (the service's
    rule) used to come out one upload apart; both come at once, with a submit objection too."""
    content = download(officer_client, period)
    edited = edit_xlsx(
        content,
        {
            ("xiqing", 4): {STATUS: "按计划推进", PERCENT: 140, PROGRESS: "推进"},
            ("xiqing", 5): {STATUS: "已完成", PERCENT: 50, PROGRESS: "完成"},
            ("xiqing", 6): {STATUS: "按计划推进", PERCENT: 20},  # no progress: cannot be submitted
            ("xiqing", 7): {STATUS: "按计划推进", PERCENT: 20, PROGRESS: "推进"},  # fine
        },
    )
    before = counts()
    response = upload(officer_client, period, edited, submit=True)
    assert response.status_code == 400
    assert counts() == before
    rows = sorted({e.row for e in response.context["row_errors"]})
    assert rows == [row_of(content, "xiqing", n)[0] for n in (4, 5, 6)]
    # Fixing only those rows is enough: the next upload goes through.
    fixed = edit_xlsx(
        edited,
        {
            ("xiqing", 4): {PERCENT: 40},
            ("xiqing", 5): {PERCENT: 100},
            ("xiqing", 6): {PROGRESS: "推进"},
        },
    )
    response = upload(officer_client, period, fixed, submit=True)
    assert response.status_code == 302
    assert ProgressReport.objects.filter(period=period, state=ReportState.SUBMITTED).count() == 4
