"""Who may call the routes tests/measures/test_permissions.py does not cell-test: the period
report and its exports (measures/urls_exports.py), the bulk update (measures/urls_imports.py),
the outcome submission lists and the zone and agency pages (zones/urls.py). Every role × every
route, with a guard that fails when one of those url modules gains a route without a row, and
checks that what a download contains is exactly what the role may see.

The rule is the app's (core/access.py, measures/scoping.py): anonymous → sign-in page; outside the user's scope
→ 404; visible but not allowed → 403. Periods belong to no zone: the report of a period shows
whatever part of it the user sees, so only someone who sees none of it gets a 404.

Same world and roles as the permission matrix (xiqing task 1 with a current period, a draft
report, evidence, a milestone and a request to 天津海关), imported from it, not copied.
"""

import csv
import io
from dataclasses import dataclass

import docx
import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.roles import Role
from measures import bulk, services
from measures import urls as measures_urls
from measures.bulk import urls as urls_imports
from measures.choices import OutcomeType
from measures.exports import urls as urls_exports
from measures.models import Task
from measures.zone_pages import urls as zones_urls
from plans import urls as plans_urls
from tests.factories import make_user, submit_outcome_with_evidence
from tests.measures import test_permissions
from tests.measures.test_permissions import LOGIN, ROLES, expected_visible_tasks, user_for
from zones.models import Zone

pytestmark = pytest.mark.django_db
world = test_permissions.world  # the permission matrix's fixture, the same world
permission_world = test_permissions.permission_world

# fmt: off
MATRIX = {
    #                          anon   own  foreign customs other  mgr  admin no-role
    # Period report: each role gets its part of the period; a zone outside it is not found.
    "report-choose":          (LOGIN, 200, 200,    200,    200,   200, 200,  200),
    "report-html":            (LOGIN, 200, 200,    200,    200,   200, 200,  404),
    "report-xlsx":            (LOGIN, 200, 200,    200,    200,   200, 200,  404),
    "report-csv":             (LOGIN, 200, 200,    200,    200,   200, 200,  404),
    "report-docx":            (LOGIN, 200, 200,    200,    200,   200, 200,  404),
    # ?zone=xiqing: 天津金融监管局 supports no xiqing task, so its liaison does not see the zone.
    "report-html-xiqing":     (LOGIN, 200, 404,    200,    404,   200, 200,  404),
    "report-xlsx-xiqing":     (LOGIN, 200, 404,    200,    404,   200, 200,  404),
    "report-csv-xiqing":      (LOGIN, 200, 404,    200,    404,   200, 200,  404),
    "report-docx-xiqing":     (LOGIN, 200, 404,    200,    404,   200, 200,  404),
    "report-unknown-period":  (LOGIN, 404, 404,    404,    404,   404, 404,  404),
    # Bulk update: only those who report (officers of a zone in the plan, administrators);
    # the period is no one's, so the others are refused, not "not found".
    "bulk-template-xlsx":     (LOGIN, 200, 200,    403,    403,   403, 200,  403),
    "bulk-template-csv":      (LOGIN, 200, 200,    403,    403,   403, 200,  403),
    "bulk-template-xiqing":   (LOGIN, 200, 404,    403,    403,   403, 200,  403),
    "bulk-upload-get":        (LOGIN, 200, 200,    403,    403,   403, 200,  403),
    # The xiqing template sent back with one change: the wuqing officer's rows are all refused.
    "bulk-upload-post":       (LOGIN, 302, 400,    403,    403,   403, 302,  403),
    # Outcome submission lists of a period: everyone signed in, each with only what they see.
    "outcome-list-xlsx":      (LOGIN, 200, 200,    200,    200,   200, 200,  200),
    "outcome-list-docx":      (LOGIN, 200, 200,    200,    200,   200, 200,  200),
    "outcome-list-unknown":   (LOGIN, 404, 404,    404,    404,   404, 404,  404),
    # Zones and agencies.
    "zone-list":              (LOGIN, 200, 200,    200,    200,   200, 200,  200),
    "zone-xiqing":            (LOGIN, 200, 404,    200,    404,   200, 200,  404),
    "zone-wuqing":            (LOGIN, 404, 200,    200,    200,   200, 200,  404),
    "zone-unknown":           (LOGIN, 404, 404,    404,    404,   404, 404,  404),
    "agency-list":            (LOGIN, 200, 200,    200,    200,   200, 200,  200),
    # 天津海关 supports tasks in every zone; 天津金融监管局 only wuqing's and ziya's.
    "agency-customs":         (LOGIN, 200, 200,    200,    404,   200, 200,  404),
    "agency-finance":         (LOGIN, 404, 200,    404,    200,   200, 200,  404),
    "agency-unknown":         (LOGIN, 404, 404,    404,    404,   404, 404,  404),
    # Answering on the agency page: its liaison (and administrators); the zone asking reads the
    # request but may not answer it; a request on a task one cannot see is not found.
    "agency-request-answer":  (LOGIN, 403, 404,    302,    404,   403, 302,  404),
    # Plan import: administrators only; a preview is its uploader's (another administrator's
    # is not found).
    "plan-import-get":        (LOGIN, 403, 403,    403,    403,   403, 200,  403),
    "plan-import-post":       (LOGIN, 403, 403,    403,    403,   403, 302,  403),
    "plan-import-preview":    (LOGIN, 403, 403,    403,    403,   403, 404,  403),
    "plan-import-confirm":    (LOGIN, 403, 403,    403,    403,   403, 404,  403),
    "plan-import-cancel":     (LOGIN, 403, 403,    403,    403,   403, 404,  403),
}
# fmt: on

# Every named route of the url modules this matrix covers, and the rows that test it.
ROUTE_ROWS = {
    "period-report": ["report-choose"],
    "period-report-html": ["report-html", "report-html-xiqing", "report-unknown-period"],
    "period-report-xlsx": ["report-xlsx", "report-xlsx-xiqing"],
    "period-report-csv": ["report-csv", "report-csv-xiqing"],
    "period-report-docx": ["report-docx", "report-docx-xiqing"],
    "bulk-template-xlsx": ["bulk-template-xlsx", "bulk-template-xiqing"],
    "bulk-template-csv": ["bulk-template-csv"],
    "bulk-upload": ["bulk-upload-get", "bulk-upload-post"],
    "outcome-list-xlsx": ["outcome-list-xlsx", "outcome-list-unknown"],
    "outcome-list-docx": ["outcome-list-docx"],
    "list": ["zone-list"],
    "detail": ["zone-xiqing", "zone-wuqing", "zone-unknown"],
    "agency-list": ["agency-list"],
    "agency-detail": ["agency-customs", "agency-finance", "agency-unknown"],
    "agency-request-answer": ["agency-request-answer"],
    "plan-import": ["plan-import-get", "plan-import-post"],
    "plan-import-preview": ["plan-import-preview"],
    "plan-import-confirm": ["plan-import-confirm"],
    "plan-import-cancel": ["plan-import-cancel"],
}
# The submission lists live in measures/urls.py, whose matrix maps them to the outcome list's
# row without calling them; they are downloads, so they get their own rows here.
OUTCOME_LISTS = {"outcome-list-xlsx", "outcome-list-docx"}
MISSING = 999_999


def report(name, zone=None):
    def url(w):
        path = reverse(f"measures:{name}", args=[w.period.pk])
        return f"{path}?zone={zone}" if zone else path

    return url


def xiqing_template(w):
    """The xiqing officer's template of the period with one percentage changed."""
    tasks = [t for t in bulk.reportable_tasks(w.officer, w.period) if not t.is_closed]
    rows = bulk.template_rows(tasks, w.period)
    for row in rows:
        if row[1] == w.task.number:
            row[4] = 55
    return {"file": SimpleUploadedFile("template.csv", bulk.write_csv(rows))}


def submitted_outcome(w):
    w.outcome = services.create_outcome(
        zone=w.zone,
        user=w.officer,
        title="保税研发监管创新",
        description="集成电路保税研发新模式",
        type=OutcomeType.INSTITUTIONAL,
        period=w.period,
        tasks=[w.task],
    )
    submit_outcome_with_evidence(outcome=w.outcome, user=w.officer)


@dataclass
class Endpoint:
    method: str
    url: object  # world -> path
    data: object = None  # world -> POST data
    prepare: object = None  # world -> None


def plan_document(w):
    from tests.plans.test_documents import TASK_LIST_PLAN

    return {"file": SimpleUploadedFile("plan.txt", TASK_LIST_PLAN.encode()), "mode": "new", "code": "fengong"}


def pending_plan_upload(w):
    """A preview another administrator uploaded."""
    from plans.plan_upload import start_upload
    from tests.plans.test_documents import TASK_LIST_PLAN

    w.plan_upload = start_upload(
        user=make_user(Role.ADMINISTRATOR), name="plan.txt", data=TASK_LIST_PLAN.encode(), plan_code="fengong"
    )


def named(name, *args):
    return lambda w: reverse(name, args=[a(w) if callable(a) else a for a in args])


ENDPOINTS = {
    "report-choose": Endpoint("get", named("measures:period-report")),
    **{
        f"report-{kind}": Endpoint("get", report(f"period-report-{kind}"))
        for kind in ("html", "xlsx", "csv", "docx")
    },
    **{
        f"report-{kind}-xiqing": Endpoint("get", report(f"period-report-{kind}", "xiqing"))
        for kind in ("html", "xlsx", "csv", "docx")
    },
    "report-unknown-period": Endpoint("get", named("measures:period-report-html", MISSING)),
    "bulk-template-xlsx": Endpoint("get", report("bulk-template-xlsx")),
    "bulk-template-csv": Endpoint("get", report("bulk-template-csv")),
    "bulk-template-xiqing": Endpoint("get", report("bulk-template-xlsx", "xiqing")),
    "bulk-upload-get": Endpoint("get", report("bulk-upload")),
    "bulk-upload-post": Endpoint("post", report("bulk-upload"), xiqing_template),
    "outcome-list-xlsx": Endpoint(
        "get", named("measures:outcome-list-xlsx", lambda w: w.period.pk), prepare=submitted_outcome
    ),
    "outcome-list-docx": Endpoint(
        "get", named("measures:outcome-list-docx", lambda w: w.period.pk), prepare=submitted_outcome
    ),
    "outcome-list-unknown": Endpoint("get", named("measures:outcome-list-xlsx", MISSING)),
    "zone-list": Endpoint("get", named("zones:list")),
    "zone-xiqing": Endpoint("get", named("zones:detail", "xiqing")),
    "zone-wuqing": Endpoint("get", named("zones:detail", "wuqing")),
    "zone-unknown": Endpoint("get", named("zones:detail", "nowhere")),
    "agency-list": Endpoint("get", named("zones:agency-list")),
    "agency-customs": Endpoint("get", named("zones:agency-detail", lambda w: w.customs.pk)),
    "agency-finance": Endpoint("get", named("zones:agency-detail", lambda w: w.finance.pk)),
    "agency-unknown": Endpoint("get", named("zones:agency-detail", MISSING)),
    "agency-request-answer": Endpoint(
        "post",
        lambda w: reverse("zones:agency-request-answer", args=[w.customs.pk, w.request.pk]),
        lambda w: {f"answer-{w.request.pk}-answer": "已安排专人对接"},
    ),
    "plan-import-get": Endpoint("get", named("plans:plan-import")),
    "plan-import-post": Endpoint("post", named("plans:plan-import"), plan_document),
    **{
        f"plan-import-{step}": Endpoint(
            "get" if step == "preview" else "post",
            lambda w, step=step: reverse(f"plans:plan-import-{step}", args=[w.plan_upload.token]),
            prepare=pending_plan_upload,
        )
        for step in ("preview", "confirm", "cancel")
    },
}


def route_names(patterns):
    names = set()
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            names |= route_names(pattern.url_patterns)
        elif getattr(pattern, "name", None):
            names.add(pattern.name)
    return names


def test_every_route_of_the_covered_url_modules_has_a_row():
    covered = (
        route_names(urls_exports.urlpatterns)
        | route_names(urls_imports.urlpatterns)
        | route_names(zones_urls.urlpatterns)
        | route_names(plans_urls.urlpatterns)
        | OUTCOME_LISTS
    )
    assert route_names(measures_urls.urlpatterns) >= OUTCOME_LISTS
    assert set(ROUTE_ROWS) == covered, "a route without a row in the access matrix"
    rows = [row for rows in ROUTE_ROWS.values() for row in rows]
    assert sorted(rows) == sorted(MATRIX) == sorted(ENDPOINTS)
    assert all(len(row) == len(ROLES) for row in MATRIX.values())


def call(client, w, endpoint, role):
    spec = ENDPOINTS[endpoint]
    if spec.prepare:
        spec.prepare(w)
    user = user_for(role, w)
    if user is not None:
        client.force_login(user)
    url = spec.url(w)
    if spec.method == "get":
        return client.get(url)
    return client.post(url, spec.data(w) if spec.data else {})


CELLS = [
    pytest.param(endpoint, role, expected, id=f"{role}-{endpoint}")
    for endpoint, row in MATRIX.items()
    for role, expected in zip(ROLES, row, strict=True)
]


@pytest.mark.parametrize(("endpoint", "role", "expected"), CELLS)
def test_access_matrix(client, world, endpoint, role, expected):
    response = call(client, world, endpoint, role)
    if expected == LOGIN:
        assert response.status_code == 302
        assert response.url.startswith(reverse("login") + "?next=")
        return
    assert response.status_code == expected
    if expected == 302:
        assert not response.url.startswith(reverse("login"))
    if expected == 200 and endpoint.startswith(("report-xlsx", "report-csv", "report-docx", "bulk-template")):
        # Downloads go out as attachments, never to be rendered by the browser.
        assert response["Content-Disposition"].startswith("attachment")


# --- what the downloads contain ------------------------------------------------------------

SIGNED_IN = [role for role in ROLES if role != "anonymous"]
SEES_PART_OF_THE_PLAN = [role for role in SIGNED_IN if role != "no-role"]


def expected_rows(role, w, zone=None):
    tasks = expected_visible_tasks(role, w).filter(zone__plan=w.zone.plan)
    if zone:
        tasks = tasks.filter(zone__code=zone)
    return sorted(set(tasks.values_list("zone__name", "number")))


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]


def xlsx_rows(response):
    """(sheet name, task number) of every task row of the zone sheets (the first is the summary)."""
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    found = []
    for sheet in book.worksheets[1:]:
        for row in sheet.iter_rows(values_only=True):
            if isinstance(row[0], int):
                found.append((sheet.title, row[0]))
    return sorted(found)


@pytest.mark.parametrize("role", SEES_PART_OF_THE_PLAN)
@pytest.mark.parametrize("zone", [None, "xiqing"])
def test_period_report_exports_hold_exactly_the_tasks_in_scope(client, world, role, zone):
    expected = expected_rows(role, world, zone)
    client.force_login(user_for(role, world))
    kinds = ("csv", "xlsx", "html", "docx")
    responses = {kind: client.get(report(f"period-report-{kind}", zone)(world)) for kind in kinds}
    if not expected:
        assert {r.status_code for r in responses.values()} == {404}
        return
    assert sorted((row[0], int(row[1])) for row in csv_rows(responses["csv"])) == expected
    zone_names = {name: Zone.objects.get(name=name).short_name for name, _number in expected}
    sheets = {title for title, _number in xlsx_rows(responses["xlsx"])}
    assert len(xlsx_rows(responses["xlsx"])) == len(expected)
    assert sheets <= set(zone_names) | set(zone_names.values())
    # No title of a task outside the scope appears in the page or the Word file (a title that
    # some task in scope shares cannot tell them apart, so it is left out).
    plan_tasks = Task.objects.filter(zone__plan=world.zone.plan)
    in_scope = plan_tasks.filter(pk__in=expected_visible_tasks(role, world).values("pk"))
    if zone:
        in_scope = in_scope.filter(zone__code=zone)
    shown = set(in_scope.values_list("title", flat=True))
    hidden = set(plan_tasks.exclude(pk__in=in_scope.values("pk")).values_list("title", flat=True)) - shown
    # Only a manager's or an administrator's whole report hides nothing.
    assert bool(hidden) is not (role in {"manager", "admin"} and zone is None)
    html = responses["html"].content.decode()
    document = docx.Document(io.BytesIO(responses["docx"].content))
    word = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    for title in hidden:
        assert title not in html
        assert title not in word


@pytest.mark.parametrize(
    ("role", "zones"), [("officer-own", {"xiqing"}), ("officer-foreign", {"wuqing"}), ("admin", None)]
)
def test_bulk_template_holds_only_the_tasks_the_user_reports_on(client, world, role, zones):
    client.force_login(user_for(role, world))
    rows = list(
        csv.reader(io.StringIO(client.get(report("bulk-template-csv")(world)).content.decode("utf-8-sig")))
    )[1:]
    expected = Task.objects.filter(zone__plan=world.zone.plan, closed_at__isnull=True)
    if zones:
        expected = expected.filter(zone__code__in=zones)
    assert sorted((row[0], int(row[1])) for row in rows) == sorted(
        expected.values_list("zone__code", "number")
    )


def test_a_refused_bulk_upload_changes_nothing(client, world):
    before = world.report.version
    response = call(client, world, "bulk-upload-post", "officer-foreign")
    assert response.status_code == 400
    world.report.refresh_from_db()
    assert world.report.version == before and world.report.percent_complete == 40


@pytest.mark.parametrize("role", SIGNED_IN)
def test_outcome_submission_list_holds_only_visible_zones(client, world, role):
    submitted_outcome(world)
    wuqing = Zone.objects.get(code="wuqing")
    foreign_officer = make_user(Role.OFFICER, zones=[wuqing])
    foreign = services.create_outcome(
        zone=wuqing,
        user=foreign_officer,
        title="武清跨境电商监管模式",
        description="跨境电商新模式",
        type=OutcomeType.INSTITUTIONAL,
        period=world.period,
    )
    submit_outcome_with_evidence(outcome=foreign, user=foreign_officer)
    client.force_login(user_for(role, world))
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("measures:outcome-list-xlsx", args=[world.period.pk])).content)
    ).active
    text = "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
    sees = {z.code for z in Zone.objects.filter(pk__in=expected_visible_tasks(role, world).values("zone"))}
    assert ("保税研发监管创新" in text) is ("xiqing" in sees)
    assert ("武清跨境电商监管模式" in text) is ("wuqing" in sees)
