"""A small world for the security tests: xiqing task 1 with a current period, a draft report,
a PDF evidence file, a milestone and an open request to 天津海关, plus its officer and a manager.

Built through the services, like tests/measures/test_permissions.py, so every row is one the app
itself would write.
"""

import datetime
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis.configuration import set_hypothesis_home_dir

from core.roles import Role
from measures import services
from measures.choices import TaskStatus
from measures.models import (
    CoordinationRequest,
    Evidence,
    Milestone,
    ProgressReport,
    ReportEvent,
    ReportingPeriod,
    Task,
)
from measures.periods.services import quarter_bounds
from tests.factories import make_user
from tests.helpers import copy_with_files, rows_and_files_for_the_module
from tests.measures.upload_samples import PDF
from zones.models import Agency

# Hypothesis caches what it learns (literal constants, the Unicode table) in .hypothesis/ under
# the current directory; keep it out of the shared checkout. Its example database is off anyway.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "ftztracker-hypothesis")

PASSWORD = "pw-for-tests-1"  # what tests.factories.make_user gives every user

REPORT = {
    "status": TaskStatus.ON_TRACK,
    "percent_complete": 40,
    "progress": "完成集成电路产业政策梳理",
    "problems": "",
    "next_steps": "推进保税研发试点",
    "support_needed": "",
    "support_agency": None,
}


def build_world():
    task = Task.objects.select_related("zone").get(zone__code="xiqing", number=1)
    today = timezone.localdate()
    year, quarter = today.year, (today.month - 1) // 3 + 1
    start, end = quarter_bounds(year, quarter)
    period = ReportingPeriod.objects.create(
        plan=task.zone.plan,
        name=f"{year}Q{quarter}",
        start=start,
        end=end,
        deadline=end + datetime.timedelta(days=15),
    )
    officer = make_user(Role.OFFICER, zones=[task.zone])
    manager = make_user(Role.MANAGER)
    administrator = make_user(Role.ADMINISTRATOR)
    # The zone's leader (单位负责人), whose sign-off queue is fuzzed like the other lists.
    leader = make_user(Role.LEADER, zones=[task.zone])
    customs = Agency.objects.get(name="天津海关")
    report = services.save_report(task=task, period=period, user=officer, data=REPORT)
    evidence = services.add_file_evidence(
        report=report,
        user=officer,
        uploaded_file=SimpleUploadedFile("进展材料.pdf", PDF),
        description="政策文件",
    )
    milestone = services.add_milestone(
        confirm_past=True, task=task, user=officer, title="完成方案", due=today + datetime.timedelta(days=30)
    )
    request = services.ask_agency(
        task=task, user=officer, agency=customs, question="请协助保税研发", period=period
    )
    return SimpleNamespace(
        task=task,
        zone=task.zone,
        period=period,
        officer=officer,
        manager=manager,
        administrator=administrator,
        leader=leader,
        customs=customs,
        report=report,
        evidence=evidence,
        milestone=milestone,
        request=request,
        today=today,
    )


@pytest.fixture(scope="module")
def security_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once per module (it took about a sixth of the security tests' time when each test built
    it); each test still gets it fresh: its rows roll back, its evidence files are a copy."""
    media = tmp_path_factory.mktemp("security") / "media"
    yield from rows_and_files_for_the_module(django_db_blocker, build_world, media)


@pytest.fixture
def world(security_world, db, settings, tmp_path):
    world = copy_with_files(security_world, settings, tmp_path / "media")
    world.media_root = settings.MEDIA_ROOT
    return world


def task_state(task):
    """Every row a form on the task page can write, for "nothing changed" comparisons."""
    return {
        "reports": list(ProgressReport.objects.filter(task=task).order_by("pk").values()),
        "evidence": list(Evidence.objects.filter(report__task=task).order_by("pk").values()),
        "milestones": list(Milestone.objects.filter(task=task).order_by("pk").values()),
        "requests": list(CoordinationRequest.objects.filter(task=task).order_by("pk").values()),
        "events": ReportEvent.objects.filter(task=task).count(),
    }
