"""The default indicator system: four dimensions per plan, computed indicators and a few entered
defaults for the second-batch plan, and the 14th five-year plan's targets (第二章第五节) from its fixture.

Only missing rows are created: re-running changes nothing, and what an administrator has
edited since (a target, a name, an order) is left as it is.
"""

import json
from decimal import Decimal

from django.db import transaction

from measures.choices import OutcomeType
from zones.models import Plan

from .choices import Computation, Direction
from .models import Dimension, Indicator

# 子牙's 评估指标体系 "涵盖制度创新、经济发展、产业集聚、开放水平等多个维度" (003, 三（三）).
DIMENSIONS = [
    ("制度创新", "Institutional innovation"),
    ("经济发展", "Economic development"),
    ("产业集聚", "Industrial clustering"),
    ("开放水平", "Openness"),
]
SECOND_BATCH = "second-batch"
FIVE_YEAR_PLAN = "ftz-14th-fyp"
DIMENSION_SOURCE = "涵盖制度创新、经济发展、产业集聚、开放水平等多个维度"

SECOND_BATCH_INDICATORS = [
    # code, name, English name, unit, outcome type. Each name says what it counts: the first is
    # every type (named as the five-year plan's total), the others one type each.
    (
        "outcomes-all",
        "制度创新成果（各类合计）",
        "Innovation outcomes, all types",
        "项",
        "",
    ),
    (
        "outcomes-institutional",
        "一般制度创新成果数",
        "Institutional innovation outcomes (that type only)",
        "项",
        OutcomeType.INSTITUTIONAL,
    ),
    (
        "outcomes-first-of-kind",
        "首创性制度创新数",
        "First-of-its-kind innovations",
        "项",
        OutcomeType.FIRST_OF_KIND,
    ),
    ("outcomes-stress-test", "压力测试数", "Stress tests", "项", OutcomeType.STRESS_TEST),
    (
        "outcomes-intl-rules",
        "对接国际高标准经贸规则成果数",
        "Alignment with international rules",
        "项",
        OutcomeType.INTL_RULES,
    ),
]

# Entered defaults for the second batch. The plan names the dimensions but no indicator, so these
# are generic figures every 经开区 reports, marked is_default for an administrator to change. The
# source is the plan's wording each one serves.
SECOND_BATCH_ENTERED = [
    # dimension, code, name, English name, unit, source
    (
        "经济发展",
        "new-enterprises",
        "本期新增注册企业数",
        "Enterprises newly registered in the period",
        "家",
        "健全招商引资激励约束机制",
    ),
    (
        "产业集聚",
        "lead-industry-enterprises",
        "主导产业规模以上企业数（期末）",
        "Lead-industry enterprises above designated size (end of period)",
        "家",
        "成为现代产业集聚、要素高效流动",
    ),
    (
        "开放水平",
        "fdi-ytd",
        "实际利用外资（年内累计）",
        "Foreign direct investment utilised (year to date)",
        "亿美元",
        "吸引境外资本参与重点产业投资",
    ),
    (
        "开放水平",
        "trade-ytd",
        "进出口总额（年内累计）",
        "Total imports and exports (year to date)",
        "亿元",
        "服务开拓国际市场，扩大出口额",
    ),
]

# The plan calls the 200 "制度创新成果" and the three after it "其中" (of which): the name says it
# is the total, so it is not read as the one outcome type of the same name.
FYP_NAMES = {"institutional-innovations": "制度创新成果（各类合计）"}

# Allowed ranges (lowest, highest) of the five-year plan's indicators: amounts, counts and shares
# cannot be negative, a share cannot pass 100; a growth rate (外贸进出口年均增速) can be negative.
ZERO, HUNDRED = Decimal(0), Decimal(100)
FYP_RANGES = {
    "institutional-innovations": (ZERO, None),
    "first-of-a-kind-innovations": (ZERO, None),
    "stress-tests": (ZERO, None),
    "rule-alignment-innovations": (ZERO, None),
    "foreign-trade-growth": (None, None),
    "fdi-utilised": (ZERO, None),
    "belt-and-road-trade-share": (ZERO, HUNDRED),
}

# The five-year plan's targets: where each sits, and which are counted from the register.
# 制度创新成果 200项 counts every type: the plan says "其中" (of which) for the three after it.
FYP_TARGETS = {
    "institutional-innovations": ("制度创新", Computation.OUTCOME_COUNT, ""),
    "first-of-a-kind-innovations": ("制度创新", Computation.OUTCOME_COUNT, OutcomeType.FIRST_OF_KIND),
    "stress-tests": ("制度创新", Computation.OUTCOME_COUNT, OutcomeType.STRESS_TEST),
    "rule-alignment-innovations": ("制度创新", Computation.OUTCOME_COUNT, OutcomeType.INTL_RULES),
    "foreign-trade-growth": ("经济发展", Computation.MANUAL, ""),
    "fdi-utilised": ("开放水平", Computation.MANUAL, ""),
    "belt-and-road-trade-share": ("开放水平", Computation.MANUAL, ""),
}


def _indicator(plan, code, counts, **fields):
    if Indicator.objects.filter(plan=plan, code=code).exists():
        counts["indicators kept"] += 1
        return
    indicator = Indicator(plan=plan, code=code, **fields)
    indicator.full_clean()
    indicator.save()
    counts["indicators created"] += 1


def _dimensions(plan, counts):
    dimensions = {}
    for order, (name, name_en) in enumerate(DIMENSIONS, start=1):
        dimension, created = Dimension.objects.get_or_create(
            plan=plan, name=name, defaults={"name_en": name_en, "order": order}
        )
        counts["dimensions created" if created else "dimensions kept"] += 1
        dimensions[name] = dimension
    return dimensions


def _second_batch(plan, dimensions, counts):
    innovation = dimensions["制度创新"]
    for order, (code, name, name_en, unit, outcome_type) in enumerate(SECOND_BATCH_INDICATORS):
        _indicator(
            plan,
            code,
            counts,
            dimension=innovation,
            name=name,
            name_en=name_en,
            unit=unit,
            direction=Direction.HIGHER,
            computation=Computation.OUTCOME_COUNT,
            outcome_type=outcome_type,
            source_ref="定期梳理报送改革创新经验和成果",
            min_value=ZERO,
            order=order,
        )
    _indicator(
        plan,
        "tasks-completed-share",
        counts,
        dimension=innovation,
        name="任务完成率",
        name_en="Share of tasks completed",
        unit="%",
        direction=Direction.HIGHER,
        computation=Computation.TASKS_COMPLETED_SHARE,
        target=Decimal(100),
        source_ref="及时总结评估任务落实成效",
        min_value=ZERO,
        max_value=HUNDRED,
        order=len(SECOND_BATCH_INDICATORS) + 1,
    )
    for order, (dimension, code, name, name_en, unit, source) in enumerate(SECOND_BATCH_ENTERED, start=1):
        _indicator(
            plan,
            code,
            counts,
            dimension=dimensions[dimension],
            name=name,
            name_en=name_en,
            unit=unit,
            direction=Direction.HIGHER,
            computation=Computation.MANUAL,
            source_ref=source,
            min_value=ZERO,
            is_default=True,
            order=order,
        )


def _five_year_targets(plan, dimensions, targets_path, counts):
    document = json.loads(targets_path.read_text(encoding="utf-8"))
    if document["plan"] != plan.code:
        raise ValueError(f"{targets_path} is for plan {document['plan']}, not {plan.code}")
    for order, target in enumerate(document["targets"], start=1):
        if target["code"] not in FYP_TARGETS:
            raise ValueError(f"{targets_path}: no dimension is set for target {target['code']!r}")
        dimension, computation, outcome_type = FYP_TARGETS[target["code"]]
        _indicator(
            plan,
            target["code"],
            counts,
            dimension=dimensions[dimension],
            name=FYP_NAMES.get(target["code"], target["name"]),
            unit=target["unit"],
            direction=Direction.HIGHER,
            target=Decimal(target["value"]),
            target_year=target["target_year"],
            source_ref=f"{target['source_ref']}：{target['sentence']}",
            computation=computation,
            outcome_type=outcome_type,
            min_value=FYP_RANGES[target["code"]][0],
            max_value=FYP_RANGES[target["code"]][1],
            order=order,
        )


@transaction.atomic
def load_indicators(*, targets_path):
    """Create what is missing; returns a Counter-like dict of what was created and kept."""
    counts = dict.fromkeys(
        ["dimensions created", "dimensions kept", "indicators created", "indicators kept"], 0
    )
    for plan in Plan.objects.order_by("code"):
        dimensions = _dimensions(plan, counts)
        if plan.code == SECOND_BATCH:
            _second_batch(plan, dimensions, counts)
        elif plan.code == FIVE_YEAR_PLAN:
            _five_year_targets(plan, dimensions, targets_path, counts)
    return counts
