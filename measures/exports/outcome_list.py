"""The periodic submission list (报送清单) of innovation outcomes, as Excel and Word."""

from django.utils.translation import gettext as _
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from lxml import etree

from core.collection import collection_paused
from measures.choices import OutcomeState
from measures.exports.docx import Body
from measures.exports.docx import run as run_xml
from measures.exports.text import writable
from measures.exports.xlsx import HEADER as HEADER_BOLD
from measures.exports.xlsx import TITLE_BOLD, WRAP, Sheet, sheet_name, workbook_bytes

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
    title = _("Submission list of reform and innovation outcomes (%(period)s)") % {"period": period.name}
    return writable(title)


@collection_paused()
def as_xlsx(period, rows):
    """Written by the period report's SpreadsheetML writer (measures.exports.xlsx), not through
    openpyxl's cell objects, which took about 18 s for 20,000 outcomes. All text stays text."""
    columns = headers()
    widths = [6, 14, 30, 22, 36, 14, 8, 12, 60]
    sheet = Sheet(sheet_name(period.name, set()), widths, freeze="A3")
    sheet.append([list_title(period)], TITLE_BOLD)
    sheet.append([str(label) for _key, label in columns], HEADER_BOLD)
    for row in rows:
        sheet.append([row[key] for key, _label in columns], WRAP)
    sheet.auto_filter = f"A2:I{max(2, len(rows) + 2)}"
    return workbook_bytes([sheet])


def _cell_xml(value, width):
    width_xml = f'<w:tcPr><w:tcW w:type="dxa" w:w="{width}"/></w:tcPr>' if width else ""
    return f"<w:tc>{width_xml}<w:p>{run_xml(value) if value else ''}</w:p></w:tc>"


@collection_paused()
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
    columns = headers()[:-1]
    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    for cell, (_key, label) in zip(table.rows[0].cells, columns, strict=True):
        cell.text = label
    # The table's rows, and two paragraphs per outcome, are written as text after the header
    # row python-docx made (see Body): its add_row() and add_paragraph() took minutes at
    # 20,000 outcomes, growing faster than the list.
    tbl = table._tbl
    widths = [column.w.twips if column.w is not None else None for column in tbl.tblGrid.gridCol_lst]
    tbl.getparent().remove(tbl)
    start, end, _rest = etree.tostring(tbl, encoding="unicode").rpartition("</w:tbl>")
    body = Body(document)
    table_rows = (
        "<w:tr>"
        + "".join(
            _cell_xml("" if row[key] is None else str(row[key]), width)
            for (key, _label), width in zip(columns, widths, strict=True)
        )
        + "</w:tr>"
        for row in rows
    )
    body.block(start + "".join(table_rows) + end)
    for row in rows:
        body.runs(run_xml(f"{row['number']}. {row['title']}（{row['zone']}）", bold=True))
        body.paragraph(row["description"])
    return body.save()
