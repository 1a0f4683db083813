"""load_indicators against the sources: the four dimensions, the second-batch defaults, and the
five-year plan's seven targets (004, 第二章第五节) as written."""

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from indicators import selectors
from indicators.choices import Computation, Direction
from indicators.models import Dimension, Indicator
from measures.choices import OutcomeState, OutcomeType
from measures.models import InnovationOutcome
from tests.conftest import SOURCE_DIR, squash
from tests.factories import make_user
from tests.indicators.conftest import make_period
from zones.models import Plan, Zone
from zones.roles import Role

pytestmark = pytest.mark.django_db

FYP_SOURCE = next(SOURCE_DIR.glob("004_*.txt"))
ZIYA_SOURCE = next(SOURCE_DIR.glob("003_*.txt"))

# Written out by hand from 第二章第五节, so the fixture and the loader are both checked against the plan.
EXPECTED = {
    "institutional-innovations": ("制度创新成果", "200", "项", Computation.OUTCOME_COUNT, ""),
    "first-of-a-kind-innovations": (
        "首创性制度创新",
        "25",
        "项",
        Computation.OUTCOME_COUNT,
        OutcomeType.FIRST_OF_KIND,
    ),
    "stress-tests": ("重点领域压力测试", "30", "项", Computation.OUTCOME_COUNT, OutcomeType.STRESS_TEST),
    "rule-alignment-innovations": (
        "主动衔接国际高水平经贸规则制度创新",
        "20",
        "项",
        Computation.OUTCOME_COUNT,
        OutcomeType.INTL_RULES,
    ),
    "foreign-trade-growth": ("外贸进出口年均增速", "4", "%", Computation.MANUAL, ""),
    "fdi-utilised": ("实际利用外资累计", "100", "亿美元", Computation.MANUAL, ""),
    "belt-and-road-trade-share": ("与“一带一路”相关国家和地区贸易额占比", "45", "%", Computation.MANUAL, ""),
}


@pytest.fixture
def both_plans():
    call_command("load_plan", str(settings.PLAN_FIXTURE_DIR / "ftz-14th-fyp.json"), stdout=StringIO())
    out = StringIO()
    call_command("load_indicators", stdout=out)
    return out.getvalue()


def test_every_plan_gets_the_four_dimensions_named_by_ziya(both_plans):
    assert "涵盖制度创新、经济发展、产业集聚、开放水平等多个维度" in squash(
        ZIYA_SOURCE.read_text(encoding="utf-8")
    )
    for plan in Plan.objects.all():
        names = list(Dimension.objects.filter(plan=plan).order_by("order").values_list("name", flat=True))
        assert names == ["制度创新", "经济发展", "产业集聚", "开放水平"]


def test_the_seven_targets_are_loaded_as_written(both_plans):
    source = squash(FYP_SOURCE.read_text(encoding="utf-8"))
    section = source[source.index("第五节发展目标") : source.index("第三章")]
    indicators = {
        i.code: i for i in Indicator.objects.filter(plan__code="ftz-14th-fyp").select_related("dimension")
    }
    assert set(indicators) == set(EXPECTED)
    for code, (name, target, unit, computation, outcome_type) in EXPECTED.items():
        indicator = indicators[code]
        assert (indicator.name, indicator.target, indicator.unit) == (name, Decimal(target), unit)
        assert (indicator.computation, indicator.outcome_type) == (computation, outcome_type)
        assert (indicator.target_year, indicator.direction) == (2025, Direction.HIGHER)
        reference, sentence = indicator.source_ref.split("：", 1)
        assert re.fullmatch(r"第二章第五节第\d段", reference)
        assert sentence in section
        assert f"{target}{unit}" in sentence or f"{target}项" in sentence
    assert indicators["institutional-innovations"].dimension.name == "制度创新"
    assert indicators["fdi-utilised"].dimension.name == "开放水平"


def test_the_second_batch_plan_gets_computed_defaults(both_plans):
    codes = dict(Indicator.objects.filter(plan__code="second-batch").values_list("code", "computation"))
    assert codes == {
        "outcomes-institutional": Computation.OUTCOME_COUNT,
        "outcomes-first-of-kind": Computation.OUTCOME_COUNT,
        "outcomes-stress-test": Computation.OUTCOME_COUNT,
        "outcomes-intl-rules": Computation.OUTCOME_COUNT,
        "tasks-completed-share": Computation.TASKS_COMPLETED_SHARE,
    }
    assert (
        not Indicator.objects.filter(plan__code="second-batch").exclude(dimension__name="制度创新").exists()
    )


def test_running_again_changes_nothing(both_plans):
    Indicator.objects.filter(code="fdi-utilised").update(target=Decimal(120))  # an administrator's edit
    before = list(Indicator.objects.order_by("pk").values())
    dimensions = list(Dimension.objects.order_by("pk").values())
    out = StringIO()
    call_command("load_indicators", stdout=out)
    assert "0 dimensions created" in out.getvalue() and "0 indicators created" in out.getvalue()
    assert list(Indicator.objects.order_by("pk").values()) == before
    assert list(Dimension.objects.order_by("pk").values()) == dimensions


def test_the_whole_ftz_counts_the_register_against_the_200_target(both_plans):
    plan = Plan.objects.get(code="ftz-14th-fyp")
    whole = Zone.objects.get(code="tianjin-ftz")
    area = plan.zones.exclude(pk=whole.pk).first()
    today = timezone.localdate()
    make_period(plan, today.year, (today.month - 1) // 3 + 1)
    user = make_user(Role.ADMINISTRATOR)
    now = timezone.now()
    for zone, type in [
        (whole, OutcomeType.FIRST_OF_KIND),
        (area, OutcomeType.STRESS_TEST),
        (area, OutcomeType.INSTITUTIONAL),
    ]:
        InnovationOutcome.objects.create(
            zone=zone,
            title="成果",
            description="说明",
            type=type,
            state=OutcomeState.SUBMITTED,
            created_by=user,
            created_at=now,
            updated_at=now,
            submitted_at=now,
        )
    rows = {row.indicator.code: row for row in selectors.scorecard(zone=whole)["rows"]}
    register = InnovationOutcome.objects.filter(zone__plan=plan).exclude(state=OutcomeState.DRAFT)
    assert rows["institutional-innovations"].latest == register.count() == 3
    assert (
        rows["first-of-a-kind-innovations"].latest == register.filter(type=OutcomeType.FIRST_OF_KIND).count()
    )
    assert rows["institutional-innovations"].percent == 2  # 3 of 200, rounded
