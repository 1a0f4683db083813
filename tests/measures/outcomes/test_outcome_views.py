"""Outcome pages through the client: record, filter, evaluate, recommend; fixed query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import OutcomeState, OutcomeType
from measures.models import InnovationOutcome, Task
from measures.periods.selectors import current_periods
from tests.factories import make_user, submit_outcome_with_evidence
from tests.helpers import SESSION
from zones.models import Zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def xiqing():
    return Zone.objects.get(code="xiqing")


@pytest.fixture
def officer(xiqing):
    return make_user(Role.OFFICER, zones=[xiqing])


def record(zone, officer, n=1, type=OutcomeType.INSTITUTIONAL):
    return [
        services.create_outcome(
            zone=zone,
            user=officer,
            title=f"成果{k}",
            description="说明",
            type=type,
            tasks=[Task.objects.get(zone=zone, number=1)],
        )
        for k in range(n)
    ]


def test_officer_records_an_outcome_and_bad_input_keeps_what_was_typed(client, xiqing, officer):
    client.force_login(officer)
    response = client.post(
        "/outcomes/new/",
        {"zone": xiqing.pk, "title": "", "type": "stress_test", "description": "压力测试经验"},
    )
    assert response.status_code == 400
    assert "压力测试经验" in response.content.decode()
    assert not InnovationOutcome.objects.exists()
    response = client.post(
        "/outcomes/new/",
        {
            "zone": xiqing.pk,
            "title": "跨境数据压力测试",
            "type": "stress_test",
            "description": "压力测试经验",
            "tasks": [Task.objects.get(zone=xiqing, number=2).pk],
        },
    )
    outcome = InnovationOutcome.objects.get()
    assert response.status_code == 302 and response.url == outcome.get_absolute_url()
    assert outcome.state == OutcomeState.DRAFT and list(outcome.tasks.values_list("number", flat=True)) == [2]


def test_manager_evaluates_and_recommends_through_the_pages(client, xiqing, officer):
    (outcome,) = record(xiqing, officer)
    submit_outcome_with_evidence(outcome=outcome, user=officer)
    client.force_login(make_user(Role.MANAGER))
    bad = client.post(f"/outcomes/{outcome.pk}/evaluate/", {"score": "140", "notes": "好"})
    assert bad.status_code == 400
    client.post(f"/outcomes/{outcome.pk}/evaluate/", {"score": "91.5", "notes": "首创性突出"})
    client.post(f"/outcomes/{outcome.pk}/recommend/", {"note": "建议全市推广"})
    outcome.refresh_from_db()
    assert outcome.state == OutcomeState.RECOMMENDED and str(outcome.score) == "91.5"
    page = client.get(outcome.get_absolute_url()).content.decode()
    assert "首创性突出" in page and "建议全市推广" in page


def test_list_filters_and_scope(client, xiqing, officer):
    record(xiqing, officer, 2)
    wuqing = Zone.objects.get(code="wuqing")
    record(wuqing, make_user(Role.OFFICER, zones=[wuqing]), 1, type=OutcomeType.STRESS_TEST)
    client.force_login(officer)
    assert len(client.get("/outcomes/").context["outcomes"]) == 2  # wuqing's are out of scope
    client.force_login(make_user(Role.MANAGER))
    assert len(client.get("/outcomes/").context["outcomes"]) == 3
    assert len(client.get("/outcomes/", {"type": "stress_test"}).context["outcomes"]) == 1
    assert len(client.get("/outcomes/", {"zone": "xiqing", "q": "成果1"}).context["outcomes"]) == 1


def test_list_query_count_does_not_grow(client, xiqing, officer, django_assert_num_queries):
    record(xiqing, officer, 2)
    client.force_login(make_user(Role.MANAGER))
    # access, count, page of outcomes (with zone and period), filter choices: plans, zones, periods,
    # and the navigation's count of unanswered major matters (managers only)
    with django_assert_num_queries(SESSION + 7):
        client.get("/outcomes/")
    record(xiqing, officer, 10)
    with django_assert_num_queries(SESSION + 7):
        assert client.get("/outcomes/").status_code == 200


def test_submission_list_in_excel_and_word_lists_the_periods_submitted_outcomes(client, xiqing, officer):
    import datetime
    from io import BytesIO

    import docx
    import openpyxl
    from django.utils import timezone

    from measures.models import ReportingPeriod

    today = timezone.localdate()
    period = ReportingPeriod.objects.create(
        plan=xiqing.plan,
        name="本季度",
        start=today - datetime.timedelta(days=10),
        end=today + datetime.timedelta(days=80),
        deadline=today + datetime.timedelta(days=95),
    )
    draft, submitted = (
        services.create_outcome(
            zone=xiqing,
            user=officer,
            title=t,
            description="说明",
            type=OutcomeType.STRESS_TEST,
            period=period,
            tasks=[Task.objects.get(zone=xiqing, number=3)],
        )
        for t in ("草稿成果", "报送成果")
    )
    submit_outcome_with_evidence(outcome=submitted, user=officer)
    wuqing = Zone.objects.get(code="wuqing")
    other = services.create_outcome(
        zone=wuqing,
        user=make_user(Role.OFFICER, zones=[wuqing]),
        title="武清成果",
        description="说明",
        type=OutcomeType.INSTITUTIONAL,
        period=period,
    )
    submit_outcome_with_evidence(outcome=other, user=other.created_by)
    client.force_login(officer)
    response = client.get(f"/outcomes/list/{period.pk}.xlsx")
    assert response["Content-Disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(BytesIO(response.content)).active
    titles = [row[2] for row in sheet.iter_rows(min_row=3, values_only=True)]
    # Drafts are not listed, and the officer sees only their own zone's outcomes.
    assert titles == ["报送成果"] and sheet.freeze_panes == "A3"
    client.force_login(make_user(Role.MANAGER))
    document = docx.Document(BytesIO(client.get(f"/outcomes/list/{period.pk}.docx").content))
    cells = [c.text for row in document.tables[0].rows[1:] for c in row.cells]
    assert "报送成果" in cells and "武清成果" in cells and "草稿成果" not in cells
    assert "本季度" in document.paragraphs[0].text


def test_outcome_evidence_is_withdrawn_from_the_outcome_page(client, xiqing, officer, settings, tmp_path):
    from tests.measures.upload_samples import PDF, upload

    settings.MEDIA_ROOT = tmp_path
    [outcome] = record(xiqing, officer, 1)
    evidence = services.add_outcome_file(
        outcome=outcome, user=officer, uploaded_file=upload(PDF, "经验材料.pdf"), description="经验总结"
    )
    client.force_login(officer)
    url = f"/outcomes/{outcome.pk}/evidence/{evidence.pk}/withdraw/"
    assert url in client.get(outcome.get_absolute_url()).content.decode()
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    response = client.post(url, {"reason": "上传错了文件"})
    assert response.status_code == 302
    page = client.get(outcome.get_absolute_url()).content.decode()
    assert "上传错了文件" in page and 'class="withdrawn"' in page


def test_a_whole_score_reads_85_not_85_0_and_a_new_outcome_is_confirmed(client, xiqing, officer):
    [outcome] = record(xiqing, officer, 1)
    submit_outcome_with_evidence(outcome=outcome, user=officer)
    services.evaluate_outcome(outcome=outcome, user=make_user(Role.MANAGER), score=85, notes="可复制")
    client.force_login(officer)
    page = client.get(outcome.get_absolute_url()).content.decode()
    assert "85</span>" in page and "85.0" not in page
    response = client.post(
        "/outcomes/new/",
        {"zone": xiqing.pk, "title": "新成果", "type": "institutional", "description": "说明"},
        follow=True,
    )
    assert [m.level_tag for m in response.context["messages"]] == ["success"]


def test_manager_returns_an_outcome_and_the_officer_sees_the_note_then_resubmits(client, xiqing, officer):
    (outcome,) = record(xiqing, officer)
    submit_outcome_with_evidence(outcome=outcome, user=officer)
    manager = make_user(Role.MANAGER)
    client.force_login(manager)
    page = client.get(outcome.get_absolute_url()).content.decode()
    assert f"/outcomes/{outcome.pk}/return/" in page
    bad = client.post(f"/outcomes/{outcome.pk}/return/", {"note": " "})
    assert bad.status_code == 400 and 'id="return"' in bad.content.decode()
    outcome.refresh_from_db()
    assert outcome.state == OutcomeState.SUBMITTED
    response = client.post(f"/outcomes/{outcome.pk}/return/", {"note": "请补充推广条件"}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    outcome.refresh_from_db()
    assert outcome.state == OutcomeState.DRAFT
    client.force_login(officer)
    page = client.get(outcome.get_absolute_url()).content.decode()
    assert 'id="returned"' in page and "请补充推广条件" in page
    assert client.get(f"/outcomes/{outcome.pk}/edit/").status_code == 200
    client.post(f"/outcomes/{outcome.pk}/submit/")
    outcome.refresh_from_db()
    assert outcome.state == OutcomeState.SUBMITTED
    assert 'id="returned"' not in client.get(outcome.get_absolute_url()).content.decode()
    listed = client.get("/outcomes/", {"state": "draft"}).content.decode()
    assert outcome.title not in listed


def test_the_return_note_costs_the_outcome_page_no_query(client, xiqing, officer):
    (outcome,) = record(xiqing, officer)
    client.force_login(officer)
    client.get(outcome.get_absolute_url())  # warm the session
    with CaptureQueriesContext(connection) as draft:
        client.get(outcome.get_absolute_url())
    submit_outcome_with_evidence(outcome=outcome, user=officer)
    services.return_outcome(outcome=outcome, user=make_user(Role.MANAGER), note="请修改")
    with CaptureQueriesContext(connection) as returned:
        page = client.get(outcome.get_absolute_url()).content.decode()
    assert "请修改" in page and len(returned) == len(draft)


def test_a_step_the_state_does_not_allow_says_so_on_the_outcome_page_not_403(client, xiqing, officer):
    (outcome,) = record(xiqing, officer)
    submit_outcome_with_evidence(outcome=outcome, user=officer)
    client.force_login(officer)
    response = client.get(f"/outcomes/{outcome.pk}/edit/")
    assert response.status_code == 302 and response.url == outcome.get_absolute_url()
    page = client.get(response.url)
    assert [m.level_tag for m in page.context["messages"]] == ["error"]
    client.force_login(make_user(Role.MANAGER))
    for url, data in [("recommend", {"note": ""}), ("decline", {"reason": "不推荐"})]:
        response = client.post(f"/outcomes/{outcome.pk}/{url}/", data, follow=True)
        assert response.redirect_chain == [(outcome.get_absolute_url(), 302)]
        assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_a_one_zone_officer_gets_the_zone_and_the_current_period_preselected(client, xiqing, officer):
    for year in (timezone.localdate().year - 1, timezone.localdate().year):
        services.create_quarterly_periods(plan=xiqing.plan, year=year)
    client.force_login(officer)
    form = client.get("/outcomes/new/").context["form"]
    assert form["zone"].value() == xiqing.pk
    assert form["period"].value() == current_periods()[xiqing.plan_id].pk
    assert "---------" not in str(form["zone"]) and "---------" not in str(form["period"])
    assert form["period"].value() is not None


def test_an_officer_of_two_zones_chooses_the_zone(client, xiqing):
    officer = make_user(Role.OFFICER, zones=[xiqing, Zone.objects.exclude(pk=xiqing.pk).first()])
    client.force_login(officer)
    form = client.get("/outcomes/new/").context["form"]
    assert form["zone"].value() is None and "---------" not in str(form["zone"])
