"""The period report as a Word document in the usual layout of an official report (GB/T 9704):
centred title, addressees, body in 仿宋, numbered headings in 黑体, ready to edit and send."""

from io import BytesIO

from django.utils import formats
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from zones.i18n import localized
from zones.numerals import to_chinese

from . import text

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


class Body:
    """Appends paragraphs to the end of a document's body in constant time.

    python-docx's add_paragraph() and add_heading() insert each paragraph before the body's
    closing w:sectPr, which they find by scanning the body's children from the start: at 20,000
    tasks that scan was three quarters of the export's time, and the export grew with the square
    of the tasks. Keeping the w:sectPr and inserting before it directly is the same XML."""

    def __init__(self, document):
        self.document = document
        self._element = document.element.body
        self._end = self._element.sectPr
        self._container = document._body
        self._style_ids = {}

    def paragraph(self, value="", style=None):
        element = OxmlElement("w:p")
        if self._end is not None:
            self._end.addprevious(element)
        else:
            self._element.append(element)
        paragraph = Paragraph(element, self._container)
        if style is not None:
            element.style = self._style_id(style)
        if value:
            paragraph.add_run(value)
        return paragraph

    def heading(self, value, level):
        return self.paragraph(value, f"Heading {level}")

    def _style_id(self, name):
        # Looked up by name once: each lookup is a search of styles.xml.
        if name not in self._style_ids:
            self._style_ids[name] = self.document.styles[name].style_id
        return self._style_ids[name]


def _setup(document):
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


def _run(paragraph, value, east_asia=None, size=None, bold=False):
    run = paragraph.add_run(value)
    run.bold = bold or None
    if size:
        run.font.size = size
    if east_asia:
        _fonts(run._r.get_or_add_rPr(), east_asia)
    return run


def _paragraph(body, value="", indent=True, align=None):
    paragraph = body.paragraph(value)
    if not indent:
        paragraph.paragraph_format.first_line_indent = Pt(0)
    if align is not None:
        paragraph.alignment = align
    return paragraph


def _subheading_number(number):
    return localized(f"（{to_chinese(number)}）", f"({number}) ")


def _task_ref(zone, task):
    return _("%(zone)s, task %(number)s (%(title)s)") % {
        "zone": zone.name,
        "number": task.number,
        "title": task.title,
    }


def _zone_section(body, number, section):
    body.heading(text.heading_number(number) + section.zone.name, level=1)
    timeliness = section.timeliness()
    _paragraph(
        body,
        _("%(tasks)s tasks: %(on_time)s reported on time, %(late)s late, %(missing)s not yet submitted.")
        % {"tasks": len(section.rows), **timeliness},
    )
    for row in section.rows:
        paragraph = _paragraph(body)
        lead = f"{row.task.number}. {row.task.title}"
        if row.report is None:
            _run(paragraph, lead, SUBHEADING)
            _run(paragraph, _("(not reported)"))
            continue
        _run(paragraph, lead, SUBHEADING)
        _run(
            paragraph,
            _("(%(status)s, %(percent)s%% complete, %(light)s) ")
            % {"status": row.status_label, "percent": row.task.report_percent, "light": row.light_label},
        )
        _run(paragraph, row.text("progress"))


def _problems(body, number, report):
    body.heading(text.heading_number(number) + _("Problems and difficulties"), level=1)
    body.heading(_subheading_number(1) + _("Problems reported"), level=2)
    rows = report.with_problems()
    for row in rows:
        _paragraph(body, f"{_task_ref(row.task.zone, row.task)}: {row.text('problems')}")
    if not rows:
        _paragraph(body, _("No problems were reported."))
    body.heading(_subheading_number(2) + _("Support requested from agencies"), level=2)
    support = report.with_support_needed()
    for row in support:
        agency = row.report.support_agency.name if row.report.support_agency else "—"
        _paragraph(
            body,
            _("%(task)s asks %(agency)s for: %(text)s")
            % {
                "task": _task_ref(row.task.zone, row.task),
                "agency": agency,
                "text": row.text("support_needed"),
            },
        )
    for section in report.sections:
        for request in section.requests:
            _paragraph(
                body,
                _("%(task)s: coordination request to %(agency)s: %(question)s (%(state)s)")
                % {
                    "task": _task_ref(section.zone, request.task),
                    "agency": request.agency.name,
                    "question": request.question,
                    "state": request.get_state_display(),
                },
            )
    if not support and not report.requests:
        _paragraph(body, _("No support was requested."))


def _next_steps(body, number, report):
    body.heading(text.heading_number(number) + _("Next steps"), level=1)
    rows = report.with_next_steps()
    for row in rows:
        _paragraph(body, f"{_task_ref(row.task.zone, row.task)}: {row.text('next_steps')}")
    if not rows:
        _paragraph(body, _("No next steps were reported."))


def render(report):
    """The document as bytes."""
    document = Document()
    _setup(document)
    body = Body(document)
    title = text.title(report)
    document.core_properties.title = title
    heading = _paragraph(body, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    heading.paragraph_format.line_spacing = Pt(36)
    _run(heading, title, TITLE, Pt(22))
    _paragraph(body, indent=False)
    _paragraph(body, text.addressee_line(), indent=False)
    _paragraph(body, text.opening(report))
    for sentence in text.summary_sentences(report):
        _paragraph(body, sentence)
    for number, section in enumerate(report.sections, start=1):
        _zone_section(body, number, section)
    after = len(report.sections)
    _problems(body, after + 1, report)
    _next_steps(body, after + 2, report)
    _paragraph(body, indent=False)
    date = _paragraph(body, formats.date_format(report.today, "DATE_FORMAT"), indent=False)
    date.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()
