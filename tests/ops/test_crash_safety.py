"""A failure half-way through a write leaves nothing behind: no row, no history, no file."""

import datetime
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection

from core.roles import Role
from measures import services
from measures.choices import TaskStatus
from measures.evidence import services as evidence_services
from measures.models import Evidence, ProgressReport, ReportEvent, ReportingPeriod, Task
from tests.conftest import PLAN_FIXTURE
from tests.factories import make_user
from tests.measures.upload_samples import PDF, upload
from zones.models import Plan

pytestmark = pytest.mark.django_db


class Crash(Exception):
    """Stands for anything that can fail mid-request: a bug, a lost connection, a full disk."""


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def period():
    return ReportingPeriod.objects.create(
        plan=Plan.objects.get(code="second-batch"),
        name="2026年第四季度",
        start=datetime.date(2026, 10, 1),
        end=datetime.date(2026, 12, 31),
        deadline=datetime.date(2027, 1, 10),
    )


@pytest.fixture
def task():
    return Task.objects.get(zone__code="xiqing", number=1)


@pytest.fixture
def officer(task):
    return make_user(Role.OFFICER, zones=[task.zone])


@pytest.fixture
def report(task, period, officer):
    data = {"status": TaskStatus.ON_TRACK, "percent_complete": 30, "progress": "完成方案编制"}
    return services.save_report(task=task, period=period, user=officer, data=data)


def files_in(folder):
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def add_pdf(report, officer):
    return services.add_file_evidence(
        report=report, user=officer, uploaded_file=upload(PDF, "进展.pdf"), description="进展材料"
    )


# `record` is imported by name into each service module, so it is patched where it is used.
@pytest.mark.parametrize(
    "crash_at", ["measures.evidence.services.record", "measures.models.Evidence.save"], ids=["event", "row"]
)
def test_a_crash_after_the_file_was_stored_leaves_no_row_event_or_file(report, officer, media, crash_at):
    events = ReportEvent.objects.count()
    stored = []
    real_save = evidence_services.default_storage.save

    def save_and_note(name, content):
        stored.append(real_save(name, content))
        return stored[-1]

    with (
        mock.patch.object(evidence_services.default_storage, "save", side_effect=save_and_note),
        mock.patch(crash_at, side_effect=Crash),
        pytest.raises(Crash),
    ):
        add_pdf(report, officer)

    assert len(stored) == 1, "the crash came after the file had been written"
    assert not Evidence.objects.exists()
    assert ReportEvent.objects.count() == events
    assert files_in(media) == []


def test_the_evidence_is_kept_when_nothing_fails(report, officer, media):
    evidence = add_pdf(report, officer)
    assert files_in(media) == [media / evidence.file.name]


def test_a_crash_while_creating_a_report_leaves_no_report(task, period, officer):
    data = {"status": TaskStatus.ON_TRACK, "percent_complete": 30, "progress": "完成方案编制"}
    with mock.patch("measures.reporting.services.record", side_effect=Crash), pytest.raises(Crash):
        services.save_report(task=task, period=period, user=officer, data=data)

    assert not ProgressReport.objects.filter(task=task, period=period).exists()
    assert not ReportEvent.objects.filter(task=task).exists()


def test_a_crash_while_editing_a_report_keeps_the_previous_version(report, officer):
    with mock.patch("measures.reporting.services.record", side_effect=Crash), pytest.raises(Crash):
        services.save_report(
            task=report.task,
            period=report.period,
            user=officer,
            data={"percent_complete": 90, "progress": "新"},
        )

    saved = ProgressReport.objects.get(pk=report.pk)
    assert (saved.percent_complete, saved.progress, saved.version) == (30, "完成方案编制", report.version)
    assert list(ReportEvent.objects.filter(report=report).values_list("kind", flat=True)) == ["created"]


@pytest.fixture
def committed_plan(transactional_db):
    call_command("load_plan", str(PLAN_FIXTURE), stdout=StringIO())


def test_a_failed_commit_leaves_no_file(committed_plan, report, officer, media):
    with (
        mock.patch.object(connection, "commit", side_effect=DatabaseError("disk I/O error")),
        pytest.raises(DatabaseError),
    ):
        add_pdf(report, officer)

    assert not Evidence.objects.exists()
    assert files_in(media) == []
