"""The periodic submission list (报送清单) of innovation outcomes, as Excel and Word."""

from io import BytesIO

from django.utils.translation import gettext as _
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from .choices import OutcomeState
from .exports.docx import Body
from .exports.docx import run as run_xml

LISTED_STATES = [s for s in OutcomeState.values if s != OutcomeState.DRAFT]


def outcome_rows(outcomes):
    """One row per outcome, in the order both files use."""
    rows = []
    for number, outcome in enumerate(outcomes, start=1):
        rows.append(
            {
                "number": number,
                "zone": outcome.zone.name,
                "title": outcome.title,
                "type": outcome.get_type_display(),
                "tasks": "、".join(f"{t.display_number}. {t.title}" for t in outcome.tasks.all()),
                "state": outcome.get_state_display(),
                "score": float(outcome.score) if outcome.score is not None else None,
                "submitted": outcome.submitted_at.date().isoformat() if outcome.submitted_at else "",
                "description": outcome.description,
            }
        )
    return rows


def headers():
    return [
        ("number", _("No.")),
        ("zone", _("Zone")),
        ("title", _("Outcome")),
        ("type", _("Type")),
        ("tasks", _("Linked tasks")),
        ("state", _("State")),
        ("score", _("Score")),
        ("submitted", _("Submitted")),
        ("description", _("Description")),
    ]


def list_title(period):
    return _("Submission list of reform and innovation outcomes (%(period)s)") % {"period": period.name}


def as_xlsx(period, rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = period.name[:31]
    sheet.append([list_title(period)])
    sheet["A1"].font = Font(bold=True, size=14)
    columns = headers()
    sheet.append([label for _key, label in columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        # Text typed by users stays text, never a formula.
        sheet.append([row[key] for key, _label in columns])
    for row_cells in sheet.iter_rows(min_row=3):
        for cell in row_cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(cell.value, str):
                cell.data_type = "s"
    widths = {"A": 6, "B": 14, "C": 30, "D": 22, "E": 36, "F": 14, "G": 8, "H": 12, "I": 60}
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A3"
    sheet.auto_filter.ref = f"A2:I{max(2, len(rows) + 2)}"
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def as_docx(period, rows):
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "仿宋_GB2312"
    style.font.size = Pt(14)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋_GB2312")
    heading = document.add_paragraph()
    heading.alignment = 1
    run = heading.add_run(list_title(period))
    run.bold = True
    run.font.size = Pt(20)
    run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "方正小标宋简体")
    columns = headers()
    table = document.add_table(rows=1, cols=len(columns) - 1)
    table.style = "Table Grid"
    for cell, (_key, label) in zip(table.rows[0].cells, columns[:-1], strict=True):
        cell.text = label
    for row in rows:
        cells = table.add_row().cells
        for cell, (key, _label) in zip(cells, columns[:-1], strict=True):
            cell.text = "" if row[key] is None else str(row[key])
    # Two paragraphs per outcome, written as text after the table (see Body): add_paragraph()
    # would make the list quadratic in outcomes.
    body = Body(document)
    for row in rows:
        body.paragraph(run_xml(f"{row['number']}. {row['title']}（{row['zone']}）", bold=True))
        body.paragraph(row["description"])
    return body.save()
