"""Indicators in Chromium: an officer enters and submits a value, a manager accepts it, and the
zone's scorecard shows it with its trend chart drawn."""

import datetime

import pytest
from django.utils import timezone

from core.roles import Role
from indicators.models import Dimension, Indicator, IndicatorValue
from measures.models import ReportingPeriod
from tests.e2e.test_reporting_loop import sign_in, sign_out
from tests.factories import make_user
from zones.models import Plan, Zone

pytestmark = pytest.mark.e2e


def test_enter_submit_accept_and_see_it_on_the_scorecard(live_server, loaded_plan, page, screenshot):
    plan = Plan.objects.get(code="second-batch")
    today = timezone.localdate()
    period = ReportingPeriod.objects.create(
        plan=plan,
        name="2026年第四季度",
        start=today - datetime.timedelta(days=30),
        end=today + datetime.timedelta(days=30),
        deadline=today + datetime.timedelta(days=45),
    )
    dimension = Dimension.objects.create(plan=plan, name="经济发展", order=2)
    indicator = Indicator.objects.create(
        plan=plan, dimension=dimension, code="gdp-growth", name="地区生产总值增速", unit="%", target=8
    )
    xiqing = Zone.objects.get(code="xiqing")
    make_user(Role.OFFICER, zones=[xiqing], username="li.officer")
    make_user(Role.MANAGER, username="zhao.manager")
    base = live_server.url

    sign_in(page, base, "li.officer")
    page.goto(f"{base}/zones/xiqing/")
    page.click("#zone-indicators")
    page.click(f"a[href='/zones/xiqing/indicators/{period.pk}/']")
    page.fill("#id_form-0-value", "6.5")
    page.fill("#id_form-0-source", "区统计局月报")
    page.click("button[name=action][value=submit]")
    page.wait_for_load_state()
    assert IndicatorValue.objects.get(indicator=indicator).state == "submitted"
    sign_out(page)

    sign_in(page, base, "zhao.manager")
    page.goto(f"{base}/indicators/review/")
    page.click("button[name=action][value=accept]")
    page.wait_for_load_state()
    assert IndicatorValue.objects.get(indicator=indicator).state == "accepted"

    page.goto(f"{base}/zones/xiqing/indicators/")
    row = page.locator(f"#indicator-{indicator.pk}")
    assert "6.5" in row.inner_text()
    assert "81%" in row.inner_text()  # 6.5 of 8
    # Chart.js drew the trend: the canvas has a size and the data table beside it the number.
    assert page.locator(f"#trend-{indicator.pk}").bounding_box()["height"] > 50
    assert "6.5" in page.locator(".ind-trend table").first.inner_text()
    screenshot("indicators-scorecard")
