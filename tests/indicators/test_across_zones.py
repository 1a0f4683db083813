"""Indicators across zones (issue 15): the zones × indicators table agrees with each zone's
scorecard, shows only the zones a user may see, keeps its query count whatever the rows; the
previous value stands beside every value entered or reviewed; /my/ lists the values due."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from indicators import selectors, services
from indicators.choices import Computation
from measures.choices import OutcomeState, OutcomeType
from measures.models import InnovationOutcome
from tests.factories import make_period, make_plan, make_user
from tests.indicators.conftest import VALUE, make_indicator
from zones.models import Zone

pytestmark = pytest.mark.django_db

URL = "/indicators/"


def accepted(ind, zone, period, figure, indicator=None):
    officer = make_user(Role.OFFICER, zones=[zone])
    value = services.save_value(
        indicator=indicator or ind.indicator,
        zone=zone,
        period=period,
        user=officer,
        data={**VALUE, "value": figure},
    )
    value = services.submit_value(value=value, user=officer)
    return services.accept_value(value=value, user=ind.manager)


def an_outcome(zone, user):
    now = timezone.now()
    return InnovationOutcome.objects.create(
        zone=zone,
        title="成果",
        description="说明",
        type=OutcomeType.STRESS_TEST,
        state=OutcomeState.SUBMITTED,
        created_by=user,
        created_at=now,
        updated_at=now,
        submitted_at=now,
    )


@pytest.fixture
def earlier(ind):
    return make_period(ind.plan, ind.today.year, (ind.today.month - 1) // 3 + 1, shift=-1)


def test_the_table_agrees_with_every_zones_scorecard(client, ind, earlier):
    counted = make_indicator(ind.plan, code="outcomes", computation=Computation.OUTCOME_COUNT, target=3)
    accepted(ind, ind.zone, earlier, "5.5")
    accepted(ind, ind.zone, ind.period, "7.0")
    accepted(ind, ind.wuqing, earlier, "9")
    an_outcome(ind.wuqing, ind.manager)
    table = selectors.across_zones(user=ind.manager, plan=ind.plan, period=ind.period, today=ind.today)
    zones = [zone for zone, _cells in table["rows"]]
    assert set(zones) == set(Zone.objects.filter(plan=ind.plan))
    for zone, cells in table["rows"]:
        card = {row.indicator.pk: row for row in selectors.scorecard(zone=zone, today=ind.today)["rows"]}
        for indicator, cell in zip(table["indicators"], cells, strict=True):
            row = card[indicator.pk]
            assert (cell.value, cell.status) == (row.latest, row.status), (zone.code, indicator.code)
    cells = dict(table["rows"])
    by_code = {indicator.code: n for n, indicator in enumerate(table["indicators"])}
    # 武清's latest is from the earlier period, and says so; 西青's the chosen one's.
    assert cells[ind.wuqing][by_code[ind.indicator.code]].period == earlier
    assert str(cells[ind.zone][by_code[ind.indicator.code]].value) in ("7.0", "7.0000", "7")
    assert cells[ind.wuqing][by_code[counted.code]].value == 1


def test_chosen_earlier_period_shows_the_values_up_to_it(ind, earlier):
    accepted(ind, ind.zone, earlier, "5.5")
    accepted(ind, ind.zone, ind.period, "7.0")
    table = selectors.across_zones(user=ind.manager, plan=ind.plan, period=earlier, today=ind.today)
    cell = dict(table["rows"])[ind.zone][0]
    assert float(cell.value) == 5.5 and cell.period == earlier


def test_access_and_scope(client, ind):
    assert client.get(URL).url.startswith(reverse("login"))
    client.force_login(ind.officer)
    response = client.get(URL, {"plan": ind.plan.code})
    assert response.status_code == 200
    assert [zone for zone, _cells in response.context["table"]["rows"]] == [ind.zone]
    assert ind.wuqing.display_name not in response.content.decode().split('id="indicators-across"', 1)[1]
    assert client.get(URL, {"plan": "no-such-plan"}).status_code == 404
    other = make_period(make_plan(), 2026, 1)
    assert client.get(URL, {"plan": ind.plan.code, "period": other.pk}).status_code == 404
    client.force_login(ind.manager)
    response = client.get(URL, {"plan": ind.plan.code, "period": ind.period.pk})
    assert response.status_code == 200
    assert len(response.context["table"]["rows"]) == Zone.objects.filter(plan=ind.plan).count()


def test_table_query_count_is_constant_in_zones_indicators_and_values(client, ind, earlier):
    client.force_login(ind.manager)
    params = {"plan": ind.plan.code, "period": ind.period.pk}

    def counted():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, params).status_code == 200
        return len(captured)

    before = counted()
    for n in range(3):
        indicator = make_indicator(ind.plan, code=f"more-{n}")
        accepted(ind, ind.wuqing, earlier, str(n + 1), indicator=indicator)
    make_indicator(ind.plan, code="share", computation=Computation.TASKS_COMPLETED_SHARE)
    make_indicator(ind.plan, code="count", computation=Computation.OUTCOME_COUNT)
    an_outcome(ind.zone, ind.manager)
    after = counted()
    # Two more, once: the outcome counts and the completed shares (tasks and reports) now that the
    # plan has such indicators; none per zone, indicator or value.
    assert after == before + 3
    assert counted() == after


# --- previous values --------------------------------------------------------------------------


def test_the_entry_form_shows_the_previous_accepted_value(client, ind, earlier):
    accepted(ind, ind.zone, earlier, "5.5")
    client.force_login(ind.officer)
    html = client.get(reverse("indicators:enter", args=[ind.zone.code, ind.period.pk])).content.decode()
    previous = re.search(r'<p class="small ind-previous">(.*?)</p>', html, re.S).group(1)
    assert "5.5" in previous and earlier.name in previous


def test_the_review_queue_shows_the_previous_value_beside_each(client, ind, earlier):
    accepted(ind, ind.zone, earlier, "5.5")
    value = services.save_value(
        indicator=ind.indicator, zone=ind.zone, period=ind.period, user=ind.officer, data=VALUE
    )
    services.submit_value(value=value, user=ind.officer)
    client.force_login(ind.manager)
    response = client.get(reverse("indicators:review"))
    listed = {v.pk: v for v in response.context["values"]}
    assert float(listed[value.pk].previous_value) == 5.5 and listed[value.pk].previous_period == earlier.name
    assert "5.5" in response.content.decode()


# --- values due on /my/ -----------------------------------------------------------------------


def test_my_page_lists_the_values_due_this_period_with_links(client, ind):
    second = make_indicator(ind.plan, code="second", name="实际使用外资")
    make_indicator(ind.plan, code="counted", computation=Computation.OUTCOME_COUNT, name="成果数")
    client.force_login(ind.officer)
    html = client.get("/my/").content.decode()
    due = html.split('id="indicator-values-due"', 1)[1].split("</section>", 1)[0]
    enter = reverse("indicators:enter", args=[ind.zone.code, ind.period.pk])
    assert f'href="{enter}#value-{ind.indicator.pk}"' in due and f'href="{enter}#value-{second.pk}"' in due
    assert "成果数" not in due
    value = services.save_value(
        indicator=ind.indicator, zone=ind.zone, period=ind.period, user=ind.officer, data=VALUE
    )
    # A draft is still due; a submitted value is not.
    assert f"#value-{ind.indicator.pk}" in client.get("/my/").content.decode()
    services.submit_value(value=value, user=ind.officer)
    html = client.get("/my/").content.decode()
    assert f"#value-{ind.indicator.pk}" not in html and f"#value-{second.pk}" in html


def test_the_top_bar_reaches_indicators_for_officers(client, ind):
    client.force_login(ind.officer)
    html = client.get("/my/").content.decode()
    assert f'href="{URL}"' in html
    assert client.get(URL).status_code == 200


def test_values_due_only_for_an_owed_period(ind):
    ind.plan.tracking_start = ind.period.deadline + datetime.timedelta(days=1)
    ind.plan.save(update_fields=["tracking_start"])
    ind.period.plan = ind.plan
    assert selectors.values_due(zone_ids={ind.zone.pk}, periods={ind.plan.pk: ind.period}) == []
