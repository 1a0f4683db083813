"""The period report: HTML, Excel, CSV and Word agree with counts made independently here,
show only what the user may see, and read a fixed number of queries."""

import csv
import datetime
import io
import re
from urllib.parse import quote

import docx
import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.roles import Role
from measures import services
from measures.choices import ReportState, RequestState, TaskStatus
from measures.exports import text
from measures.exports.rows import columns
from measures.models import CoordinationRequest, ProgressReport, ReportingPeriod, Task
from tests.factories import make_plan, make_user, make_zone
from zones.models import Agency, Plan, Zone

pytestmark = pytest.mark.django_db
ZONES = ["xiqing", "wuqing", "beichen", "ziya", "dongli"]
ZONE_NAMES = {"xiqing": "西青经开区", "wuqing": "武清经开区", "beichen": "北辰经开区", "ziya": "子牙经开区"}
SUBMITTED = [ReportState.SUBMITTED, ReportState.ACCEPTED]
# Session and user, then: period, access, zones, tasks (with report values), reports, requests.
QUERIES = 2 + 6
# The comparison with the last period (measures.changes) in the page, Excel and Word: the previous
# period, the tasks, their reports of both periods, the milestones due.
CHANGES = 4
# The summary page of several zones shows the comparison's tallies and movers only, counted in the
# database (summed_changes): the previous period, the zones' tallies, the milestones due (no period
# before this one here, so no movers to rank and read).
SUMMED = 3
# The printable page, drawn in base.html, also reads the navigation's count of unanswered major
# matters (managers only), and the red escalations (红色督办) of the period listed at its end;
# for a manager, once the deadline has passed, each zone's silence figures (three grouped reads);
# and the gap between self-reported and verified progress per zone (one).
PAGE = QUERIES + 2 + 3 + 1


@pytest.fixture
def period():
    """A period whose deadline has passed, so reports are on time, late or missing."""
    today = timezone.localdate()
    return ReportingPeriod.objects.create(
        plan=Plan.objects.get(code="second-batch"),
        name="2026年第四季度",
        start=today - datetime.timedelta(days=60),
        end=today - datetime.timedelta(days=10),
        deadline=today - datetime.timedelta(days=3),
    )


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


def task(code, number):
    return Task.objects.get(zone__code=code, number=number)


def report_on(task_, period, user, **data):
    data = {"status": TaskStatus.ON_TRACK, "percent_complete": 30, "progress": "完成方案编制。", **data}
    return services.save_report(task=task_, period=period, user=user, data=data)


def submit(report, user, on_time):
    report = services.submit_report(report=report, user=user)
    if on_time:
        # Services stamp "now", after this period's deadline; move it back to before the deadline.
        before = timezone.make_aware(datetime.datetime.combine(report.period.deadline, datetime.time(17)))
        ProgressReport.objects.filter(pk=report.pk).update(
            submitted_at=before, submitted_on=timezone.localdate(before)
        )
    return report


@pytest.fixture
def reports(period, manager):
    """xiqing 1 accepted on time with one active and one withdrawn link and a support request;
    xiqing 2 delayed, late; xiqing 3 a draft; xiqing 4 returned; wuqing 1 completed on time."""
    xiqing, wuqing = Zone.objects.get(code="xiqing"), Zone.objects.get(code="wuqing")
    officer = make_user(Role.OFFICER, zones=[xiqing])
    wuqing_officer = make_user(Role.OFFICER, zones=[wuqing])
    first = task("xiqing", 1)
    customs = Agency.objects.get(name="天津海关")
    report = report_on(
        first,
        period,
        officer,
        percent_complete=40,
        progress="完成集成电路产业政策梳理。",
        next_steps="推动保税物流中心建设。",
        support_needed="协调真空包装查验模式。",
        support_agency=customs,
    )
    services.add_link_evidence(report=report, user=officer, url="https://example.cn/a", description="通知")
    wrong = services.add_link_evidence(
        report=report, user=officer, url="https://example.cn/b", description="错"
    )
    services.withdraw_evidence(evidence=wrong, user=officer, reason="传错了")
    services.accept_report(report=submit(report, officer, on_time=True), user=manager)
    services.ask_agency(task=first, user=officer, agency=customs, question="请支持查验模式。", period=period)

    late = report_on(task("xiqing", 2), period, officer, status=TaskStatus.DELAYED, problems="场地未落实。")
    submit(late, officer, on_time=False)
    report_on(task("xiqing", 3), period, officer)
    returned = submit(report_on(task("xiqing", 4), period, officer), officer, on_time=True)
    services.return_report(report=returned, user=manager, note="请补充。")
    done = report_on(
        task("wuqing", 1), period, wuqing_officer, status=TaskStatus.COMPLETED, percent_complete=100
    )
    submit(done, wuqing_officer, on_time=True)
    return {"officer": officer, "wuqing_officer": wuqing_officer, "customs": customs}


def expected_counts(period, zone_codes):
    """Per zone: tasks, on time, late, missing; by status; by light: plain ORM, not the selector."""
    result = {}
    for code in zone_codes:
        tasks = Task.objects.filter(zone__code=code)
        submitted = ProgressReport.objects.filter(period=period, task__in=tasks, state__in=SUBMITTED)
        on_time = submitted.filter(submitted_at__date__lte=period.deadline).count()
        late = submitted.filter(submitted_at__date__gt=period.deadline).count()
        result[code] = {
            "tasks": tasks.count(),
            "on_time": on_time,
            "late": late,
            "missing": tasks.count() - on_time - late,
            "closed": 0,
        }
    return result


def expected_lights(period):
    # The deadline has passed and no milestone exists: green when submitted on track or completed,
    # yellow when submitted delayed, red for everything else.
    submitted = ProgressReport.objects.filter(period=period, state__in=SUBMITTED)
    green = submitted.filter(status__in=[TaskStatus.ON_TRACK, TaskStatus.COMPLETED]).count()
    yellow = submitted.filter(status=TaskStatus.DELAYED).count()
    return {"green": green, "yellow": yellow, "red": Task.objects.count() - green - yellow}


def url(name, period, zone=None):
    return reverse(f"measures:{name}", args=[period.pk]) + (f"?zone={zone}" if zone else "")


def html_summary(html):
    """{zone code or "total": {on_time: n, ...}} from the summary table's data attributes."""
    counts = {}
    for zone, cells in re.findall(r'<tr data-zone="(\w+)">(.*?)</tr>', html, re.S):
        counts[zone] = {key: int(n) for key, n in re.findall(r'data-count="(\w+)">(\d+)<', cells)}
    return counts


def workbook(response):
    return openpyxl.load_workbook(io.BytesIO(response.content))


def csv_rows(response):
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_html_summary_matches_independent_counts(client, manager, period, reports):
    client.force_login(manager)
    response = client.get(url("period-report-html", period))
    assert response.status_code == 200
    html = response.content.decode()
    expected = expected_counts(period, ZONES)
    summary = html_summary(html)
    for code in ZONES:
        assert summary[code] == {k: v for k, v in expected[code].items() if k != "tasks"}
    assert expected["xiqing"] == {"tasks": 12, "on_time": 1, "late": 1, "missing": 10, "closed": 0}
    assert summary["total"]["missing"] == sum(e["missing"] for e in expected.values())
    for light, count in expected_lights(period).items():
        assert f'data-light="{light}">{count}<' in html
    # Drafts and returned reports are not submitted: they count as not reported.
    submitted = ProgressReport.objects.filter(period=period, state__in=SUBMITTED).count()
    assert f'data-status="not_reported">{58 - submitted}<' in html
    assert 'data-status="delayed">1<' in html
    assert "市高水平开放高质量发展领导小组办公室、自贸试验区管委会：" in html
    assert 'href="/static/css/print.css"' in html
    # Several zones give their summary (issue 17: 20,000 rows on one page were unreadable);
    # each zone's tasks, the help asked for and the coordination requests are a click away.
    zone_page = url("period-report-html", period, "xiqing")
    assert f'<a href="{zone_page.replace("&", "&amp;")}">西青经开区</a>' in html
    assert task("xiqing", 1).title not in html and "协调真空包装查验模式。" not in html
    zone_html = client.get(zone_page).content.decode()
    assert zone_html.count("协调真空包装查验模式。") == 1 and "请支持查验模式。" in zone_html
    assert str(RequestState.OPEN.label) in zone_html
    assert html_summary(zone_html)["xiqing"] == html_summary(html)["xiqing"]


def test_print_stylesheet_is_a4_and_hides_navigation(settings):
    css = (settings.BASE_DIR / "static" / "css" / "print.css").read_text()
    assert "@page { size: A4; margin: 18mm; }" in css
    assert re.search(r"@media print \{\s*\.topbar, \.footer", css)


def test_xlsx_sheets_header_layout_and_a_known_row(client, manager, period, reports):
    client.force_login(manager)
    response = client.get(url("period-report-xlsx", period), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''" + quote(
        "Work report-2026年第四季度.xlsx"
    )
    book = workbook(response)
    assert book.sheetnames == [
        "Summary",
        "西青经开区",
        "武清经开区",
        "北辰经开区",
        "子牙经开区",
        "东丽经开区",
        "Since last period",
    ]
    sheet = book["西青经开区"]
    header = [c.value for c in sheet[1]]
    assert header == [
        "Task no.",
        "Task name",
        "Supporting agencies",
        "Status",
        "Percent complete",
        "Progress this period",
        "Problems and difficulties",
        "Next steps",
        "Evidence items",
        "Review state",
        "Light",
        "Assessed completion",
        "Verified percent",
    ]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:M13"
    assert sheet.max_row == 13
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["A"].width
    first = [c.value for c in sheet[2]]
    # The plan's text as written; the withdrawn link is not counted.
    assert first == [
        1,
        "构建京津冀集成电路产业协同开放新高地",
        "市工业和信息化局、天津海关",
        "On track",
        40,
        "完成集成电路产业政策梳理。",
        None,
        "推动保税物流中心建设。",
        1,
        "Accepted",
        "Green",
        # Accepted without an assessed completion: no verified progress.
        None,
        None,
    ]
    assert [c.value for c in sheet[3]][3:5] == ["Delayed", 30]
    assert [c.value for c in sheet[6]][3:5] == ["Not reported", None]


def test_xlsx_summary_agrees_with_independent_counts(client, manager, period, reports):
    client.force_login(manager)
    book = workbook(client.get(url("period-report-xlsx", period), HTTP_ACCEPT_LANGUAGE="en"))
    sheet = book["Summary"]
    assert sheet.freeze_panes == "B5"
    header = [c.value for c in sheet[4]]
    lines = {
        row[0]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=5, values_only=True)
    }
    expected = expected_counts(period, ZONES)
    for code, name in ZONE_NAMES.items():
        line = lines[name]
        assert line["Tasks"] == expected[code]["tasks"]
        assert (line["Reported on time"], line["Reported late"], line["Not submitted"]) == (
            expected[code]["on_time"],
            expected[code]["late"],
            expected[code]["missing"],
        )
    total = lines["Total"]
    assert total["Tasks"] == 58
    assert total["Coordination requests"] == CoordinationRequest.objects.filter(period=period).count() >= 1
    assert (total["Green"], total["Yellow"], total["Red"]) == tuple(expected_lights(period).values())
    # Every zone sheet's light column adds up to the summary.
    lights = [
        row[10] for name in book.sheetnames[1:-1] for row in book[name].iter_rows(min_row=2, values_only=True)
    ]
    assert lights.count("Green") == total["Green"] and lights.count("Red") == total["Red"]


def test_headers_follow_the_users_language(client, manager, period, reports):
    client.force_login(manager)
    book = workbook(client.get(url("period-report-xlsx", period)))
    with translation.override("zh-hans"):
        labels = [str(label) for _key, label, _width in columns()]
    assert [c.value for c in book["西青经开区"][1]] == labels
    assert {"支持单位", "推进状态", "存在的问题和困难", "信号灯"} <= set(labels)


def test_csv_has_bom_zone_column_and_the_sheets_rows(client, manager, period, reports):
    client.force_login(manager)
    response = client.get(url("period-report-csv", period), HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].endswith(quote("Work report-2026年第四季度.csv"))
    rows = csv_rows(response)
    book = workbook(client.get(url("period-report-xlsx", period), HTTP_ACCEPT_LANGUAGE="en"))
    assert rows[0] == ["Zone", *(c.value for c in book["西青经开区"][1])]
    from_sheets = [
        [name, *("" if v is None else str(v) for v in row)]
        for name in book.sheetnames[1:-1]
        for row in book[name].iter_rows(min_row=2, values_only=True)
    ]
    assert rows[1:] == from_sheets
    assert len(rows) == 1 + 58
    assert sum(1 for row in rows[1:] if row[0] == "西青经开区") == 12


def test_text_typed_as_a_formula_stays_text(client, manager, period, reports):
    report = ProgressReport.objects.get(task=task("xiqing", 3), period=period)
    saved = services.save_report(
        task=report.task, period=period, user=reports["officer"], data={"progress": "=HYPERLINK(1)"}
    )
    # Only a submitted report's text reaches the report.
    services.submit_report(report=saved, user=reports["officer"])
    client.force_login(manager)
    sheet = workbook(client.get(url("period-report-xlsx", period)))["西青经开区"]
    assert sheet["F4"].value == "=HYPERLINK(1)" and sheet["F4"].data_type == "s"
    rows = csv_rows(client.get(url("period-report-csv", period)))
    assert rows[3][6] == "'=HYPERLINK(1)"


def test_docx_keeps_markup_breaks_and_tabs_as_text(client, manager, period, reports):
    # The Word report writes its paragraphs as XML text (exports.docx.Body): what an officer
    # types must come back as typed, never as markup, with line breaks and tabs as Word's own.
    report = ProgressReport.objects.get(task=task("xiqing", 3), period=period)
    typed = '<w:r><w:t>x</w:t></w:r> & "quoted"\tcolumn\nnext line\x01'
    saved = services.save_report(
        task=report.task, period=period, user=reports["officer"], data={"progress": typed}
    )
    services.submit_report(report=saved, user=reports["officer"])
    client.force_login(manager)
    document = docx.Document(io.BytesIO(client.get(url("period-report-docx", period)).content))
    line = next(p for p in document.paragraphs if "quoted" in p.text)
    assert line.text.endswith('<w:r><w:t>x</w:t></w:r> & "quoted"\tcolumn\nnext line')
    assert line.runs[0].text.startswith("3. ") and line.runs[0].element.rPr.rFonts is not None


def test_docx_title_addressees_and_headings(client, manager, period, reports):
    client.force_login(manager)
    response = client.get(url("period-report-docx", period))
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(response.content))
    paragraphs = [p.text for p in document.paragraphs]
    with translation.override("zh-hans"):
        title = _("%(subject)s work report (%(period)s)") % {
            "subject": "第二批天津自贸试验区联动创新区建设",
            "period": "2026年第四季度",
        }
        problems, next_steps = _("Problems and difficulties"), _("Next steps")
        changes = _("Changes since the last period")
    assert paragraphs[0] == title
    assert document.paragraphs[0].alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    assert "市高水平开放高质量发展领导小组办公室、自贸试验区管委会：" in paragraphs[:4]
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == [
        "一、西青经开区",
        "二、武清经开区",
        "三、北辰经开区",
        "四、子牙经开区",
        "五、东丽经开区",
        f"六、{problems}",
        f"七、{next_steps}",
        f"八、{changes}",
    ]
    body = "\n".join(paragraphs)
    assert "场地未落实。" in body and "推动保税物流中心建设。" in body and "请支持查验模式。" in body
    east_asia = document.styles["Normal"].element.rPr.rFonts.get(docx.oxml.ns.qn("w:eastAsia"))
    assert east_asia == "仿宋_GB2312"
    # Paragraphs are appended before the body's section properties (exports.docx.Body): the
    # page setup must stay the body's last element, or Word applies the default page instead.
    assert document.element.body[-1].tag == docx.oxml.ns.qn("w:sectPr")
    assert round(document.sections[0].page_width.mm) == 210


def test_one_zone_gives_only_that_zone(client, manager, period, reports):
    client.force_login(manager)
    response = client.get(url("period-report-xlsx", period, "wuqing"), HTTP_ACCEPT_LANGUAGE="en")
    assert workbook(response).sheetnames == ["Summary", "武清经开区", "Since last period"]
    assert response["Content-Disposition"].endswith(quote("Work report-2026年第四季度-武清经开区.xlsx"))
    document = docx.Document(io.BytesIO(client.get(url("period-report-docx", period, "wuqing")).content))
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"][0] == "一、武清经开区"


def test_anonymous_is_sent_to_sign_in(client, period):
    for name in ["period-report-html", "period-report-xlsx", "period-report-csv", "period-report-docx"]:
        response = client.get(url(name, period))
        assert response.status_code == 302 and response.url.startswith(reverse("login") + "?next=")
    response = client.get(reverse("measures:period-report"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_officer_exports_only_their_zone(client, period, reports):
    client.force_login(reports["officer"])
    wuqing_titles = list(Task.objects.filter(zone__code="wuqing").values_list("title", flat=True))
    html = client.get(url("period-report-html", period)).content.decode()
    assert task("xiqing", 1).title in html
    assert not any(title in html for title in wuqing_titles)
    book = workbook(client.get(url("period-report-xlsx", period)))
    assert book.sheetnames[1:] == ["西青经开区", "与上期对比"]
    rows = csv_rows(client.get(url("period-report-csv", period)))[1:]
    assert {row[0] for row in rows} == {"西青经开区"} and len(rows) == 12
    assert not any(title in "".join(map(str, row)) for row in rows for title in wuqing_titles)
    docx_text = "\n".join(
        p.text
        for p in docx.Document(io.BytesIO(client.get(url("period-report-docx", period)).content)).paragraphs
    )
    assert not any(title in docx_text for title in wuqing_titles)
    for name in ["period-report-html", "period-report-xlsx", "period-report-csv", "period-report-docx"]:
        assert client.get(url(name, period, "wuqing")).status_code == 404


def test_liaison_sees_only_supported_tasks(client, period, reports):
    customs = reports["customs"]
    client.force_login(make_user(Role.LIAISON, agency=customs))
    rows = csv_rows(client.get(url("period-report-csv", period)))[1:]
    supported = Task.objects.filter(agency_links__agency=customs).select_related("zone")
    assert sorted((row[0], int(row[1])) for row in rows) == sorted((t.zone.name, t.number) for t in supported)
    assert all("天津海关" in row[3] for row in rows)
    unsupported = Task.objects.filter(zone__code="xiqing").exclude(agency_links__agency=customs).first()
    assert unsupported.title not in client.get(url("period-report-html", period)).content.decode()


def test_query_count_does_not_grow_with_the_data(client, manager, period, reports, django_assert_num_queries):
    client.force_login(manager)
    with django_assert_num_queries(PAGE + SUMMED):
        client.get(url("period-report-html", period))
    with django_assert_num_queries(QUERIES + CHANGES):
        client.get(url("period-report-xlsx", period))
    with django_assert_num_queries(PAGE + CHANGES + 1):  # the zone asked for
        client.get(url("period-report-html", period, "xiqing"))

    # Many more reports, evidence and coordination requests: the same number of queries.
    admin = make_user(Role.ADMINISTRATOR)
    for each in Task.objects.exclude(reports__period=period).select_related("zone")[:30]:
        report = report_on(each, period, admin, problems="问题。", next_steps="下一步。")
        services.add_link_evidence(report=report, user=admin, url="https://example.cn/x", description="材料")
        for agency in each.supporting_agencies.all()[:1]:
            services.ask_agency(task=each, user=admin, agency=agency, question="请协调。", period=period)
        submit(report, admin, on_time=each.number % 2 == 0)
    with django_assert_num_queries(PAGE + SUMMED):
        html = client.get(url("period-report-html", period)).content.decode()
    with django_assert_num_queries(QUERIES + CHANGES):
        client.get(url("period-report-xlsx", period))
    assert html_summary(html)["total"] == {
        key: sum(v[key] for v in expected_counts(period, ZONES).values())
        for key in ("on_time", "late", "missing", "closed")
    }


def test_bad_input_is_not_found(client, manager, period):
    client.force_login(manager)
    unknown = ReportingPeriod.objects.order_by("-pk").first().pk + 1
    assert client.get(reverse("measures:period-report-html", args=[unknown])).status_code == 404
    assert client.get(url("period-report-xlsx", period, "nope")).status_code == 404
    other_plan = make_plan()
    other = ReportingPeriod.objects.create(
        plan=other_plan, name="其他", start=period.start, end=period.end, deadline=period.deadline
    )
    # A plan with no zones has nothing to report; a zone of another plan is not this period's.
    assert client.get(url("period-report-html", other)).status_code == 404
    make_zone(plan=other_plan)
    assert client.get(url("period-report-csv", other, "xiqing")).status_code == 404
    assert client.get(url("period-report-docx", period, make_zone().code)).status_code == 404


def test_report_page_defaults_to_the_current_period_and_links_the_formats(client, manager, period):
    client.force_login(manager)
    response = client.get(reverse("measures:period-report"))
    assert response.status_code == 200
    assert response.context["period"] == period
    assert response.context["links"]["xlsx"] == url("period-report-xlsx", period)
    response = client.get(reverse("measures:period-report"), {"period": period.pk, "zone": "ziya"})
    assert response.context["links"]["html"] == url("period-report-html", period, "ziya")
    assert f'href="{url("period-report-docx", period, "ziya")}"' in response.content.decode()


def test_report_page_rejects_choices_outside_scope(client, period, reports):
    client.force_login(reports["officer"])
    response = client.get(reverse("measures:period-report"), {"period": period.pk, "zone": "wuqing"})
    assert response.status_code == 200
    assert response.context["links"] is None and response.context["form"].errors["zone"]
    zones = [z for z in response.context["form"].fields["zone"].queryset]
    assert zones == [Zone.objects.get(code="xiqing")]


def test_title_names_the_zone_when_one_is_chosen(manager, period):
    from measures.exports.rows import period_rows

    with translation.override("en"):
        report = period_rows(manager, period, zone=Zone.objects.get(code="ziya"))
        assert [s.zone.code for s in report.sections] == ["ziya"] and len(report.rows) == 16
        assert text.title(report) == (
            "Construction plan for the second batch of Tianjin FTZ linked innovation zones "
            "work report: 子牙经开区 (2026年第四季度)"
        )
        assert text.file_name(report, "docx") == "Work report-2026年第四季度-子牙经开区.docx"
