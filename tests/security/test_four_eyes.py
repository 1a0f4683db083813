"""Four eyes: no one decides on their own submission (issue 14, item 3).

A user who is both a manager and an officer of xiqing submits a report, proposes a plan
adjustment, records an outcome, raises a major matter and enters an indicator value. For every
decision on them the service refuses with the translated four-eyes message, the page does not
offer the decision, a POST to it changes nothing, and another manager may still decide.
"""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from core.access import OWN_SUBMISSION, decides_own_submission
from core.roles import Role
from indicators import services as indicator_services
from indicators.choices import Computation, ValueState
from indicators.models import Dimension, Indicator, IndicatorValue
from measures import services
from measures.choices import (
    AdjustmentKind,
    AdjustmentState,
    MatterState,
    OutcomeState,
    OutcomeType,
    ReportState,
)
from measures.models import InnovationOutcome, MajorMatter, PlanAdjustment, ProgressReport, Task
from tests.factories import make_user, submit_outcome_with_evidence
from tests.security.conftest import REPORT

pytestmark = pytest.mark.django_db

FOUR_EYES_EN = "another manager has to decide on it"
FOUR_EYES_ZH = "须由另一位管理人员决定"


@pytest.fixture
def both(world):
    """Manager and officer of the zone in one account."""
    user = make_user(Role.OFFICER, zones=[world.zone])
    user.groups.add(Group.objects.get(name=Role.MANAGER.group_name))
    return user


@pytest.fixture
def own(world, both):
    task = Task.objects.get(zone=world.zone, number=2)
    report = services.save_and_submit_report(task=task, period=world.period, user=both, data=REPORT)
    adjustment = services.propose_adjustment(
        task=task, user=both, kind=AdjustmentKind.TEXT, reason="表述需更新", text=task.text + "（修订）"
    )
    outcome = services.create_outcome(
        zone=world.zone,
        user=both,
        title="自评成果",
        description="说明",
        type=OutcomeType.INSTITUTIONAL,
        period=world.period,
        tasks=[task],
    )
    submit_outcome_with_evidence(outcome=outcome, user=both)
    matter = services.raise_matter(zone=world.zone, user=both, title="重大事项", description="请示内容")
    dimension = Dimension.objects.get_or_create(plan=world.zone.plan, name="经济发展", defaults={"order": 2})[
        0
    ]
    indicator = Indicator.objects.create(
        plan=world.zone.plan,
        dimension=dimension,
        code="four-eyes",
        name="四眼指标",
        unit="%",
        computation=Computation.MANUAL,
        target=8,
    )
    value = indicator_services.save_value(
        indicator=indicator,
        zone=world.zone,
        period=world.period,
        user=both,
        data={"value": "6.5", "source": "区统计局", "note": ""},
    )
    value = indicator_services.submit_value(value=value, user=both)
    return {
        "task": task,
        "report": report,
        "adjustment": adjustment,
        "outcome": outcome,
        "matter": matter,
        "value": value,
    }


def evaluated(outcome, world):
    """The outcome evaluated by another manager, so that recommending is the next decision."""
    return services.evaluate_outcome(outcome=outcome, user=world.manager, score=80, notes="好")


# (name, service call, state read back, state before)
DECISIONS = {
    "accept-report": lambda o, u, w: services.accept_report(report=o["report"], user=u),
    "return-report": lambda o, u, w: services.return_report(report=o["report"], user=u, note="改"),
    "approve-adjustment": lambda o, u, w: services.approve_adjustment(adjustment=o["adjustment"], user=u),
    "reject-adjustment": lambda o, u, w: services.reject_adjustment(
        adjustment=o["adjustment"], user=u, reason="否"
    ),
    "evaluate-outcome": lambda o, u, w: services.evaluate_outcome(
        outcome=o["outcome"], user=u, score=90, notes="好"
    ),
    "return-outcome": lambda o, u, w: services.return_outcome(outcome=o["outcome"], user=u, note="改"),
    "recommend-outcome": lambda o, u, w: services.recommend_outcome(
        outcome=evaluated(o["outcome"], w), user=u
    ),
    "decline-outcome": lambda o, u, w: services.decline_outcome(
        outcome=evaluated(o["outcome"], w), user=u, reason="否"
    ),
    "respond-matter": lambda o, u, w: services.respond_to_matter(matter=o["matter"], user=u, response="同意"),
    "accept-value": lambda o, u, w: indicator_services.accept_value(value=o["value"], user=u),
    "return-value": lambda o, u, w: indicator_services.return_value(value=o["value"], user=u, note="改"),
}


def states(o):
    return (
        ProgressReport.objects.get(pk=o["report"].pk).state,
        PlanAdjustment.objects.get(pk=o["adjustment"].pk).state,
        InnovationOutcome.objects.get(pk=o["outcome"].pk).state,
        MajorMatter.objects.get(pk=o["matter"].pk).state,
        IndicatorValue.objects.get(pk=o["value"].pk).state,
        o["task"].__class__.objects.get(pk=o["task"].pk).text,
    )


@pytest.mark.parametrize("decision", DECISIONS)
def test_the_service_refuses_a_decision_on_ones_own_submission(world, both, own, decision):
    if decision in ("recommend-outcome", "decline-outcome"):
        evaluated(own["outcome"], world)
    before = states(own)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        DECISIONS[decision](own, both, world)
    assert refused.value.error_list[0].code == OWN_SUBMISSION
    assert FOUR_EYES_ZH in " ".join(refused.value.messages)
    assert states(own) == before


@pytest.mark.parametrize("decision", DECISIONS)
def test_another_manager_may_decide(world, both, own, decision):
    if decision in ("recommend-outcome", "decline-outcome"):
        evaluated(own["outcome"], world)
    before = states(own)
    DECISIONS[decision](own, world.manager, world)
    assert states(own) != before


def test_the_rule_is_one_named_function():
    user = make_user(Role.MANAGER)
    assert decides_own_submission(user, {user.pk, None})
    assert decides_own_submission(user, [user])
    assert not decides_own_submission(user, {None})
    assert not decides_own_submission(make_user(), {user.pk})


def test_a_report_edited_by_a_manager_is_theirs_too(world, both):
    """Writing a report's text is authoring it, even if someone else pressed submit."""
    report = services.save_report(
        task=world.task, period=world.period, user=both, data={**REPORT, "progress": "管理人员改写"}
    )
    services.submit_report(report=report, user=world.officer)
    with pytest.raises(ValidationError):
        services.accept_report(report=report, user=both)


# --- pages: not offered; a forged POST changes nothing and says why ------------------------


def pages(o):
    task = o["task"]
    return {
        "report": (
            reverse("measures:task-detail", args=[task.zone.code, task.number])
            + f"?period={o['report'].period_id}",
            reverse("measures:report-review", args=[task.zone.code, task.number, o["report"].period_id]),
        ),
        "adjustment": (
            reverse("measures:adjustment-detail", args=[o["adjustment"].pk]),
            reverse("measures:adjustment-approve", args=[o["adjustment"].pk]),
        ),
        "outcome": (
            reverse("measures:outcome-detail", args=[o["outcome"].pk]),
            reverse("measures:outcome-evaluate", args=[o["outcome"].pk]),
        ),
        "matter": (
            reverse("measures:matter-detail", args=[o["matter"].pk]),
            reverse("measures:matter-respond", args=[o["matter"].pk]),
        ),
        "value": (
            reverse("indicators:review"),
            reverse("indicators:review-value", args=[o["value"].pk]),
        ),
    }


POSTS = {
    "report": lambda o: {"action": "accept", "note": "", "version": o["report"].version},
    "adjustment": lambda o: {"note": ""},
    "outcome": lambda o: {"score": "90", "notes": "好"},
    "matter": lambda o: {"response": "同意"},
    "value": lambda o: {"action": "accept", "note": "", "version": o["value"].version},
}


@pytest.mark.parametrize("kind", POSTS)
def test_the_page_does_not_offer_a_decision_on_ones_own_submission(client, world, both, own, kind):
    page, action = pages(own)[kind]
    # The report's comment form posts to the same address; only its decision offers "accept".
    offered = 'value="accept"' if kind == "report" else action
    client.force_login(world.manager)
    assert offered in client.get(page).content.decode()
    client.force_login(both)
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assert offered not in html
    assert FOUR_EYES_ZH in html or kind in ("adjustment", "matter")


@pytest.mark.parametrize("kind", POSTS)
def test_a_forged_decision_changes_nothing_and_says_why(client, world, both, own, kind):
    page, action = pages(own)[kind]
    before = states(own)
    client.force_login(both)
    response = client.post(action, POSTS[kind](own), follow=True)
    assert states(own) == before
    assert FOUR_EYES_ZH in response.content.decode()
    assert before[0] == ReportState.SUBMITTED and before[1] == AdjustmentState.PROPOSED
    assert before[2] == OutcomeState.SUBMITTED and before[3] == MatterState.OPEN
    assert before[4] == ValueState.SUBMITTED


def test_the_message_is_translated(world, both, own):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.accept_report(report=own["report"], user=both)
    assert FOUR_EYES_EN in refused.value.messages[0]


def test_the_badges_do_not_count_ones_own_submissions(world, both, own):
    from portal.context_processors import pending_for_managers

    mine = pending_for_managers(both)
    others = pending_for_managers(world.manager)
    for name in ("reports", "matters", "adjustments", "outcomes", "indicator_values"):
        assert others[name] == mine[name] + 1, name
