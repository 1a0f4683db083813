"""Saving over someone else's newer save merges field by field (issue 14, item 9): fields only
one side changed take that side; only fields both changed are shown as conflicts to choose.
Driven through the pages as people use them: open the form, someone saves, save."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from core.merge import comparable, merged_save, three_way
from core.roles import Role
from indicators import services as indicator_services
from indicators.models import IndicatorValue
from measures import services
from measures.choices import TaskStatus
from measures.models import ProgressReport, Task
from tests.factories import make_period, make_user
from tests.indicators.conftest import make_indicator
from tests.indicators.conftest import make_period as make_quarter
from zones.models import Plan

pytestmark = pytest.mark.django_db

FIRST = {
    "status": TaskStatus.ON_TRACK,
    "percent_complete": 30,
    "progress": "完成政策梳理",
    "problems": "",
    "next_steps": "走访企业",
    "support_needed": "",
    "support_agency": None,
}


@pytest.fixture
def task():
    return Task.objects.select_related("zone").get(zone__code="xiqing", number=1)


@pytest.fixture
def period(task):
    return make_period(task.zone.plan, day=timezone.localdate())


@pytest.fixture
def officer(task):
    return make_user(Role.OFFICER, zones=[task.zone], username="li")


@pytest.fixture
def colleague(task):
    return make_user(Role.OFFICER, zones=[task.zone], username="wang")


@pytest.fixture
def draft(task, period, officer):
    return services.save_report(task=task, period=period, user=officer, data=FIRST)


def edit_url(task, period):
    return reverse("measures:report-edit", args=[task.zone.code, task.number, period.pk])


def opened_form(client, task, period):
    """The fields the page sends back, as the browser would post them unchanged."""
    form = client.get(edit_url(task, period)).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None else value
    return data


def colleague_saves(task, period, colleague, version, **changes):
    services.save_report(
        task=task, period=period, user=colleague, data={**FIRST, **changes}, expected_version=version
    )


def test_fields_only_the_other_person_changed_are_kept(client, task, period, officer, colleague, draft):
    client.force_login(officer)
    mine = opened_form(client, task, period)
    colleague_saves(task, period, colleague, draft.version, progress="同事补充的进展", percent_complete=40)
    mine["problems"] = "用地指标紧张"
    response = client.post(edit_url(task, period), mine, follow=True)
    assert response.status_code == 200 and response.redirect_chain
    report = ProgressReport.objects.get(pk=draft.pk)
    # Theirs where only they changed, mine where only I changed.
    assert (report.progress, report.percent_complete, report.problems) == (
        "同事补充的进展",
        40,
        "用地指标紧张",
    )
    assert report.version == 3
    messages = [str(m) for m in response.context["messages"]]
    assert any("Someone else saved this report" in m or "他人" in m or "其他人" in m for m in messages)


def test_only_fields_both_changed_are_conflicts_and_saving_again_keeps_theirs_elsewhere(
    client, task, period, officer, colleague, draft
):
    client.force_login(officer)
    mine = opened_form(client, task, period)
    colleague_saves(task, period, colleague, draft.version, progress="同事写的进展", percent_complete=55)
    mine.update(progress="我写的进展", next_steps="下季度完成验收")
    response = client.post(edit_url(task, period), mine)
    assert response.status_code == 409
    assert [row["field"] for row in response.context["conflict"]] == ["progress"]
    [row] = response.context["conflict"]
    assert (row["value"], row["mine"]) == ("同事写的进展", "我写的进展")
    page = response.content.decode()
    assert 'name="choose_progress"' in page
    # The form now shows their percent (only they changed it) and keeps my typing.
    form = response.context["form"]
    assert str(form["percent_complete"].value()) == "55"
    assert form["progress"].value() == "我写的进展" and form["next_steps"].value() == "下季度完成验收"
    assert ProgressReport.objects.get(pk=draft.pk).version == 2  # nothing written

    # Saving again as the page now stands (keeping mine for the conflict) keeps their percent.
    again = {name: ("" if form[name].value() is None else form[name].value()) for name in form.fields}
    again["choose_progress"] = "mine"
    assert client.post(edit_url(task, period), again).status_code == 302
    report = ProgressReport.objects.get(pk=draft.pk)
    assert (report.progress, report.percent_complete, report.next_steps) == (
        "我写的进展",
        55,
        "下季度完成验收",
    )


def test_a_conflict_settled_for_theirs_writes_theirs(client, task, period, officer, colleague, draft):
    client.force_login(officer)
    mine = opened_form(client, task, period)
    colleague_saves(task, period, colleague, draft.version, progress="同事写的进展")
    mine.update(progress="我写的进展", next_steps="我的下一步")
    response = client.post(edit_url(task, period), mine)
    form = response.context["form"]
    again = {name: ("" if form[name].value() is None else form[name].value()) for name in form.fields}
    again["choose_progress"] = "theirs"
    assert client.post(edit_url(task, period), again).status_code == 302
    report = ProgressReport.objects.get(pk=draft.pk)
    assert (report.progress, report.next_steps) == ("同事写的进展", "我的下一步")


def test_a_report_started_by_someone_else_meanwhile_is_merged(client, task, period, officer, colleague):
    client.force_login(officer)
    mine = opened_form(client, task, period)  # no report yet: version 0
    services.save_report(
        task=task, period=period, user=colleague, data={**FIRST, "next_steps": "", "problems": "资金不足"}
    )
    # The same status, percent and progress as theirs (no conflict), and next steps of my own.
    mine.update(FIRST, support_agency="", next_steps="我写的下一步")
    assert client.post(edit_url(task, period), mine).status_code == 302
    report = ProgressReport.objects.get(task=task, period=period)
    assert (report.next_steps, report.problems) == ("我写的下一步", "资金不足")


def test_a_tampered_base_falls_back_to_a_plain_conflict(client, task, period, officer, colleague, draft):
    client.force_login(officer)
    mine = opened_form(client, task, period)
    colleague_saves(task, period, colleague, draft.version, progress="同事写的进展")
    mine.update(problems="我的问题", base="forged")
    response = client.post(edit_url(task, period), mine)
    assert response.status_code == 409
    assert ProgressReport.objects.get(pk=draft.pk).problems == ""


def test_three_way_rules():
    merge = three_way(
        base={"a": "x", "b": "x", "c": "x", "d": "x", "e": 5},
        mine={"a": "x", "b": "mine", "c": "same", "d": "mine", "e": "5.0"},
        theirs={"a": "theirs", "b": "x", "c": "same", "d": "theirs", "e": 5},
    )
    assert merge.data == {"b": "mine"}
    assert merge.theirs_kept == ["a"]
    assert merge.conflicts == ["d"]
    assert comparable("行一\r\n行二 ") == comparable("行一\n行二")


class Refused(Exception):
    def __init__(self, merge):
        self.merge = merge


def test_merged_save_writes_merges_or_refuses():
    def save(version, expected, base, mine):
        return merged_save(
            version=version,
            expected_version=expected,
            base=base,
            mine=mine,
            theirs={"a": "theirs", "b": "x"},
            conflict=Refused,
        )

    # Nothing in between, or no version known: what the user sent, no merge.
    assert save(3, 3, None, {"a": "mine"}) == ({"a": "mine"}, None)
    assert save(3, None, None, {"a": "mine"}) == ({"a": "mine"}, None)
    # A newer version and the form's base: the fields only the user changed.
    data, merge = save(4, 3, {"a": "x", "b": "x"}, {"a": "x", "b": "mine"})
    assert data == {"b": "mine"} and merge.theirs_kept == ["a"]
    # A stale form without a base, or a field both changed: refused, nothing to write.
    with pytest.raises(Refused) as refused:
        save(4, 3, None, {"a": "mine"})
    assert refused.value.merge is None
    with pytest.raises(Refused) as refused:
        save(4, 3, {"a": "x", "b": "x"}, {"a": "mine", "b": "x"})
    assert refused.value.merge.conflicts == ["a"]


# --- indicator values -------------------------------------------------------------------------


@pytest.fixture
def ind(settings, tmp_path, officer, colleague):
    settings.MEDIA_ROOT = tmp_path
    plan = Plan.objects.get(code="second-batch")
    today = timezone.localdate()
    return {
        "plan": plan,
        "period": make_quarter(plan, today.year, (today.month - 1) // 3 + 1),
        "zone": officer.profile.zones.get(),
        "indicator": make_indicator(plan, target=8, baseline=5),
    }


def entry_url(ind):
    return reverse("indicators:enter", args=[ind["zone"].code, ind["period"].pk])


def opened_rows(client, ind):
    page = client.get(entry_url(ind))
    formset = page.context["formset"]
    data = {key: value for key, value in formset.management_form.initial.items()}
    data = {f"form-{key}": value for key, value in data.items()}
    for form in formset.forms:
        for name in form.fields:
            if name == "evidence":
                continue
            value = form[name].value()
            data[form.add_prefix(name)] = "" if value is None else value
    data["action"] = "save"
    return data


def test_indicator_fields_only_the_other_person_changed_are_kept(client, ind, officer, colleague):
    first = indicator_services.save_value(
        indicator=ind["indicator"],
        zone=ind["zone"],
        period=ind["period"],
        user=officer,
        data={"value": "6.5", "source": "区统计局月报", "note": ""},
    )
    client.force_login(officer)
    mine = opened_rows(client, ind)
    indicator_services.save_value(
        indicator=ind["indicator"],
        zone=ind["zone"],
        period=ind["period"],
        user=colleague,
        data={"value": "7.1", "source": "区统计局月报", "note": ""},
        expected_version=first.version,
    )
    mine["form-0-note"] = "含新设企业"
    assert client.post(entry_url(ind), mine).status_code == 302
    value = IndicatorValue.objects.get()
    assert (str(value.display_value), value.note) == ("7.1", "含新设企业")


def test_indicator_both_changed_is_a_conflict_naming_only_that_field(client, ind, officer, colleague):
    first = indicator_services.save_value(
        indicator=ind["indicator"],
        zone=ind["zone"],
        period=ind["period"],
        user=officer,
        data={"value": "6.5", "source": "区统计局月报", "note": ""},
    )
    client.force_login(officer)
    mine = opened_rows(client, ind)
    indicator_services.save_value(
        indicator=ind["indicator"],
        zone=ind["zone"],
        period=ind["period"],
        user=colleague,
        data={"value": "7.1", "source": "市统计局", "note": ""},
        expected_version=first.version,
    )
    mine.update({"form-0-value": "9.25", "form-0-note": "我的备注"})
    response = client.post(entry_url(ind), mine, headers={"accept-language": "en"})
    assert response.status_code == 409
    page = response.content.decode()
    assert 'value="9.25"' in page and "我的备注" in page
    # Their source (only they changed it) now shows in the row; the value is the one conflict.
    assert 'value="市统计局"' in page
    [error] = response.context["formset"].forms[0].non_field_errors()
    assert "7.1" in error and "Source" not in error.split("Theirs:")[0]
    # Saving again keeps mine for the value and their source.
    version = re.search(r'name="form-0-version" value="(\d+)"', page).group(1)
    form = response.context["formset"].forms[0]
    again = {**mine, "form-0-version": version, "form-0-base": form["base"].value()}
    again["form-0-source"] = form["source"].value()
    assert client.post(entry_url(ind), again).status_code == 302
    value = IndicatorValue.objects.get()
    assert (str(value.display_value), value.source, value.note) == ("9.25", "市统计局", "我的备注")


# --- reform outcomes ----------------------------------------------------------------------------


@pytest.fixture
def outcome(task, officer):
    return services.create_outcome(
        zone=task.zone,
        user=officer,
        title="集成电路保税研发",
        description="首创保税研发监管模式。",
        type="institutional",
        tasks=[task],
    )


def outcome_form(client, outcome):
    form = client.get(reverse("measures:outcome-edit", args=[outcome.pk])).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if name == "tasks":
            data[name] = [str(pk) for pk in value or []]
        else:
            data[name] = "" if value is None else value
    return data


def test_outcome_fields_only_the_other_person_changed_are_kept(client, outcome, officer, colleague):
    client.force_login(officer)
    mine = outcome_form(client, outcome)
    services.update_outcome(outcome=outcome, user=colleague, data={"title": "集成电路保税研发监管创新"})
    mine["description"] = "首创保税研发监管模式，已在三家企业试行。"
    response = client.post(reverse("measures:outcome-edit", args=[outcome.pk]), mine)
    assert response.status_code == 302
    outcome.refresh_from_db()
    assert (outcome.title, outcome.description) == (
        "集成电路保税研发监管创新",
        "首创保税研发监管模式，已在三家企业试行。",
    )
    assert list(outcome.tasks.all()) != []


def test_outcome_fields_both_changed_are_a_conflict(client, outcome, officer, colleague):
    client.force_login(officer)
    mine = outcome_form(client, outcome)
    services.update_outcome(
        outcome=outcome, user=colleague, data={"title": "同事改的标题", "description": "同事改的说明"}
    )
    mine["title"] = "我改的标题"
    response = client.post(
        reverse("measures:outcome-edit", args=[outcome.pk]), mine, headers={"accept-language": "en"}
    )
    assert response.status_code == 409
    form = response.context["form"]
    [error] = form.non_field_errors()
    assert "同事改的标题" in error and "同事改的说明" not in error
    assert form["title"].value() == "我改的标题" and form["description"].value() == "同事改的说明"
    outcome.refresh_from_db()
    assert outcome.title == "同事改的标题"
    again = {
        **mine,
        "title": "我改的标题",
        "description": form["description"].value(),
        "base": form["base"].value(),
    }
    assert client.post(reverse("measures:outcome-edit", args=[outcome.pk]), again).status_code == 302
    outcome.refresh_from_db()
    assert (outcome.title, outcome.description) == ("我改的标题", "同事改的说明")
