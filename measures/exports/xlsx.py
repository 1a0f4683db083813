"""The period report as an Excel workbook: a summary sheet, then one sheet per zone.

The workbook is written directly as SpreadsheetML (the handful of parts an .xlsx needs), not
through openpyxl: at 20,000 tasks openpyxl's per-cell objects took 6 s of the export, and still
2 s with no styles at all, against a target of 2 s for the whole request; strings joined here
take about 0.4 s. Only what the report uses is supported: text, numbers, four cell styles,
column widths, frozen panes and an auto-filter. openpyxl reads these files back in the tests.
"""

import datetime
import itertools
import re
import zipfile
from io import BytesIO
from numbers import Number
from typing import NamedTuple
from xml.sax.saxutils import escape, quoteattr

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from measures.exports.rows import TIMELINESS, columns, row_labels, timeliness_labels
from measures.exports.text import title, writable

# Cell styles, by their index in styles.xml's cellXfs. GREY_WRAP (the bulk template's read-only
# columns) and TITLE_BOLD (the outcome list's title) are for the other workbooks this writes.
PLAIN, TOP, WRAP, HEADER, GREY_WRAP, TITLE_BOLD = 0, 1, 2, 3, 4, 5
WRAPPED_COLUMNS = {"title", "agencies", "progress", "problems", "next_steps"}
# Excel forbids these in sheet names and allows at most 31 characters.
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SUMMARY_HEADER_ROW = 4
# Excel refuses to open a file with a longer cell ("We found a problem with some content").
MAX_CELL_CHARS = 32767

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

STYLES = f"""{XML_DECLARATION}<styleSheet xmlns="{MAIN}">
<fonts count="4"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
<font><sz val="11"/><color rgb="006B7785"/><name val="Calibri"/><family val="2"/></font>\
<font><b/><sz val="14"/><name val="Calibri"/><family val="2"/></font></fonts>
<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>\
<fill><patternFill patternType="solid"><fgColor rgb="00E8EEF7"/><bgColor indexed="64"/></patternFill></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="6">\
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1"><alignment vertical="top"/></xf>\
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">\
<alignment vertical="top" wrapText="1"/></xf>\
<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" applyAlignment="1">\
<alignment vertical="top" wrapText="1"/></xf>\
<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">\
<alignment vertical="top" wrapText="1"/></xf>\
<xf numFmtId="0" fontId="3" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


def sheet_name(name, taken):
    base = SHEET_NAME_FORBIDDEN.sub("_", writable(name).replace("\n", " "))[:31] or "-"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f"({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


# The style attribute of each style index, formatted once rather than once a cell.
_STYLED = {style: f' s="{style}"' if style else "" for style in range(TITLE_BOLD + 1)}
# Rows joined and encoded this many at a time when a sheet is written into the archive.
ROWS_PER_CHUNK = 1000


def cell_xml(ref, value, style):
    """One <c>; None and "" write nothing (an empty cell reads back as None either way).

    Text is always an inline string, never a formula, even when it starts with "="."""
    if value is None or value == "":
        return ""
    styled = _STYLED.get(style)
    if styled is None:
        styled = f' s="{style}"'
    # Exact types first: a Number check is an ABC lookup, a third of the cell's time at 180,000 cells.
    kind = type(value)
    if kind is not str:
        if kind is bool:
            return f'<c r="{ref}"{styled} t="b"><v>{int(value)}</v></c>'
        if kind is int or kind is float or isinstance(value, Number):
            return f'<c r="{ref}"{styled}><v>{value}</v></c>'
    text = writable(str(value))[:MAX_CELL_CHARS]
    return f'<c r="{ref}"{styled} t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


class Sheet:
    """A worksheet built row by row as XML text; rows are kept as strings, never as cell objects."""

    def __init__(self, name, widths, freeze=None):
        self.name, self.widths, self.freeze = name, widths, freeze
        self.auto_filter = None
        # <dataValidation> elements, as data_validation() writes them.
        self.validations = []
        self.rows = []
        self.width = len(widths)
        self.letters = [get_column_letter(n) for n in range(1, self.width + 1)]

    def append(self, values, styles=PLAIN):
        """A row of values; `styles` is one style for every cell or a style per cell."""
        number = len(self.rows) + 1
        if len(values) > len(self.letters):
            self.letters += [get_column_letter(n) for n in range(len(self.letters) + 1, len(values) + 1)]
        self.width = max(self.width, len(values))
        per_cell = styles if isinstance(styles, list) else [styles] * len(values)
        cells = "".join(
            cell_xml(f"{letter}{number}", value, style)
            for letter, value, style in zip(self.letters, values, per_cell, strict=False)
        )
        self.rows.append(f'<row r="{number}">{cells}</row>')

    def _pane(self):
        if not self.freeze:
            return '<sheetView workbookViewId="0"/>'
        match = re.fullmatch(r"([A-Z]+)(\d+)", self.freeze)
        column = self.letters.index(match[1]) if match[1] in self.letters else 0
        row = int(match[2]) - 1
        active = "bottomRight" if column and row else ("bottomLeft" if row else "topRight")
        split = (f' xSplit="{column}"' if column else "") + (f' ySplit="{row}"' if row else "")
        return (
            f'<sheetView workbookViewId="0"><pane{split} topLeftCell="{self.freeze}" '
            f'activePane="{active}" state="frozen"/><selection pane="{active}"/></sheetView>'
        )

    def _head(self):
        last = f"{get_column_letter(max(self.width, 1))}{max(len(self.rows), 1)}"
        cols = "".join(
            f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>'
            for n, width in enumerate(self.widths, start=1)
        )
        return "".join(
            [
                XML_DECLARATION,
                f'<worksheet xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">',
                f'<dimension ref="A1:{last}"/>',
                f"<sheetViews>{self._pane()}</sheetViews>",
                '<sheetFormatPr defaultRowHeight="15"/>',
                f"<cols>{cols}</cols>" if cols else "",
                "<sheetData>",
            ]
        )

    def _tail(self):
        return "".join(
            [
                "</sheetData>",
                f'<autoFilter ref="{self.auto_filter}"/>' if self.auto_filter else "",
                (
                    f'<dataValidations count="{len(self.validations)}">{"".join(self.validations)}</dataValidations>'
                    if self.validations
                    else ""
                ),
                '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>',
                "</worksheet>",
            ]
        )

    def xml(self):
        return "".join([self._head(), *self.rows, self._tail()])

    def write(self, archive, name):
        """The sheet's part, streamed into `archive` a chunk of rows at a time: the rows are not
        joined into one string and encoded again as a whole (the 20,000-task sheet three times
        in memory, and its time grew faster than its rows)."""
        with archive.open(name, "w") as part:
            part.write(self._head().encode())
            rows = self.rows
            for start in range(0, len(rows), ROWS_PER_CHUNK):
                part.write("".join(rows[start : start + ROWS_PER_CHUNK]).encode())
            part.write(self._tail().encode())


def data_validation(sqref, formula1, *, error, type, formula2=None, operator=None):
    """One <dataValidation>: blanks allowed, the error message shown on a wrong entry."""
    attributes = f' type="{type}"' + (f' operator="{operator}"' if operator else "")
    formulas = f"<formula1>{escape(formula1)}</formula1>"
    if formula2 is not None:
        formulas += f"<formula2>{escape(formula2)}</formula2>"
    return (
        f'<dataValidation{attributes} allowBlank="1" showErrorMessage="1" error={quoteattr(str(error))} '
        f'sqref="{sqref}">{formulas}</dataValidation>'
    )


def summary_header(report):
    labels = timeliness_labels(report.owed)
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


def _summary_sheet(report, taken):
    header = [str(label) for label in summary_header(report)]
    # A title and the period's dates above the table, which starts on SUMMARY_HEADER_ROW.
    sheet = Sheet(
        sheet_name(_("Summary"), taken), [16] + [11] * (len(header) - 1), freeze=f"B{SUMMARY_HEADER_ROW + 1}"
    )
    period = report.period
    sheet.append([title(report)])
    sheet.append(
        [
            _("%(start)s to %(end)s; submission deadline %(deadline)s")
            % {"start": period.start, "end": period.end, "deadline": period.deadline}
        ]
    )
    sheet.append([])
    sheet.append(header, HEADER)
    for section in report.sections:
        sheet.append(summary_line(section.zone.name, section))
    sheet.append(summary_line(_("Total"), report), HEADER)
    return sheet


def _zone_sheet(section, taken, labels):
    spec = columns()
    sheet = Sheet(sheet_name(section.zone.name, taken), [width for _key, _label, width in spec], freeze="A2")
    sheet.auto_filter = f"A1:{get_column_letter(len(spec))}{len(section.rows) + 1}"
    sheet.append([str(label) for _key, label, _width in spec], HEADER)
    keys = [key for key, _label, _width in spec]
    styles = [WRAP if key in WRAPPED_COLUMNS else TOP for key in keys]
    for row in section.rows:
        values = row.values(labels)
        sheet.append([values[key] for key in keys], styles)
    return sheet


class Written(NamedTuple):
    """What the workbook part needs to know of a sheet already in the archive."""

    name: str
    auto_filter: str | None


def _quoted_sheet(name):
    return "'" + name.replace("'", "''") + "'"


def _package(sheets):
    """The parts around the sheets: content types, relationships, workbook, styles, properties."""
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, len(sheets) + 1)
    )
    content_types = (
        f'{XML_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{overrides}"
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        "</Types>"
    )
    root_rels = (
        f'{XML_DECLARATION}<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
        'metadata/core-properties" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{RELATIONSHIPS}/extended-properties" Target="docProps/app.xml"/>'
        "</Relationships>"
    )
    sheet_rels = "".join(
        f'<Relationship Id="rId{n}" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, len(sheets) + 1)
    )
    workbook_rels = (
        f'{XML_DECLARATION}<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">{sheet_rels}'
        f'<Relationship Id="rId{len(sheets) + 1}" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/>'
        "</Relationships>"
    )
    entries = "".join(
        f'<sheet name={quoteattr(sheet.name)} sheetId="{n}" r:id="rId{n}"/>'
        for n, sheet in enumerate(sheets, start=1)
    )
    # Excel keeps an auto-filter's range as this hidden name as well as on the sheet.
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n}" hidden="1">'
        f"{escape(_quoted_sheet(sheet.name))}!{_absolute(sheet.auto_filter)}</definedName>"
        for n, sheet in enumerate(sheets)
        if sheet.auto_filter
    )
    workbook = (
        f'{XML_DECLARATION}<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{entries}</sheets>"
        + (f"<definedNames>{filters}</definedNames>" if filters else "")
        + "</workbook>"
    )
    now = timezone.now().astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    core = (
        f"{XML_DECLARATION}<cp:coreProperties "
        'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<dc:creator>FTZ Tracker</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified>'
        "</cp:coreProperties>"
    )
    app = (
        f"{XML_DECLARATION}<Properties "
        'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        "<Application>FTZ Tracker</Application></Properties>"
    )
    return {
        "[Content_Types].xml": content_types,
        "_rels/.rels": root_rels,
        "docProps/core.xml": core,
        "docProps/app.xml": app,
        "xl/workbook.xml": workbook,
        "xl/_rels/workbook.xml.rels": workbook_rels,
        "xl/styles.xml": STYLES,
    }


def _absolute(ref):
    """ "A1:K13" as "$A$1:$K$13", the form a defined name takes."""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))


def render(report, changes=None):
    """The workbook as bytes; with `changes` (measures.changes.selectors.PeriodChanges) a last
    sheet compares the period with the one before."""
    taken = set()
    labels = row_labels()
    return workbook_bytes(
        itertools.chain(
            [_summary_sheet(report, taken)],
            (_zone_sheet(section, taken, labels) for section in report.sections),
            [_changes_sheet(report, changes, taken)] if changes is not None else [],
        )
    )


def _changes_sheet(report, changes, taken):
    """本期与上期对比: the zones' table, then one row per task with the comparison columns."""
    from measures.changes import exports as compared

    spec = compared.task_columns()
    sheet = Sheet(sheet_name(_("Since last period"), taken), [width for _label, width in spec])
    snapshot = getattr(report, "snapshot", None)
    sheet.append([title(report)])
    if snapshot is not None:
        sheet.append([compared.as_of_note(snapshot.day)])
    if changes.previous is None:
        sheet.append([_("This is the plan's first period: there is no earlier period to compare with.")])
        return sheet
    sheet.append([compared.comparison_heading(changes)])
    sheet.append([])
    sheet.append([str(label) for label, _width in compared.zone_columns()], HEADER)
    for tally in changes.zones:
        sheet.append(compared.zone_cells(tally.zone.name, tally))
    sheet.append(compared.zone_cells(_("Total"), changes.total), HEADER)
    sheet.append([])
    sheet.append([str(label) for label, _width in spec], HEADER)
    moves, yes = compared.move_labels(), _("Yes")
    for row in changes.rows:
        sheet.append(compared.task_cells(row, moves, yes), TOP)
    return sheet


def workbook_bytes(sheets):
    """The workbook of `sheets` (an iterable of Sheet) as bytes. Each sheet is written into the
    archive as soon as it is built, so only one sheet's rows are held as text at a time."""
    written = []
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, sheet in enumerate(sheets, start=1):
            sheet.write(archive, f"xl/worksheets/sheet{n}.xml")
            written.append(Written(sheet.name, sheet.auto_filter))
        for name, content in _package(written).items():
            archive.writestr(name, content)
    return buffer.getvalue()
