"""Follow-up services: milestones, coordination requests, link evidence, report extras and periods.

Every write must leave exactly one history row (ReportEvent) of the right kind, and a refused
write must leave none; the `history` fixture checks both.
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import EventKind, EvidenceKind, ReportState, RequestState, TaskStatus
from measures.models import (
    CoordinationRequest,
    Evidence,
    Milestone,
    ProgressReport,
    ReportEvent,
    ReportingPeriod,
    Task,
)
from tests.factories import CLOSE_OFF_LINK, make_agency, make_user
from zones.models import Agency, Plan

pytestmark = pytest.mark.django_db


# --- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture
def plan():
    return Plan.objects.get(code="second-batch")


@pytest.fixture
def q3(plan):
    return ReportingPeriod.objects.create(
        plan=plan,
        name="2026年第三季度",
        start=datetime.date(2026, 7, 1),
        end=datetime.date(2026, 9, 30),
        deadline=datetime.date(2026, 10, 15),
    )


@pytest.fixture
def period(plan):
    return ReportingPeriod.objects.create(
        plan=plan,
        name="2026年第四季度",
        start=datetime.date(2026, 10, 1),
        end=datetime.date(2026, 12, 31),
        deadline=datetime.date(2027, 1, 15),
    )


@pytest.fixture
def task():
    # Supported by 市工业和信息化局 and 天津海关.
    return Task.objects.get(zone__code="xiqing", number=1)


@pytest.fixture
def officer(task):
    return make_user(Role.OFFICER, zones=[task.zone])


@pytest.fixture
def other_officer():
    return make_user(Role.OFFICER, zones=[Task.objects.get(zone__code="wuqing", number=1).zone])


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


@pytest.fixture
def customs():
    return Agency.objects.get(name="天津海关")


@pytest.fixture
def customs_liaison(customs):
    return make_user(Role.LIAISON, agency=customs)


@pytest.fixture
def outside_agency(task):
    # A real agency of the plan that does not support xiqing task 1.
    agency = Agency.objects.exclude(task_links__task=task).order_by("name").first()
    assert agency is not None
    return agency


class History:
    """The ReportEvent rows written since the last look."""

    def __init__(self):
        self.mark = ReportEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def new(self):
        rows = list(ReportEvent.objects.filter(pk__gt=self.mark).order_by("pk"))
        if rows:
            self.mark = rows[-1].pk
        return rows

    def kinds(self):
        return [event.kind for event in self.new()]


@pytest.fixture
def history():
    return History()


def draft(task, period, officer, **data):
    data = {"status": TaskStatus.ON_TRACK, "percent_complete": 30, "progress": "完成方案编制", **data}
    return services.save_report(task=task, period=period, user=officer, data=data)


def accepted_completed(task, period, officer, manager):
    report = draft(task, period, officer, status=TaskStatus.COMPLETED, percent_complete=100)
    report = services.submit_report(report=report, user=officer)
    return services.accept_report(report=report, user=manager)


def closed_off(task, period, officer, manager):
    accepted_completed(task, period, officer, manager)
    return services.close_task(url=CLOSE_OFF_LINK, task=task, user=manager, note="已完成")


# --- milestones -----------------------------------------------------------------------------


def test_milestone_lifecycle_writes_one_event_per_change(task, officer, history):
    due = timezone.localdate() + datetime.timedelta(days=30)
    milestone = services.add_milestone(
        confirm_past=True, task=task, user=officer, title="  完成选址  ", due=due
    )
    assert milestone.title == "完成选址" and milestone.created_by == officer and not milestone.is_done
    [added] = history.new()
    assert (added.kind, added.task, added.actor, added.report) == (
        EventKind.MILESTONE_ADDED,
        task,
        officer,
        None,
    )
    assert added.changes == {"milestone": milestone.pk, "title": "完成选址", "due": due.isoformat()}

    later = due + datetime.timedelta(days=10)
    milestone = services.update_milestone(milestone=milestone, user=officer, title="完成选址论证", due=later)
    [changed] = history.new()
    assert changed.kind == EventKind.MILESTONE_CHANGED and changed.task == task
    assert changed.changes["title"] == ["完成选址", "完成选址论证"]
    assert changed.changes["due"] == [due.isoformat(), later.isoformat()]

    # Saving the same values is not a change and leaves no history.
    services.update_milestone(milestone=milestone, user=officer, title="完成选址论证", due=later)
    assert history.new() == []

    milestone = services.complete_milestone(milestone=milestone, user=officer)
    assert milestone.done_on == timezone.localdate()
    assert history.kinds() == [EventKind.MILESTONE_DONE]

    milestone = services.reopen_milestone(milestone=milestone, user=officer)
    assert Milestone.objects.get(pk=milestone.pk).done_on is None
    [reopened] = history.new()
    assert reopened.kind == EventKind.MILESTONE_REOPENED and reopened.task == task


def test_milestone_done_twice_or_reopened_when_open_is_refused(task, officer, history):
    milestone = services.add_milestone(
        confirm_past=True, task=task, user=officer, title="完成选址", due=timezone.localdate()
    )
    history.new()
    with pytest.raises(ValidationError):
        services.reopen_milestone(milestone=milestone, user=officer)
    services.complete_milestone(milestone=milestone, user=officer, done_on=timezone.localdate())
    history.new()
    with pytest.raises(ValidationError):
        services.complete_milestone(milestone=milestone, user=officer)
    assert history.new() == []


def test_milestone_cannot_be_done_in_the_future(task, officer, history):
    milestone = services.add_milestone(
        confirm_past=True, task=task, user=officer, title="完成选址", due=timezone.localdate()
    )
    history.new()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        services.complete_milestone(milestone=milestone, user=officer, done_on=tomorrow)
    assert "done_on" in caught.value.message_dict
    assert Milestone.objects.get(pk=milestone.pk).done_on is None
    assert history.new() == []
    # A past date is fine: officers often record a step some days after it happened.
    last_week = timezone.localdate() - datetime.timedelta(days=7)
    assert (
        services.complete_milestone(milestone=milestone, user=officer, done_on=last_week).done_on == last_week
    )


def test_milestone_needs_a_title(task, officer, history):
    with pytest.raises(ValidationError) as caught:
        services.add_milestone(
            confirm_past=True, task=task, user=officer, title="   ", due=timezone.localdate()
        )
    assert "title" in caught.value.message_dict
    assert not Milestone.objects.filter(task=task).exists()
    assert history.new() == []


def test_overdue_lists_only_open_past_due_milestones_of_open_tasks(task, period, officer, manager):
    today = datetime.date(2026, 11, 20)
    other_task = Task.objects.get(zone__code="xiqing", number=2)

    def add(on_task, title, due):
        return services.add_milestone(confirm_past=True, task=on_task, user=officer, title=title, due=due)

    late = add(task, "逾期", today - datetime.timedelta(days=1))
    add(task, "今天到期", today)
    done = add(task, "已完成", today - datetime.timedelta(days=5))
    done = services.complete_milestone(
        milestone=done, user=officer, done_on=today - datetime.timedelta(days=6)
    )
    late_on_closed = add(other_task, "已销号任务的逾期节点", today - datetime.timedelta(days=3))

    assert set(Milestone.objects.overdue(today=today)) == {late, late_on_closed}
    assert late.is_overdue(today) and not done.is_overdue(today)

    # A closed-off task's leftovers are no longer chased.
    closed_off(other_task, period, officer, manager)
    assert list(Milestone.objects.overdue(today=today)) == [late]


@pytest.mark.parametrize("who", ["other_officer", "manager", "customs_liaison"])
def test_only_the_zones_officers_change_milestones(request, task, officer, history, who):
    outsider = request.getfixturevalue(who)
    milestone = services.add_milestone(
        confirm_past=True, task=task, user=officer, title="完成选址", due=timezone.localdate()
    )
    history.new()
    due = timezone.localdate()
    with pytest.raises(PermissionDenied):
        services.add_milestone(confirm_past=True, task=task, user=outsider, title="越权", due=due)
    with pytest.raises(PermissionDenied):
        services.update_milestone(milestone=milestone, user=outsider, title="越权", due=due)
    with pytest.raises(PermissionDenied):
        services.complete_milestone(milestone=milestone, user=outsider)
    services.complete_milestone(milestone=milestone, user=officer)
    history.new()
    with pytest.raises(PermissionDenied):
        services.reopen_milestone(milestone=milestone, user=outsider)
    assert Milestone.objects.filter(task=task).count() == 1
    assert Milestone.objects.get(pk=milestone.pk).title == "完成选址"
    assert history.new() == []


def test_closed_task_milestones_cannot_change(task, period, officer, manager, history):
    milestone = services.add_milestone(
        confirm_past=True, task=task, user=officer, title="完成选址", due=timezone.localdate()
    )
    closed_off(task, period, officer, manager)
    history.new()
    with pytest.raises(ValidationError):
        services.add_milestone(
            confirm_past=True, task=task, user=officer, title="新节点", due=timezone.localdate()
        )
    with pytest.raises(ValidationError):
        services.update_milestone(milestone=milestone, user=officer, title="改名", due=timezone.localdate())
    with pytest.raises(ValidationError):
        services.complete_milestone(milestone=milestone, user=officer)
    assert Milestone.objects.filter(task=task).count() == 1
    assert history.new() == []


# --- coordination requests ------------------------------------------------------------------


def test_request_goes_open_answered_closed_with_one_event_each(
    task, period, officer, customs, customs_liaison, history
):
    request = services.ask_agency(
        task=task, user=officer, agency=customs, question=" 请协调保税仓储政策 ", period=period
    )
    assert request.state == RequestState.OPEN and request.question == "请协调保税仓储政策"
    [opened] = history.new()
    assert (opened.kind, opened.task, opened.period, opened.actor) == (
        EventKind.REQUEST_OPENED,
        task,
        period,
        officer,
    )
    assert opened.note == "请协调保税仓储政策" and opened.changes["agency"] == "天津海关"

    request = services.answer_request(request=request, user=customs_liaison, answer="已纳入海关支持清单")
    request.refresh_from_db()
    assert request.state == RequestState.ANSWERED
    assert (request.answered_by, request.answer) == (customs_liaison, "已纳入海关支持清单")
    assert request.answered_at is not None
    [answered] = history.new()
    assert (answered.kind, answered.actor, answered.note) == (
        EventKind.REQUEST_ANSWERED,
        customs_liaison,
        "已纳入海关支持清单",
    )

    request = services.close_request(request=request, user=officer)
    request.refresh_from_db()
    assert request.state == RequestState.CLOSED and request.closed_by == officer and request.closed_at
    assert history.kinds() == [EventKind.REQUEST_CLOSED]


def test_request_must_go_to_one_of_the_tasks_agencies(task, officer, outside_agency, history):
    with pytest.raises(ValidationError) as caught:
        services.ask_agency(task=task, user=officer, agency=outside_agency, question="请协调")
    assert "agency" in caught.value.message_dict
    assert not CoordinationRequest.objects.filter(task=task).exists()
    assert history.new() == []


def test_request_needs_a_question(task, officer, customs, history):
    with pytest.raises(ValidationError) as caught:
        services.ask_agency(task=task, user=officer, agency=customs, question="  \n ")
    assert "question" in caught.value.message_dict
    assert not CoordinationRequest.objects.exists()
    assert history.new() == []


@pytest.mark.parametrize("who", ["other_officer", "manager", "customs_liaison"])
def test_only_the_zones_officers_ask(request, task, customs, history, who):
    with pytest.raises(PermissionDenied):
        services.ask_agency(task=task, user=request.getfixturevalue(who), agency=customs, question="请协调")
    assert not CoordinationRequest.objects.exists()
    assert history.new() == []


@pytest.fixture
def open_request(task, officer, customs):
    return services.ask_agency(task=task, user=officer, agency=customs, question="请协调保税仓储政策")


def test_only_a_liaison_of_the_asked_agency_answers(open_request, officer, manager, other_officer, history):
    # 市工业和信息化局 also supports the task, but the request was put to customs.
    industry_liaison = make_user(Role.LIAISON, agency=Agency.objects.get(name="市工业和信息化局"))
    unrelated_liaison = make_user(Role.LIAISON, agency=make_agency())
    history.new()
    for user in (industry_liaison, unrelated_liaison, officer, other_officer, manager):
        with pytest.raises(PermissionDenied):
            services.answer_request(request=open_request, user=user, answer="越权答复")
    open_request.refresh_from_db()
    assert open_request.state == RequestState.OPEN and open_request.answer == ""
    assert history.new() == []


def test_answer_must_not_be_empty(open_request, customs_liaison, history):
    history.new()
    with pytest.raises(ValidationError) as caught:
        services.answer_request(request=open_request, user=customs_liaison, answer="   ")
    assert "answer" in caught.value.message_dict
    assert CoordinationRequest.objects.get(pk=open_request.pk).state == RequestState.OPEN
    assert history.new() == []


def test_closed_request_cannot_be_answered_or_closed_again(open_request, officer, customs_liaison, history):
    services.close_request(request=open_request, user=officer)
    history.new()
    with pytest.raises(ValidationError):
        services.answer_request(request=open_request, user=customs_liaison, answer="迟到的答复")
    with pytest.raises(ValidationError):
        services.close_request(request=open_request, user=officer)
    open_request.refresh_from_db()
    assert open_request.state == RequestState.CLOSED and open_request.answer == ""
    assert history.new() == []


def test_manager_may_close_a_request_but_a_liaison_may_not(open_request, manager, customs_liaison, history):
    history.new()
    with pytest.raises(PermissionDenied):
        services.close_request(request=open_request, user=customs_liaison)
    assert history.new() == []
    services.close_request(request=open_request, user=manager)
    [closed] = history.new()
    assert closed.kind == EventKind.REQUEST_CLOSED and closed.actor == manager


# --- link evidence --------------------------------------------------------------------------


@pytest.fixture
def report(task, period, officer):
    return draft(task, period, officer)


def test_link_evidence_is_added_with_one_event(report, officer, history):
    history.new()
    evidence = services.add_link_evidence(
        report=report, user=officer, url=" https://www.tj.gov.cn/notice/123 ", description=" 政策文件 "
    )
    evidence.refresh_from_db()
    assert (evidence.kind, evidence.url, evidence.description) == (
        EvidenceKind.LINK,
        "https://www.tj.gov.cn/notice/123",
        "政策文件",
    )
    assert evidence.file.name == "" and evidence.added_by == officer
    [added] = history.new()
    assert (added.kind, added.report, added.task, added.period) == (
        EventKind.EVIDENCE_ADDED,
        report,
        report.task,
        report.period,
    )
    assert added.changes["url"] == "https://www.tj.gov.cn/notice/123"


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "ftp://x", "ftp://files.example.com/a.pdf", "www.tj.gov.cn", "", "http://"],
)
def test_only_web_links_are_accepted(report, officer, history, url):
    history.new()
    with pytest.raises(ValidationError) as caught:
        services.add_link_evidence(report=report, user=officer, url=url, description="政策文件")
    assert caught.value.message_dict["url"]
    assert not Evidence.objects.filter(report=report).exists()
    assert history.new() == []


def test_link_evidence_needs_a_description(report, officer, history):
    history.new()
    with pytest.raises(ValidationError) as caught:
        services.add_link_evidence(
            report=report, user=officer, url="https://www.tj.gov.cn/", description="  "
        )
    assert "description" in caught.value.message_dict
    assert not Evidence.objects.exists()
    assert history.new() == []


def test_evidence_only_by_the_zones_officers(report, other_officer, manager):
    for user in (other_officer, manager):
        with pytest.raises(PermissionDenied):
            services.add_link_evidence(
                report=report, user=user, url="https://www.tj.gov.cn/", description="x"
            )
    assert not Evidence.objects.exists()


def test_no_evidence_on_a_submitted_or_accepted_report(report, officer, manager, history):
    report = services.submit_report(report=report, user=officer)
    history.new()
    with pytest.raises(ValidationError):
        services.add_link_evidence(report=report, user=officer, url="https://www.tj.gov.cn/", description="x")
    services.accept_report(report=report, user=manager)
    history.new()
    with pytest.raises(ValidationError):
        services.add_link_evidence(report=report, user=officer, url="https://www.tj.gov.cn/", description="x")
    assert not Evidence.objects.exists()
    assert history.new() == []


def test_locked_period_blocks_adding_and_withdrawing_evidence(report, officer, manager, history):
    evidence = services.add_link_evidence(
        report=report, user=officer, url="https://www.tj.gov.cn/", description="x"
    )
    services.lock_period(period=report.period, user=manager)
    history.new()
    with pytest.raises(ValidationError):
        services.add_link_evidence(
            report=report, user=officer, url="https://www.tj.gov.cn/b", description="y"
        )
    with pytest.raises(ValidationError):
        services.withdraw_evidence(evidence=evidence, user=officer, reason="链接失效")
    assert Evidence.objects.count() == 1 and Evidence.objects.active().count() == 1
    assert history.new() == []


def test_withdrawing_keeps_the_row_and_needs_a_reason(report, officer, history):
    evidence = services.add_link_evidence(
        report=report, user=officer, url="https://www.tj.gov.cn/", description="x"
    )
    history.new()
    with pytest.raises(ValidationError) as caught:
        services.withdraw_evidence(evidence=evidence, user=officer, reason="  ")
    assert "reason" in caught.value.message_dict
    assert not Evidence.objects.get(pk=evidence.pk).is_withdrawn
    assert history.new() == []

    services.withdraw_evidence(evidence=evidence, user=officer, reason=" 链接失效 ")
    evidence = Evidence.objects.get(pk=evidence.pk)
    assert (
        evidence.is_withdrawn and evidence.withdrawn_by == officer and evidence.withdraw_reason == "链接失效"
    )
    assert evidence.url == "https://www.tj.gov.cn/"
    assert list(Evidence.objects.active()) == []
    [withdrawn] = history.new()
    assert (withdrawn.kind, withdrawn.report, withdrawn.note) == (
        EventKind.EVIDENCE_WITHDRAWN,
        report,
        "链接失效",
    )
    assert withdrawn.changes["evidence"] == evidence.pk

    with pytest.raises(ValidationError):
        services.withdraw_evidence(evidence=evidence, user=officer, reason="再次撤回")
    assert history.new() == []


def test_withdrawing_is_for_the_zones_officers_only(report, officer, other_officer, manager):
    evidence = services.add_link_evidence(
        report=report, user=officer, url="https://www.tj.gov.cn/", description="x"
    )
    for user in (other_officer, manager):
        with pytest.raises(PermissionDenied):
            services.withdraw_evidence(evidence=evidence, user=user, reason="越权")
    assert not Evidence.objects.get(pk=evidence.pk).is_withdrawn


# --- reports: starting from the previous period, submitting, review, close-off --------------


def test_start_from_previous_copies_the_latest_earlier_report(task, q3, period, officer, customs, history):
    draft(
        task,
        q3,
        officer,
        status=TaskStatus.DELAYED,
        percent_complete=40,
        progress="完成厂房改造",
        problems="设备进口审批慢",
        next_steps="申请海关预审",
        support_needed="协调进口设备通关",
        support_agency=customs,
    )
    history.new()
    report = services.start_from_previous(task=task, period=period, user=officer)
    report.refresh_from_db()
    assert report.period == period and report.state == ReportState.DRAFT and report.version == 1
    assert (report.status, report.percent_complete, report.progress, report.problems) == (
        TaskStatus.DELAYED,
        40,
        "完成厂房改造",
        "设备进口审批慢",
    )
    assert (report.next_steps, report.support_needed, report.support_agency) == (
        "申请海关预审",
        "协调进口设备通关",
        customs,
    )
    [created] = history.new()
    assert created.kind == EventKind.CREATED and created.report == report
    assert "2026年第三季度" in created.note
    # The earlier report is untouched.
    assert ProgressReport.objects.get(task=task, period=q3).period == q3


def test_start_from_previous_needs_an_earlier_report_and_an_unstarted_period(
    task, q3, period, officer, history
):
    with pytest.raises(ValidationError):
        services.start_from_previous(task=task, period=period, user=officer)
    # A later period's report is not "previous".
    draft(task, period, officer)
    history.new()
    with pytest.raises(ValidationError):
        services.start_from_previous(task=task, period=q3, user=officer)
    with pytest.raises(ValidationError):
        services.start_from_previous(task=task, period=period, user=officer)
    assert ProgressReport.objects.filter(task=task).count() == 1
    assert history.new() == []


def test_start_from_previous_is_for_the_zones_officers(task, q3, period, officer, other_officer):
    draft(task, q3, officer)
    with pytest.raises(PermissionDenied):
        services.start_from_previous(task=task, period=period, user=other_officer)
    assert not ProgressReport.objects.filter(task=task, period=period).exists()


@pytest.mark.parametrize(
    ("data", "keys"),
    [
        ({"progress": "  "}, {"progress"}),
        ({"status": TaskStatus.DELAYED, "problems": ""}, {"problems"}),
        ({"status": TaskStatus.BLOCKED, "problems": " "}, {"problems"}),
        ({"support_needed": "请协调用地指标"}, {"support_agency"}),
        (
            {"progress": "", "status": TaskStatus.BLOCKED, "support_needed": "请协调"},
            {"progress", "problems", "support_agency"},
        ),
    ],
)
def test_submit_refuses_an_incomplete_report(task, period, officer, history, data, keys):
    report = draft(task, period, officer, **data)
    history.new()
    with pytest.raises(ValidationError) as caught:
        services.submit_report(report=report, user=officer)
    assert set(caught.value.message_dict) == keys
    assert ProgressReport.objects.get(pk=report.pk).state == ReportState.DRAFT
    assert history.new() == []


def test_delayed_report_with_problems_and_named_agency_submits(task, period, officer, customs, history):
    report = draft(
        task,
        period,
        officer,
        status=TaskStatus.DELAYED,
        problems="审批慢",
        support_needed="请协调",
        support_agency=customs,
    )
    history.new()
    assert services.submit_report(report=report, user=officer).state == ReportState.SUBMITTED
    # The support asked for reaches the agency as a coordination request, with its own history row.
    assert history.kinds() == [EventKind.SUBMITTED, EventKind.REQUEST_OPENED]
    request = CoordinationRequest.objects.get(task=task, agency=customs, period=period)
    assert (request.question, request.state, request.asked_by) == ("请协调", RequestState.OPEN, officer)


def test_resubmitting_does_not_ask_the_agency_twice(task, period, officer, customs, manager):
    report = draft(task, period, officer, support_needed="请协调", support_agency=customs)
    report = services.submit_report(report=report, user=officer)
    report = services.return_report(report=report, user=manager, note="请补充")
    services.submit_report(report=report, user=officer)
    assert CoordinationRequest.objects.filter(task=task, agency=customs).count() == 1


def test_save_and_submit_saves_nothing_when_it_cannot_submit(task, period, officer):
    with pytest.raises(ValidationError) as caught:
        services.save_and_submit_report(
            task=task, period=period, user=officer, data={"status": TaskStatus.ON_TRACK, "progress": ""}
        )
    assert "progress" in caught.value.message_dict
    assert not ProgressReport.objects.filter(task=task, period=period).exists()


def test_completed_means_one_hundred_percent(task, period, officer):
    with pytest.raises(ValidationError) as caught:
        draft(task, period, officer, status=TaskStatus.COMPLETED, percent_complete=90)
    assert "percent_complete" in caught.value.message_dict


def test_manager_comments_without_changing_the_report(report, manager, history):
    history.new()
    event = services.comment_on_report(report=report, user=manager, note=" 请补充投资额 ")
    assert (event.kind, event.actor, event.note, event.report) == (
        EventKind.COMMENTED,
        manager,
        "请补充投资额",
        report,
    )
    assert history.new() == [event]
    fresh = ProgressReport.objects.get(pk=report.pk)
    assert (fresh.state, fresh.version) == (ReportState.DRAFT, report.version)
    with pytest.raises(ValidationError) as caught:
        services.comment_on_report(report=report, user=manager, note="  ")
    assert "note" in caught.value.message_dict
    assert history.new() == []


@pytest.mark.parametrize("who", ["officer", "customs_liaison"])
def test_only_managers_comment(request, report, history, who):
    history.new()
    with pytest.raises(PermissionDenied):
        services.comment_on_report(report=report, user=request.getfixturevalue(who), note="意见")
    assert history.new() == []


def test_close_task_only_when_latest_report_is_accepted_and_completed(
    task, q3, period, officer, manager, history
):
    # Completed in Q3 and accepted, but Q4's on-track draft is now the latest report.
    accepted_completed(task, q3, officer, manager)
    report = draft(task, period, officer)
    history.new()
    with pytest.raises(ValidationError):
        services.close_task(url=CLOSE_OFF_LINK, task=task, user=manager)
    report = services.submit_report(report=report, user=officer)
    services.accept_report(report=report, user=manager)
    history.new()
    with pytest.raises(ValidationError):
        services.close_task(url=CLOSE_OFF_LINK, task=task, user=manager)  # accepted, but only on track
    assert not Task.objects.get(pk=task.pk).is_closed
    assert history.new() == []


def test_close_task_requires_an_accepted_report(task, period, officer, manager):
    report = draft(task, period, officer, status=TaskStatus.COMPLETED, percent_complete=100)
    with pytest.raises(ValidationError):
        services.close_task(url=CLOSE_OFF_LINK, task=task, user=manager)  # still a draft
    services.submit_report(report=report, user=officer)
    with pytest.raises(ValidationError):
        services.close_task(url=CLOSE_OFF_LINK, task=task, user=manager)  # submitted, not yet accepted
    assert not Task.objects.get(pk=task.pk).is_closed


def test_close_off_freezes_the_task_until_reopened(task, q3, period, officer, manager, history):
    accepted_completed(task, q3, officer, manager)
    history.new()
    with pytest.raises(PermissionDenied):
        services.close_task(url=CLOSE_OFF_LINK, task=task, user=officer)
    services.close_task(url=CLOSE_OFF_LINK, task=task, user=manager, note=" 已建成投产 ")
    task.refresh_from_db()
    assert task.is_closed and task.closed_by == manager and task.close_note == "已建成投产"
    # The close-off's evidence (a link on the final report) comes first, in the same transaction.
    [added, closed] = history.new()
    assert (added.kind, added.report.state, added.changes["url"]) == (
        EventKind.EVIDENCE_ADDED,
        ReportState.ACCEPTED,
        CLOSE_OFF_LINK,
    )
    assert (closed.kind, closed.task, closed.period, closed.note) == (
        EventKind.TASK_CLOSED,
        task,
        q3,
        "已建成投产",
    )

    with pytest.raises(ValidationError):
        services.close_task(url=CLOSE_OFF_LINK, task=task, user=manager)
    with pytest.raises(ValidationError):
        draft(task, period, officer)
    assert not ProgressReport.objects.filter(task=task, period=period).exists()
    with pytest.raises(ValidationError) as caught:
        services.reopen_task(task=task, user=manager, reason=" ")
    assert "reason" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        services.reopen_task(task=task, user=officer, reason="需补充")
    assert Task.objects.get(pk=task.pk).is_closed
    assert history.new() == []

    services.reopen_task(task=task, user=manager, reason="投产后发现问题")
    assert not Task.objects.get(pk=task.pk).is_closed
    [reopened] = history.new()
    assert (reopened.kind, reopened.note) == (EventKind.TASK_REOPENED, "投产后发现问题")
    # Reopened, the task takes reports again.
    draft(task, period, officer)
    assert history.kinds() == [EventKind.CREATED]
    with pytest.raises(ValidationError):
        services.reopen_task(task=task, user=manager, reason="再次")


@pytest.mark.parametrize("who", ["manager", "customs_liaison", "other_officer"])
def test_only_the_zones_officers_write_reports(request, task, period, history, who):
    with pytest.raises(PermissionDenied):
        draft(task, period, request.getfixturevalue(who))
    assert not ProgressReport.objects.filter(task=task).exists()
    assert history.new() == []


# --- periods --------------------------------------------------------------------------------


def test_quarterly_periods_are_created_once(plan):
    created = services.create_quarterly_periods(plan=plan, year=2027)
    assert [(p.name, p.start, p.end, p.deadline) for p in created] == [
        ("2027年第一季度", datetime.date(2027, 1, 1), datetime.date(2027, 3, 31), datetime.date(2027, 4, 15)),
        ("2027年第二季度", datetime.date(2027, 4, 1), datetime.date(2027, 6, 30), datetime.date(2027, 7, 15)),
        (
            "2027年第三季度",
            datetime.date(2027, 7, 1),
            datetime.date(2027, 9, 30),
            datetime.date(2027, 10, 15),
        ),
        (
            "2027年第四季度",
            datetime.date(2027, 10, 1),
            datetime.date(2027, 12, 31),
            datetime.date(2028, 1, 15),
        ),
    ]
    assert services.create_quarterly_periods(plan=plan, year=2027) == []
    assert ReportingPeriod.objects.filter(plan=plan).count() == 4


def test_quarterly_periods_keep_an_existing_quarter(plan):
    ReportingPeriod.objects.create(
        plan=plan,
        name="2027年二季度（提前）",
        start=datetime.date(2027, 4, 1),
        end=datetime.date(2027, 6, 30),
        deadline=datetime.date(2027, 7, 5),
    )
    created = services.create_quarterly_periods(plan=plan, year=2027, deadline_days=10)
    assert [p.start.month for p in created] == [1, 7, 10]
    assert created[0].deadline == datetime.date(2027, 4, 10)
    q2 = ReportingPeriod.objects.get(plan=plan, start=datetime.date(2027, 4, 1))
    assert (q2.name, q2.deadline) == ("2027年二季度（提前）", datetime.date(2027, 7, 5))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (datetime.date(2025, 12, 1), "2026年第一季度"),  # before anything started: the first
        (datetime.date(2026, 10, 5), "2026年第三季度"),  # Q4 has started but Q3 is still due
        (datetime.date(2026, 10, 15), "2026年第三季度"),  # the deadline day itself
        (datetime.date(2026, 10, 16), "2026年第四季度"),
        (datetime.date(2027, 3, 1), "2026年第四季度"),  # after every deadline: the latest started
    ],
)
def test_current_period(plan, day, expected):
    services.create_quarterly_periods(plan=plan, year=2026)
    assert ReportingPeriod.objects.current_for(plan, day).name == expected


def test_previous_of(plan):
    services.create_quarterly_periods(plan=plan, year=2026)
    q3 = ReportingPeriod.objects.get(plan=plan, name="2026年第三季度")
    assert ReportingPeriod.objects.previous_of(q3).name == "2026年第二季度"
    q1 = ReportingPeriod.objects.get(plan=plan, name="2026年第一季度")
    assert ReportingPeriod.objects.previous_of(q1) is None


@pytest.mark.parametrize("who", ["officer", "customs_liaison"])
def test_only_managers_lock_and_reopen_periods(request, period, manager, history, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.lock_period(period=period, user=user)
    assert not ReportingPeriod.objects.get(pk=period.pk).is_locked
    assert history.new() == []
    services.lock_period(period=period, user=manager)
    [locked] = history.new()
    assert (locked.kind, locked.period, locked.task, locked.actor) == (
        EventKind.PERIOD_LOCKED,
        period,
        None,
        manager,
    )
    with pytest.raises(PermissionDenied):
        services.reopen_period(period=period, user=user, reason="补报")
    assert ReportingPeriod.objects.get(pk=period.pk).is_locked
    assert history.new() == []


def test_lock_and_reopen_write_one_event_each(period, manager, history):
    services.lock_period(period=period, user=manager)
    assert history.kinds() == [EventKind.PERIOD_LOCKED]
    assert ReportingPeriod.objects.get(pk=period.pk).locked_by == manager
    with pytest.raises(ValidationError):
        services.lock_period(period=period, user=manager)
    services.reopen_period(period=period, user=manager, reason="东丽补报")
    [reopened] = history.new()
    assert (reopened.kind, reopened.note) == (EventKind.PERIOD_REOPENED, "东丽补报")
    assert not ReportingPeriod.objects.get(pk=period.pk).is_locked
    with pytest.raises(ValidationError):
        services.reopen_period(period=period, user=manager, reason="again")
    assert history.new() == []
