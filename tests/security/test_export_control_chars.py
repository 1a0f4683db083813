"""Every export survives any stored string (issue 14, item 2).

Control characters are put into every text field an export reads (task, category, zone, plan,
agency, period, report, milestone, coordination request, outcome), written straight to the
database as a restore, the admin or an old version might have left them. Every export (period
report as Word, Excel, CSV and page; outcome submission lists as Excel and Word; the bulk template
as Excel and CSV) then answers 200 with a file its own reader opens, the text still there and
the characters XML cannot hold gone. Text is cleaned on output, in one place
(measures.exports.text.writable).
"""

import csv
import io

import docx
import openpyxl
import pytest
from django.db import models
from django.urls import reverse

from measures import services
from measures.choices import OutcomeType, TaskStatus
from measures.exports.text import writable
from measures.models import (
    CoordinationRequest,
    InnovationOutcome,
    Milestone,
    ProgressReport,
    ReportingPeriod,
    Task,
    TaskCategory,
)
from tests.factories import submit_outcome_with_evidence
from zones.models import Agency, Plan, Zone

pytestmark = pytest.mark.django_db

# U+000B and U+000C (what Word pastes for line and page breaks) and the other controls XML 1.0
# forbids; NUL is left out only because PostgreSQL cannot store it in text at all.
PAYLOAD = "甲\x0b乙\x0c丙\x01\x08\x1b\x1f\ufffe丁"
FORBIDDEN = [chr(c) for c in (*range(1, 9), 0x0B, 0x0C, *range(0x0E, 0x20))] + ["\ufffe", "\uffff"]


def poison(instance):
    """Append PAYLOAD to every free-text field of `instance`, bypassing every form and model check."""
    values = {}
    for field in instance._meta.concrete_fields:
        if not isinstance(field, models.CharField | models.TextField):
            continue
        if field.choices or field.unique or field.name in {"code", "slug"} or field.primary_key:
            continue
        if field.max_length and field.max_length < len(PAYLOAD) + 4:
            continue
        current = getattr(instance, field.attname) or ""
        limit = (field.max_length or 10_000) - len(PAYLOAD)
        values[field.attname] = current[:limit] + PAYLOAD
    type(instance).objects.filter(pk=instance.pk).update(**values)
    return values


@pytest.fixture
def poisoned(world):
    report = services.save_report(
        task=world.task,
        period=world.period,
        user=world.officer,
        data={
            "status": TaskStatus.DELAYED,
            "percent_complete": 40,
            "progress": "进展",
            "problems": "问题",
            "next_steps": "下一步",
            "support_needed": "需要支持",
            "support_agency": world.customs,
        },
    )
    services.submit_report(report=report, user=world.officer)
    outcome = services.create_outcome(
        zone=world.zone,
        user=world.officer,
        title="成果",
        description="说明",
        type=OutcomeType.INSTITUTIONAL,
        period=world.period,
        tasks=[world.task],
    )
    submit_outcome_with_evidence(outcome=outcome, user=world.officer)
    touched = {}
    for instance in (
        world.task,
        TaskCategory.objects.get(pk=world.task.category_id),
        Zone.objects.get(pk=world.zone.pk),
        Plan.objects.get(pk=world.zone.plan_id),
        Agency.objects.get(pk=world.customs.pk),
        ReportingPeriod.objects.get(pk=world.period.pk),
        ProgressReport.objects.get(pk=report.pk),
        Milestone.objects.get(pk=world.milestone.pk),
        CoordinationRequest.objects.get(pk=world.request.pk),
        InnovationOutcome.objects.get(pk=outcome.pk),
    ):
        touched[type(instance).__name__] = set(poison(instance))
    # The fields the exports are known to write are among those poisoned.
    assert {"title", "text"} <= touched["Task"]
    assert {"progress", "problems", "next_steps", "support_needed"} <= touched["ProgressReport"]
    assert {"title", "description"} <= touched["InnovationOutcome"]
    assert {"name"} <= touched["Zone"] and {"name"} <= touched["ReportingPeriod"]
    return world


def exports(w):
    period = w.period.pk
    return {
        "report-docx": reverse("measures:period-report-docx", args=[period]),
        "report-xlsx": reverse("measures:period-report-xlsx", args=[period]),
        "report-csv": reverse("measures:period-report-csv", args=[period]),
        "report-html": reverse("measures:period-report-html", args=[period]),
        "report-docx-zone": reverse("measures:period-report-docx", args=[period]) + f"?zone={w.zone.code}",
        "outcomes-xlsx": reverse("measures:outcome-list-xlsx", args=[period]),
        "outcomes-docx": reverse("measures:outcome-list-docx", args=[period]),
        "bulk-xlsx": reverse("measures:bulk-template-xlsx", args=[period]),
        "bulk-csv": reverse("measures:bulk-template-csv", args=[period]),
    }


def read_back(kind, content):
    """The file's text as its own reader sees it; a file the reader refuses fails the test."""
    if kind.endswith("docx") or "docx" in kind:
        document = docx.Document(io.BytesIO(content))
        parts = [p.text for p in document.paragraphs]
        parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
        return "\n".join(parts)
    if "xlsx" in kind:
        book = openpyxl.load_workbook(io.BytesIO(content))
        return "\n".join(
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        ) + "\n".join(sheet.title for sheet in book.worksheets)
    if "csv" in kind:
        return "\n".join(",".join(row) for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    return content.decode()


@pytest.mark.parametrize(
    "kind",
    [
        "report-docx",
        "report-xlsx",
        "report-csv",
        "report-html",
        "report-docx-zone",
        "outcomes-xlsx",
        "outcomes-docx",
        "bulk-xlsx",
        "bulk-csv",
    ],
)
@pytest.mark.parametrize("who", ["manager", "officer"])
def test_every_export_survives_control_characters_in_every_field(client, poisoned, kind, who):
    if kind.startswith("bulk") and who == "manager":
        who = "officer"  # managers do not report, so they get no template
    client.force_login(getattr(poisoned, who))
    response = client.get(exports(poisoned)[kind])
    assert response.status_code == 200, response.content[:300]
    text = read_back(kind, response.content)
    if kind != "report-html":
        assert not any(ch in text for ch in FORBIDDEN), kind
    # The readable text is still there, the line breaks kept as line breaks.
    assert "丙" in text and "丁" in text


def test_writable_is_the_one_rule():
    assert writable(PAYLOAD) == "甲\n乙\n丙丁"
    assert writable("a\tb\nc\r\nd") == "a\tb\nc\r\nd"
    assert writable(12) == 12 and writable(None) is None


def test_a_bulk_template_sent_back_unchanged_changes_nothing(client, poisoned):
    """The template's cleaned text reads back equal to what is stored, so an untouched row is not
    mistaken for an edit of the stored (uncleaned) text."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(poisoned.officer)
    template = client.get(exports(poisoned)["bulk-csv"]).content
    before = ProgressReport.objects.get(task=poisoned.task, period=poisoned.period)
    response = client.post(
        reverse("measures:bulk-upload", args=[poisoned.period.pk]),
        {"file": SimpleUploadedFile("template.csv", template)},
    )
    assert response.status_code in (200, 302)
    after = ProgressReport.objects.get(pk=before.pk)
    assert after.version == before.version and after.progress == before.progress


def test_tasks_stay_readable_in_the_bulk_template(client, poisoned):
    client.force_login(poisoned.officer)
    rows = list(
        csv.reader(io.StringIO(client.get(exports(poisoned)["bulk-csv"]).content.decode("utf-8-sig")))
    )
    title = Task.objects.get(pk=poisoned.task.pk).title
    assert writable(title) in {cell for row in rows for cell in row}
