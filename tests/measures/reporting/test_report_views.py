"""The report, evidence, review and close-off views, driven through the test client.

Pages are requested in English so the assertions read as the messages do; what is asserted is
what the user sees (status, message, their own text kept) and what was or was not written.
"""

import datetime
import hashlib
import re
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import AgencyRole, EventKind, ReportState, TaskStatus
from measures.models import Evidence, ProgressReport, Reminder, ReportEvent, Task, TaskAgency
from measures.periods.services import quarter_bounds
from tests.factories import CLOSE_OFF_LINK, make_period, make_user
from tests.helpers import SESSION
from tests.measures.upload_samples import EXE, PDF, upload
from zones.models import Agency

pytestmark = pytest.mark.django_db


# --- fixtures ---------------------------------------------------------------------------------


def quarter_of(day, shift=0):
    """(start, end) of the quarter holding `day`, or `shift` quarters after it."""
    index = day.year * 4 + (day.month - 1) // 3 + shift
    return quarter_bounds(index // 4, index % 4 + 1)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    # Files land in the test's own directory.
    settings.MEDIA_ROOT = tmp_path / "srv" / "media"


@pytest.fixture
def media(settings):
    return settings.MEDIA_ROOT


@pytest.fixture
def task():
    # Supported by 市工业和信息化局 and 天津海关.
    return Task.objects.select_related("zone").get(zone__code="xiqing", number=1)


@pytest.fixture
def period(task):
    """The period being reported today (the one /my/ and the chase notice use)."""
    return make_period(task.zone.plan)


@pytest.fixture
def officer(task):
    return make_user(Role.OFFICER, zones=[task.zone], email="officer@xiqing.example.cn")


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


@pytest.fixture
def customs():
    return Agency.objects.get(name="天津海关")


def english(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def as_officer(client, officer):
    return english(client, officer)


@pytest.fixture
def as_manager(client, manager):
    return english(client, manager)


GOOD = {
    "status": TaskStatus.ON_TRACK,
    "percent_complete": 40,
    "progress": "完成集成电路产业政策梳理",
    "problems": "",
    "next_steps": "推进保税研发试点",
    "support_needed": "",
    "support_agency": None,
}


def form_data(version, button="save", **fields):
    data = {**GOOD, **fields, "version": version, button: ""}
    return {key: ("" if value is None else value) for key, value in data.items()}


@pytest.fixture
def draft(task, period, officer):
    return services.save_report(task=task, period=period, user=officer, data=GOOD)


def url(name, task, period=None, *extra):
    args = [task.zone.code, task.number] + ([period.pk] if period else []) + list(extra)
    return reverse(f"measures:{name}", args=args)


def html_of(response):
    return response.content.decode()


def field_errors(response, form="form"):
    return {name: [str(e) for e in errors] for name, errors in response.context[form].errors.items()}


def flashed(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def files_under(root):
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- the report form --------------------------------------------------------------------------


def test_percent_over_100_is_refused_and_what_was_typed_is_kept(as_officer, task, period):
    events_before = ReportEvent.objects.count()
    typed = "走访企业十二家，完成政策梳理"
    response = as_officer.post(
        url("report-edit", task, period), form_data(0, percent_complete=140, progress=typed)
    )
    assert response.status_code == 400
    assert field_errors(response) == {"percent_complete": ["Ensure this value is less than or equal to 100."]}
    html = html_of(response)
    assert "Ensure this value is less than or equal to 100." in html
    assert typed in html and 'value="140"' in html
    assert "Nothing has been saved yet" in html
    assert not ProgressReport.objects.filter(task=task).exists()
    assert ReportEvent.objects.count() == events_before


def test_submit_with_empty_progress_saves_nothing_and_says_why(as_officer, task, period):
    # The form saves and submits in one step, so a report that cannot be submitted is not
    # saved either: the user fixes the field and presses the same button again.
    response = as_officer.post(url("report-edit", task, period), form_data(0, "submit", progress=""))
    assert response.status_code == 400
    assert field_errors(response) == {"progress": ["Describe the progress this period before submitting."]}
    html = html_of(response)
    assert "Describe the progress this period before submitting." in html
    assert "Nothing has been saved yet" in html
    assert "推进保税研发试点" in html  # the other fields the user typed are still there
    assert not ProgressReport.objects.filter(task=task).exists()
    assert not ReportEvent.objects.filter(task=task).exists()

    # The form still carries version 0, which is right because nothing was saved: no conflict.
    assert response.context["form"]["version"].value() in (0, "0")
    again = as_officer.post(url("report-edit", task, period), form_data(0, "submit", progress="已完成"))
    assert again.status_code == 302
    report = ProgressReport.objects.get(task=task, period=period)
    assert (report.state, report.progress) == (ReportState.SUBMITTED, "已完成")


def test_submit_refused_on_an_existing_draft_leaves_the_draft_as_it_was(as_officer, draft, task, period):
    response = as_officer.post(
        url("report-edit", task, period),
        form_data(draft.version, "submit", progress="", next_steps="改写的下一步"),
    )
    assert response.status_code == 400
    assert "progress" in field_errors(response)
    draft.refresh_from_db()
    assert (draft.state, draft.version, draft.next_steps) == (ReportState.DRAFT, 1, "推进保税研发试点")


def test_stale_version_is_a_conflict_that_keeps_the_users_text(as_officer, draft, task, period):
    # The officer opens the form...
    opened = as_officer.get(url("report-edit", task, period))
    version = opened.context["form"]["version"].value()
    assert version == draft.version == 1
    # ...a colleague saves in between...
    colleague = make_user(Role.OFFICER, zones=[task.zone], username="wang")
    services.save_report(
        task=task,
        period=period,
        user=colleague,
        data={**GOOD, "progress": "同事写的进展", "percent_complete": 55},
        expected_version=version,
    )
    # ...and the officer posts what they typed against the version they opened.
    mine = form_data(version, progress="我写的进展：完成三项", percent_complete=45)
    response = as_officer.post(url("report-edit", task, period), mine)

    assert response.status_code == 409
    html = html_of(response)
    assert "This report was saved again while you were editing it." in html
    conflict = {row["label"]: row["value"] for row in response.context["conflict"]}
    assert conflict == {"Progress this period": "同事写的进展", "Percent complete": 55}
    assert "同事写的进展" in html and "wang" in html
    assert "我写的进展：完成三项" in html  # the user's own text, in the form
    report = ProgressReport.objects.get(pk=draft.pk)
    assert (report.version, report.progress, report.percent_complete) == (2, "同事写的进展", 55)

    # The re-rendered form carries the version it showed, so saving again knowingly replaces it.
    assert int(response.context["form"]["version"].value()) == 2
    saved = as_officer.post(url("report-edit", task, period), {**mine, "version": 2})
    assert saved.status_code == 302
    report.refresh_from_db()
    assert (report.version, report.progress, report.percent_complete) == (3, "我写的进展：完成三项", 45)


def test_stale_form_after_a_submit_is_a_conflict_not_a_silent_reload(
    as_officer, draft, task, period, officer
):
    # Submitting changes no field, only the state and the version. The stale save must still be
    # reported as a conflict (it used to re-show the form with 200, saying nothing, saving nothing).
    opened = as_officer.get(url("report-edit", task, period))
    version = opened.context["form"]["version"].value()
    services.submit_report(report=draft, user=make_user(Role.OFFICER, zones=[task.zone]))
    mine = form_data(version, progress="我在另一个标签页里写的")
    response = as_officer.post(url("report-edit", task, period), mine)
    assert response.status_code == 409
    assert [(row["label"], row["value"]) for row in response.context["conflict"]] == [("State", "Submitted")]
    html = html_of(response)
    assert "This report was saved again while you were editing it." in html
    assert "我在另一个标签页里写的" in html
    draft.refresh_from_db()
    assert (draft.state, draft.version, draft.progress) == (ReportState.SUBMITTED, 2, GOOD["progress"])
    # Saving again with the current version meets the real reason: it is no longer editable.
    again = as_officer.post(url("report-edit", task, period), {**mine, "version": 2})
    assert again.status_code == 400
    assert "This report has been submitted and can no longer be edited." in html_of(again)
    draft.refresh_from_db()
    assert draft.progress == GOOD["progress"]


def test_locked_period_refuses_the_report_and_changes_nothing(as_officer, draft, task, period, manager):
    services.lock_period(period=period, user=manager)
    events_before = ReportEvent.objects.count()
    response = as_officer.post(
        url("report-edit", task, period), form_data(draft.version, progress="迟到的修改")
    )
    assert response.status_code == 400
    assert "This reporting period is locked; its reports can no longer change." in html_of(response)
    draft.refresh_from_db()
    assert (draft.version, draft.progress) == (1, GOOD["progress"])
    assert ReportEvent.objects.count() == events_before


def test_field_errors_and_the_submission_rules_show_in_one_round(as_officer, task, period):
    # 140 percent used to hide the missing problems until the next press of the button.
    typed = "走访企业十二家"
    data = form_data(0, "submit", status=TaskStatus.DELAYED, percent_complete=140, progress=typed)
    response = as_officer.post(url("report-edit", task, period), data)
    assert response.status_code == 400
    assert field_errors(response) == {
        "percent_complete": ["Ensure this value is less than or equal to 100."],
        "problems": ["Describe the problems when a task is delayed or blocked."],
    }
    html = html_of(response)
    assert "Describe the problems when a task is delayed or blocked." in html
    assert typed in html and 'value="140"' in html
    assert not ProgressReport.objects.filter(task=task).exists()


def test_one_round_lists_the_status_rule_and_an_empty_progress_together(as_officer, task, period, customs):
    data = form_data(
        0,
        "submit",
        status=TaskStatus.NOT_STARTED,
        percent_complete=30,
        progress="",
        support_needed="请协调通关",
        support_agency=999999,
    )
    response = as_officer.post(url("report-edit", task, period), data)
    assert response.status_code == 400
    errors = field_errors(response)
    assert set(errors) == {"percent_complete", "progress", "support_agency"}
    assert "A task that has not started is 0 percent complete" in errors["percent_complete"][0]
    assert errors["progress"] == ["Describe the progress this period before submitting."]
    # The agency's own error stands; the service's "name the agency" is not stacked on it.
    assert len(errors["support_agency"]) == 1 and "valid choice" in errors["support_agency"][0]


def test_saving_a_draft_with_a_field_error_does_not_ask_for_what_a_submission_needs(as_officer, task, period):
    data = form_data(0, status=TaskStatus.DELAYED, percent_complete=140, progress="")
    response = as_officer.post(url("report-edit", task, period), data)
    assert response.status_code == 400
    assert set(field_errors(response)) == {"percent_complete"}


def test_a_locked_periods_form_says_so_at_once(as_officer, draft, task, period, manager):
    services.lock_period(period=period, user=manager)
    response = as_officer.get(url("report-edit", task, period))
    assert response.status_code == 200
    html = html_of(response)
    assert "This reporting period is locked; its reports can no longer change." in html
    assert 'name="submit"' not in html and "<textarea" not in html
    assert url("task-detail", task) + f"?period={period.pk}" in html


@pytest.mark.parametrize("why", ["submitted", "closed", "withdrawn"])
def test_a_report_that_cannot_change_says_why_when_opened(as_officer, draft, task, period, officer, why):
    if why == "submitted":
        services.submit_report(report=draft, user=officer)
        reason = "This report has been submitted and can no longer be edited."
    elif why == "closed":
        Task.objects.filter(pk=task.pk).update(closed_at=timezone.now())
        reason = "This task has been closed off; reopen it before changing it."
    else:
        Task.objects.filter(pk=task.pk).update(withdrawn_at=timezone.now())
        reason = "This task has been withdrawn from the plan; it is no longer reported on."
    response = as_officer.get(url("report-edit", task, period))
    assert response.status_code == 200
    html = html_of(response)
    assert reason in html and "<textarea" not in html


def test_an_open_draft_still_opens_as_a_form(as_officer, draft, task, period):
    response = as_officer.get(url("report-edit", task, period))
    assert response.status_code == 200
    assert response.context["refusal"] is None
    assert 'name="submit"' in html_of(response)


def test_start_from_previous_copies_the_last_report_and_opens_the_form(as_officer, task, period, officer):
    previous = make_period(task.zone.plan, day=period.start, shift=-1)
    services.save_report(task=task, period=previous, user=officer, data={**GOOD, "progress": "上期进展"})
    response = as_officer.post(url("report-start-from-previous", task, period))
    assert response.status_code == 302
    assert response.url == url("report-edit", task, period)
    report = ProgressReport.objects.get(task=task, period=period)
    assert (report.state, report.progress, report.version) == (ReportState.DRAFT, "上期进展", 1)
    page = as_officer.get(response.url)
    assert "Report started from the previous period." in " ".join(flashed(page))
    assert "上期进展" in html_of(page)
    # A second click finds the report started and says so rather than copying again.
    again = as_officer.post(url("report-start-from-previous", task, period), follow=True)
    assert "This period's report has already been started." in flashed(again)
    assert ProgressReport.objects.filter(task=task, period=period).count() == 1


# --- evidence ---------------------------------------------------------------------------------


def test_pdf_upload_is_stored_under_a_server_name_with_its_hash(as_officer, draft, task, period, media):
    response = as_officer.post(
        url("evidence-add-file", task, period), {"file": upload(PDF, "会议纪要.pdf"), "description": "纪要"}
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get(report=draft)
    assert evidence.original_name == "会议纪要.pdf"
    assert re.fullmatch(r"evidence/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", evidence.file.name)
    stored = media / evidence.file.name
    assert files_under(media) == [stored]
    assert stored.read_bytes() == PDF
    assert (
        evidence.sha256 == hashlib.sha256(PDF).hexdigest() == hashlib.sha256(stored.read_bytes()).hexdigest()
    )
    assert evidence.size == len(PDF)


def test_one_byte_over_the_limit_is_refused_and_leaves_nothing(
    as_officer, draft, task, period, media, settings
):
    settings.FTZ_EVIDENCE_MAX_BYTES = 1024 * 1024
    too_big = PDF + b"%" * (settings.FTZ_EVIDENCE_MAX_BYTES + 1 - len(PDF))
    response = as_officer.post(
        url("evidence-add-file", task, period),
        {"file": upload(too_big, "大文件.pdf"), "description": "扫描件"},
    )
    assert response.status_code == 400
    assert field_errors(response, "file_form") == {
        "file": ["The file is larger than 1 MB, the most that can be uploaded."]
    }
    assert "The file is larger than 1 MB" in html_of(response)
    assert not Evidence.objects.exists()
    assert files_under(media) == []


def test_a_file_of_exactly_the_limit_is_accepted(as_officer, draft, task, period, settings):
    settings.FTZ_EVIDENCE_MAX_BYTES = 4096
    exact = PDF + b"%" * (4096 - len(PDF))
    response = as_officer.post(
        url("evidence-add-file", task, period), {"file": upload(exact, "刚好.pdf"), "description": "边界"}
    )
    assert response.status_code == 302
    assert Evidence.objects.get(report=draft).size == 4096


def test_an_exe_renamed_pdf_is_refused(as_officer, draft, task, period, media):
    response = as_officer.post(
        url("evidence-add-file", task, period), {"file": upload(EXE, "报告.pdf"), "description": "报告"}
    )
    assert response.status_code == 400
    [message] = field_errors(response, "file_form")["file"]
    assert ".pdf" in message and "PDF" in message
    assert not Evidence.objects.exists()
    assert files_under(media) == []


def multipart(fields, file_field, filename, content, boundary="ftz-boundary-1"):
    """A multipart body written by hand: the test client would strip the path from `filename`."""
    lines = []
    for name, value in fields.items():
        lines += [f"--{boundary}", f'Content-Disposition: form-data; name="{name}"', "", value]
    head = "\r\n".join(
        [
            *lines,
            f"--{boundary}",
            f'Content-Disposition: form-data; name="{file_field}"; filename="{filename}"',
            "Content-Type: application/pdf",
            "",
            "",
        ]
    )
    body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("filename", ["../../x.pdf", "..\\..\\x.pdf", "/etc/x.pdf"])
def test_a_path_in_the_file_name_goes_nowhere(as_officer, draft, task, period, media, tmp_path, filename):
    body, content_type = multipart({"description": "路径"}, "file", filename, PDF)
    response = as_officer.post(url("evidence-add-file", task, period), body, content_type=content_type)
    assert response.status_code == 302
    evidence = Evidence.objects.get(report=draft)
    assert evidence.original_name == "x.pdf"
    # The only file written anywhere under the test's directory is the one in MEDIA_ROOT.
    assert files_under(tmp_path) == [media / evidence.file.name]
    assert not list(tmp_path.rglob("x.pdf"))


def test_withdrawing_needs_a_reason_and_keeps_the_row(as_officer, draft, task, period, officer, media):
    evidence = services.add_file_evidence(
        report=draft, user=officer, uploaded_file=upload(PDF, "旧.pdf"), description="旧材料"
    )
    withdraw = reverse("measures:evidence-withdraw", args=[evidence.pk])

    refused = as_officer.post(withdraw, {"reason": ""})
    assert refused.status_code == 400
    assert refused.context["withdraw_form"].evidence_pk == evidence.pk
    assert "This field is required." in html_of(refused)
    evidence.refresh_from_db()
    assert evidence.withdrawn_at is None

    done = as_officer.post(withdraw, {"reason": "上传错了版本"})
    assert done.status_code == 302
    evidence.refresh_from_db()
    assert evidence.withdrawn_at is not None
    assert (evidence.withdrawn_by, evidence.withdraw_reason) == (officer, "上传错了版本")
    # Withdrawn, not deleted: the row and the file both stay for the record.
    assert (media / evidence.file.name).read_bytes() == PDF
    assert ReportEvent.objects.filter(kind=EventKind.EVIDENCE_WITHDRAWN, report=draft).count() == 1


def withdrawn_twice(w):
    evidence = services.add_file_evidence(
        report=w.report, user=w.officer, uploaded_file=upload(PDF, "旧.pdf"), description="旧材料"
    )
    services.withdraw_evidence(evidence=evidence, user=w.officer, reason="第一次")
    return w.officer, reverse("measures:evidence-withdraw", args=[evidence.pk]), {"reason": "第二次"}


def upload_after_submit(w):
    services.submit_report(report=w.report, user=w.officer)
    return (
        w.officer,
        url("evidence-add-file", w.task, w.period),
        {"file": upload(PDF, "晚.pdf"), "description": "晚"},
    )


def answer_closed_request(w):
    request = services.ask_agency(task=w.task, user=w.officer, agency=w.customs, question="请协调")
    services.close_request(request=request, user=w.officer)
    return w.liaison, url("request-answer", w.task, None, request.pk), {"answer": "迟到的答复"}


def milestone_on_closed_task(w):
    done = {**GOOD, "status": TaskStatus.COMPLETED, "percent_complete": 100}
    report = services.save_report(
        task=w.task, period=w.period, user=w.officer, data=done, expected_version=w.report.version
    )
    report = services.submit_report(report=report, user=w.officer)
    services.accept_report(report=report, user=w.manager)
    services.close_task(url=CLOSE_OFF_LINK, task=w.task, user=w.manager)
    return w.officer, url("milestone-add", w.task), {"title": "新节点", "due": "2030-01-01"}


@pytest.mark.parametrize(
    ("stale_action", "reason"),
    [
        (withdrawn_twice, "This evidence has already been withdrawn."),
        (upload_after_submit, "This report has been submitted and can no longer be edited."),
        (answer_closed_request, "This request has been closed."),
        (milestone_on_closed_task, "This task has been closed off; reopen it before changing it."),
    ],
    ids=["withdraw-twice", "upload-after-submit", "answer-closed-request", "milestone-on-closed-task"],
)
def test_an_action_from_a_stale_page_says_why_it_was_refused(client, world, stale_action, reason):
    # The page re-rendered after the refusal no longer shows the form (the state changed), so
    # the reason must still reach the user (it used to be a 400 with no message at all).
    user, action, data = stale_action(world)
    english(client, user)
    response = client.post(action, data)
    assert response.status_code == 400
    assert reason in html_of(response)
    # Said once: the next page does not repeat it.
    assert reason not in html_of(client.get(url("task-detail", world.task)))


# --- review and close-off ---------------------------------------------------------------------


@pytest.fixture
def submitted(draft, officer):
    return services.submit_report(report=draft, user=officer)


def test_returning_without_a_note_is_refused(as_manager, submitted, task, period):
    response = as_manager.post(
        url("report-review", task, period), {"action": "return", "note": "", "version": submitted.version}
    )
    assert response.status_code == 400
    assert field_errors(response, "review_form") == {
        "note": ["Say what needs to change when returning a report."]
    }
    assert "Say what needs to change when returning a report." in html_of(response)
    submitted.refresh_from_db()
    assert submitted.state == ReportState.SUBMITTED


def test_returned_report_waits_on_the_officers_my_page(as_manager, submitted, task, period, officer, client):
    response = as_manager.post(
        url("report-review", task, period),
        {"action": "return", "note": "请补充企业名单", "version": submitted.version},
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.state == ReportState.RETURNED

    client.force_login(officer)
    my = client.get(reverse("measures:my"))
    assert [t.pk for t in my.context["returned"]] == [task.pk]
    assert task.pk not in {t.pk for t in my.context["to_report"]}
    returned_section = html_of(my).split('id="returned"', 1)[1].split("</section>", 1)[0]
    assert f"{task.get_absolute_url()}?period={period.pk}#report" in returned_section


def close(client, task):
    return client.post(
        url("task-close", task), {"close-note": "已完成", "close-confirm": "on", "close-url": CLOSE_OFF_LINK}
    )


def test_close_off_waits_for_an_accepted_completed_report(as_manager, task, period, officer, manager):
    refusal = "Only a task whose latest report says completed and has been accepted can be closed off."
    # Nothing reported yet.
    response = close(as_manager, task)
    assert response.status_code == 400 and refusal in html_of(response)
    # Completed, but only submitted.
    done = {**GOOD, "status": TaskStatus.COMPLETED, "percent_complete": 100}
    report = services.save_report(task=task, period=period, user=officer, data=done)
    report = services.submit_report(report=report, user=officer)
    assert close(as_manager, task).status_code == 400
    # Accepted: now it closes.
    services.accept_report(report=report, user=manager)
    assert close(as_manager, task).status_code == 302
    task.refresh_from_db()
    assert task.closed_at is not None and task.closed_by == manager


def test_close_off_refused_when_accepted_report_is_not_completed(as_manager, submitted, task, manager):
    services.accept_report(report=submitted, user=manager)
    assert close(as_manager, task).status_code == 400
    task.refresh_from_db()
    assert task.closed_at is None


def test_manager_chase_mails_the_zones_officers(as_manager, task, period, officer, mailoutbox):
    second = make_user(Role.OFFICER, zones=[task.zone], email="second@xiqing.example.cn")
    make_user(Role.OFFICER, zones=[task.zone])  # no address: recorded, not mailed
    make_user(Role.OFFICER, zones=[Task.objects.get(zone__code="wuqing", number=1).zone], email="w@x.cn")
    response = as_manager.post(reverse("measures:zone-chase", args=["xiqing"]), {"period": period.pk})
    assert response.status_code == 302
    assert response.url == reverse("zones:detail", args=["xiqing"])
    assert sorted(m.to[0] for m in mailoutbox) == sorted([officer.email, second.email])
    # The period is still before its deadline: a manager's chase then reads as a reminder
    # (issue 14, item 11); after the deadline it is a 催办 (tests/measures/test_reminders.py).
    assert all(m.subject.startswith("【提醒】") for m in mailoutbox)
    assert Reminder.objects.filter(zone=task.zone, period=period).count() == 3


# --- query counts -----------------------------------------------------------------------------


def grow(world, rounds):
    """Add evidence, milestones, requests and history to the task page's report and task."""
    w = world
    for n in range(rounds):
        services.add_file_evidence(
            report=w.report, user=w.officer, uploaded_file=upload(PDF, f"材料{n}.pdf"), description=f"材料{n}"
        )
        services.add_link_evidence(
            report=w.report, user=w.officer, url=f"https://example.cn/{n}", description=f"链接{n}"
        )
        evidence = services.add_link_evidence(
            report=w.report, user=w.officer, url=f"https://example.cn/w{n}", description=f"撤回{n}"
        )
        services.withdraw_evidence(evidence=evidence, user=w.officer, reason="重复")
        milestone = services.add_milestone(
            confirm_past=True,
            task=w.task,
            user=w.officer,
            title=f"节点{n}",
            due=w.today - datetime.timedelta(days=n + 1),
        )
        services.complete_milestone(milestone=milestone, user=w.officer)
        services.add_milestone(
            confirm_past=True,
            task=w.task,
            user=w.officer,
            title=f"逾期{n}",
            due=w.today - datetime.timedelta(days=3),
        )
        services.add_milestone(
            confirm_past=True,
            task=w.task,
            user=w.officer,
            title=f"未来{n}",
            due=w.today + datetime.timedelta(days=30),
        )
        for agency in w.task.ordered_agencies:
            request = services.ask_agency(task=w.task, user=w.officer, agency=agency, question=f"请协调{n}")
        services.answer_request(request=request, user=w.liaison, answer="已处理")
        for k in range(5):
            w.report = services.save_report(
                task=w.task,
                period=w.period,
                user=w.officer,
                data={**GOOD, "progress": f"第{n}轮第{k}次修改", "percent_complete": 40 + k},
                expected_version=w.report.version,
            )
        services.comment_on_report(report=w.report, user=w.manager, note=f"意见{n}")


@pytest.fixture
def world(task, period, draft, officer, manager, customs):
    return SimpleNamespace(
        task=Task.objects.with_agencies().get(pk=task.pk),
        period=period,
        report=draft,
        officer=officer,
        manager=manager,
        customs=customs,
        liaison=make_user(Role.LIAISON, agency=customs),
        today=timezone.localdate(),
    )


# The task page reads, whatever the number of rows: the user's access (roles, zones), the task
# (with zone, plan, category, closed_by, and the previous and next visible task numbers as
# subqueries), its agency links (which also fill the "ask an agency" form), the plan's periods,
# the shown period's report and the task's latest report in one query (with support agency and
# updated_by; the latest tells whether it can be closed off, an EXISTS whether there is an
# earlier report to start from), the shown report's evidence (with added_by and withdrawn_by),
# milestones, coordination requests (with agency, asked_by, answered_by, period) and history
# (with actor and period).
TASK_PAGE = 9
# Managers and administrators also read the navigation's count of what waits for them.
EXTRA = {"officer": 0, "liaison": 0, "manager": 1, "admin": 1}


@pytest.mark.parametrize("who", list(EXTRA))
def test_task_page_query_count_does_not_grow(client, world, django_assert_num_queries, who):
    user = make_user(Role.ADMINISTRATOR) if who == "admin" else getattr(world, who)
    if who == "liaison":
        # As the lead agency's liaison, who writes the report and so reads its draft (a cooperating
        # agency's liaison reads submitted and accepted reports only: reports_shown_to).
        TaskAgency.objects.filter(task=world.task, agency=world.customs).update(role=AgencyRole.LEAD)
    client.force_login(user)
    page = url("task-detail", world.task) + f"?period={world.period.pk}"
    queries = SESSION + TASK_PAGE + EXTRA[who]
    assert queries <= 12
    grow(world, 1)
    assert world.report.evidence.count() == 3
    assert world.task.milestones.count() == 3
    assert world.task.coordination_requests.count() == 2
    with django_assert_num_queries(queries):
        first = client.get(page)
    assert first.status_code == 200
    events = len(first.context["events"])
    assert events > 15

    grow(world, 3)
    with django_assert_num_queries(queries):
        second = client.get(page)
    assert second.status_code == 200
    # The same queries, over many more rows.
    assert len(second.context["events"]) > 3 * events
    assert len(second.context["report"].evidence.all()) == 12
    assert len(second.context["milestones"]) == 12
    assert len(second.context["requests"]) == 8

    # Submitted (the page says whether it came late), the same again.
    services.submit_report(report=world.report, user=world.officer, expected_version=world.report.version)
    if who in ("manager", "admin"):
        # A reviewer's first opening is recorded once (the zone can no longer recall it); from then
        # on the page costs what it did.
        client.get(page)
        world.report.refresh_from_db()
        assert world.report.opened_for_review_by == user
    with django_assert_num_queries(queries):
        third = client.get(page)
    assert third.context["report"].state == ReportState.SUBMITTED


def test_task_page_links_the_previous_and_next_task_the_user_may_see(client, world):
    client.force_login(world.liaison)
    shown = Task.objects.filter(zone=world.task.zone, agency_links__agency=world.customs).order_by("number")
    numbers = list(shown.values_list("number", flat=True))
    assert len(numbers) >= 3
    middle = shown[1]
    response = client.get(url("task-detail", middle))
    assert (response.context["previous_number"], response.context["next_number"]) == (
        numbers[0],
        numbers[2],
    )
    first = client.get(url("task-detail", shown[0]))
    assert first.context["previous_number"] is None and first.context["next_number"] == numbers[1]
    client.force_login(world.manager)
    every = client.get(url("task-detail", middle))
    assert every.context["previous_number"] == middle.number - 1
    assert every.context["next_number"] == middle.number + 1


def test_task_page_reads_the_latest_and_the_earlier_report_whichever_period_it_shows(
    client, task, period, officer, manager
):
    earlier = make_period(task.zone.plan, shift=-1)
    oldest = make_period(task.zone.plan, shift=-2)
    done = {**GOOD, "status": TaskStatus.COMPLETED, "percent_complete": 100}
    report = services.save_and_submit_report(task=task, period=earlier, user=officer, data=done)
    services.accept_report(report=report, user=manager)
    client.force_login(manager)

    def page(shown):
        context = client.get(url("task-detail", task), {"period": shown.pk}).context
        return context["report"] is not None, context["earlier_report"], context["closable"]

    # (a report for the period shown, an earlier one to start from, can be closed off)
    assert page(period) == (False, True, True)
    assert page(earlier) == (True, False, True)
    assert page(oldest) == (False, False, True)
    services.save_report(task=task, period=period, user=officer, data=GOOD)
    assert page(period) == (True, False, False)
    assert page(oldest) == (False, False, False)
    assert page(earlier) == (True, False, False)


def test_milestone_and_request_actions_come_back_to_the_period_being_viewed(client, task, period, officer):
    earlier = make_period(task.zone.plan, shift=-1)
    client.force_login(officer)
    page = html_of(client.get(task.get_absolute_url(), {"period": earlier.pk}))
    assert f"{url('milestone-add', task)}?period={earlier.pk}" in page
    response = client.post(
        f"{url('milestone-add', task)}?period={earlier.pk}", {"title": "完成政策梳理", "due": "2030-01-01"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{task.get_absolute_url()}?period={earlier.pk}#milestones"
    milestone = task.milestones.get()
    response = client.post(f"{url('milestone-done', task, None, milestone.pk)}?period={earlier.pk}")
    assert response["Location"] == f"{task.get_absolute_url()}?period={earlier.pk}#milestones"
    # A period of another plan, or none, goes back to the current view rather than failing.
    response = client.post(f"{url('milestone-reopen', task, None, milestone.pk)}?period=999999")
    assert response["Location"] == f"{task.get_absolute_url()}#milestones"


def test_a_milestone_is_changed_from_the_task_page(client, task, period, officer):
    milestone = services.add_milestone(
        confirm_past=True, task=task, user=officer, title="完成政策梳理", due=datetime.date(2030, 1, 1)
    )
    client.force_login(officer)
    edit = url("milestone-edit", task, None, milestone.pk)
    assert edit in html_of(client.get(task.get_absolute_url()))
    prefix = f"milestone-{milestone.pk}"
    # A bad date: the row's form opens again with the typed title and the reason.
    response = client.post(edit, {f"{prefix}-title": "完成政策梳理和对接", f"{prefix}-due": "2030-02-30"})
    assert response.status_code == 400
    page = html_of(response)
    assert "完成政策梳理和对接" in page and '<details class="row-edit" open>' in page
    milestone.refresh_from_db()
    assert milestone.title == "完成政策梳理"
    response = client.post(edit, {f"{prefix}-title": "完成政策梳理和对接", f"{prefix}-due": "2030-03-31"})
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert (milestone.title, milestone.due) == ("完成政策梳理和对接", datetime.date(2030, 3, 31))
    event = ReportEvent.objects.filter(task=task, kind=EventKind.MILESTONE_CHANGED).latest("at")
    assert event.changes["title"] == ["完成政策梳理", "完成政策梳理和对接"]


def test_a_milestone_date_is_shown_to_the_browser_date_picker_in_iso_form(client, task, period, officer):
    services.add_milestone(
        confirm_past=True, task=task, user=officer, title="完成政策梳理", due=datetime.date(2030, 1, 5)
    )
    client.force_login(officer)
    page = html_of(client.get(task.get_absolute_url()))  # in Chinese, where dates read 2030/01/05
    assert 'type="date" name="milestone-' in page and 'value="2030-01-05"' in page


def report_trail(response):
    text = re.search(r'<p class="muted small report-trail">(.*?)</p>', html_of(response), re.S).group(1)
    return " ".join(text.split())


def test_the_report_box_names_who_submitted_and_who_reviewed(client, task, period):
    officer = make_user(Role.OFFICER, zones=[task.zone], username="li")
    manager = make_user(Role.MANAGER, username="zhao")
    report = services.save_report(task=task, period=period, user=officer, data=GOOD)
    page = url("task-detail", task) + f"?period={period.pk}"
    english(client, manager)

    trail = report_trail(client.get(page))
    assert trail.startswith("Last edited by li on ") and "Submitted" not in trail

    services.submit_report(report=report, user=officer)
    trail = report_trail(client.get(page))
    assert "Submitted by li on " in trail and "zhao" not in trail

    # Accepting moves updated_by to the manager; the box must not call that an edit.
    services.accept_report(report=report, user=manager)
    trail = report_trail(client.get(page))
    assert "Last edited by li" in trail and "Submitted by li" in trail and "Accepted by zhao on " in trail
    assert "Version 3." in trail

    other = services.save_report(
        task=Task.objects.get(zone=task.zone, number=2), period=period, user=officer, data=GOOD
    )
    services.submit_report(report=other, user=officer)
    services.return_report(report=other, user=manager, note="补充材料")
    returned = report_trail(client.get(url("task-detail", other.task) + f"?period={period.pk}"))
    assert "Submitted by li" in returned and "Returned by zhao on " in returned
    assert "Accepted" not in returned


def test_a_refused_milestone_edit_opens_its_row_again_with_what_was_typed(as_officer, task, period, officer):
    milestone = services.add_milestone(
        confirm_past=True,
        task=task,
        user=officer,
        title="完成选址",
        due=timezone.localdate() + datetime.timedelta(days=9),
    )
    url = reverse("measures:milestone-edit", args=[task.zone.code, task.number, milestone.pk])
    response = as_officer.post(
        url, {f"milestone-{milestone.pk}-title": "改过的名称", f"milestone-{milestone.pk}-due": "x"}
    )
    assert response.status_code == 400
    assert response.context["milestone_edit_form"].milestone_pk == milestone.pk
    assert "改过的名称" in response.content.decode()
    milestone.refresh_from_db()
    assert milestone.title == "完成选址"
    ok = as_officer.post(
        url + f"?period={period.pk}",
        {f"milestone-{milestone.pk}-title": "改过的名称", f"milestone-{milestone.pk}-due": "2030-01-01"},
    )
    assert ok.status_code == 302 and ok.url.endswith(f"?period={period.pk}#milestone-{milestone.pk}")
    milestone.refresh_from_db()
    assert milestone.title == "改过的名称"


def test_the_task_page_and_the_report_form_do_not_offer_a_period_not_yet_started(client, task, officer):
    coming = make_period(task.zone.plan, shift=1)
    client.force_login(officer)
    edit = reverse("measures:report-edit", args=[task.zone.code, task.number, coming.pk])
    page = client.get(f"{task.get_absolute_url()}?period={coming.pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert edit not in page.content.decode()
    assert "its report can be written from then" in page.content.decode()
    form = client.get(edit, HTTP_ACCEPT_LANGUAGE="en")
    assert "has not started yet" in form.content.decode()
    response = client.post(
        edit,
        {"status": TaskStatus.ON_TRACK, "percent_complete": 10, "progress": "提前写", "version": 0},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "has not started yet" in response.content.decode()
    assert not ProgressReport.objects.filter(period=coming).exists()
