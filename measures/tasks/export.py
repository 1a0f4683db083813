"""The task list as filtered, as Excel and CSV: the rows the page lists, every page of them."""

import csv
from io import StringIO

from django.utils.translation import gettext as _

from measures.choices import Light, ReportState, TaskStatus
from measures.exports.csv import BOM, _safe
from measures.exports.text import writable
from measures.exports.xlsx import HEADER, WRAP, Sheet, workbook_bytes


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


def task_rows(tasks):
    """`tasks` as the list shows them (selectors.attach_lights done): one row of text each."""

    def label(choices, value):
        return str(choices(value).label) if value in choices.values else ""

    return [
        [
            task.zone.short_name,
            task.display_number,
            task.display_title,
            f"{task.category.display_number} {task.category.display_title}",
            label(Light, task.light),
            label(TaskStatus, task.report_status),
            task.report_percent,
            label(ReportState, task.report_state),
            "、".join(agency.display_name for agency in task.ordered_agencies),
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
