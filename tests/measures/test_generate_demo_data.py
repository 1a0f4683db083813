"""generate_demo_data: believable data on the real plan, or a synthetic plan of a given size."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from measures.choices import ReportState
from measures.models import ProgressReport, ReportEvent, ReportingPeriod, Task, TaskAgency
from zones.models import Plan, Zone

pytestmark = pytest.mark.django_db


def test_synthetic_plan_has_the_asked_size():
    out = StringIO()
    call_command("generate_demo_data", zones=3, tasks=30, periods=2, stdout=out)
    plan = Plan.objects.get(code="demo-scale")
    assert Zone.objects.filter(plan=plan).count() == 3
    assert Task.objects.filter(zone__plan=plan).count() == 30
    assert TaskAgency.objects.filter(task__zone__plan=plan).count() == 90
    assert ReportingPeriod.objects.filter(plan=plan).count() == 2
    reports = ProgressReport.objects.filter(period__plan=plan)
    # The earlier period is fully reported; the current one only partly, as in real life.
    earlier = ReportingPeriod.objects.filter(plan=plan).order_by("start").first()
    assert reports.filter(period=earlier).count() == 30
    submitted = reports.exclude(state=ReportState.DRAFT)
    assert ReportEvent.objects.filter(report__in=submitted).count() == submitted.count()
    assert f"{reports.count()} reports" in out.getvalue()
    assert all(0 <= p <= 100 for p in reports.values_list("percent_complete", flat=True))


def test_real_plan_is_reported_on_and_a_rerun_adds_nothing_twice():
    call_command("generate_demo_data", periods=2, stdout=StringIO())
    first = ProgressReport.objects.filter(period__plan__code="second-batch").count()
    assert first > 58
    call_command("generate_demo_data", periods=2, stdout=StringIO())
    again = ProgressReport.objects.filter(period__plan__code="second-batch").count()
    # Tasks already reported for a period keep their report; only gaps may be filled.
    assert again >= first
    pairs = ProgressReport.objects.values_list("task_id", "period_id")
    assert len(set(pairs)) == len(pairs)


@pytest.mark.parametrize(
    "options",
    [{"zones": 3}, {"zones": 5, "tasks": 2}, {"periods": 0}, {"plan": "nope"}],
    ids=["zones-without-tasks", "fewer-tasks-than-zones", "no-periods", "unknown-plan"],
)
def test_bad_options_are_refused_clearly(options):
    with pytest.raises(CommandError):
        call_command("generate_demo_data", stdout=StringIO(), **options)
