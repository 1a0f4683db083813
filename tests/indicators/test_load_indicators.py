"""load_indicators against the sources: the four dimensions, the second-batch defaults, and the
five-year plan's seven targets (004, 第二章第五节) as written."""

import importlib
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from core.roles import Role
from indicators import selectors
from indicators.choices import Computation, Direction
from indicators.models import Dimension, Indicator
from indicators.seeding import FYP_NAMES
from measures.choices import OutcomeState, OutcomeType
from measures.models import InnovationOutcome
from tests.conftest import SOURCE_DIR, require_sources, squash
from tests.factories import make_period, make_user
from zones.models import Plan, Zone

pytestmark = pytest.mark.django_db

FYP_SOURCE = SOURCE_DIR / "004_6f279094ef53df13.txt"
ZIYA_SOURCE = SOURCE_DIR / "003_75cbf884333c7980.txt"

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
    require_sources(ZIYA_SOURCE)
    assert "涵盖制度创新、经济发展、产业集聚、开放水平等多个维度" in squash(
        ZIYA_SOURCE.read_text(encoding="utf-8")
    )
    for plan in Plan.objects.all():
        names = list(Dimension.objects.filter(plan=plan).order_by("order").values_list("name", flat=True))
        assert names == ["制度创新", "经济发展", "产业集聚", "开放水平"]


def test_the_seven_targets_are_loaded_as_written(both_plans):
    require_sources(FYP_SOURCE)
    source = squash(FYP_SOURCE.read_text(encoding="utf-8"))
    section = source[source.index("第五节发展目标") : source.index("第三章")]
    indicators = {
        i.code: i for i in Indicator.objects.filter(plan__code="ftz-14th-fyp").select_related("dimension")
    }
    assert set(indicators) == set(EXPECTED)
    for code, (name, target, unit, computation, outcome_type) in EXPECTED.items():
        indicator = indicators[code]
        # The plan's term, with what it counts where the term alone is ambiguous (制度创新成果 is the total).
        assert indicator.name == FYP_NAMES.get(code, name) and indicator.name.startswith(name)
        assert (indicator.target, indicator.unit) == (Decimal(target), unit)
        assert (indicator.computation, indicator.outcome_type) == (computation, outcome_type)
        assert (indicator.target_year, indicator.direction) == (2025, Direction.HIGHER)
        reference, sentence = indicator.source_ref.split("：", 1)
        assert re.fullmatch(r"第二章第五节第\d段", reference)
        assert sentence in section
        assert f"{target}{unit}" in sentence or f"{target}项" in sentence
    assert indicators["institutional-innovations"].dimension.name == "制度创新"
    assert indicators["fdi-utilised"].dimension.name == "开放水平"


def test_the_second_batch_plan_gets_computed_defaults(both_plans):
    codes = dict(
        Indicator.objects.filter(plan__code="second-batch")
        .exclude(computation=Computation.MANUAL)
        .values_list("code", "computation")
    )
    assert codes == {
        "outcomes-all": Computation.OUTCOME_COUNT,
        "outcomes-institutional": Computation.OUTCOME_COUNT,
        "outcomes-first-of-kind": Computation.OUTCOME_COUNT,
        "outcomes-stress-test": Computation.OUTCOME_COUNT,
        "outcomes-intl-rules": Computation.OUTCOME_COUNT,
        "tasks-completed-share": Computation.TASKS_COMPLETED_SHARE,
    }
    computed = Indicator.objects.filter(plan__code="second-batch").exclude(computation=Computation.MANUAL)
    assert not computed.exclude(dimension__name="制度创新").exists()


def test_the_second_batch_zones_get_entered_defaults_in_the_other_dimensions(both_plans):
    require_sources(ZIYA_SOURCE)
    source = squash(ZIYA_SOURCE.read_text(encoding="utf-8"))
    entered = Indicator.objects.filter(plan__code="second-batch", computation=Computation.MANUAL)
    assert set(entered.values_list("dimension__name", flat=True)) == {"经济发展", "产业集聚", "开放水平"}
    assert {"实际利用外资（年内累计）", "进出口总额（年内累计）", "本期新增注册企业数"} <= set(
        entered.values_list("name", flat=True)
    )
    for indicator in entered:
        # Not in the plan, so marked as a default; the plan's wording each serves is quoted as written.
        assert indicator.is_default and indicator.min_value == 0 and indicator.target is None
        assert indicator.source_ref in source
    assert not Indicator.objects.filter(is_default=True).exclude(computation=Computation.MANUAL).exists()


def test_each_outcome_count_name_says_what_it_counts(both_plans):
    counts = Indicator.objects.filter(computation=Computation.OUTCOME_COUNT)
    meaning = {}
    for indicator in counts:
        meaning.setdefault(indicator.name, set()).add(indicator.outcome_type)
    # One name, one meaning, across both plans.
    assert all(len(types) == 1 for types in meaning.values()), meaning
    totals = counts.filter(outcome_type="")
    # The total has the same name in both plans, and it says it is the total.
    assert totals.count() == 2 and {i.name for i in totals} == {"制度创新成果（各类合计）"}
    assert counts.get(plan__code="second-batch", code="outcomes-institutional").name == "一般制度创新成果数"


def test_amounts_counts_and_shares_cannot_be_negative_but_a_growth_rate_can(both_plans):
    ranges = {i.code: (i.min_value, i.max_value) for i in Indicator.objects.filter(plan__code="ftz-14th-fyp")}
    assert ranges["fdi-utilised"] == (0, None)
    assert ranges["institutional-innovations"] == (0, None)
    assert ranges["belt-and-road-trade-share"] == (0, 100)
    assert ranges["foreign-trade-growth"] == (None, None)


def test_the_migration_gives_earlier_installs_the_ranges_and_names(both_plans):
    """Rows loaded before 0002 had no range and the old names; an administrator's rename stays."""
    migration = importlib.import_module("indicators.migrations.0002_allowed_range_and_defaults")
    Indicator.objects.update(min_value=None, max_value=None)
    Indicator.objects.filter(code="outcomes-institutional").update(name="制度创新成果数")
    Indicator.objects.filter(code="institutional-innovations").update(name="我们的叫法")
    migration.forwards(django_apps, None)
    fdi = Indicator.objects.get(code="fdi-utilised")
    assert (fdi.min_value, fdi.max_value) == (0, None)
    assert Indicator.objects.get(code="belt-and-road-trade-share").max_value == 100
    assert Indicator.objects.get(code="outcomes-institutional").name == "一般制度创新成果数"
    assert Indicator.objects.get(code="institutional-innovations").name == "我们的叫法"


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
