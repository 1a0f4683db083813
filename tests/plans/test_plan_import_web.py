"""/plans/import/: administrators only; upload → preview kept server-side → confirm or cancel."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from measures.models import Task, TaskAgency
from tests.factories import make_user
from tests.plans import corpus
from tests.plans.test_documents import TASK_LIST_PLAN
from zones.models import Agency, AgencyAlias, Plan, PlanUpload, Zone

pytestmark = pytest.mark.django_db

IMPORT = "/plans/import/"


@pytest.fixture
def admin_client(client):
    user = make_user(Role.ADMINISTRATOR)
    client.force_login(user)
    client.user = user
    return client


def upload(client, name, data, **fields):
    payload = {"file": SimpleUploadedFile(name, data), "mode": "new", "code": "fengong", **fields}
    return client.post(IMPORT, payload)


def test_anonymous_goes_to_sign_in(client):
    response = client.get(IMPORT)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", [Role.MANAGER, Role.OFFICER, Role.LIAISON])
def test_other_roles_are_refused(client, role):
    client.force_login(make_user(role))
    assert client.get(IMPORT).status_code == 403
    assert upload(client, "plan.txt", TASK_LIST_PLAN.encode()).status_code == 403
    assert not PlanUpload.objects.exists()


def test_linked_from_zone_list_for_administrators_only(client, admin_client):
    assert IMPORT in admin_client.get("/zones/").content.decode()
    assert IMPORT in admin_client.get("/admin/").content.decode()
    client.force_login(make_user(Role.MANAGER))
    assert IMPORT not in client.get("/zones/").content.decode()


def test_upload_preview_confirm_creates_the_plan(admin_client):
    response = upload(admin_client, "分工方案.txt", TASK_LIST_PLAN.encode("gbk"))
    assert response.status_code == 302
    saved = PlanUpload.objects.get()
    assert response.url == f"/plans/import/{saved.token}/"
    assert not Plan.objects.filter(code="fengong").exists()

    page = admin_client.get(response.url).content.decode()
    assert "任务分工方案" in page  # the layout's name
    assert "GB18030" in page
    assert 'id="L14"' in page and "对接国际高标准经贸规则" in page
    assert "市发展改革委 · 牵头" in page
    assert "按 市委网信办 读取（去掉“等”）" in page  # a warning, in the user's language

    response = admin_client.post(f"/plans/import/{saved.token}/confirm/", {})
    assert response.status_code == 302
    plan = Plan.objects.get(code="fengong")
    assert plan.title == "天津市推进自贸试验区提升战略重点任务分工方案"
    assert plan.status == "试行"
    tasks = Task.objects.filter(zone__plan=plan).order_by("number")
    assert tasks.count() == 5
    assert list(
        TaskAgency.objects.filter(task=tasks[0]).order_by("position").values_list("agency__name", "role")
    ) == [("市商务局", "lead"), ("天津海关", "cooperating"), ("市发展改革委", "cooperating")]
    saved.refresh_from_db()
    assert saved.applied_by == admin_client.user and saved.is_applied
    assert "records" not in saved.payload
    # Applied once: a second confirm is not found.
    assert admin_client.post(f"/plans/import/{saved.token}/confirm/", {}).status_code == 404


def test_unknown_agency_mapped_in_the_preview_becomes_an_alias(admin_client):
    text = TASK_LIST_PLAN.replace("（配合单位：市工业和信息化局）", "（配合单位：天津市工信局办公室）")
    upload(admin_client, "plan.txt", text.encode())
    saved = PlanUpload.objects.get()
    names = [entry["name"] for entry in saved.payload["unknown_agencies"]]
    assert "天津市工信局办公室" in names
    entry = saved.payload["unknown_agencies"][names.index("天津市工信局办公室")]
    industry = Agency.objects.get(name="市工业和信息化局")
    assert industry.pk in [pk for _name, _score, pk in entry["suggestions"]]
    page = admin_client.get(f"/plans/import/{saved.token}/").content.decode()
    assert "天津市工信局办公室" in page and "Create it as a new agency" not in page  # shown in Chinese
    choices = {f"agency_{i}": "create" for i in range(len(names))}
    choices[f"agency_{names.index('天津市工信局办公室')}"] = str(industry.pk)
    response = admin_client.post(f"/plans/import/{saved.token}/confirm/", choices)
    assert response.status_code == 302
    assert AgencyAlias.objects.get(alias="天津市工信局办公室").agency == industry
    assert not Agency.objects.filter(name="天津市工信局办公室").exists()
    task = Task.objects.get(zone__plan__code="fengong", number=5)
    assert [a.name for a in task.ordered_agencies] == ["市工业和信息化局"]


def test_cancel_leaves_nothing(admin_client):
    before = (Plan.objects.count(), Zone.objects.count(), Task.objects.count(), Agency.objects.count())
    upload(admin_client, "plan.txt", TASK_LIST_PLAN.encode())
    saved = PlanUpload.objects.get()
    response = admin_client.post(f"/plans/import/{saved.token}/cancel/")
    assert response.status_code == 302
    assert not PlanUpload.objects.exists()
    assert (
        Plan.objects.count(),
        Zone.objects.count(),
        Task.objects.count(),
        Agency.objects.count(),
    ) == before


def test_expired_preview_cannot_be_confirmed(admin_client):
    upload(admin_client, "plan.txt", TASK_LIST_PLAN.encode())
    saved = PlanUpload.objects.get()
    PlanUpload.objects.filter(pk=saved.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert admin_client.get(f"/plans/import/{saved.token}/").status_code == 404
    assert admin_client.post(f"/plans/import/{saved.token}/confirm/", {}).status_code == 404
    assert not Plan.objects.filter(code="fengong").exists()
    # The next upload sweeps it away.
    upload(admin_client, "plan.txt", TASK_LIST_PLAN.encode())
    assert not PlanUpload.objects.filter(pk=saved.pk).exists()


def test_another_administrators_preview_is_not_found(admin_client, client):
    upload(admin_client, "plan.txt", TASK_LIST_PLAN.encode())
    saved = PlanUpload.objects.get()
    client.force_login(make_user(Role.ADMINISTRATOR))
    assert client.get(f"/plans/import/{saved.token}/").status_code == 404
    assert client.post(f"/plans/import/{saved.token}/cancel/").status_code == 404


def test_error_names_line_text_and_expectation_and_writes_nothing(admin_client):
    text = TASK_LIST_PLAN.replace("（3）推动工业互联网", "（5）推动工业互联网")
    response = upload(admin_client, "plan.txt", text.encode())
    assert response.status_code == 400
    page = response.content.decode()
    line = text.split("\n").index("（5）推动工业互联网发展。（配合单位：市工业和信息化局）") + 1
    assert f"第 {line} 行" in page
    assert "任务编号 5 顺序不对（应为 3）" in page
    assert "（5）推动工业互联网发展" in page
    assert not PlanUpload.objects.exists() and not Plan.objects.filter(code="fengong").exists()


def test_scanned_style_file_types_say_what_to_do(admin_client):
    response = upload(admin_client, "plan.doc", b"\xd0\xcf\x11\xe0" + b"\0" * 600)
    assert response.status_code == 400
    assert ".docx" in response.content.decode()


def test_field_too_long_is_refused_before_saving(admin_client):
    long_title = "关于" + "推进" * 120 + "的任务分工方案"
    text = TASK_LIST_PLAN.replace("天津市推进自贸试验区提升战略\n重点任务分工方案", long_title)
    response = upload(admin_client, "plan.txt", text.encode())
    assert response.status_code == 400
    page = response.content.decode()
    assert "200" in page and str(len(long_title)) in page
    assert "第 1 行" in page
    assert not PlanUpload.objects.exists()


def test_new_plan_code_taken_is_refused(admin_client):
    response = upload(admin_client, "plan.txt", TASK_LIST_PLAN.encode(), code="second-batch")
    assert response.status_code == 400
    assert "second-batch" in response.content.decode()


def test_zone_of_another_plan_is_not_moved(admin_client, source_text):
    # The 003 plan as a new plan would take 西青… from second-batch.
    response = upload(admin_client, "plan.txt", source_text.encode(), code="copy")
    assert response.status_code == 400
    assert "xiqing" in response.content.decode()
    assert Zone.objects.get(code="xiqing").plan.code == "second-batch"


def test_revision_preview_lists_changes_and_applies(admin_client, source_text):
    plan = Plan.objects.get(code="second-batch")
    revised = source_text.replace("激活要素动能强化产业支撑", "激活要素动能全面强化产业支撑")
    response = admin_client.post(
        IMPORT,
        {
            "file": SimpleUploadedFile("revised.docx", corpus.docx_bytes(revised)),
            "mode": "revision",
            "plan": plan.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = PlanUpload.objects.get()
    assert saved.revision_of == plan
    assert [(c["kinds"], c["zone"], c["number"]) for c in saved.payload["changes"]] == [
        (["text"], "xiqing", 2)
    ]
    page = admin_client.get(response.url).content.decode()
    assert 'id="import-changes"' in page and "激活要素动能全面强化产业支撑" in page
    task = Task.objects.get(zone__code="xiqing", number=2)
    admin_client.post(f"/plans/import/{saved.token}/confirm/", {})
    task.refresh_from_db()
    assert task.title == "激活要素动能全面强化产业支撑"
    assert Task.objects.filter(zone__plan=plan).count() == 58


@pytest.mark.parametrize("suffix", ["", "confirm/", "cancel/"])
def test_preview_steps_need_sign_in(client, suffix):
    url = f"/plans/import/12345678-1234-5678-1234-567812345678/{suffix}"
    response = client.post(url) if suffix else client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("suffix", ["", "confirm/", "cancel/"])
def test_preview_steps_refuse_other_roles(client, admin_client, suffix):
    upload(admin_client, "plan.txt", TASK_LIST_PLAN.encode())
    url = f"/plans/import/{PlanUpload.objects.get().token}/{suffix}"
    client.force_login(make_user(Role.MANAGER))
    response = client.post(url) if suffix else client.get(url)
    assert response.status_code == 403
    assert PlanUpload.objects.filter(applied_at__isnull=True).count() == 1


def test_five_year_plan_revision_through_the_web(admin_client):
    from django.conf import settings
    from django.core.management import call_command

    from tests.conftest import SOURCE_DIR

    call_command(
        "load_plan", str(settings.PLAN_FIXTURE_DIR / "ftz-14th-fyp.json"), stdout=__import__("io").StringIO()
    )
    plan = Plan.objects.get(code="ftz-14th-fyp")
    title = plan.title
    data = (SOURCE_DIR / "004_6f279094ef53df13.txt").read_text(encoding="utf-8").encode("gb18030")
    response = admin_client.post(
        IMPORT, {"file": SimpleUploadedFile("fyp.txt", data), "mode": "revision", "plan": plan.pk}
    )
    assert response.status_code == 302
    saved = PlanUpload.objects.get()
    assert saved.layout == "five_year"
    assert saved.payload["changes"] == []  # the same document: nothing changes
    assert admin_client.post(f"/plans/import/{saved.token}/confirm/", {}).status_code == 302
    assert Task.objects.filter(zone__plan=plan).count() == 91
    plan.refresh_from_db()
    assert plan.title == title  # the document states none; the plan keeps its own


def test_a_failure_while_applying_writes_nothing(admin_client, monkeypatch):
    from plans.revision import Revision

    real = Revision._apply

    def apply_then_fail(self):
        real(self)
        assert Plan.objects.filter(code="fengong").exists()  # written, inside the transaction
        raise RuntimeError("disk full")

    monkeypatch.setattr(Revision, "_apply", apply_then_fail)
    upload(admin_client, "plan.txt", TASK_LIST_PLAN.encode())
    saved = PlanUpload.objects.get()
    agencies = Agency.objects.count()
    admin_client.raise_request_exception = False
    response = admin_client.post(f"/plans/import/{saved.token}/confirm/", {})
    assert response.status_code == 500
    assert not Plan.objects.filter(code="fengong").exists()
    assert not Zone.objects.filter(code="fengong").exists()
    assert Agency.objects.count() == agencies
    saved.refresh_from_db()
    assert not saved.is_applied


def test_admin_lists_uploads_read_only(admin_client):
    upload(admin_client, "plan.txt", TASK_LIST_PLAN.encode())
    saved = PlanUpload.objects.get()
    assert admin_client.get("/admin/zones/planupload/").status_code == 200
    assert admin_client.get(f"/admin/zones/planupload/{saved.pk}/change/").status_code == 200
    assert admin_client.get("/admin/zones/planupload/add/").status_code == 403


def test_parser_messages_are_shown_in_the_users_language(source_text):
    """Messages the parsers really write, from documents with the usual mistakes."""
    from django.utils import translation

    from plans.parser_messages import localize
    from plans.plan_parser import PlanFormatError
    from tests.plans.test_documents import read

    broken = [
        source_text.replace("\n6. ", "\n8. ", 1),
        source_text.replace("附件 2", "附件 3", 1),
        source_text.replace(
            "（支持单位：市商务局、天津海关）\n\n（二）", "（支持单位：市商务局、天津海关\n\n（二）", 1
        ),
        TASK_LIST_PLAN.replace("（3）推动", "（5）推动"),
        "无关的文字。\n第二行。",
    ]
    messages = []
    for text in broken:
        with pytest.raises(PlanFormatError) as error:
            read("plan.txt", text.encode())
        messages.append(error.value.message)
    _, _, parsed = read("plan.txt", TASK_LIST_PLAN.encode())
    messages += [message for _, message in parsed.warnings]
    _, _, parsed = read("plan.txt", source_text.encode())
    messages += [message for _, message in parsed.warnings]
    with translation.override("zh-hans"):
        shown = [localize(message) for message in messages]
    for message, text in zip(messages, shown, strict=True):
        assert text != message and "%(" not in text, message
    assert "北辰经开区：方案所列总面积 49.75 km² 与各区块面积之和 49.74 km² 不一致" in shown
    with translation.override("en"):
        english = [localize(message) for message in messages]
    assert all("%(" not in text and "顺序不对" not in text for text in english)


def _rewritten_task_two(source_text):
    """The source with 西青's task 2 given a new lead sentence and half its old text: a pairing the
    engine will not decide on its own (as in tests/plans/test_revision.py)."""
    from tests.plans.test_revision import T2, at, revise_annex

    task = Task.objects.get(zone__code="xiqing", title=T2)
    rewritten = "培育集成电路产业发展新动能。" + task.text[len(task.text) // 2 :]

    def edit(chunks):
        k = at(chunks, T2)
        body = chunks[k]
        chunks[k] = f"2. {rewritten}\n\n{body[body.index('（支持单位') :]}"
        return chunks

    return task, rewritten, revise_annex(source_text, 1, edit)


def _preview_revision(admin_client, text, name="revised.docx"):
    plan = Plan.objects.get(code="second-batch")
    response = admin_client.post(
        IMPORT,
        {"file": SimpleUploadedFile(name, corpus.docx_bytes(text)), "mode": "revision", "plan": plan.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return PlanUpload.objects.get(applied_at__isnull=True)


@pytest.mark.parametrize("decision", ["same", "different"])
def test_an_uncertain_pairing_is_settled_in_the_preview(admin_client, source_text, decision):
    from tests.factories import make_period

    task, rewritten, text = _rewritten_task_two(source_text)
    officer = make_user(Role.OFFICER, zones=[task.zone])
    from measures import services

    services.save_report(
        task=task, period=make_period(plan=task.zone.plan), user=officer, data={"progress": "已推进"}
    )
    saved = _preview_revision(admin_client, text)
    page = admin_client.get(f"/plans/import/{saved.token}/").content.decode()
    assert 'id="pairing-xiqing-2"' in page and 'id="import-problems"' not in page
    assert "--match" not in page.split('id="import-change-list"')[0]

    # Confirming without deciding changes nothing and says what is missing.
    response = admin_client.post(f"/plans/import/{saved.token}/confirm/", {})
    assert response.status_code == 400
    assert "请判断是否为同一任务。" in response.content.decode()  # the field's own message, in Chinese
    task.refresh_from_db()
    assert task.text != rewritten and not PlanUpload.objects.filter(applied_at__isnull=False).exists()

    response = admin_client.post(f"/plans/import/{saved.token}/confirm/", {"pair_0": decision})
    assert response.status_code == 302, response.content.decode()[:3000]
    task.refresh_from_db()
    assert task.reports.count() == 1  # the report stays on its task either way
    if decision == "same":
        assert task.text == rewritten and not task.is_withdrawn
    else:
        assert task.is_withdrawn and task.text != rewritten
        assert Task.objects.get(zone__code="xiqing", number=2, withdrawn_at__isnull=True).text == rewritten


def test_an_undecided_pairing_posted_around_the_form_is_refused(source_text):
    from plans import plan_upload

    task, _rewritten, text = _rewritten_task_two(source_text)
    admin = make_user(Role.ADMINISTRATOR)
    saved = plan_upload.start_upload(
        user=admin,
        name="revised.docx",
        data=corpus.docx_bytes(text),
        revision_of=Plan.objects.get(code="second-batch"),
    )
    with pytest.raises(plan_upload.ImportRefused, match="xiqing 2"):
        plan_upload.confirm_upload(user=admin, upload=saved, matches={})
    assert not PlanUpload.objects.filter(applied_at__isnull=False).exists()


def test_a_role_only_revision_is_listed_and_applied(admin_client):
    upload(admin_client, "分工方案.txt", TASK_LIST_PLAN.encode())
    first = PlanUpload.objects.get()
    assert admin_client.post(f"/plans/import/{first.token}/confirm/", {}).status_code == 302
    task = Task.objects.get(zone__plan__code="fengong", text__startswith="对接国际高标准经贸规则")
    assert TaskAgency.objects.get(task=task, agency__name="天津海关").role == "cooperating"
    revised = TASK_LIST_PLAN.replace(
        "（牵头单位：市商务局；配合单位：天津海关、市发展改革委）",
        "（牵头单位：市商务局；责任单位：天津海关；配合单位：市发展改革委）",
    )
    response = admin_client.post(
        IMPORT,
        {
            "file": SimpleUploadedFile("分工方案（修订）.txt", revised.encode()),
            "mode": "revision",
            "plan": Plan.objects.get(code="fengong").pk,
        },
    )
    assert response.status_code == 302
    saved = PlanUpload.objects.get(applied_at__isnull=True)
    assert [(c["kinds"], c["number"]) for c in saved.payload["changes"]] == [(["roles"], task.number)]
    page = admin_client.get(response.url).content.decode()
    assert "天津海关 配合 → 责任" in page
    assert admin_client.post(f"/plans/import/{saved.token}/confirm/", {}).status_code == 302
    assert TaskAgency.objects.get(task=task, agency__name="天津海关").role == "responsible"
    assert TaskAgency.objects.get(task=task, agency__name="市商务局").role == "lead"
