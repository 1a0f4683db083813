"""generate_demo_data: believable data on the real plan, or a synthetic plan of a given size."""

import hashlib
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.uploads import inspect_upload
from measures.choices import Assessment, EvidenceKind, ReportState
from measures.models import Evidence, ProgressReport, ReportEvent, ReportingPeriod, Task, TaskAgency
from measures.review.selectors import verification_gaps
from stocktakes import selectors
from stocktakes.choices import ItemEventKind
from stocktakes.models import Stocktake
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


def test_complete_reports_every_task_in_every_period():
    call_command("generate_demo_data", zones=2, tasks=10, periods=3, complete=True, stdout=StringIO())
    reports = ProgressReport.objects.filter(period__plan__code="demo-scale")
    assert reports.count() == 10 * 3
    # The agencies as the plan prints them, matching the task's supporting agencies.
    task = Task.objects.filter(zone__plan__code="demo-scale").first()
    names = [link.agency.name for link in task.agency_links.order_by("position")]
    assert task.agencies_text == "（支持单位：" + "、".join(names) + "）"


def test_evidence_rows_point_at_real_files_with_their_hash(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    out = StringIO()
    call_command(
        "generate_demo_data",
        zones=2,
        tasks=6,
        periods=2,
        complete=True,
        evidence=40,
        evidence_files=5,
        stdout=out,
    )
    evidence = Evidence.objects.filter(report__period__plan__code="demo-scale")
    assert evidence.count() == 40
    assert "40 evidence items (5 distinct files)" in out.getvalue()
    files = evidence.filter(kind=EvidenceKind.FILE)
    assert files.exists() and evidence.filter(kind=EvidenceKind.LINK).exists()
    assert len(set(files.values_list("sha256", flat=True))) == 5
    for item in files:
        with default_storage.open(item.file.name) as stored:
            content = stored.read()
        assert (len(content), hashlib.sha256(content).hexdigest()) == (item.size, item.sha256)
    # The files are what the upload checks would accept, not just bytes with a .png name.
    with default_storage.open(files.first().file.name) as stored:
        assert inspect_upload(uploaded_file=stored).content_type == "image/png"


@pytest.mark.parametrize(
    "options",
    [
        {"zones": 3},
        {"zones": 5, "tasks": 2},
        {"periods": 0},
        {"plan": "nope"},
        {"evidence": -1},
        {"evidence": 5, "evidence_files": 0},
    ],
    ids=[
        "zones-without-tasks",
        "fewer-tasks-than-zones",
        "no-periods",
        "unknown-plan",
        "negative-evidence",
        "evidence-without-files",
    ],
)
def test_bad_options_are_refused_clearly(options):
    with pytest.raises(CommandError):
        call_command("generate_demo_data", stdout=StringIO(), **options)


def test_accepted_reports_carry_assessments_and_a_rerun_keeps_them():
    call_command("generate_demo_data", periods=2, stdout=StringIO())
    plan = Plan.objects.get(code="second-batch")
    reports = ProgressReport.objects.filter(period__plan=plan)
    assessed = reports.exclude(assessment="")
    assert assessed.exists() and reports.filter(state=ReportState.ACCEPTED, assessment="").exists()
    # Only accepted reports are assessed, each by the accept service's rules.
    assert set(assessed.values_list("state", flat=True)) == {ReportState.ACCEPTED}
    assert set(assessed.values_list("assessment", flat=True)) <= set(Assessment.values)
    for report in assessed:
        assert report.verified_percent is not None
        assert bool(report.assessment_reason) == (report.verified_percent != report.percent_complete)
        if report.assessment == Assessment.COMPLETED:
            assert report.verified_percent == 100
    corrected = [r for r in assessed if r.verified_percent < r.percent_complete]
    assert corrected, "some assessments verify less than the zone reported"
    # The verification-gap table of the managers has figures for the demo's periods.
    for period in ReportingPeriod.objects.filter(plan=plan):
        rows = verification_gaps(period, plan.zones.all())
        assert any(row["assessed"] for row in rows)
    before = sorted(assessed.values_list("pk", "assessment", "verified_percent", "assessment_reason"))
    call_command("generate_demo_data", periods=2, stdout=StringIO())
    after = reports.exclude(assessment="").filter(pk__in=[row[0] for row in before])
    assert sorted(after.values_list("pk", "assessment", "verified_percent", "assessment_reason")) == before


def test_one_stocktake_meeting_with_two_items_however_often_it_runs():
    out = StringIO()
    call_command("generate_demo_data", periods=2, stdout=out)
    assert "1 stocktake meeting with 2 assigned items" in out.getvalue()
    out = StringIO()
    call_command("generate_demo_data", periods=2, stdout=out)
    assert "stocktake" not in out.getvalue()
    meeting = Stocktake.objects.get(plan__code="second-batch")
    items = list(meeting.items.order_by("due"))
    assert len(items) == 2
    # One for a zone (already overdue), one for the agency named in the most tasks (still to come).
    assert items[0].zone is not None and items[0].is_overdue(timezone.localdate())
    assert items[1].agency is not None and not items[1].is_overdue(timezone.localdate())
    for item in items:
        assert list(item.events.values_list("kind", flat=True)) == [ItemEventKind.ASSIGNED]
    assert selectors.pack(meeting).items == items
