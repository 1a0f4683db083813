# ruff: noqa: F811 (the fixtures imported from test_report_views are named as arguments)
"""Issue 15, zone officers: evidence on the report form, recalling a submission, milestones,
outcome evidence and deletion, and close-off with confirmation and evidence."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from core.roles import Role
from measures import services
from measures.choices import EventKind, OutcomeState, OutcomeType, ReportState, TaskStatus
from measures.models import Evidence, InnovationOutcome, Milestone, ReportEvent
from tests.factories import give_evidence, make_user
from tests.measures.reporting.test_report_views import (  # noqa: F401 (fixtures)
    GOOD,
    as_manager,
    as_officer,
    customs,
    draft,
    english,
    field_errors,
    files_under,
    flashed,
    form_data,
    html_of,
    manager,
    media,
    media_root,
    officer,
    period,
    task,
    url,
)
from tests.measures.upload_samples import EXE, PDF, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    # Services speak the active language; the assertions read their English messages.
    with translation.override("en"):
        yield


def kinds(report):
    return list(ReportEvent.objects.filter(report=report).order_by("pk").values_list("kind", flat=True))


# --- evidence on the report form ---------------------------------------------------------------


def test_the_report_form_attaches_a_file_and_a_link_and_submits_in_one_step(as_officer, task, period, draft):
    data = form_data(draft.version, button="submit")
    data.update(
        evidence_file=upload(PDF, "会议纪要.pdf"),
        evidence_url="https://www.tj.gov.cn/notice",
        evidence_description="专题会议纪要",
    )
    response = as_officer.post(url("report-edit", task, period), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == ReportState.SUBMITTED
    shown = list(draft.evidence.active().values_list("kind", "description"))
    assert shown == [("file", "专题会议纪要"), ("link", "专题会议纪要")]
    assert kinds(draft)[-3:] == [EventKind.EVIDENCE_ADDED, EventKind.EVIDENCE_ADDED, EventKind.SUBMITTED]


def test_a_refused_upload_keeps_what_was_typed_and_saves_nothing(as_officer, task, period, draft, media):
    typed = "本季度走访企业十二家，形成问题清单"
    data = form_data(draft.version, button="submit", progress=typed)
    data.update(evidence_file=upload(EXE, "说明.pdf"), evidence_description="说明")
    events = ReportEvent.objects.count()
    response = as_officer.post(url("report-edit", task, period), data)
    assert response.status_code == 400
    assert "evidence_file" in field_errors(response, "evidence_form")
    assert typed in html_of(response)
    draft.refresh_from_db()
    assert (draft.state, draft.progress, draft.evidence.count()) == (ReportState.DRAFT, GOOD["progress"], 0)
    assert ReportEvent.objects.count() == events
    assert files_under(media) == []


def test_evidence_without_a_description_is_refused_before_anything_is_stored(
    as_officer, task, period, draft, media
):
    data = form_data(draft.version)
    data.update(evidence_file=upload(PDF, "纪要.pdf"), evidence_description="")
    response = as_officer.post(url("report-edit", task, period), data)
    assert response.status_code == 400
    assert field_errors(response, "evidence_form") == {
        "evidence_description": ["Say what this evidence shows."]
    }
    assert files_under(media) == []


def test_a_refused_submission_leaves_no_evidence_and_no_stored_file(as_officer, task, period, draft, media):
    data = form_data(draft.version, button="submit", progress="")
    data.update(evidence_file=upload(PDF, "纪要.pdf"), evidence_description="纪要")
    response = as_officer.post(url("report-edit", task, period), data)
    assert response.status_code == 400
    assert draft.evidence.count() == 0
    assert files_under(media) == []


def test_the_report_form_lists_what_is_attached_and_costs_the_same_queries(
    as_officer, task, period, draft, officer, django_assert_max_num_queries
):
    give_evidence(user=officer, report=draft, url="https://www.tj.gov.cn/a")
    with django_assert_max_num_queries(30) as one:
        response = as_officer.get(url("report-edit", task, period))
    assert "https://www.tj.gov.cn/a" in html_of(response)
    for n in range(5):
        give_evidence(user=officer, report=draft, url=f"https://www.tj.gov.cn/b{n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = as_officer.get(url("report-edit", task, period))
    assert len(response.context["attached"]) == 6


def test_the_report_form_in_chinese_names_the_evidence_fields(client, officer, task, period, draft):
    client.force_login(officer)
    page = client.get(url("report-edit", task, period), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "佐证材料说明" in page and "附加文件" in page


# --- recall --------------------------------------------------------------------------------------


def test_recall_puts_a_submitted_report_back_to_draft_with_one_history_row(task, period, draft, officer):
    report = services.submit_report(report=draft, user=officer)
    before = ReportEvent.objects.count()
    report = services.recall_report(report=report, user=officer)
    assert report.state == ReportState.DRAFT
    assert ReportEvent.objects.count() == before + 1
    assert kinds(report)[-1] == EventKind.RECALLED
    services.save_report(
        task=task,
        period=period,
        user=officer,
        data={**GOOD, "progress": "补充"},
        expected_version=report.version,
    )


def test_once_a_manager_opens_it_the_recall_is_refused_and_offered_no_more(
    client, as_officer, task, period, draft, officer, manager
):
    services.submit_report(report=draft, user=officer)
    page = as_officer.get(url("task-detail", task) + f"?period={period.pk}")
    assert url("report-recall", task, period) in html_of(page)
    english(client, manager)
    client.get(url("task-detail", task) + f"?period={period.pk}")
    client.get(url("task-detail", task) + f"?period={period.pk}")
    draft.refresh_from_db()
    assert draft.opened_for_review_by == manager
    assert kinds(draft).count(EventKind.OPENED_FOR_REVIEW) == 1
    english(client, officer)
    page = client.get(url("task-detail", task) + f"?period={period.pk}")
    assert url("report-recall", task, period) not in html_of(page)
    response = client.post(url("report-recall", task, period), follow=True)
    assert any("already opened this report for review" in m for m in flashed(response))
    draft.refresh_from_db()
    assert draft.state == ReportState.SUBMITTED


def test_a_resubmission_can_be_recalled_again_until_opened_again(task, period, draft, officer, manager):
    report = services.submit_report(report=draft, user=officer)
    services.note_opened_for_review(report=report, user=manager)
    report = services.return_report(report=report, user=manager, note="补充数据")
    report = services.submit_report(report=report, user=officer)
    assert report.is_recallable
    assert services.recall_report(report=report, user=officer).state == ReportState.DRAFT


def test_opening_by_its_own_author_or_a_non_reviewer_does_not_count(task, period, officer):
    # A manager who is also the zone's officer wrote it: they cannot review it (four eyes), so
    # their opening does not stop the zone from recalling it.
    both = make_user(Role.MANAGER, zones=[task.zone])
    both.groups.add(*officer.groups.all())
    report = services.save_report(task=task, period=period, user=both, data=GOOD)
    report = services.submit_report(report=report, user=both)
    assert not services.note_opened_for_review(report=report, user=officer)
    assert not services.note_opened_for_review(report=report, user=both)
    report.refresh_from_db()
    assert report.is_recallable and report.opened_for_review_at is None
    other = make_user(Role.MANAGER)
    assert services.note_opened_for_review(report=report, user=other)
    assert not services.note_opened_for_review(report=report, user=make_user(Role.MANAGER))
    report.refresh_from_db()
    assert report.opened_for_review_by == other and not report.is_recallable


def test_recall_needs_the_reporting_role(task, period, draft, officer, manager):
    report = services.submit_report(report=draft, user=officer)
    with pytest.raises(PermissionDenied):
        services.recall_report(report=report, user=manager)
    with pytest.raises(ValidationError, match="Only a submitted report"):
        services.recall_report(report=services.recall_report(report=report, user=officer), user=officer)


# --- milestones ----------------------------------------------------------------------------------


def test_a_past_milestone_date_needs_a_confirmation(as_officer, task, officer):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="in the past"):
        services.add_milestone(task=task, user=officer, title="完成选址", due=yesterday)
    response = as_officer.post(
        url("milestone-add", task), {"title": "完成选址", "due": yesterday.isoformat()}
    )
    assert response.status_code == 400
    assert "The date is in the past on purpose" in html_of(response)
    assert "完成选址" in html_of(response)
    assert not Milestone.objects.filter(task=task).exists()
    response = as_officer.post(
        url("milestone-add", task), {"title": "完成选址", "due": yesterday.isoformat(), "confirm_past": "on"}
    )
    assert response.status_code == 302
    assert Milestone.objects.get(task=task).due == yesterday


def test_a_milestone_is_deleted_while_no_report_cites_it(task, period, officer):
    due = timezone.localdate() + datetime.timedelta(days=30)
    cited = services.add_milestone(task=task, user=officer, title="完成厂房建设", due=due)
    free = services.add_milestone(task=task, user=officer, title="召开推介会", due=due)
    services.save_report(
        task=task, period=period, user=officer, data={**GOOD, "progress": "已启动完成厂房建设工作"}
    )
    with pytest.raises(ValidationError, match="names this milestone"):
        services.delete_milestone(milestone=cited, user=officer)
    services.delete_milestone(milestone=free, user=officer)
    assert list(Milestone.objects.filter(task=task)) == [cited]
    deleted = ReportEvent.objects.get(task=task, kind=EventKind.MILESTONE_DELETED)
    assert deleted.changes["title"] == "召开推介会"


def test_the_task_page_offers_delete_only_for_uncited_milestones(as_officer, task, period, officer):
    due = timezone.localdate() + datetime.timedelta(days=30)
    cited = services.add_milestone(task=task, user=officer, title="完成厂房建设", due=due)
    free = services.add_milestone(task=task, user=officer, title="召开推介会", due=due)
    services.save_report(task=task, period=period, user=officer, data={**GOOD, "progress": "完成厂房建设"})
    page = html_of(as_officer.get(url("task-detail", task)))
    assert url("milestone-delete", task, None, free.pk) in page
    assert url("milestone-delete", task, None, cited.pk) not in page


def test_completing_a_milestone_records_the_date_given(as_officer, task, officer):
    milestone = services.add_milestone(
        task=task, user=officer, title="完成选址", due=timezone.localdate() + datetime.timedelta(days=5)
    )
    done_on = timezone.localdate() - datetime.timedelta(days=2)
    response = as_officer.post(
        url("milestone-done", task, None, milestone.pk), {"done_on": done_on.isoformat()}
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.done_on == done_on
    event = ReportEvent.objects.get(task=task, kind=EventKind.MILESTONE_DONE)
    assert event.changes["done_on"] == done_on.isoformat()


# --- outcomes ------------------------------------------------------------------------------------


def new_outcome(task, officer):
    return services.create_outcome(
        zone=task.zone, user=officer, title="保税研发", description="新模式", type=OutcomeType.INSTITUTIONAL
    )


def test_submitting_an_outcome_needs_evidence(task, officer):
    outcome = new_outcome(task, officer)
    with pytest.raises(ValidationError, match="Attach at least one piece of evidence"):
        services.submit_outcome(outcome=outcome, user=officer)
    services.add_outcome_file(
        outcome=outcome, user=officer, uploaded_file=upload(PDF, "a.pdf"), description="材料"
    )
    assert services.submit_outcome(outcome=outcome, user=officer).state == OutcomeState.SUBMITTED


def test_outcome_evidence_can_be_added_until_evaluation(task, officer, manager):
    outcome = new_outcome(task, officer)
    services.add_outcome_file(
        outcome=outcome, user=officer, uploaded_file=upload(PDF, "a.pdf"), description="材料"
    )
    services.submit_outcome(outcome=outcome, user=officer)
    services.add_outcome_file(
        outcome=outcome, user=officer, uploaded_file=upload(PDF, "b.pdf"), description="补充"
    )
    services.evaluate_outcome(outcome=outcome, user=manager, score=80, notes="可复制")
    with pytest.raises(ValidationError, match="until the outcome has been evaluated"):
        services.add_outcome_file(
            outcome=outcome, user=officer, uploaded_file=upload(PDF, "c.pdf"), description="迟到"
        )
    assert outcome.evidence.count() == 2


def test_a_draft_outcome_is_deleted_by_its_author_only_and_kept_for_the_record(client, task, officer):
    outcome = new_outcome(task, officer)
    colleague = make_user(Role.OFFICER, zones=[task.zone])
    english(client, colleague)
    assert client.post(f"/outcomes/{outcome.pk}/delete/").status_code in (403, 404)
    english(client, officer)
    response = client.post(f"/outcomes/{outcome.pk}/delete/")
    assert response.status_code == 302
    outcome.refresh_from_db()
    assert outcome.state == OutcomeState.DELETED
    assert client.get(f"/outcomes/{outcome.pk}/").status_code == 404
    assert outcome.pk not in [o.pk for o in client.get("/outcomes/").context["object_list"]]
    assert (
        ReportEvent.objects.filter(outcome=outcome, kind=EventKind.OUTCOME_DELETED, actor=officer).count()
        == 1
    )
    assert InnovationOutcome.objects.filter(pk=outcome.pk).exists()


def test_a_submitted_outcome_cannot_be_deleted(task, officer):
    outcome = new_outcome(task, officer)
    give_evidence(user=officer, outcome=outcome)
    services.submit_outcome(outcome=outcome, user=officer)
    with pytest.raises(ValidationError, match="Only a draft outcome"):
        services.delete_outcome(outcome=outcome, user=officer)


# --- close-off ----------------------------------------------------------------------------------


@pytest.fixture
def completed(task, period, officer, manager):
    data = {**GOOD, "status": TaskStatus.COMPLETED, "percent_complete": 100}
    report = services.save_report(task=task, period=period, user=officer, data=data)
    report = services.submit_report(report=report, user=officer)
    return services.accept_report(report=report, user=manager)


def test_close_off_asks_for_confirmation_and_evidence(as_manager, task, completed):
    close = url("task-close", task)
    response = as_manager.post(close, {"close-note": "已完成"})
    assert response.status_code == 400
    assert "close-confirm" in {f"close-{k}" for k in response.context["close_form"].errors}
    response = as_manager.post(close, {"close-note": "已完成", "close-confirm": "on"})
    assert response.status_code == 400
    assert any("Closing off needs evidence" in m for m in flashed(response))
    task.refresh_from_db()
    assert not task.is_closed
    response = as_manager.post(
        close,
        {"close-confirm": "on", "close-file": upload(PDF, "验收报告.pdf"), "close-description": "验收报告"},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.is_closed
    assert completed.evidence.get().description == "验收报告"


def test_close_off_accepts_evidence_already_on_the_final_report(task, completed, officer, manager):
    give_evidence(user=officer, report=completed)
    assert services.close_task(task=task, user=manager).is_closed


def test_reopening_needs_a_reason_which_the_task_page_shows(as_manager, task, completed, manager):
    services.close_task(task=task, user=manager, url="https://www.tj.gov.cn/close")
    response = as_manager.post(url("task-reopen", task), {"reason": ""})
    assert response.status_code == 400
    as_manager.post(url("task-reopen", task), {"reason": "验收意见要求补充材料"})
    page = html_of(as_manager.get(url("task-detail", task)))
    assert "验收意见要求补充材料" in page.split('id="close-off"', 1)[1]
    assert Evidence.objects.filter(report=completed).count() == 1


def test_the_outcome_page_offers_evidence_until_evaluation_and_delete_to_the_author(
    client, task, officer, manager
):
    outcome = new_outcome(task, officer)
    english(client, officer)
    page = html_of(client.get(f"/outcomes/{outcome.pk}/"))
    assert 'id="outcome-file-form"' in page and f"/outcomes/{outcome.pk}/delete/" in page
    assert "Submitting needs at least one piece of evidence" in page
    give_evidence(user=officer, outcome=outcome)
    services.submit_outcome(outcome=outcome, user=officer)
    page = html_of(client.get(f"/outcomes/{outcome.pk}/"))
    assert 'id="outcome-file-form"' in page and f"/outcomes/{outcome.pk}/delete/" not in page
    services.evaluate_outcome(outcome=outcome, user=manager, score=70, notes="可复制")
    assert 'id="outcome-file-form"' not in html_of(client.get(f"/outcomes/{outcome.pk}/"))
