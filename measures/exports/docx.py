"""The period report as a Word document in the usual layout of an official report (GB/T 9704):
centred title, addressees, body in 仿宋, numbered headings in 黑体, ready to edit and send."""

import re
import zipfile
from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import formats
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from core.i18n import localized
from measures.exports import text
from measures.exports.rows import row_labels
from zones.numerals import to_chinese

LATIN = "Times New Roman"
BODY, TITLE, HEADING, SUBHEADING = "仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312"
SIZE = Pt(16)  # 三号, the body size of official documents
INDENT = Pt(32)  # two characters


def _fonts(rpr, east_asia, latin=LATIN):
    """Name the fonts outright: a theme font would win over them and is rarely CJK-capable."""
    fonts = rpr.get_or_add_rFonts()
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), latin)
    fonts.set(qn("w:eastAsia"), east_asia)


def _style(document, name, east_asia, size, bold=False):
    style = document.styles[name]
    style.font.size, style.font.bold = size, bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    _fonts(style.element.get_or_add_rPr(), east_asia)
    fmt = style.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(28)
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.first_line_indent = INDENT
    return style


# Paragraphs joined and encoded this many at a time when the body is written (Body.save).
PARTS_PER_CHUNK = 1000


class Body:
    """The document's paragraphs, written as WordprocessingML text and added to the file at once.

    python-docx's add_paragraph() inserts each paragraph before the body's closing w:sectPr,
    which it finds by scanning the body's children: the export grew with the square of the
    tasks (three quarters of 34 to 78 s at 20,000). Even appended directly, its element objects
    cost about 0.5 ms a row (runs, fonts, text each a few lxml calls and XPath searches), so the
    paragraphs are joined as text here, as the xlsx writer does. The XML is what python-docx
    wrote for the same calls; the tests read it back with python-docx."""

    def __init__(self, document):
        self.document = document
        self._parts = []
        self._style_ids = {}

    def paragraph(self, value="", **options):
        """A paragraph of plain text (escaped here); `options` as for runs()."""
        self.runs(run(value) if value else "", **options)

    def runs(self, *runs, style=None, indent=True, align=None, line_spacing=None):
        """A paragraph of runs written by run(): only ever XML made here, never text as given."""
        properties = []
        if style is not None:
            properties.append(f'<w:pStyle w:val="{self._style_id(style)}"/>')
        if line_spacing is not None:
            properties.append(f'<w:spacing w:line="{line_spacing.twips}" w:lineRule="exact"/>')
        if not indent:
            properties.append('<w:ind w:firstLine="0"/>')
        if align is not None:
            properties.append(f'<w:jc w:val="{ALIGNMENTS[align]}"/>')
        p_pr = f"<w:pPr>{''.join(properties)}</w:pPr>" if properties else ""
        self._parts.append(f"<w:p>{p_pr}{''.join(runs)}</w:p>")

    def block(self, xml):
        """A body element already written as XML (a table, say), after what is there."""
        self._parts.append(xml)

    def heading(self, value, level):
        self.paragraph(value, style=f"Heading {level}")

    def save(self):
        """The document as bytes, with the paragraphs written here after whatever python-docx
        added (a table, say), before the body's closing section properties.

        Spliced into word/document.xml as text rather than parsed into the document: moving
        20,000 parsed paragraphs into python-docx's tree took longer than writing them."""
        buffer = BytesIO()
        self.document.save(buffer)
        output = BytesIO()
        with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = source.read(info)
                if info.filename != "word/document.xml":
                    target.writestr(info, data)
                    continue
                head, section, tail = data.decode("utf-8").rpartition("<w:sectPr")
                if not section:
                    raise ValueError("word/document.xml has no w:sectPr")
                # Streamed a chunk of paragraphs at a time: joined into one string, spliced and
                # encoded whole, the 20,000-task body was held three times and grew faster than
                # its rows.
                info.compress_type = zipfile.ZIP_DEFLATED
                with target.open(info, "w") as part:
                    part.write(head.encode())
                    parts = self._parts
                    for start in range(0, len(parts), PARTS_PER_CHUNK):
                        part.write("".join(parts[start : start + PARTS_PER_CHUNK]).encode())
                    part.write(f"{section}{tail}".encode())
        return output.getvalue()

    def _style_id(self, name):
        # Looked up by name once: each lookup is a search of styles.xml.
        if name not in self._style_ids:
            self._style_ids[name] = self.document.styles[name].style_id
        return self._style_ids[name]


ALIGNMENTS = {WD_ALIGN_PARAGRAPH.CENTER: "center", WD_ALIGN_PARAGRAPH.RIGHT: "right"}
# As python-docx's run.text: a tab becomes w:tab, a line break w:br (CR LF one break).
RUN_BREAKS = re.compile(r"(\t|\r\n|\r|\n)")


def _text_xml(value):
    pieces = []
    # Stored text as every export writes it (text.writable): a pasted vertical tab is a line break.
    for piece in RUN_BREAKS.split(text.writable(value)):
        if piece == "\t":
            pieces.append("<w:tab/>")
        elif piece in ("\r\n", "\r", "\n"):
            pieces.append("<w:br/>")
        elif piece:
            preserve = ' xml:space="preserve"' if piece != piece.strip() else ""
            pieces.append(f"<w:t{preserve}>{escape(piece)}</w:t>")
    return "".join(pieces)


def _fonts_xml(east_asia, latin=LATIN):
    return f'<w:rFonts w:ascii="{latin}" w:hAnsi="{latin}" w:cs="{latin}" w:eastAsia="{escape(east_asia)}"/>'


def run(value, east_asia=None, size=None, bold=False):
    """One run as XML: fonts named outright (see _fonts), bold, size in points."""
    properties = ""
    if east_asia:
        properties += _fonts_xml(east_asia)
    if bold:
        properties += "<w:b/>"
    if size:
        properties += f'<w:sz w:val="{round(size.pt * 2)}"/>'
    r_pr = f"<w:rPr>{properties}</w:rPr>" if properties else ""
    return f"<w:r>{r_pr}{_text_xml(str(value))}</w:r>"


def set_up_page(document):
    """The official layout on `document`: A4 with the 公文 margins, body and heading fonts, East
    Asian text marked zh-CN (the period report and the stocktake pack alike)."""
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = _style(document, "Normal", BODY, SIZE)
    language = OxmlElement("w:lang")
    language.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().append(language)
    _style(document, "Heading 1", HEADING, SIZE)
    _style(document, "Heading 2", SUBHEADING, SIZE)


def _subheading_number(number):
    return localized(f"（{to_chinese(number)}）", f"({number}) ")


def _task_ref_format():
    """Translated once per part of the document: a lookup per row was a tenth of the export."""
    return _("%(zone)s, task %(number)s (%(title)s)")


def _task_ref(zone, task, template=None):
    return (template or _task_ref_format()) % {
        "zone": zone.name,
        "number": task.number,
        "title": task.title,
    }


def _zone_section(body, number, section, labels):
    body.heading(text.heading_number(number) + section.zone.name, level=1)
    timeliness = section.timeliness()
    body.paragraph(
        _("%(tasks)s tasks: %(on_time)s reported on time, %(late)s late, %(missing)s not yet submitted.")
        % {"tasks": len(section.rows), **timeliness},
    )
    not_reported = run(_("(not reported)"))
    reported = _("(%(status)s, %(percent)s%% complete, %(light)s) ")
    verified = _("(verified: %(assessment)s, %(verified)s%%) ")
    for row in section.rows:
        lead = run(f"{row.task.number}. {row.task.title}", SUBHEADING)
        if row.report is None:
            body.runs(lead, not_reported)
            continue
        status = reported % {
            "status": labels["status"][row.status or None],
            "percent": row.task.report_percent,
            "light": labels["light"][row.light],
        }
        if row.report.assessment:
            # Verified progress beside the zone's own: the accepting manager's assessment.
            status += verified % {
                "assessment": labels["assessment"][row.report.assessment],
                "verified": row.report.verified_percent,
            }
        progress = row.text("progress")
        body.runs(lead, run(status), run(progress) if progress else "")


def _problems(body, number, report):
    body.heading(text.heading_number(number) + _("Problems and difficulties"), level=1)
    body.heading(_subheading_number(1) + _("Problems reported"), level=2)
    rows = report.with_problems()
    ref = _task_ref_format()
    for row in rows:
        body.paragraph(f"{_task_ref(row.task.zone, row.task, ref)}: {row.text('problems')}")
    if not rows:
        body.paragraph(_("No problems were reported."))
    body.heading(_subheading_number(2) + _("Support requested from agencies"), level=2)
    support = report.with_support_needed()
    asks = _("%(task)s asks %(agency)s for: %(text)s")
    for row in support:
        agency = row.report.support_agency.name if row.report.support_agency else "—"
        body.paragraph(
            asks
            % {
                "task": _task_ref(row.task.zone, row.task, ref),
                "agency": agency,
                "text": row.text("support_needed"),
            },
        )
    asked = _("%(task)s: coordination request to %(agency)s: %(question)s (%(state)s)")
    for section in report.sections:
        for request in section.requests:
            body.paragraph(
                asked
                % {
                    "task": _task_ref(section.zone, request.task, ref),
                    "agency": request.agency.name,
                    "question": request.question,
                    "state": request.get_state_display(),
                },
            )
    if not support and not report.requests:
        body.paragraph(_("No support was requested."))


def _next_steps(body, number, report):
    body.heading(text.heading_number(number) + _("Next steps"), level=1)
    rows = report.with_next_steps()
    ref = _task_ref_format()
    for row in rows:
        body.paragraph(f"{_task_ref(row.task.zone, row.task, ref)}: {row.text('next_steps')}")
    if not rows:
        body.paragraph(_("No next steps were reported."))


def _changes(body, number, report, changes):
    """本期与上期对比: a sentence for the whole, one per zone, then the biggest movers."""
    from measures.changes import exports as compared

    body.heading(text.heading_number(number) + _("Changes since the last period"), level=1)
    if changes.previous is None:
        body.paragraph(_("This is the plan's first period: there is no earlier period to compare with."))
        return
    body.paragraph(compared.summary_sentence(changes))
    for tally in changes.zones:
        body.paragraph(compared.zone_sentence(tally))
    lines = compared.mover_lines(changes)
    if lines:
        body.heading(_subheading_number(1) + _("Biggest movers"), level=2)
        for line in lines:
            body.paragraph(line)


def render(report, changes=None):
    """The document as bytes; with `changes` (measures.changes.selectors.PeriodChanges) a part
    compares the period with the one before."""
    document = Document()
    set_up_page(document)
    body = Body(document)
    title = text.title(report)
    document.core_properties.title = text.writable(title)
    body.runs(run(title, TITLE, Pt(22)), indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, line_spacing=Pt(36))
    body.paragraph(indent=False)
    body.paragraph(text.addressee_line(), indent=False)
    body.paragraph(text.opening(report))
    snapshot = getattr(report, "snapshot", None)
    if snapshot is not None:
        from measures.changes.exports import as_of_note

        body.paragraph(as_of_note(snapshot.day))
    for sentence in text.summary_sentences(report):
        body.paragraph(sentence)
    labels = row_labels()
    for number, section in enumerate(report.sections, start=1):
        _zone_section(body, number, section, labels)
    after = len(report.sections)
    _problems(body, after + 1, report)
    _next_steps(body, after + 2, report)
    if changes is not None:
        _changes(body, after + 3, report, changes)
    body.paragraph(indent=False)
    body.paragraph(
        formats.date_format(report.today, "DATE_FORMAT"), indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT
    )
    return body.save()
