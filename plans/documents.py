"""Read an uploaded plan document into clean text lines, whatever file an office has.

Plans arrive as plain text in any common encoding, as Word (.docx), as PDF with a text layer, or as
a task table (.xlsx, .csv). Every reader returns the same thing: a list of text lines whose index + 1
is the line number shown in errors and in the preview (for a .txt the line of the file; for a
.docx the paragraph or table row; for a PDF the line of the extracted text, with its page; for a
table the row). Lines removed as page furniture stay as empty lines, so numbers never shift.

Table rows (a .docx table, every .xlsx/.csv row) become one line of tab-separated cells, so the
task-table layout reads them alike.

No parsing of the plan here: that is the layouts' job (plans.layouts).
"""

import csv
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

MAX_BYTES = 20 * 1024 * 1024

# Removed everywhere: they are invisible in every editor and break matching (BOMs inside the
# text come from files concatenated by hand).
INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\ufeff\u00ad]")
NBSP_RE = re.compile("[\u00a0\u202f\u2007]")
DASHES = "—–－\\-―─"
PAGE_NUMBER_RES = [
    re.compile(rf"^[{DASHES}]+\s*[0-9０-９]{{1,4}}\s*[{DASHES}]+$"),  # — 12 —, - 12 -
    re.compile(
        r"^第\s*[0-9０-９]{1,4}\s*页(?:\s*[,，/、]?\s*共\s*[0-9０-９]{1,4}\s*页)?$"
    ),  # 第 3 页 共 40 页
    re.compile(r"^共\s*[0-9０-９]{1,4}\s*页\s*第\s*[0-9０-９]{1,4}\s*页$"),
    re.compile(r"^[0-9０-９]{1,4}\s*/\s*[0-9０-９]{1,4}$"),  # 3 / 40
    re.compile(r"^(?:page|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$", re.I),
]
BARE_NUMBER_RE = re.compile(r"^[0-9０-９]{1,4}$")
# A heading or numbered item may legitimately repeat (（一）指导思想 in every annex); a running
# header never starts with a number.
NUMBERED_RE = re.compile(
    r"^(?:附件|第[一二三四五六七八九十百0-9]+[章节条]|[一二三四五六七八九十]+\s*、|[（(]|[0-9０-９]|[①-⑳])"
)
RUNNING_HEADER_MAX = 40
RUNNING_HEADER_MIN_REPEATS = 3
SENTENCE_END = "。；;！？"


class DocumentError(Exception):
    """The file cannot be read as a plan document; the message says what to do."""

    def __init__(self, message, line=None):
        self.message = message
        self.line = line
        super().__init__(message if line is None else f"line {line}: {message}")


@dataclass
class Document:
    name: str
    kind: str  # txt, docx, pdf, xlsx, csv
    lines: list  # index + 1 is the line number
    encoding: str = ""
    pages: list = field(default_factory=list)  # page of each line (PDF only)
    removed: list = field(default_factory=list)  # [(line number, text, why)]

    @property
    def text(self):
        return "\n".join(self.lines)

    def label(self, number):
        """How the preview names a line: 12, or 12 (p. 3) for a PDF."""
        if self.pages and 0 < number <= len(self.pages):
            return f"{number} (p. {self.pages[number - 1]})"
        return str(number)


def read_document(name, data):
    """Read `data` (bytes of a file called `name`) into a cleaned Document; DocumentError if not."""
    if len(data) > MAX_BYTES:
        raise DocumentError(
            _("The file is larger than %(mb)d MB. Split it or remove images, then upload it again.")
            % {"mb": MAX_BYTES // (1024 * 1024)}
        )
    if not data.strip():
        raise DocumentError(_("The file is empty."))
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if data.startswith(b"%PDF-"):
        document = _read_pdf(name, data)
    elif data.startswith(b"PK\x03\x04"):
        document = _read_zip(name, data)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DocumentError(
            _(
                "This is an old Word or Excel file (.doc/.xls). Open it in Word or Excel, choose "
                "“Save as” .docx or .xlsx, and upload that."
            )
        )
    elif data.lstrip().startswith(b"{\\rtf"):
        raise DocumentError(_("This is an RTF file. Save it as .docx or as text (.txt) and upload that."))
    elif data.lstrip()[:5].lower() in (b"<html", b"<!doc", b"<?xml"):
        raise DocumentError(
            _("This is a web page or XML file, not a plan document. Upload .docx, .pdf or .txt.")
        )
    else:
        text, encoding = decode_text(data)
        if extension == "csv" or (extension != "txt" and _looks_like_csv(text)):
            document = Document(name, "csv", _csv_lines(text), encoding=encoding)
        else:
            document = Document(name, "txt", text.split("\n"), encoding=encoding)
    clean(document)
    if not any(line.strip() for line in document.lines):
        raise DocumentError(_("The file has no text in it."))
    return document


def decode_text(data):
    """Return (text, encoding name) for text bytes in UTF-8 (BOM or not), UTF-16 or GBK/GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _normalise_newlines(data[3:].decode("utf-8", errors="strict")), "UTF-8 (BOM)"
    for bom, codec, label in (
        (b"\xff\xfe", "utf-16-le", "UTF-16 LE"),
        (b"\xfe\xff", "utf-16-be", "UTF-16 BE"),
    ):
        if data.startswith(bom):
            try:
                return _normalise_newlines(data[2:].decode(codec)), label
            except UnicodeDecodeError as exc:
                raise DocumentError(_cannot_decode(label)) from exc
    try:
        return _normalise_newlines(data.decode("utf-8")), "UTF-8"
    except UnicodeDecodeError:
        pass
    # UTF-16 without a BOM: every other byte of ASCII and CJK text is rarely zero otherwise.
    sample = data[:4000]
    if sample.count(b"\x00") > len(sample) // 5:
        codec = "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
        try:
            return _normalise_newlines(data.decode(codec)), codec.upper()
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    encoding = best.encoding if best is not None else ""
    # GB18030 is a superset of GB2312 and GBK: reading with it never loses a character either knows.
    if encoding.replace("_", "").lower() in ("gb2312", "gbk", "gb18030", "hz", "") or _mostly_chinese_gb(
        data
    ):
        try:
            return _normalise_newlines(data.decode("gb18030")), "GB18030"
        except UnicodeDecodeError:
            pass
    if best is not None:
        return _normalise_newlines(str(best)), encoding.upper().replace("_", "-")
    raise DocumentError(_cannot_decode(""))


def _mostly_chinese_gb(data):
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return cjk > len(text) * 0.2


def _cannot_decode(label):
    return _(
        "The text file could not be read%(as)s. Save it as “UTF-8” (in Notepad: File › Save as › "
        "Encoding UTF-8; in WPS/Word: save as .docx) and upload it again."
    ) % {"as": (" " + _("as %(encoding)s") % {"encoding": label}) if label else ""}


def _normalise_newlines(text):
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_like_csv(text):
    first = next((line for line in text.split("\n") if line.strip()), "")
    return first.count(",") >= 2 and "序号" in first


def _csv_lines(text):
    rows = csv.reader(io.StringIO(text))
    return ["\t".join(_cell(cell) for cell in row).rstrip("\t") for row in rows]


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s*\n\s*", "", str(value)).replace("\t", " ").strip()


def _read_zip(name, data):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise DocumentError(
            _("The file is damaged (not a complete .docx or .xlsx). Save it again and upload it.")
        ) from exc
    if any(member.endswith("vbaProject.bin") for member in names):
        raise DocumentError(_("The file contains macros. Save it as a plain .docx or .xlsx without macros."))
    total = sum(info.file_size for info in archive.infolist())
    if total > 20 * MAX_BYTES:
        raise DocumentError(_("The file unpacks to far more than it holds and is refused."))
    if "word/document.xml" in names:
        return _read_docx(name, data)
    if "xl/workbook.xml" in names:
        return _read_xlsx(name, data)
    if "ppt/presentation.xml" in names:
        raise DocumentError(_("This is a PowerPoint file. Upload the plan as .docx, .pdf or .txt."))
    raise DocumentError(_("This zip file is neither a Word (.docx) nor an Excel (.xlsx) file."))


def _read_docx(name, data):
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds on a damaged file
        raise DocumentError(
            _("The Word file could not be opened (%(error)s). Save it again as .docx.") % {"error": exc}
        ) from exc
    lines = []
    numbering = _WordNumbering(document)

    def walk(parent):
        for child in parent.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                paragraph = Paragraph(child, document)
                lines.extend(_docx_paragraph(paragraph, numbering.label(paragraph)))
            elif tag == "tbl":
                for row in Table(child, document).rows:
                    cells = []
                    for cell in row.cells:
                        text = _cell("".join(p.text for p in cell.paragraphs))
                        # A merged cell is reported once per grid column it spans.
                        if not cells or cell._tc is not getattr(cells[-1], "_tc_ref", None):
                            cells.append(_CellText(text, cell._tc))
                    lines.append("\t".join(cell.text for cell in cells).rstrip("\t"))
            elif tag == "sdt":
                # A content control holds ordinary paragraphs and tables.
                for content in child.iterchildren():
                    if content.tag.rsplit("}", 1)[-1] == "sdtContent":
                        walk(content)

    walk(document.element.body)
    return Document(name, "docx", lines)


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


class _WordNumbering:
    """The numbers Word draws in front of list paragraphs (1. （一） ①), which are not in their text."""

    def __init__(self, document):
        self.levels = {}  # numId → {ilvl: (format, text, start)}
        self.counters = {}
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            return
        abstract = {}
        for node in root.findall(W + "abstractNum"):
            levels = {}
            for level in node.findall(W + "lvl"):
                levels[int(level.get(W + "ilvl"))] = (
                    _val(level.find(W + "numFmt"), "decimal"),
                    _val(level.find(W + "lvlText"), ""),
                    int(_val(level.find(W + "start"), "1")),
                )
            abstract[node.get(W + "abstractNumId")] = levels
        for node in root.findall(W + "num"):
            self.levels[node.get(W + "numId")] = abstract.get(_val(node.find(W + "abstractNumId"), ""), {})

    def label(self, paragraph):
        num_pr = _num_pr(paragraph._p)
        if num_pr is None and paragraph.style is not None:
            num_pr = _num_pr(paragraph.style.element)
        if num_pr is None:
            return ""
        num_id = _val(num_pr.find(W + "numId"), "0")
        level = int(_val(num_pr.find(W + "ilvl"), "0"))
        levels = self.levels.get(num_id)
        if not levels or level not in levels:
            return ""
        counters = self.counters.setdefault(num_id, {})
        counters[level] = counters.get(level, levels[level][2] - 1) + 1
        for deeper in [k for k in counters if k > level]:
            del counters[deeper]
        fmt, text, _start = levels[level]
        if fmt in ("bullet", "none"):
            return ""

        def number(match):
            at = int(match.group(1)) - 1
            value = counters.get(at, levels.get(at, ("decimal", "", 1))[2])
            return _format_number(value, levels.get(at, (fmt,))[0])

        return re.sub(r"%([1-9])", number, text)


def _num_pr(element):
    ppr = element.find(W + "pPr")
    return ppr.find(W + "numPr") if ppr is not None else None


def _val(node, default):
    return node.get(W + "val", default) if node is not None else default


def _format_number(value, fmt):
    from zones.numerals import to_chinese

    if fmt.startswith("chinese") or fmt.startswith("ideograph") or fmt.startswith("japanese"):
        return to_chinese(value)
    if fmt.startswith("decimalEnclosedCircle") and 0 < value <= len(CIRCLED):
        return CIRCLED[value - 1]
    if fmt == "decimalFullWidth":
        return str(value).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if fmt in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (value - 1) % 26)
        return letter.upper() if fmt == "upperLetter" else letter
    return str(value)


class _CellText:
    def __init__(self, text, tc):
        self.text = text
        self._tc_ref = tc


def _docx_paragraph(paragraph, label=""):
    """A paragraph as one line (soft line breaks split it); a bold lead sentence kept as **…**;
    `label` is the number Word draws in front of a list paragraph."""
    runs = [(run.text, bool(run.bold)) for run in paragraph.runs]
    text = "".join(text for text, _bold in runs)
    if not text.strip():
        return [""]
    bold_prefix = ""
    for run_text, bold in runs:
        if not bold:
            break
        bold_prefix += run_text
    rest = text[len(bold_prefix) :]
    if bold_prefix.strip() and rest.strip():
        text = f"**{bold_prefix}**{rest}"
    return (label + text).split("\n")


def _read_xlsx(name, data):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
        raise DocumentError(
            _("The Excel file could not be opened (%(error)s). Save it again as .xlsx.") % {"error": exc}
        ) from exc
    sheet = workbook.worksheets[0]
    lines = []
    for row in sheet.iter_rows(values_only=True):
        lines.append("\t".join(_cell(value) for value in row).rstrip("\t"))
    workbook.close()
    return Document(name, "xlsx", lines)


def _read_pdf(name, data):
    import logging

    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError

    # pdfminer logs a warning per glyph of a font without metrics; the text is still right.
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    lines, pages = [], []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            page_count = len(pdf.pages)
            for number, page in enumerate(pdf.pages, start=1):
                text = page.extract_text() or ""
                for line in text.split("\n"):
                    lines.append(line)
                    pages.append(number)
    except PDFPasswordIncorrect as exc:
        raise DocumentError(
            _("The PDF is password-protected. Save an unprotected copy and upload that.")
        ) from exc
    except (PDFSyntaxError, Exception) as exc:  # noqa: BLE001 - pdfminer raises many kinds on a damaged file
        raise DocumentError(
            _("The PDF could not be read (%(error)s). Upload the .docx instead.") % {"error": exc}
        ) from exc
    if sum(len(line.strip()) for line in lines) < 20 * max(page_count, 1) // 4 + 10:
        raise DocumentError(
            _(
                "The PDF has no text layer: it is a scan (pictures of pages). Upload the Word (.docx) "
                "version of the plan, or run text recognition (OCR) on the PDF first."
            )
        )
    return Document(name, "pdf", lines, pages=pages)


def clean(document):
    """Remove invisible characters and page furniture in place; removed lines stay as blanks."""
    lines = document.lines
    for index, line in enumerate(lines):
        line = INVISIBLE_RE.sub("", line)
        line = NBSP_RE.sub(" ", line)
        lines[index] = line.rstrip()

    def drop(index, why):
        document.removed.append((index + 1, lines[index].strip(), why))
        lines[index] = ""

    for index, line in enumerate(lines):
        stripped = line.strip()
        # A bare number on its own line is a page number only where pages exist.
        bare = document.kind == "pdf" and BARE_NUMBER_RE.match(stripped)
        if bare or any(pattern.match(stripped) for pattern in PAGE_NUMBER_RES):
            drop(index, "page number")
    for index in _running_headers(document):
        drop(index, "running header")


def _header_key(text):
    return re.sub(r"[0-9０-９]+", "#", re.sub(r"\s+", "", text))


def _running_headers(document):
    """Indexes of lines repeated as page headers or footers."""
    lines = document.lines
    if document.kind in ("xlsx", "csv"):
        return []
    if document.pages:
        # A PDF: the first and last lines of each page that recur on many pages. At most one
        # at each end of a page, so a title under a header with the same words stays.
        by_page = {}
        for index, page in enumerate(document.pages):
            if lines[index].strip():
                by_page.setdefault(page, []).append(index)
        tops = [indexes[:2] for indexes in by_page.values()]
        bottoms = [indexes[-2:][::-1] for indexes in by_page.values()]
        counts = Counter(_header_key(lines[i]) for group in tops + bottoms for i in set(group))
        needed = max(RUNNING_HEADER_MIN_REPEATS, len(by_page) // 3)

        def is_header(i):
            text = lines[i].strip()
            return (
                counts[_header_key(text)] >= needed
                and len(text) <= RUNNING_HEADER_MAX
                and not NUMBERED_RE.match(text)
            )

        found = set()
        for group in tops + bottoms:
            first = next((i for i in group if is_header(i)), None)
            if first is not None:
                found.add(first)
        return sorted(found)
    # Plain text and Word: a short unnumbered line that is not a sentence, not part of a list
    # (、，：) nor the end of a bracket opened on an earlier line, and recurs.
    counts = Counter(_header_key(line) for line in lines if line.strip())
    found = []
    seen_first = set()
    previous = ""
    for index, line in enumerate(lines):
        stripped = line.strip()
        if (
            stripped
            and counts[_header_key(stripped)] >= RUNNING_HEADER_MIN_REPEATS
            and len(stripped) <= RUNNING_HEADER_MAX
            and not NUMBERED_RE.match(stripped)
            and stripped[-1] not in SENTENCE_END
            and not stripped.startswith("**")
            and not any(mark in stripped for mark in "、，,：:；;")
            and _balanced(stripped)
        ):
            key = _header_key(stripped)
            # The document's own title often doubles as its running header, and an annex's title
            # as the header of its pages: keep it where it stands as a title.
            if key not in seen_first and (index < 10 or ANNEX_LINE_RE.match(previous)):
                seen_first.add(key)
            else:
                found.append(index)
        if stripped:
            previous = stripped
    return found


ANNEX_LINE_RE = re.compile(r"^附件\s*[0-9０-９一二三四五六七八九十]{1,3}\s*[：:]?$")


def _balanced(text):
    depth = 0
    for ch in text:
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0
