"""Indicator pages: the role × route matrix, the entry form's flows, pinned query counts."""

import re

import pytest
from django.urls import reverse

from core.roles import Role
from indicators import services
from indicators.choices import Computation, ValueState
from indicators.models import IndicatorValue
from tests.factories import make_period, make_plan, make_user
from tests.indicators.conftest import VALUE, make_indicator
from tests.measures.upload_samples import PDF, upload
from zones.models import Agency, Zone

pytestmark = pytest.mark.django_db

LOGIN = "login"
ROLES = [
    "anonymous",
    "officer-own",
    "officer-foreign",
    "liaison-customs",
    "liaison-other",
    "manager",
    "admin",
    "no-role",
]

# The zone is xiqing. 天津海关 supports xiqing tasks, so its liaison sees the zone (and its
# scorecard and evidence) but may not act; 天津金融监管局 supports none, so xiqing is not found.
# fmt: off
MATRIX = {
    #                  anon   own  foreign customs other  mgr  admin no-role
    "scorecard":      (LOGIN, 200, 404,    200,    404,   200, 200,  404),
    "enter-get":      (LOGIN, 200, 404,    403,    404,   403, 200,  404),
    "enter-post":     (LOGIN, 302, 404,    403,    404,   403, 302,  404),
    "review-queue":   (LOGIN, 403, 403,    403,    403,   200, 200,  403),
    # The value is submitted, not accepted: a liaison's scorecard does not show it (issue 14).
    "review-value":   (LOGIN, 403, 404,    404,    404,   302, 302,  404),
    "evidence":       (LOGIN, 200, 404,    404,    404,   200, 200,  404),
}
# fmt: on


def user_for(role, ind):
    return {
        "anonymous": lambda: None,
        "officer-own": lambda: ind.officer,
        "officer-foreign": lambda: make_user(Role.OFFICER, zones=[ind.wuqing]),
        "liaison-customs": lambda: make_user(Role.LIAISON, agency=Agency.objects.get(name="天津海关")),
        "liaison-other": lambda: make_user(Role.LIAISON, agency=Agency.objects.get(name="天津金融监管局")),
        "manager": lambda: ind.manager,
        "admin": lambda: make_user(Role.ADMINISTRATOR),
        "no-role": lambda: make_user(),
    }[role]()


def entry_url(ind):
    return reverse("indicators:enter", args=[ind.zone.code, ind.period.pk])


def entry_post(ind, rows, action="save"):
    """The formset as the page posts it: one row per manual indicator, in page order."""
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "500",
        "action": action,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"form-{i}-{key}"] = value
    return data


def submitted_value(ind, with_file=False):
    value = services.save_value(
        indicator=ind.indicator, zone=ind.zone, period=ind.period, user=ind.officer, data=VALUE
    )
    if with_file:
        value = services.add_value_evidence(
            value=value, user=ind.officer, uploaded_file=upload(PDF, "统计表.pdf")
        )
    return services.submit_value(value=value, user=ind.officer)


def call(client, route, ind):
    if route == "scorecard":
        return client.get(reverse("indicators:scorecard", args=[ind.zone.code]))
    if route == "enter-get":
        return client.get(entry_url(ind))
    if route == "enter-post":
        row = {"indicator": ind.indicator.pk, **VALUE}
        return client.post(entry_url(ind), entry_post(ind, [row]))
    if route == "review-queue":
        return client.get(reverse("indicators:review"))
    value = submitted_value(ind, with_file=route == "evidence")
    if route == "review-value":
        return client.post(
            reverse("indicators:review-value", args=[value.pk]),
            {"action": "accept", "version": value.version},
        )
    return client.get(reverse("indicators:evidence", args=[value.pk]))


CELLS = [
    (route, role, expected)
    for route, row in MATRIX.items()
    for role, expected in zip(ROLES, row, strict=True)
]


@pytest.mark.parametrize(("route", "role", "expected"), CELLS, ids=[f"{r}-{o}" for r, o, _ in CELLS])
def test_permission_matrix(client, ind, route, role, expected):
    user = user_for(role, ind)
    if user is not None:
        client.force_login(user)
    response = call(client, route, ind)
    if expected == LOGIN:
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == expected


def test_officer_saves_a_draft_then_submits(client, ind):
    client.force_login(ind.officer)
    row = {"indicator": ind.indicator.pk, **VALUE}
    response = client.post(entry_url(ind), entry_post(ind, [row]))
    assert response.status_code == 302
    value = IndicatorValue.objects.get()
    assert value.state == ValueState.DRAFT
    row["version"] = value.version
    client.post(entry_url(ind), entry_post(ind, [row], action="submit"))
    assert IndicatorValue.objects.get().state == ValueState.SUBMITTED
    page = client.get(entry_url(ind)).content.decode()
    assert "区统计局月报" in page and 'name="form-0-value"' not in page


def test_a_value_without_its_figure_gets_a_clear_error(client, ind):
    client.force_login(ind.officer)
    row = {"indicator": ind.indicator.pk, "value": "", "source": "统计局"}
    response = client.post(entry_url(ind), entry_post(ind, [row]))
    assert response.status_code == 400
    assert "请填写数值" in response.content.decode()
    assert not IndicatorValue.objects.exists()


def test_submit_without_a_source_keeps_the_draft_and_says_why(client, ind):
    client.force_login(ind.officer)
    row = {"indicator": ind.indicator.pk, "value": "7", "source": ""}
    response = client.post(entry_url(ind), entry_post(ind, [row], action="submit"))
    assert response.status_code == 400
    assert "报送前请说明数据来源" in response.content.decode()
    assert IndicatorValue.objects.get().state == ValueState.DRAFT


def test_a_stale_save_keeps_the_typed_values(client, ind):
    client.force_login(ind.officer)
    value = services.save_value(
        indicator=ind.indicator, zone=ind.zone, period=ind.period, user=ind.officer, data=VALUE
    )
    services.save_value(
        indicator=ind.indicator,
        zone=ind.zone,
        period=ind.period,
        user=ind.officer,
        data={**VALUE, "value": "7"},
    )
    row = {"indicator": ind.indicator.pk, "version": value.version, "value": "9.25", "source": "我的来源"}
    response = client.post(entry_url(ind), entry_post(ind, [row]))
    assert response.status_code == 409
    page = response.content.decode()
    assert "您打开页面后，他人已保存该数值" in page
    assert 'value="9.25"' in page and "我的来源" in page
    assert IndicatorValue.objects.get().value == 7
    # The page now carries the newer version, so saving again goes through.
    version = re.search(r'name="form-0-version" value="(\d+)"', page).group(1)
    row["version"] = version
    assert client.post(entry_url(ind), entry_post(ind, [row])).status_code == 302
    assert str(IndicatorValue.objects.get().value).startswith("9.25")


def test_a_rejected_evidence_file_is_named_on_its_row(client, ind):
    client.force_login(ind.officer)
    row = {"indicator": ind.indicator.pk, **VALUE, "evidence": upload(b"MZ not a pdf", "表.pdf")}
    response = client.post(entry_url(ind), entry_post(ind, [row]), headers={"accept-language": "en"})
    assert response.status_code == 400
    assert "its content is not" in response.content.decode()
    # The file is checked before anything is written: the row stays as it was.
    assert not IndicatorValue.objects.exists()


def _fdi(ind):
    return make_indicator(ind.plan, code="fdi", name="实际利用外资累计", unit="亿美元", min_value=0, order=9)


def test_submit_with_a_refused_file_saves_and_submits_nothing_and_says_so_in_red(client, ind):
    """S9: a pressed "submit" with an .exe renamed .pdf never ends as a draft under a green banner."""
    fdi = _fdi(ind)
    client.force_login(ind.officer)
    rows = [
        {"indicator": ind.indicator.pk, "value": "4.6", "source": "海关统计"},
        {
            "indicator": fdi.pk,
            "value": "85.3",
            "source": "商务局",
            "evidence": upload(b"MZ\x90\x00", "外资.pdf"),
        },
    ]
    response = client.post(
        entry_url(ind), entry_post(ind, rows, action="submit"), headers={"accept-language": "en"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    banner = re.search(r'<li class="msg-error">(.*?)</li>', page, re.S).group(1)
    assert "Nothing was saved or submitted" in banner
    assert "外资.pdf" in banner and "实际利用外资累计" in banner and "its content is not" in banner
    assert "msg-success" not in page
    assert 'value="4.6"' in page and 'value="85.3"' in page and "海关统计" in page
    assert not IndicatorValue.objects.exists()


def test_a_refused_file_and_a_bad_value_are_both_shown_in_one_round(client, ind):
    fdi = _fdi(ind)
    client.force_login(ind.officer)
    rows = [
        {
            "indicator": ind.indicator.pk,
            "value": "4.6",
            "source": "海关统计",
            "evidence": upload(b"MZ", "表.pdf"),
        },
        {"indicator": fdi.pk, "value": "-5", "source": "商务局"},
    ]
    response = client.post(
        entry_url(ind), entry_post(ind, rows, action="submit"), headers={"accept-language": "en"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "its content is not" in page and "cannot be below 0 亿美元" in page
    assert not IndicatorValue.objects.exists()


def test_a_negative_cumulative_amount_is_refused_on_its_row(client, ind):
    fdi = _fdi(ind)
    client.force_login(ind.officer)
    rows = [
        {"indicator": ind.indicator.pk, "value": "4.6", "source": "海关统计"},
        {"indicator": fdi.pk, "value": "-5", "source": "商务局"},
    ]
    response = client.post(
        entry_url(ind), entry_post(ind, rows, action="submit"), headers={"accept-language": "en"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "实际利用外资累计 cannot be below 0 亿美元; you entered -5." in page
    assert '<li class="msg-error">Nothing was saved or submitted' in page
    assert 'value="-5"' in page and not IndicatorValue.objects.exists()
    assert "≥ 0 亿美元" in client.get(entry_url(ind)).content.decode()  # the range is shown before typing


def test_a_draft_that_could_not_be_submitted_is_a_warning_not_a_success(client, ind):
    client.force_login(ind.officer)
    row = {"indicator": ind.indicator.pk, "value": "7", "source": ""}
    response = client.post(
        entry_url(ind), entry_post(ind, [row], action="submit"), headers={"accept-language": "en"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert re.search(
        r'<li class="msg-warning">The values were saved as a draft, but nothing was submitted', page
    )
    assert "msg-success" not in page
    assert IndicatorValue.objects.get().state == ValueState.DRAFT


def test_the_queue_names_each_periods_plan_when_there_are_two(client, ind):
    client.force_login(ind.manager)
    url = reverse("indicators:review")
    page = client.get(url, headers={"accept-language": "en"}).content.decode()
    assert f">{ind.period.name}</option>" in page  # one plan: the name alone
    fyp = make_plan(code="ftz-14th-fyp")
    make_period(fyp, ind.today.year, (ind.today.month - 1) // 3 + 1)
    page = client.get(url, headers={"accept-language": "en"}).content.decode()
    assert f">{ind.period.name} · Second batch</option>" in page
    assert f">{ind.period.name} · 14th Five-Year Plan</option>" in page
    assert "· second-batch" not in page and "· ftz-14th-fyp" not in page


def test_the_manager_returns_with_a_note_or_is_told_to_write_one(client, ind):
    value = submitted_value(ind)
    client.force_login(ind.manager)
    url = reverse("indicators:review-value", args=[value.pk])
    response = client.post(url, {"action": "return", "version": value.version}, follow=True)
    assert "退回时请说明需要修改的内容" in response.content.decode()
    assert IndicatorValue.objects.get().state == ValueState.SUBMITTED
    client.post(url, {"action": "return", "note": "口径不符", "version": value.version})
    assert IndicatorValue.objects.get().state == ValueState.RETURNED


def test_the_queue_filters(client, ind):
    submitted_value(ind)
    client.force_login(ind.manager)
    url = reverse("indicators:review")
    assert "地区生产总值增速" in client.get(url).content.decode()
    assert "地区生产总值增速" not in client.get(url, {"zone": "wuqing"}).content.decode()
    assert "地区生产总值增速" not in client.get(url, {"state": "accepted"}).content.decode()
    assert "地区生产总值增速" in client.get(url, {"q": "生产总值", "period": ind.period.pk}).content.decode()


def _values(ind, n):
    zones = list(Zone.objects.filter(plan=ind.plan).order_by("annex_number"))
    for i in range(n):
        indicator = make_indicator(ind.plan, code=f"extra-{i}", target=10)
        zone = zones[i % len(zones)]
        officer = make_user(Role.OFFICER, zones=[zone])
        value = services.save_value(
            indicator=indicator, zone=zone, period=ind.period, user=officer, data=VALUE
        )
        services.submit_value(value=value, user=officer)
        make_indicator(ind.plan, code=f"count-{i}", computation=Computation.OUTCOME_COUNT)


@pytest.mark.parametrize("n", [1, 5])
def test_queue_and_scorecard_query_counts_do_not_grow(client, ind, n, django_assert_num_queries):
    _values(ind, n)
    client.force_login(ind.manager)
    # Session, user and roles, the nav's count of open major matters, then the page's own reads.
    with django_assert_num_queries(9):
        assert client.get(reverse("indicators:review")).status_code == 200
    with django_assert_num_queries(11):
        assert client.get(reverse("indicators:scorecard", args=[ind.zone.code])).status_code == 200
