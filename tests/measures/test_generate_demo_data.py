"""generate_demo_data: believable data on the real plan, or a synthetic plan of a given size."""

import hashlib
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from core.uploads import inspect_upload
from measures.choices import EvidenceKind, ReportState
from measures.models import Evidence, ProgressReport, ReportEvent, ReportingPeriod, Task, TaskAgency
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
