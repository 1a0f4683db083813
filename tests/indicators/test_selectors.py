"""Computed indicators against the records they count, standing against targets, query counts."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from core.roles import Role
from indicators import selectors, services
from indicators.choices import Computation, Direction, Status, ValueState
from indicators.models import Indicator, IndicatorValue
from measures import services as measures_services
from measures.choices import OutcomeState, OutcomeType, TaskStatus
from measures.models import InnovationOutcome
from tests.factories import make_period, make_plan, make_task, make_user, make_zone
from tests.indicators.conftest import VALUE, make_indicator
from zones.choices import ZoneKind

pytestmark = pytest.mark.django_db


def at(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def outcome(zone, user, type, state=OutcomeState.SUBMITTED, submitted=None):
    now = timezone.now()
    return InnovationOutcome.objects.create(
        zone=zone,
        title="成果",
        description="说明",
        type=type,
        state=state,
        created_by=user,
        created_at=now,
        updated_at=now,
        submitted_at=None if state == OutcomeState.DRAFT else (submitted or now),
    )


@pytest.fixture
def two_quarters():
    plan = make_plan()
    zone = make_zone(plan)
    q1, q2 = make_period(plan, 2025, 1), make_period(plan, 2025, 2)
    return plan, zone, q1, q2


def count_indicator(plan, outcome_type=""):
    return make_indicator(
        plan,
        code=f"count-{outcome_type or 'all'}",
        computation=Computation.OUTCOME_COUNT,
        outcome_type=outcome_type,
    )


def test_the_outcome_count_equals_the_register(two_quarters):
    plan, zone, q1, q2 = two_quarters
    user = make_user(Role.OFFICER, zones=[zone])
    in_q1, in_q2 = at(q1.end), at(q2.start)
    for state in [
        OutcomeState.SUBMITTED,
        OutcomeState.EVALUATED,
        OutcomeState.RECOMMENDED,
        OutcomeState.NOT_RECOMMENDED,
    ]:
        outcome(zone, user, OutcomeType.STRESS_TEST, state, submitted=in_q1)
    outcome(zone, user, OutcomeType.FIRST_OF_KIND, submitted=in_q2)
    outcome(zone, user, OutcomeType.STRESS_TEST, OutcomeState.DRAFT)
    outcome(make_zone(plan), user, OutcomeType.STRESS_TEST, submitted=in_q1)  # another zone
    stress, every = count_indicator(plan, OutcomeType.STRESS_TEST), count_indicator(plan)
    values = selectors.computed_values(indicators=[stress, every], zone=zone, periods=[q1, q2])

    for period in (q1, q2):
        register = InnovationOutcome.objects.filter(
            zone=zone, submitted_at__lt=selectors.cutoff(period)
        ).exclude(state=OutcomeState.DRAFT)
        assert values[every.pk][period.pk] == register.count()
        assert values[stress.pk][period.pk] == register.filter(type=OutcomeType.STRESS_TEST).count()
    assert values[stress.pk] == {q1.pk: 4, q2.pk: 4}
    assert values[every.pk] == {q1.pk: 4, q2.pk: 5}


def test_the_whole_ftz_counts_every_zone_of_its_plan(two_quarters):
    plan, zone, q1, _q2 = two_quarters
    whole = make_zone(plan, kind=ZoneKind.WHOLE_FTZ)
    user = make_user(Role.ADMINISTRATOR)
    outcome(zone, user, OutcomeType.INTL_RULES, submitted=at(q1.start))
    outcome(make_zone(), user, OutcomeType.INTL_RULES, submitted=at(q1.start))  # another plan
    every = count_indicator(plan)
    assert selectors.computed_values(indicators=[every], zone=whole, periods=[q1])[every.pk] == {q1.pk: 1}


def report(task, period, user, status, submit=True):
    data = {
        "status": status,
        "percent_complete": 100 if status == TaskStatus.COMPLETED else 50,
        "progress": "进展",
    }
    value = measures_services.save_report(task=task, period=period, user=user, data=data)
    return measures_services.submit_report(report=value, user=user) if submit else value


def test_share_of_tasks_completed_reads_the_latest_submitted_report(two_quarters):
    plan, zone, q1, q2 = two_quarters
    user = make_user(Role.OFFICER, zones=[zone])
    done_early, done_later, draft_only, _silent = (make_task(zone) for _ in range(4))
    report(done_early, q1, user, TaskStatus.COMPLETED)
    report(done_later, q1, user, TaskStatus.ON_TRACK)
    report(done_later, q2, user, TaskStatus.COMPLETED)
    report(draft_only, q2, user, TaskStatus.COMPLETED, submit=False)
    share = make_indicator(plan, code="share", computation=Computation.TASKS_COMPLETED_SHARE)
    values = selectors.computed_values(indicators=[share], zone=zone, periods=[q2, q1])
    assert values[share.pk] == {q1.pk: Decimal("25.0"), q2.pk: Decimal("50.0")}


@pytest.mark.parametrize(
    ("direction", "baseline", "target", "value", "status", "percent"),
    [
        (Direction.HIGHER, None, 200, 50, Status.PROGRESSING, 25),
        (Direction.HIGHER, None, 200, 250, Status.MET, 100),
        (Direction.HIGHER, 100, 200, 150, Status.PROGRESSING, 50),
        (Direction.HIGHER, 100, 200, 80, Status.BEHIND, 0),
        (Direction.LOWER, 10, 5, 7.5, Status.PROGRESSING, 50),
        (Direction.LOWER, 10, 5, 4, Status.MET, 100),
        (Direction.LOWER, 10, 5, 12, Status.BEHIND, 0),
        (Direction.HIGHER, None, None, 3, Status.NO_TARGET, None),
        (Direction.HIGHER, None, 10, None, Status.NO_DATA, None),
    ],
)
def test_standing_reads_the_direction(direction, baseline, target, value, status, percent):
    indicator = Indicator(
        direction=direction,
        baseline=None if baseline is None else Decimal(baseline),
        target=None if target is None else Decimal(target),
    )
    assert selectors.standing(indicator, None if value is None else Decimal(str(value))) == (status, percent)


def _card_world(n):
    """A zone with `n` indicators of each kind, a period begun, and accepted values."""
    plan = make_plan()
    zone = make_zone(plan)
    today = timezone.localdate()
    period = make_period(plan, today.year, (today.month - 1) // 3 + 1)
    officer, manager = make_user(Role.OFFICER, zones=[zone]), make_user(Role.MANAGER)
    for i in range(n):
        make_indicator(plan, code=f"count-{i}", computation=Computation.OUTCOME_COUNT)
        make_indicator(plan, code=f"share-{i}", computation=Computation.TASKS_COMPLETED_SHARE)
        manual = make_indicator(plan, code=f"manual-{i}", target=10)
        value = services.save_value(indicator=manual, zone=zone, period=period, user=officer, data=VALUE)
        services.accept_value(value=services.submit_value(value=value, user=officer), user=manager)
        task = make_task(zone)
        report(task, period, officer, TaskStatus.COMPLETED)
        outcome(zone, officer, OutcomeType.STRESS_TEST)
    return zone


@pytest.mark.parametrize("n", [1, 4])
def test_the_scorecard_reads_in_a_fixed_number_of_queries(n, django_assert_num_queries):
    zone = _card_world(n)
    with django_assert_num_queries(7):
        card = selectors.scorecard(zone=zone)
    assert len(card["rows"]) == 3 * n
    latest = {row.indicator.code: row.latest for row in card["rows"]}
    assert (
        latest["count-0"] == n
        and latest["share-0"] == Decimal("100.0")
        and latest["manual-0"] == Decimal("6.5")
    )


def _period(year, quarter):
    """A stand-in period: verdict reads only its end and name."""
    end = datetime.date(year, quarter * 3, 28)
    name = f"{year}年第{quarter}季度"
    return type("P", (), {"end": end, "name": name, "display_name": name})()


FDI = Indicator(direction=Direction.HIGHER, target=Decimal(100), target_year=2025)


@pytest.mark.parametrize(
    ("values", "status", "percent", "note"),
    [
        # The last value in 2025 decides, whatever came after.
        ({(2025, 3): 90, (2025, 4): 100, (2026, 4): 80}, Status.MET_BY_YEAR, 100, "2025年第4季度"),
        ({(2025, 4): 85.3, (2026, 4): 120}, Status.MISSED, 85, "2025年第4季度"),
        # No value in 2025: the latest decides, and the note says so.
        ({(2026, 3): 85.3}, Status.MISSED, 85, "2025年无数值"),
        ({(2026, 3): 85.3, (2026, 4): 101}, Status.MET_LATE, 100, "2026年第4季度"),
        ({}, Status.NO_DATA, None, "目标年份 2025 年已过，但没有数值"),
    ],
)
def test_after_the_target_year_the_target_was_met_or_missed_by_then(values, status, percent, note):
    quarters = [(2025, 3), (2025, 4), (2026, 3), (2026, 4)]
    series = [(_period(*q), None if q not in values else Decimal(str(values[q]))) for q in quarters]
    got_status, got_percent, got_note = selectors.verdict(FDI, series, datetime.date(2026, 11, 21))
    assert (got_status, got_percent) == (status, percent)
    assert note in got_note
    assert Status(got_status).label != Status.PROGRESSING.label


def test_within_the_target_year_it_is_still_towards_the_target():
    series = [(_period(2025, 3), Decimal("85.3"))]
    assert selectors.verdict(FDI, series, datetime.date(2025, 11, 21)) == (Status.PROGRESSING, 85, "")


def test_count_charts_are_marked_for_whole_number_ticks(ind):
    count = make_indicator(ind.plan, code="outcomes", unit="项", computation=Computation.OUTCOME_COUNT)
    firms = make_indicator(ind.plan, code="firms", unit="家")
    chart = selectors.chart_data(selectors.scorecard(zone=ind.zone))
    integer = {row["id"]: row["integer"] for row in chart["indicators"]}
    assert integer == {ind.indicator.pk: False, count.pk: True, firms.pk: True}


def _card(rows):
    return [(r.indicator.pk, r.series, r.latest, r.latest_period, r.status, r.percent, r.note) for r in rows]


def test_scorecard_rows_of_every_zone_equal_each_zones_scorecard(two_quarters, django_assert_num_queries):
    """The stocktake pack reads every zone's scorecard at once; the figures must be scorecard()'s,
    the whole FTZ counting every zone, in the same number of queries for 3 zones as for 1."""
    plan, zone, q1, q2 = two_quarters
    other, whole = make_zone(plan), make_zone(plan, kind=ZoneKind.WHOLE_FTZ)
    user = make_user(Role.ADMINISTRATOR)
    officer = make_user(Role.OFFICER, zones=[zone, other, whole])
    outcome(zone, user, OutcomeType.STRESS_TEST, submitted=at(q1.end))
    outcome(other, user, OutcomeType.FIRST_OF_KIND, submitted=at(q2.start))
    outcome(whole, user, OutcomeType.STRESS_TEST, submitted=at(q2.start))
    outcome(make_zone(), user, OutcomeType.STRESS_TEST, submitted=at(q1.start))  # another plan
    tasks = [make_task(z) for z in (zone, zone, other, whole)]
    report(tasks[0], q1, officer, TaskStatus.COMPLETED)
    report(tasks[0], q2, officer, TaskStatus.ON_TRACK)  # completed, then not any more
    report(tasks[1], q2, officer, TaskStatus.COMPLETED)
    report(tasks[2], q1, officer, TaskStatus.COMPLETED)
    report(tasks[3], q2, officer, TaskStatus.COMPLETED, submit=False)
    count_indicator(plan, OutcomeType.STRESS_TEST), count_indicator(plan)
    make_indicator(plan, code="share", computation=Computation.TASKS_COMPLETED_SHARE, target=80)
    manual = make_indicator(plan, code="manual", target=10, baseline=0)
    for where, period, value, state in (
        (zone, q1, "4", ValueState.ACCEPTED),
        (other, q2, "12", ValueState.ACCEPTED),
        (other, q1, "7", ValueState.SUBMITTED),  # not yet reviewed: not on the scorecard
    ):
        IndicatorValue.objects.create(
            indicator=manual,
            zone=where,
            period=period,
            value=Decimal(value),
            state=state,
            entered_by=user,
            entered_at=timezone.now(),
            updated_at=timezone.now(),
        )
    today = q2.end + datetime.timedelta(days=1)
    zones = [zone, other, whole]
    with django_assert_num_queries(6):
        cards = selectors.scorecard_rows(plan=plan, zones=zones, today=today)
    for each in zones:
        assert _card(cards[each.pk]) == _card(selectors.scorecard(zone=each, today=today)["rows"])
    assert [r.latest for r in cards[whole.pk]] != [r.latest for r in cards[zone.pk]]
    with django_assert_num_queries(6):
        selectors.scorecard_rows(plan=plan, zones=[zone], today=today)
