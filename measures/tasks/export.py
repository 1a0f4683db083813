"""The task list as filtered, as Excel and CSV: the rows the page lists, every page of them."""

import csv
from io import StringIO

from django.utils.translation import gettext as _

from core.i18n import english_active
from measures.choices import Light, ReportState, TaskStatus
from measures.exports.csv import BOM, _safe
from measures.exports.text import writable
from measures.exports.xlsx import HEADER, WRAP, Sheet, workbook_bytes
from measures.tasks.models import TaskAgency

CHOICES = (Light, TaskStatus, ReportState)


def headers():
    return [
        _("Zone"),
        _("No."),
        _("Task"),
        _("Category"),
        _("Light"),
        _("Status"),
        _("Percent complete"),
        _("Report state"),
        _("Supporting agencies"),
    ]


def agency_names(tasks):
    """{task id: its supporting agencies' names, in the plan's order, joined}: one query of plain rows.
    The list's with_agencies() builds two model instances per link (60,000 for 20,000 tasks) and a
    queryset per task to hold them, which took most of the export's time."""
    names, english = {}, english_active()
    links = (
        TaskAgency.objects.filter(task_id__in=[task.pk for task in tasks])
        .order_by("task_id", "position")
        .values_list("task_id", "agency__name", "agency__name_en")
    )
    for task_id, name, name_en in links.iterator(chunk_size=5000):
        names.setdefault(task_id, []).append(name_en if english and name_en else name)
    return {task_id: "、".join(found) for task_id, found in names.items()}


def task_rows(tasks, agencies=None):
    """`tasks` as the list shows them (selectors.attach_lights done): one row of text each. With
    `agencies` (agency_names()), the agencies are read from it rather than from each task."""
    # Each label translated once, not once a row (60,000 lookups of a choice's lazy label).
    labels = {choices: {value: str(label) for value, label in choices.choices} for choices in CHOICES}
    light, status, state = (labels[choices] for choices in CHOICES)

    def agencies_of(task):
        if agencies is not None:
            return agencies.get(task.pk, "")
        return "、".join(agency.display_name for agency in task.ordered_agencies)

    return [
        [
            task.zone.short_name,
            task.display_number,
            task.display_title,
            f"{task.category.display_number} {task.category.display_title}",
            light.get(task.light, ""),
            status.get(task.report_status, ""),
            task.report_percent,
            state.get(task.report_state, ""),
            agencies_of(task),
        ]
        for task in tasks
    ]


def as_csv(rows):
    buffer = StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([str(label) for label in headers()])
    for row in rows:
        writer.writerow([_safe(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def as_xlsx(rows):
    sheet = Sheet(writable(_("Tasks")), [10, 8, 50, 30, 10, 10, 8, 10, 40], freeze="A2")
    sheet.append([str(label) for label in headers()], HEADER)
    for row in rows:
        sheet.append([writable(value) if isinstance(value, str) else value for value in row], WRAP)
    sheet.auto_filter = f"A1:I{max(1, len(rows) + 1)}"
    return workbook_bytes([sheet])
