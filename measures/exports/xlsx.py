"""The period report as an Excel workbook: a summary sheet, then one sheet per zone."""

import re
from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .rows import TIMELINESS, columns, timeliness_labels
from .text import title

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E8EEF7")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
WRAPPED_COLUMNS = {"title", "agencies", "progress", "problems", "next_steps"}
# Excel forbids these in sheet names and allows at most 31 characters.
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SUMMARY_HEADER_ROW = 4


def sheet_name(name, taken):
    base = SHEET_NAME_FORBIDDEN.sub("_", name)[:31] or "-"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f"({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def cell(sheet, value, *, header=False, alignment=TOP):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        # Text typed into a report is data, never a formula, even when it starts with "=".
        cell.data_type = "s"
    if header:
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, WRAP
    else:
        cell.alignment = alignment
    return cell


def summary_header(report):
    labels = timeliness_labels()
    return [
        _("Zone"),
        _("Tasks"),
        *(labels[key] for key in TIMELINESS),
        *(label for _v, label, _n in report.by_status()),
        *(label for _v, label, _n in report.by_light()),
        _("Coordination requests"),
    ]


def summary_line(name, tally):
    """One zone (or the total): tasks, timeliness, statuses, lights, requests."""
    timeliness = tally.timeliness()
    return [
        name,
        len(tally.rows),
        *(timeliness[key] for key in TIMELINESS),
        *(n for _v, _label, n in tally.by_status()),
        *(n for _v, _label, n in tally.by_light()),
        len(tally.requests),
    ]


def _summary_sheet(book, report, taken):
    sheet = book.create_sheet(sheet_name(_("Summary"), taken))
    header = summary_header(report)
    sheet.column_dimensions["A"].width = 16
    for index in range(2, len(header) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 11
    # A title and the period's dates above the table, which starts on SUMMARY_HEADER_ROW.
    sheet.freeze_panes = f"B{SUMMARY_HEADER_ROW + 1}"
    period = report.period
    sheet.append([cell(sheet, title(report), alignment=Alignment())])
    sheet.append(
        [
            _("%(start)s to %(end)s; submission deadline %(deadline)s")
            % {"start": period.start, "end": period.end, "deadline": period.deadline}
        ]
    )
    sheet.append([])
    sheet.append([cell(sheet, str(label), header=True) for label in header])
    for section in report.sections:
        sheet.append(summary_line(section.zone.name, section))
    sheet.append([cell(sheet, value, header=True) for value in summary_line(_("Total"), report)])


def _zone_sheet(book, section, taken):
    sheet = book.create_sheet(sheet_name(section.zone.name, taken))
    spec = columns()
    # Write-only sheets take their layout before the first row is written.
    for index, (_key, _label, width) in enumerate(spec, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(spec))
    sheet.auto_filter.ref = f"A1:{last}{len(section.rows) + 1}"
    sheet.append([cell(sheet, str(label), header=True) for _key, label, _width in spec])
    for row in section.rows:
        values = row.values()
        sheet.append(
            [cell(sheet, values[key], alignment=WRAP if key in WRAPPED_COLUMNS else TOP) for key, *_ in spec]
        )


def render(report):
    """The workbook as bytes."""
    book = Workbook(write_only=True)
    taken = set()
    _summary_sheet(book, report, taken)
    for section in report.sections:
        _zone_sheet(book, section, taken)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
