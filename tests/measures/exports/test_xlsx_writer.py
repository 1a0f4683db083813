"""The hand-written SpreadsheetML of measures.exports.xlsx: well-formed parts, and text that
Excel would refuse (control characters, over-long cells) made safe rather than breaking the file."""

import io
import zipfile

import openpyxl
from lxml import etree

from measures.exports.xlsx import HEADER, MAX_CELL_CHARS, WRAP, Sheet, Written, _package, cell_xml


def workbook(sheets):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n, sheet in enumerate(sheets, start=1):
            archive.writestr(f"xl/worksheets/sheet{n}.xml", sheet.xml())
        for name, content in _package([Written(s.name, s.auto_filter) for s in sheets]).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_every_part_is_well_formed_xml_and_openpyxl_reads_it_back():
    sheet = Sheet("A & <B>'s", [9, 36], freeze="A2")
    sheet.auto_filter = "A1:B3"
    sheet.append(["No.", "Text"], HEADER)
    sheet.append([1, "=SUM(A1)"], [WRAP, WRAP])
    sheet.append([2, ""])
    content = workbook([sheet])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            etree.fromstring(archive.read(name))
    book = openpyxl.load_workbook(io.BytesIO(content))
    read = book["A & <B>'s"]
    assert [[c.value for c in row] for row in read.iter_rows()] == [
        ["No.", "Text"],
        [1, "=SUM(A1)"],
        [2, None],
    ]
    assert read["B2"].data_type == "s" and read["B2"].alignment.wrap_text
    assert read["A1"].font.b and read.freeze_panes == "A2" and read.auto_filter.ref == "A1:B3"
    assert read.column_dimensions["B"].width == 36


def test_text_excel_would_refuse_is_made_safe():
    assert "\x0b" not in cell_xml("A1", "line\x0bbreak\x00", 0)
    long = cell_xml("A1", "字" * (MAX_CELL_CHARS + 10), 0)
    assert long.count("字") == MAX_CELL_CHARS
    assert cell_xml("A1", None, 0) == cell_xml("A1", "", 0) == ""
    assert cell_xml("A1", True, 0) == '<c r="A1" t="b"><v>1</v></c>'
