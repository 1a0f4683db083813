"""The indicator review findings in Chromium: a submit with a refused file and a negative total is
an error with nothing saved (S9); a 2025 target read in 2026 says met or missed (S11); a count chart
has whole-number ticks (S10)."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from core.roles import Role
from indicators import services
from indicators.models import Indicator, IndicatorValue
from measures.choices import OutcomeState, OutcomeType
from measures.models import InnovationOutcome, ReportingPeriod
from tests.e2e.test_reporting_loop import sign_in
from tests.factories import make_user
from zones.models import Plan, Zone

pytestmark = pytest.mark.e2e


def _period(plan, start, end):
    return ReportingPeriod.objects.create(
        plan=plan,
        name=f"{start.year}年第{(start.month - 1) // 3 + 1}季度",
        start=start,
        end=end,
        deadline=end + datetime.timedelta(days=15),
    )


def test_entry_errors_and_the_scorecard_after_the_target_year(
    live_server, loaded_plan, page, screenshot, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    call_command("load_plan", str(settings.PLAN_FIXTURE_DIR / "ftz-14th-fyp.json"), stdout=StringIO())
    call_command("load_indicators", stdout=StringIO())
    plan = Plan.objects.get(code="ftz-14th-fyp")
    today = timezone.localdate()
    old = _period(plan, datetime.date(2025, 10, 1), datetime.date(2025, 12, 31))
    current = _period(plan, today - datetime.timedelta(days=30), today + datetime.timedelta(days=30))
    whole = Zone.objects.get(code="tianjin-ftz")
    officer = make_user(Role.OFFICER, zones=[whole], username="ftz.officer")
    manager = make_user(Role.MANAGER, username="zhao.manager")
    fdi = Indicator.objects.get(plan=plan, code="fdi-utilised")
    trade = Indicator.objects.get(plan=plan, code="foreign-trade-growth")
    for indicator, period, figure in [(fdi, old, "85.3"), (fdi, current, "101"), (trade, old, "4.6")]:
        value = services.save_value(
            indicator=indicator,
            zone=whole,
            period=period,
            user=officer,
            data={"value": figure, "source": "统计局"},
        )
        services.accept_value(value=services.submit_value(value=value, user=officer), user=manager)
    now = timezone.now()
    InnovationOutcome.objects.create(
        zone=whole,
        title="成果",
        description="说明",
        type=OutcomeType.FIRST_OF_KIND,
        state=OutcomeState.SUBMITTED,
        created_by=officer,
        created_at=now,
        updated_at=now,
        submitted_at=now,
    )
    base = live_server.url

    sign_in(page, base, "ftz.officer")
    page.goto(f"{base}/zones/tianjin-ftz/indicators/")
    fdi_row = page.locator(f"#indicator-{fdi.pk}").inner_text()
    assert "Towards target" not in fdi_row and "朝目标推进" not in fdi_row
    assert "2025年第4季度" in fdi_row  # the value it was judged on is named
    screenshot("indicators-after-target-year")
    # Whole-number ticks on a count chart: Chart.js exposes the drawn ticks.
    ticks = page.evaluate(
        "id => Chart.getChart(document.getElementById(id)).scales.y.ticks.map(t => t.value)",
        f"trend-{Indicator.objects.get(plan=plan, code='first-of-a-kind-innovations').pk}",
    )
    assert ticks and all(float(t).is_integer() for t in ticks)

    page.goto(f"{base}/zones/tianjin-ftz/indicators/{current.pk}/")
    rows = page.locator("fieldset.ind-row")
    trade_row = rows.filter(has_text="外贸进出口年均增速")
    new_fdi = IndicatorValue.objects.filter(period=current, indicator=fdi)
    assert new_fdi.exists()  # accepted: shown, not editable
    trade_row.locator("input[name$=-value]").fill("4.6")
    trade_row.locator("input[name$=-source]").fill("海关统计")
    share_row = rows.filter(has_text="贸易额占比")
    share_row.locator("input[name$=-value]").fill("-5")
    share_row.locator("input[name$=-source]").fill("商务局")
    bad = tmp_path / "统计表.pdf"
    bad.write_bytes(b"MZ\x90\x00 this is a program")
    trade_row.locator("input[type=file]").set_input_files(str(bad))
    page.click("button[name=action][value=submit]")
    page.wait_for_load_state()
    banner = page.locator(".messages li.msg-error").inner_text()
    assert "统计表.pdf" in banner
    assert page.locator(".messages li.msg-success").count() == 0
    assert trade_row.locator("input[name$=-value]").input_value() == "4.6"
    assert not IndicatorValue.objects.filter(period=current).exclude(indicator=fdi).exists()
    # The negative share is refused on its row in the same round, and still nothing is saved.
    assert "0" in share_row.locator(".field-error").inner_text()
    screenshot("indicators-entry-refused-file")
    assert Decimal(str(IndicatorValue.objects.get(period=old, indicator=fdi).value)) == Decimal("85.3")


def test_a_second_batch_zone_has_defaults_to_enter(live_server, loaded_plan, page, screenshot):
    call_command("load_indicators", stdout=StringIO())
    plan = Plan.objects.get(code="second-batch")
    today = timezone.localdate()
    period = _period(plan, today - datetime.timedelta(days=30), today + datetime.timedelta(days=30))
    make_user(Role.OFFICER, zones=[Zone.objects.get(code="xiqing")], username="li.officer")
    base = live_server.url
    sign_in(page, base, "li.officer")
    page.goto(f"{base}/zones/xiqing/indicators/")
    assert page.locator(".badge.ind-default").count() == 4
    screenshot("indicators-second-batch-scorecard")
    page.goto(f"{base}/zones/xiqing/indicators/{period.pk}/")
    assert page.locator("fieldset.ind-row").count() == 4
    screenshot("indicators-second-batch-entry")
