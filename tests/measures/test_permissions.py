"""Who may call which endpoint: the whole matrix of roles × endpoints, cell by cell.

The rule (core/access.py, measures/scoping.py): anonymous users go to the sign-in page; an object outside the
user's scope is not found (404); a visible object the user may not act on is refused (403);
an allowed action succeeds (200 for a page, 302 back to the page for an action) or, with bad
input, answers 400. Never a 500: the test client re-raises any exception a view lets out.

Every cell runs against the same world: xiqing task 1 (supported by 市工业和信息化局 and
天津海关) with a current period, a complete draft report, a PDF evidence file, a milestone and
an open coordination request to 天津海关. A few endpoints first move that world into the state
their action needs (a submitted report to review, a closed task to reopen, ...), so that an
allowed 302 is a real success and not a redirect carrying an error message.
"""

import datetime
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.contrib import messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.bulk import urls as bulk_urls
from measures.choices import AdjustmentKind, OutcomeType, TaskStatus
from measures.exports import urls as exports_urls
from measures.models import ReportingPeriod, Task
from tests.factories import CLOSE_OFF_LINK, make_period, make_user, submit_outcome_with_evidence
from tests.helpers import copy_with_files, drain, route_names, rows_and_files_for_the_module
from tests.measures.upload_samples import PDF
from zones.models import Agency, Zone

pytestmark = pytest.mark.django_db

LOGIN = "login"  # anonymous: 302 to /accounts/login/

ROLES = [
    "anonymous",
    "officer-own",  # officer of xiqing, the task's zone
    "officer-foreign",  # officer of wuqing
    "liaison-customs",  # liaison of 天津海关, which supports xiqing task 1
    "liaison-other",  # liaison of 天津金融监管局, which supports no xiqing task
    "manager",
    "admin",  # superuser
    "no-role",  # signed in, but in no group
]

# One row per endpoint, one column per role in the order of ROLES.
# fmt: off
MATRIX = {
    #                          anon   own  foreign customs other  mgr  admin no-role
    "task-page":              (LOGIN, 200, 404,    200,    404,   200, 200,  404),
    "report-form-get":        (LOGIN, 200, 404,    403,    404,   403, 200,  404),
    "report-form-post":       (LOGIN, 302, 404,    403,    404,   403, 302,  404),
    "start-from-previous":    (LOGIN, 302, 404,    403,    404,   403, 302,  404),
    "submit":                 (LOGIN, 302, 404,    403,    404,   403, 302,  404),
    "review":                 (LOGIN, 403, 404,    403,    404,   302, 302,  404),
    "recall":                 (LOGIN, 302, 404,    403,    404,   403, 302,  404),
    # The review workbench: managers only; one report found through its task's scope first.
    "review-queue":           (LOGIN, 403, 403,    403,    403,   200, 200,  403),
    "review-report":          (LOGIN, 403, 404,    403,    404,   200, 200,  404),
    "review-decide":          (LOGIN, 403, 404,    403,    404,   302, 302,  404),
    "review-batch-accept":    (LOGIN, 403, 403,    403,    403,   302, 302,  403),
    "evidence-file":          (LOGIN, 302, 404,    403,    404,   403, 302,  404),
    "evidence-link":          (LOGIN, 302, 404,    403,    404,   403, 302,  404),
    "download":               (LOGIN, 200, 404,    200,    404,   200, 200,  404),
    "withdraw":               (LOGIN, 302, 404,    403,    404,   403, 302,  404),
    # Permission is decided before input: a user who may not withdraw never learns the reason is missing.
    "withdraw-no-reason":     (LOGIN, 400, 404,    403,    404,   403, 400,  404),
    "milestone-add":          (LOGIN, 302, 404,    403,    404,   403, 302,  404),
    "milestone-edit":         (LOGIN, 302, 404,    403,    404,   403, 302,  404),
    "milestone-done":         (LOGIN, 302, 404,    403,    404,   403, 302,  404),
    "milestone-reopen":       (LOGIN, 302, 404,    403,    404,   403, 302,  404),
    "milestone-delete":       (LOGIN, 302, 404,    403,    404,   403, 302,  404),
    "request-add":            (LOGIN, 302, 404,    403,    404,   403, 302,  404),
    "request-answer":         (LOGIN, 403, 404,    302,    404,   403, 302,  404),
    "request-close":          (LOGIN, 302, 404,    403,    404,   302, 302,  404),
    # Asking again after an answer: the asking zone's people (and administrators), like asking.
    "request-reopen":         (LOGIN, 302, 404,    403,    404,   403, 302,  404),
    # Coordination requests across agencies, and the overdue table: managers only.
    "request-list":           (LOGIN, 403, 403,    403,    403,   200, 200,  403),
    "requests-overdue":       (LOGIN, 403, 403,    403,    403,   200, 200,  403),
    "task-close":             (LOGIN, 403, 404,    403,    404,   302, 302,  404),
    "task-reopen":            (LOGIN, 403, 404,    403,    404,   302, 302,  404),
    "zone-chase":             (LOGIN, 403, 404,    403,    404,   302, 302,  404),
    # Periods belong to no zone, so nobody gets a 404: only managers may act on them.
    "period-list":            (LOGIN, 403, 403,    403,    403,   200, 200,  403),
    "period-lock":            (LOGIN, 403, 403,    403,    403,   302, 302,  403),
    "period-reopen":          (LOGIN, 403, 403,    403,    403,   302, 302,  403),
    # Who goes silent names people: managers only.
    "silence":                (LOGIN, 403, 403,    403,    403,   200, 200,  403),
    "dashboard-tables":       (LOGIN, 403, 403,    403,    403,   200, 200,  403),
    "my":                     (LOGIN, 200, 200,    200,    200,   200, 200,  200),
    "task-list":              (LOGIN, 200, 200,    200,    200,   200, 200,  200),
    "task-list-export":       (LOGIN, 200, 200,    200,    200,   200, 200,  200),
    "zone-page":              (LOGIN, 200, 404,    200,    404,   200, 200,  404),
    # 天津海关 supports tasks in every zone, wuqing included; a liaison sees only their own agency.
    "agency-customs":         (LOGIN, 200, 200,    200,    404,   200, 200,  404),
    # 天津金融监管局 supports wuqing and ziya tasks only.
    "agency-finance":         (LOGIN, 404, 200,    404,    200,   200, 200,  404),
    # Outcomes are seen with their zone; officers record their own zones' (the wuqing officer
    # may open the form, but cannot file for xiqing); managers evaluate and decide.
    "outcome-list":           (LOGIN, 200, 200,    200,    200,   200, 200,  200),
    "outcome-create-get":     (LOGIN, 200, 200,    403,    403,   403, 200,  403),
    "outcome-create-post":    (LOGIN, 302, 400,    403,    403,   403, 302,  403),
    "outcome-page":           (LOGIN, 200, 404,    200,    404,   200, 200,  404),
    "outcome-edit":           (LOGIN, 200, 404,    403,    404,   403, 200,  404),
    "outcome-submit":         (LOGIN, 302, 404,    403,    404,   403, 302,  404),
    "outcome-evidence":       (LOGIN, 302, 404,    403,    404,   403, 302,  404),
    "outcome-withdraw":       (LOGIN, 302, 404,    403,    404,   403, 302,  404),
    # Only its author (the own officer) deletes a draft; an administrator did not write it.
    "outcome-delete":         (LOGIN, 302, 404,    403,    404,   403, 403,  404),
    "outcome-download":       (LOGIN, 200, 404,    200,    404,   200, 200,  404),
    "outcome-evaluate":       (LOGIN, 403, 404,    403,    404,   302, 302,  404),
    "outcome-return":         (LOGIN, 403, 404,    403,    404,   302, 302,  404),
    "outcome-recommend":      (LOGIN, 403, 404,    403,    404,   302, 302,  404),
    "outcome-decline":        (LOGIN, 403, 404,    403,    404,   302, 302,  404),
    "outcome-replicate":      (LOGIN, 403, 404,    403,    404,   302, 302,  404),
    # Plan adjustments are seen with their task; the zone's officers and managers propose,
    # managers decide, only the proposer (here the own officer) cancels.
    "adjustment-list":        (LOGIN, 200, 200,    200,    200,   200, 200,  200),
    "adjustment-create-get":  (LOGIN, 200, 404,    403,    404,   200, 200,  404),
    "adjustment-create-post": (LOGIN, 302, 404,    403,    404,   302, 302,  404),
    "adjustment-page":        (LOGIN, 200, 404,    200,    404,   200, 200,  404),
    "adjustment-approve":     (LOGIN, 403, 404,    403,    404,   302, 302,  404),
    "adjustment-reject":      (LOGIN, 403, 404,    403,    404,   302, 302,  404),
    "adjustment-cancel":      (LOGIN, 302, 404,    403,    404,   403, 403,  404),
    # Major matters go to the leadership: only the zone's officers and managers see them (a
    # liaison does not, even of an agency supporting the zone's tasks).
    "matter-list":            (LOGIN, 200, 200,    200,    200,   200, 200,  200),
    "matter-create-get":      (LOGIN, 200, 200,    403,    403,   403, 200,  403),
    "matter-create-post":     (LOGIN, 302, 400,    403,    403,   403, 302,  403),
    "matter-page":            (LOGIN, 200, 404,    404,    404,   200, 200,  404),
    "matter-respond":         (LOGIN, 403, 404,    404,    404,   302, 302,  404),
    "matter-close":           (LOGIN, 302, 404,    404,    404,   302, 302,  404),
    # Sign-off by the zone leader (the leader's own cells are in tests/measures/test_signoff_views.py):
    # none of these roles leads a zone; administrators may sign off any zone's report.
    "signoff-list":           (LOGIN, 403, 403,    403,    403,   403, 200,  403),
    "report-signoff":         (LOGIN, 403, 404,    403,    404,   403, 302,  404),
    # Only a zone leader or a manager names their own deputy (administrators use the admin).
    "deputies":               (LOGIN, 403, 403,    403,    403,   200, 403,  403),
    "deputy-withdraw":        (LOGIN, 404, 404,    404,    404,   302, 404,  404),
}
# fmt: on


def current_quarter(today):
    quarter = (today.month - 1) // 3 + 1
    return today.year, quarter


REPORT = {
    "status": TaskStatus.ON_TRACK,
    "percent_complete": 40,
    "progress": "完成集成电路产业政策梳理",
    "problems": "",
    "next_steps": "推进保税研发试点",
    "support_needed": "",
    "support_agency": None,
}


def build_world():
    """Xiqing task 1 with a period, a draft report, a PDF, a milestone and a request to customs."""
    task = Task.objects.select_related("zone").get(zone__code="xiqing", number=1)
    today = timezone.localdate()
    period = make_period(task.zone.plan, *current_quarter(today))
    # The own officer has an address so that a chase notice has someone to go to.
    officer = make_user(Role.OFFICER, zones=[task.zone], email="officer@xiqing.example.cn")
    customs = Agency.objects.get(name="天津海关")
    report = services.save_report(task=task, period=period, user=officer, data=REPORT)
    evidence = services.add_file_evidence(
        report=report,
        user=officer,
        uploaded_file=SimpleUploadedFile("进展材料.pdf", PDF),
        description="政策文件",
    )
    milestone = services.add_milestone(
        confirm_past=True, task=task, user=officer, title="完成方案", due=today + datetime.timedelta(days=30)
    )
    request = services.ask_agency(
        task=task, user=officer, agency=customs, question="请协助保税研发", period=period
    )
    manager = make_user(Role.MANAGER)
    return SimpleNamespace(
        task=task,
        zone=task.zone,
        period=period,
        officer=officer,
        manager=manager,
        customs=customs,
        finance=Agency.objects.get(name="天津金融监管局"),
        report=report,
        evidence=evidence,
        milestone=milestone,
        request=request,
        today=today,
    )


@pytest.fixture(scope="module")
def permission_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world is built once for the module (about a third of the module's time when each of its
    600 tests built it); each test still gets it fresh: its rows roll back, its files are a copy."""
    media = tmp_path_factory.mktemp("permissions-media")
    yield from rows_and_files_for_the_module(django_db_blocker, build_world, media)


@pytest.fixture
def world(permission_world, db, settings, tmp_path):
    return copy_with_files(permission_world, settings, tmp_path)


def user_for(role, w):
    return {
        "anonymous": lambda: None,
        "officer-own": lambda: w.officer,
        "officer-foreign": lambda: make_user(Role.OFFICER, zones=[Zone.objects.get(code="wuqing")]),
        "liaison-customs": lambda: make_user(Role.LIAISON, agency=w.customs),
        "liaison-other": lambda: make_user(Role.LIAISON, agency=w.finance),
        "manager": lambda: w.manager,
        "admin": lambda: make_user(Role.ADMINISTRATOR),
        "no-role": lambda: make_user(),
    }[role]()


# --- what each endpoint needs ---------------------------------------------------------------


def task_args(w):
    return [w.zone.code, w.task.number]


def report_url(name, w, period=None):
    return reverse(f"measures:{name}", args=[*task_args(w), (period or w.period).pk])


def submitted(w):
    w.report = services.submit_report(report=w.report, user=w.officer)


def accepted_completed(w):
    data = {**REPORT, "status": TaskStatus.COMPLETED, "percent_complete": 100}
    report = services.save_report(
        task=w.task, period=w.period, user=w.officer, data=data, expected_version=w.report.version
    )
    report = services.submit_report(report=report, user=w.officer)
    w.report = services.accept_report(report=report, user=w.manager)


def closed_off(w):
    accepted_completed(w)
    services.close_task(url=CLOSE_OFF_LINK, task=w.task, user=w.manager, note="已完成")


def next_period(w):
    # start-from-previous needs a period with no report yet after one with a report; it must have
    # started (no one reports on a period that has not), so it starts today.
    year, quarter = current_quarter(w.today)
    year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    w.next_period = make_period(w.zone.plan, year, quarter)
    ReportingPeriod.objects.filter(pk=w.next_period.pk).update(start=w.today)


def locked(w):
    services.lock_period(period=w.period, user=w.manager)


def request_answered(w):
    services.answer_request(
        request=w.request, user=make_user(Role.LIAISON, agency=w.customs), answer="请自行申报"
    )


def milestone_done(w):
    services.complete_milestone(milestone=w.milestone, user=w.officer)


def outcome(w):
    w.outcome = services.create_outcome(
        zone=w.zone,
        user=w.officer,
        title="保税研发监管创新",
        description="集成电路保税研发新模式",
        type=OutcomeType.INSTITUTIONAL,
        tasks=[w.task],
    )


def outcome_with_file(w):
    outcome(w)
    w.outcome_file = services.add_outcome_file(
        outcome=w.outcome,
        user=w.officer,
        uploaded_file=SimpleUploadedFile("经验.pdf", PDF),
        description="经验",
    )


def outcome_submitted(w):
    outcome(w)
    submit_outcome_with_evidence(outcome=w.outcome, user=w.officer)


def outcome_evaluated(w):
    outcome_submitted(w)
    services.evaluate_outcome(outcome=w.outcome, user=w.manager, score=85, notes="可复制")


def outcome_recommended(w):
    outcome_evaluated(w)
    services.recommend_outcome(outcome=w.outcome, user=w.manager)


def adjustment(w):
    w.adjustment = services.propose_adjustment(
        task=w.task, user=w.officer, kind=AdjustmentKind.TEXT, text="调整后的任务表述。", reason="政策调整"
    )


def adjustment_url(name):
    return lambda w: reverse(f"measures:{name}", args=[w.adjustment.pk])


def matter(w):
    w.matter = services.raise_matter(
        zone=w.zone, task=w.task, user=w.officer, title="设备进口受阻", description="需协调海关"
    )


def awaiting_signoff(w):
    type(w.zone.plan).objects.filter(pk=w.zone.plan_id).update(requires_signoff=True)
    w.report = services.submit_report(report=w.report, user=w.officer)


def deputy_named(w):
    w.deputyship = services.name_deputy(
        principal=w.manager,
        deputy=make_user(Role.OFFICER, zones=[w.zone]),
        starts_on=w.today,
        ends_on=w.today,
        user=w.manager,
    )


def matter_url(name):
    return lambda w: reverse(f"measures:{name}", args=[w.matter.pk])


def outcome_url(name):
    return lambda w: reverse(f"measures:{name}", args=[w.outcome.pk])


@dataclass
class Endpoint:
    method: str
    url: object  # world -> path
    data: object = None  # world -> POST data
    prepare: object = None  # world -> None: puts the world in the state the action needs


ENDPOINTS = {
    "task-page": Endpoint("get", lambda w: reverse("measures:task-detail", args=task_args(w))),
    "report-form-get": Endpoint("get", lambda w: report_url("report-edit", w)),
    "report-form-post": Endpoint(
        "post",
        lambda w: report_url("report-edit", w),
        lambda w: {
            **{k: v for k, v in REPORT.items() if v is not None},
            "percent_complete": 60,
            "version": w.report.version,
            "save": "",
        },
    ),
    "start-from-previous": Endpoint(
        "post", lambda w: report_url("report-start-from-previous", w, w.next_period), prepare=next_period
    ),
    "submit": Endpoint("post", lambda w: report_url("report-submit", w)),
    "review": Endpoint(
        "post",
        lambda w: report_url("report-review", w),
        lambda w: {"action": "accept", "note": "", "version": w.report.version, "assessment": "largely"},
        prepare=submitted,
    ),
    "review-queue": Endpoint("get", lambda w: reverse("measures:review-queue")),
    "review-report": Endpoint(
        "get", lambda w: reverse("measures:review-report", args=[w.report.pk]), prepare=submitted
    ),
    "review-decide": Endpoint(
        "post",
        lambda w: reverse("measures:review-report", args=[w.report.pk]),
        lambda w: {"action": "accept", "note": "", "version": w.report.version, "assessment": "largely"},
        prepare=submitted,
    ),
    "review-batch-accept": Endpoint(
        "post",
        lambda w: reverse("measures:review-batch-accept"),
        lambda w: {"reports": [w.report.pk], "assessment": "largely"},
        prepare=submitted,
    ),
    "evidence-file": Endpoint(
        "post",
        lambda w: report_url("evidence-add-file", w),
        lambda w: {"file": SimpleUploadedFile("第二份.pdf", PDF), "description": "会议纪要"},
    ),
    "evidence-link": Endpoint(
        "post",
        lambda w: report_url("evidence-add-link", w),
        lambda w: {"url": "https://www.tj.gov.cn/", "description": "政府网站通报"},
    ),
    "download": Endpoint("get", lambda w: reverse("measures:evidence-download", args=[w.evidence.pk])),
    "withdraw": Endpoint(
        "post",
        lambda w: reverse("measures:evidence-withdraw", args=[w.evidence.pk]),
        lambda w: {"reason": "上传错了文件"},
    ),
    "withdraw-no-reason": Endpoint(
        "post",
        lambda w: reverse("measures:evidence-withdraw", args=[w.evidence.pk]),
        lambda w: {"reason": ""},
    ),
    "milestone-add": Endpoint(
        "post",
        lambda w: reverse("measures:milestone-add", args=task_args(w)),
        lambda w: {"title": "完成验收", "due": (w.today + datetime.timedelta(days=60)).isoformat()},
    ),
    "milestone-edit": Endpoint(
        "post",
        lambda w: reverse("measures:milestone-edit", args=[*task_args(w), w.milestone.pk]),
        lambda w: {
            f"milestone-{w.milestone.pk}-title": "完成验收（调整）",
            f"milestone-{w.milestone.pk}-due": (w.today + datetime.timedelta(days=90)).isoformat(),
        },
    ),
    "milestone-done": Endpoint(
        "post", lambda w: reverse("measures:milestone-done", args=[*task_args(w), w.milestone.pk])
    ),
    "milestone-delete": Endpoint(
        "post", lambda w: reverse("measures:milestone-delete", args=[*task_args(w), w.milestone.pk])
    ),
    "recall": Endpoint("post", lambda w: report_url("report-recall", w), prepare=submitted),
    "milestone-reopen": Endpoint(
        "post",
        lambda w: reverse("measures:milestone-reopen", args=[*task_args(w), w.milestone.pk]),
        prepare=milestone_done,
    ),
    "request-add": Endpoint(
        "post",
        lambda w: reverse("measures:request-add", args=task_args(w)),
        lambda w: {"agency": w.customs.pk, "question": "请协调通关便利"},
    ),
    "request-answer": Endpoint(
        "post",
        lambda w: reverse("measures:request-answer", args=[*task_args(w), w.request.pk]),
        lambda w: {"answer": "已安排专人对接"},
    ),
    "request-close": Endpoint(
        "post", lambda w: reverse("measures:request-close", args=[*task_args(w), w.request.pk])
    ),
    "request-reopen": Endpoint(
        "post",
        lambda w: reverse("measures:request-reopen", args=[*task_args(w), w.request.pk]),
        lambda w: {f"reopen-{w.request.pk}-note": "答复未解决通关问题"},
        prepare=request_answered,
    ),
    "request-list": Endpoint("get", lambda w: reverse("measures:request-list")),
    "requests-overdue": Endpoint("get", lambda w: reverse("measures:requests-overdue")),
    "task-close": Endpoint(
        "post",
        lambda w: reverse("measures:task-close", args=task_args(w)),
        lambda w: {"close-note": "任务完成", "close-confirm": "on", "close-url": CLOSE_OFF_LINK},
        prepare=accepted_completed,
    ),
    "task-reopen": Endpoint(
        "post",
        lambda w: reverse("measures:task-reopen", args=task_args(w)),
        lambda w: {"reason": "发现遗留问题"},
        prepare=closed_off,
    ),
    "zone-chase": Endpoint(
        "post",
        lambda w: reverse("measures:zone-chase", args=[w.zone.code]),
        lambda w: {"period": w.period.pk},
    ),
    "period-list": Endpoint("get", lambda w: reverse("measures:period-list")),
    "silence": Endpoint("get", lambda w: reverse("measures:silence")),
    "dashboard-tables": Endpoint("get", lambda w: reverse("measures:dashboard-tables")),
    "period-lock": Endpoint("post", lambda w: reverse("measures:period-lock", args=[w.period.pk])),
    "period-reopen": Endpoint(
        "post",
        lambda w: reverse("measures:period-reopen", args=[w.period.pk]),
        lambda w: {"reason": "补报遗漏任务"},
        prepare=locked,
    ),
    "my": Endpoint("get", lambda w: reverse("measures:my")),
    "task-list": Endpoint("get", lambda w: reverse("measures:task-list")),
    "task-list-export": Endpoint("get", lambda w: reverse("measures:task-list-export", args=["csv"])),
    "zone-page": Endpoint("get", lambda w: reverse("zones:detail", args=[w.zone.code])),
    "agency-customs": Endpoint("get", lambda w: reverse("zones:agency-detail", args=[w.customs.pk])),
    "agency-finance": Endpoint("get", lambda w: reverse("zones:agency-detail", args=[w.finance.pk])),
    "outcome-list": Endpoint("get", lambda w: reverse("measures:outcome-list")),
    "outcome-create-get": Endpoint("get", lambda w: reverse("measures:outcome-create")),
    "outcome-create-post": Endpoint(
        "post",
        lambda w: reverse("measures:outcome-create"),
        lambda w: {
            "zone": w.zone.pk,
            "title": "跨境数据流动试点",
            "type": OutcomeType.STRESS_TEST,
            "description": "压力测试经验",
            "tasks": [w.task.pk],
        },
    ),
    "outcome-page": Endpoint("get", outcome_url("outcome-detail"), prepare=outcome),
    "outcome-edit": Endpoint("get", outcome_url("outcome-edit"), prepare=outcome),
    "outcome-submit": Endpoint("post", outcome_url("outcome-submit"), prepare=outcome_with_file),
    "outcome-delete": Endpoint("post", outcome_url("outcome-delete"), prepare=outcome),
    "outcome-evidence": Endpoint(
        "post",
        outcome_url("outcome-evidence"),
        lambda w: {"file": SimpleUploadedFile("经验材料.pdf", PDF), "description": "经验材料"},
        prepare=outcome,
    ),
    "outcome-withdraw": Endpoint(
        "post",
        lambda w: reverse("measures:outcome-evidence-withdraw", args=[w.outcome.pk, w.outcome_file.pk]),
        lambda w: {"reason": "上传错了文件"},
        prepare=outcome_with_file,
    ),
    "outcome-download": Endpoint(
        "get",
        lambda w: reverse("measures:evidence-download", args=[w.outcome_file.pk]),
        prepare=outcome_with_file,
    ),
    "outcome-evaluate": Endpoint(
        "post",
        outcome_url("outcome-evaluate"),
        lambda w: {"score": "88", "notes": "首创"},
        prepare=outcome_submitted,
    ),
    "outcome-return": Endpoint(
        "post", outcome_url("outcome-return"), lambda w: {"note": "请补充"}, prepare=outcome_submitted
    ),
    "outcome-recommend": Endpoint(
        "post", outcome_url("outcome-recommend"), lambda w: {"note": ""}, prepare=outcome_evaluated
    ),
    "outcome-decline": Endpoint(
        "post", outcome_url("outcome-decline"), lambda w: {"reason": "已有同类"}, prepare=outcome_evaluated
    ),
    "outcome-replicate": Endpoint(
        "post",
        outcome_url("outcome-replicate"),
        lambda w: {"where": "滨海新区", "on": w.today.isoformat()},
        prepare=outcome_recommended,
    ),
    "adjustment-list": Endpoint("get", lambda w: reverse("measures:adjustment-list"), prepare=adjustment),
    "adjustment-create-get": Endpoint(
        "get", lambda w: reverse("measures:adjustment-create", args=[*task_args(w), "text"])
    ),
    "adjustment-create-post": Endpoint(
        "post",
        lambda w: reverse("measures:adjustment-create", args=[*task_args(w), "withdrawal"]),
        lambda w: {"reason": "已由国家层面统一实施"},
    ),
    "adjustment-page": Endpoint("get", adjustment_url("adjustment-detail"), prepare=adjustment),
    "adjustment-approve": Endpoint(
        "post", adjustment_url("adjustment-approve"), lambda w: {"note": "同意"}, prepare=adjustment
    ),
    "adjustment-reject": Endpoint(
        "post", adjustment_url("adjustment-reject"), lambda w: {"reason": "依据不足"}, prepare=adjustment
    ),
    "adjustment-cancel": Endpoint("post", adjustment_url("adjustment-cancel"), prepare=adjustment),
    "matter-list": Endpoint("get", lambda w: reverse("measures:matter-list"), prepare=matter),
    "matter-create-get": Endpoint("get", lambda w: reverse("measures:matter-create") + f"?task={w.task.pk}"),
    "matter-create-post": Endpoint(
        "post",
        lambda w: reverse("measures:matter-create"),
        lambda w: {
            "zone": w.zone.pk,
            "task": w.task.pk,
            "urgency": "urgent",
            "title": "跨境数据出境受阻",
            "description": "需市级协调",
        },
    ),
    "matter-page": Endpoint("get", matter_url("matter-detail"), prepare=matter),
    "matter-respond": Endpoint(
        "post", matter_url("matter-respond"), lambda w: {"response": "已协调"}, prepare=matter
    ),
    "matter-close": Endpoint(
        "post", matter_url("matter-close"), lambda w: {"note": "已解决"}, prepare=matter
    ),
    "signoff-list": Endpoint("get", lambda w: reverse("measures:signoff-list"), prepare=awaiting_signoff),
    "report-signoff": Endpoint(
        "post",
        lambda w: report_url("report-signoff", w),
        lambda w: {"action": "sign_off", "note": "", "version": w.report.version},
        prepare=awaiting_signoff,
    ),
    "deputies": Endpoint("get", lambda w: reverse("measures:deputies")),
    "deputy-withdraw": Endpoint(
        "post", lambda w: reverse("measures:deputy-withdraw", args=[w.deputyship.pk]), prepare=deputy_named
    ),
}

CELLS = [
    pytest.param(endpoint, role, expected, id=f"{role}-{endpoint}")
    for endpoint, row in MATRIX.items()
    for role, expected in zip(ROLES, row, strict=True)
]


def test_matrix_covers_every_endpoint_and_every_route():
    assert set(MATRIX) == set(ENDPOINTS)
    # Each of the app's own routes has a row, so a new one cannot slip in untested. (The exports
    # and imports routes come from their own url modules, included without a name.)
    row_of_route = {
        "task-detail": "task-page",
        "report-edit": "report-form-post",
        "report-start-from-previous": "start-from-previous",
        "report-submit": "submit",
        "report-review": "review",
        "review-queue": "review-queue",
        "review-report": "review-decide",
        "review-batch-accept": "review-batch-accept",
        "evidence-add-file": "evidence-file",
        "evidence-add-link": "evidence-link",
        "evidence-download": "download",
        "evidence-withdraw": "withdraw",
        "task-close": "task-close",
        "task-reopen": "task-reopen",
        "milestone-add": "milestone-add",
        "milestone-edit": "milestone-edit",
        "milestone-done": "milestone-done",
        "milestone-reopen": "milestone-reopen",
        "milestone-delete": "milestone-delete",
        "report-recall": "recall",
        "outcome-delete": "outcome-delete",
        "request-add": "request-add",
        "request-answer": "request-answer",
        "request-close": "request-close",
        "request-reopen": "request-reopen",
        "request-list": "request-list",
        "requests-overdue": "requests-overdue",
        "zone-chase": "zone-chase",
        "period-list": "period-list",
        "silence": "silence",
        "dashboard-tables": "dashboard-tables",
        "period-lock": "period-lock",
        "period-reopen": "period-reopen",
        "my": "my",
        "task-list": "task-list",
        "task-list-export": "task-list-export",
        "outcome-list": "outcome-list",
        "outcome-create": "outcome-create-post",
        "outcome-detail": "outcome-page",
        "outcome-edit": "outcome-edit",
        "outcome-submit": "outcome-submit",
        "outcome-evidence": "outcome-evidence",
        "outcome-evidence-withdraw": "outcome-withdraw",
        "outcome-evaluate": "outcome-evaluate",
        "outcome-return": "outcome-return",
        "outcome-recommend": "outcome-recommend",
        "outcome-decline": "outcome-decline",
        "outcome-replicate": "outcome-replicate",
        "outcome-list-xlsx": "outcome-list",
        "outcome-list-docx": "outcome-list",
        "adjustment-list": "adjustment-list",
        "adjustment-create": "adjustment-create-post",
        "adjustment-detail": "adjustment-page",
        "adjustment-approve": "adjustment-approve",
        "adjustment-reject": "adjustment-reject",
        "adjustment-cancel": "adjustment-cancel",
        "matter-list": "matter-list",
        "matter-create": "matter-create-post",
        "matter-detail": "matter-page",
        "matter-respond": "matter-respond",
        "matter-close": "matter-close",
        "signoff-list": "signoff-list",
        "report-signoff": "report-signoff",
        "deputies": "deputies",
        "deputy-withdraw": "deputy-withdraw",
    }
    # The period report's and the bulk update's routes have their own matrix (tests/security).
    elsewhere = {pattern.name for pattern in [*exports_urls.urlpatterns, *bulk_urls.urlpatterns]}
    assert route_names("measures") - elsewhere == set(row_of_route)
    assert set(row_of_route.values()) <= set(MATRIX)


@pytest.mark.parametrize(("endpoint", "role", "expected"), CELLS)
def test_permission_matrix(client, world, endpoint, role, expected):
    spec = ENDPOINTS[endpoint]
    if spec.prepare:
        spec.prepare(world)
    user = user_for(role, world)
    if user is not None:
        client.force_login(user)
    url = spec.url(world)
    if spec.method == "get":
        response = client.get(url)
    else:
        response = client.post(url, spec.data(world) if spec.data else {})

    if expected == LOGIN:
        assert response.status_code == 302
        assert response.url.startswith(reverse("login") + "?next=")
        return
    assert response.status_code == expected
    if expected == 302:
        # A success goes back to the app, never to the sign-in page, and carries no error.
        assert not response.url.startswith(reverse("login"))
        errors = [
            m.message for m in messages.get_messages(response.wsgi_request) if m.level == messages.ERROR
        ]
        assert errors == []
    if endpoint == "download" and expected == 200:
        assert_safe_download(response)


def assert_safe_download(response):
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Type"] == "application/pdf"
    body = drain(response)
    assert body == PDF


def test_download_offers_the_original_name_not_the_stored_one(client, world):
    client.force_login(world.officer)
    response = client.get(reverse("measures:evidence-download", args=[world.evidence.pk]))
    disposition = response["Content-Disposition"]
    drain(response)
    # The Chinese name goes out RFC 5987-encoded; the uuid storage name never does.
    assert "filename*=utf-8''%E8%BF%9B%E5%B1%95%E6%9D%90%E6%96%99.pdf" in disposition
    assert world.evidence.file.name.rsplit("/", 1)[-1] not in disposition


# Forms that show on GET and save on POST are not POST-only.
POST_ONLY = [
    name
    for name, spec in ENDPOINTS.items()
    if spec.method == "post"
    and name
    not in {
        "report-form-post",
        "outcome-create-post",
        "adjustment-create-post",
        "matter-create-post",
        "review-decide",
    }
]


@pytest.mark.parametrize("endpoint", POST_ONLY)
def test_get_on_a_post_only_endpoint_is_405(client, world, endpoint):
    spec = ENDPOINTS[endpoint]
    if spec.prepare:
        spec.prepare(world)
    client.force_login(world.officer)
    assert client.get(spec.url(world)).status_code == 405


def expected_visible_tasks(role, w):
    tasks = Task.objects.all()
    return {
        "officer-own": tasks.filter(zone__code="xiqing"),
        "officer-foreign": tasks.filter(zone__code="wuqing"),
        "liaison-customs": tasks.filter(agency_links__agency=w.customs),
        "liaison-other": tasks.filter(agency_links__agency=w.finance),
        "manager": tasks,
        "admin": tasks,
        "no-role": tasks.none(),
    }[role]


@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
def test_task_list_shows_exactly_the_tasks_in_scope(client, world, role):
    client.force_login(user_for(role, world))
    response = client.get(reverse("measures:task-list"))
    listed = {task.pk for task in response.context["paginator"].object_list}
    assert listed == set(expected_visible_tasks(role, world).values_list("pk", flat=True))
    # The same rule as the task-page row of the matrix.
    assert (world.task.pk in listed) is (role in {"officer-own", "liaison-customs", "manager", "admin"})
    # The export lists the same tasks, every page of them.
    exported = client.get(reverse("measures:task-list-export", args=["csv"])).content.decode("utf-8-sig")
    assert len(exported.strip().splitlines()) - 1 == len(listed)


def test_officer_sees_a_foreign_zone_and_its_task_as_not_found(client, world):
    client.force_login(world.officer)
    wuqing_task = Task.objects.filter(zone__code="wuqing").order_by("number").first()
    assert client.get(reverse("zones:detail", args=["wuqing"])).status_code == 404
    assert client.get(wuqing_task.get_absolute_url()).status_code == 404
