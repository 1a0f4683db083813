"""Read the FTZ's five-year plan (the 004 source format) into plain data.

The document: a preamble, then chapters (第N章 title) split into sections (第N节 title).
In the chapters that carry measures, every paragraph of a section opens with a lead
sentence (建设北方商业保理之都。) followed by its body. The second chapter (总体要求)
states the areas' functions (片区功能) and the quantitative targets (发展目标).

The text comes out of a PDF, so the parser expects and records:
- paragraphs cut by a page break (a line without closing punctuation): rejoined exactly
  as the 003 importer does (plan_parser.join_paragraphs), with a warning;
- blank lines that are not reliable: every line that ends a sentence ends a paragraph;
- headings split over two lines (第十一章 / 打造国际一流营商环境): rejoined, with a warning;
- chapter and section introductions, and paragraphs without a lead sentence: kept
  apart from the measures, with a warning wherever a choice had to be made.

Everything else it cannot read raises PlanFormatError naming the line. No Django here.
"""

import re
from dataclasses import dataclass, field

from zones.numerals import from_chinese, to_chinese

from .plan_parser import TERMINAL, Line, PlanFormatError, join_paragraphs

# Chapters with these titles describe the situation and the goals; the measures start after them.
CONTEXT_CHAPTERS = ("发展基础", "总体要求")
FUNCTIONS_SECTION = "片区功能"
TARGETS_SECTION = "发展目标"

HEADING_RE = re.compile(r"^第([一二三四五六七八九十]+)([章节])\s*(.*)$")
# A lead sentence is a short clause with no comma, semicolon or colon, closed by 。 and
# followed by the body. Every lead in the 004 source has at most 25 characters; every
# opening sentence that is not a lead has commas.
LEAD_RE = re.compile(r"^([^。，；：,;:！？]{1,40})。(.+)$", re.S)
MAX_HEADING_LENGTH = 40
SENTENCE_MARKS = "。，；：,;:！？"
# Zone clauses of 片区功能: "天津港东疆片区重点发展…" and "滨海高新区联动创新区重点发展…".
ZONE_CLAUSE_RE = re.compile(r"^(\S+?(?:片区|联动创新区))重点发展")
# Numbers with the units the targets use; 2025年 and other years are not targets.
TARGET_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(项|%|％|亿美元|亿元)")
TARGET_YEAR_RE = re.compile(r"到(\d{4})年|“十四五”(?:期间|末期)")
PERIOD_RE = re.compile(r"时间范围为\s*(\d{4})\s*[-－—–至]\s*(\d{4})\s*年")
SHORT_NAME_RE = re.compile(r"中国（天津）自由贸易试验区（以下简称([^）]+)）")


@dataclass
class Paragraph:
    line: int
    text: str

    @property
    def lead(self):
        """The lead sentence without its 。, or None when the paragraph opens without one."""
        match = LEAD_RE.match(self.text)
        return match.group(1) if match else None


@dataclass
class ParsedMeasure:
    chapter: int
    section: int
    number: int  # position among the section's measures
    line: int
    title: str
    text: str
    has_lead: bool

    @property
    def code(self):
        return f"{self.chapter}.{self.section}.{self.number}"

    @property
    def source_ref(self):
        return f"第{to_chinese(self.chapter)}章第{to_chinese(self.section)}节第{self.number}段"


@dataclass
class ParsedSection:
    chapter: int
    number: int
    line: int
    title: str
    paragraphs: list = field(default_factory=list)
    intro: list = field(default_factory=list)  # paragraphs before the first measure
    measures: list = field(default_factory=list)

    @property
    def code(self):
        return f"{self.chapter}.{self.number}"

    @property
    def heading(self):
        return f"第{to_chinese(self.number)}节 {self.title}"


@dataclass
class ParsedChapter:
    number: int
    line: int
    title: str
    is_context: bool
    intro: list = field(default_factory=list)  # paragraphs between the heading and the first section
    sections: list = field(default_factory=list)

    @property
    def heading(self):
        return f"第{to_chinese(self.number)}章 {self.title}"

    @property
    def measures(self):
        return [measure for section in self.sections for measure in section.measures]


@dataclass
class ZoneFunction:
    name: str  # as 片区功能 writes it, e.g. 中心商务片区, 滨海高新区联动创新区
    text: str  # the clause, verbatim, without the ； or 。 that ends it
    line: int


@dataclass
class ParsedTarget:
    indicator: str  # the words before the number, verbatim apart from 其中/实现 and 达到
    value: str
    unit: str
    target_year: int | None
    year_text: str  # the words the year comes from: 争取到2025年, 到“十四五”末期 …
    part_of: str | None  # the indicator this one is a part of (…200项，其中…25项)
    sentence: str
    line: int
    source_ref: str


@dataclass
class ParsedFYP:
    title: str
    preamble: list  # paragraphs before the first chapter
    chapters: list
    period: tuple | None  # (2021, 2025) from 时间范围为2021-2025年
    short_name: str  # 天津自贸试验区, from （以下简称…）
    zone_functions: list
    targets: list
    warnings: list = field(default_factory=list)

    @property
    def sections(self):
        return [section for chapter in self.chapters for section in chapter.sections]

    @property
    def measure_chapters(self):
        return [chapter for chapter in self.chapters if not chapter.is_context]

    @property
    def measures(self):
        return [measure for chapter in self.measure_chapters for measure in chapter.measures]

    def section(self, title_part):
        """The context section whose title contains title_part (片区功能, 发展目标), or None."""
        for chapter in self.chapters:
            for section in chapter.sections:
                if chapter.is_context and title_part in section.title:
                    return section
        return None


def _looks_like_title(text):
    return len(text) <= MAX_HEADING_LENGTH and not any(mark in text for mark in SENTENCE_MARKS)


class _Parser:
    def __init__(self, text, context_chapters):
        self.lines = [
            Line(index + 1, raw.strip()) for index, raw in enumerate(text.splitlines()) if raw.strip()
        ]
        self.context_chapters = context_chapters
        self.warnings = []

    def warn(self, line, message):
        self.warnings.append((line, message))

    def parse(self):
        if not self.lines:
            raise PlanFormatError(1, "the document is empty")
        items = self._headings()
        if not any(item[0] == "章" for item in items):
            raise PlanFormatError(
                self.lines[0].number, "no chapters found: expected headings such as “第一章 …”"
            )
        front, chapters = [], []
        for kind, line, number, title in items:
            if kind == "text":
                if not chapters:
                    front.append(line)
                elif chapters[-1].sections:
                    chapters[-1].sections[-1].paragraphs.append(line)
                else:
                    chapters[-1].intro.append(line)
            elif kind == "章":
                if number != len(chapters) + 1:
                    raise PlanFormatError(
                        line.number,
                        f"第{to_chinese(number)}章 is out of sequence (expected 第{to_chinese(len(chapters) + 1)}章)",
                    )
                is_context = any(name in title for name in self.context_chapters)
                chapters.append(ParsedChapter(number, line.number, title, is_context))
            else:
                if not chapters:
                    raise PlanFormatError(line.number, f"section “{line.text}” comes before any chapter")
                chapter = chapters[-1]
                if number != len(chapter.sections) + 1:
                    raise PlanFormatError(
                        line.number,
                        f"{chapter.heading}: 第{to_chinese(number)}节 is out of sequence "
                        f"(expected 第{to_chinese(len(chapter.sections) + 1)}节)",
                    )
                chapter.sections.append(ParsedSection(chapter.number, number, line.number, title))

        title, front = self._title(front)
        preamble = self._paragraphs(front)
        for chapter in chapters:
            chapter.intro = self._paragraphs(chapter.intro)
            for section in chapter.sections:
                section.paragraphs = self._paragraphs(section.paragraphs)
                if not chapter.is_context:
                    self._measures(chapter, section)
            if not chapter.is_context and not chapter.sections:
                raise PlanFormatError(chapter.line, f"{chapter.heading} has no sections")

        plan = ParsedFYP(
            title=title,
            preamble=preamble,
            chapters=chapters,
            period=self._period(preamble),
            short_name=self._short_name(preamble),
            zone_functions=[],
            targets=[],
            warnings=self.warnings,
        )
        plan.zone_functions = self._zone_functions(plan)
        plan.targets = self._targets(plan)
        return plan

    def _headings(self):
        """[(kind, line, number, title)]: kind 章, 节 or text; split headings rejoined."""
        items = []
        index = 0
        while index < len(self.lines):
            line = self.lines[index]
            match = HEADING_RE.match(line.text)
            if not match:
                items.append(("text", line, None, None))
                index += 1
                continue
            numeral, kind, title = match.groups()
            number = from_chinese(numeral)
            if number is None:
                raise PlanFormatError(line.number, f"cannot read the number of “{line.text}”")
            following = self.lines[index + 1] if index + 1 < len(self.lines) else None
            continues = (
                following is not None
                and not HEADING_RE.match(following.text)
                and _looks_like_title(following.text)
                and len(title) + len(following.text) <= MAX_HEADING_LENGTH
            )
            if not title:
                if not continues:
                    raise PlanFormatError(line.number, f"“{line.text}” has no title")
                self.warn(
                    line.number,
                    f"heading “{line.text}” has its title on line {following.number}: joined",
                )
                title, index = following.text, index + 1
            elif continues:
                self.warn(
                    line.number,
                    f"heading “{line.text}” continues on line {following.number} (“{following.text}”): joined",
                )
                title, index = title + following.text, index + 1
            if not _looks_like_title(title):
                raise PlanFormatError(line.number, f"“{line.text}” does not look like a heading")
            items.append((kind, line, number, title.strip()))
            index += 1
        return items

    def _title(self, front):
        """The first line when it is a title (no sentence in it); the 004 source has none."""
        if front and _looks_like_title(front[0].text):
            return front[0].text, front[1:]
        self.warn(
            front[0].number if front else self.lines[0].number,
            "the document states no title (it opens with the preamble)",
        )
        return "", front

    def _paragraphs(self, lines):
        """Paragraphs of consecutive lines, rejoined where a page break cut one."""
        for previous, line in zip(lines, lines[1:], strict=False):
            if previous.text[-1] not in TERMINAL:
                self.warn(
                    line.number,
                    f"line {previous.number} ends without closing punctuation; "
                    f"line {line.number} taken as its continuation and joined",
                )
        paragraphs = [Paragraph(number, text) for number, text in join_paragraphs(lines)]
        if paragraphs and paragraphs[-1].text[-1] not in TERMINAL:
            self.warn(
                paragraphs[-1].line,
                "paragraph ends without closing punctuation before the next heading; kept as written",
            )
        return paragraphs

    def _measures(self, chapter, section):
        where = f"{chapter.heading} · {section.heading}"
        if not section.paragraphs:
            raise PlanFormatError(section.line, f"{where} has no text")
        has_leads = any(paragraph.lead for paragraph in section.paragraphs)
        for paragraph in section.paragraphs:
            lead = paragraph.lead
            if lead is None and has_leads and not section.measures:
                section.intro.append(paragraph)
                self.warn(
                    paragraph.line,
                    f"{where}: opening paragraph has no lead sentence; taken as the section's introduction",
                )
                continue
            if lead is None:
                if has_leads:
                    previous = section.measures[-1]
                    message = (
                        f"{where}: paragraph has no lead sentence; kept as a measure of its own titled "
                        f"with the section title (check it does not continue line {previous.line})"
                    )
                else:
                    message = (
                        f"{where}: paragraph has no lead sentence (nor has any in the section); "
                        "kept as a measure titled with the section title"
                    )
                self.warn(paragraph.line, message)
            number = len(section.measures) + 1
            section.measures.append(
                ParsedMeasure(
                    chapter=chapter.number,
                    section=section.number,
                    number=number,
                    line=paragraph.line,
                    title=lead or section.title,
                    text=paragraph.text,
                    has_lead=lead is not None,
                )
            )

    def _period(self, preamble):
        for paragraph in preamble:
            match = PERIOD_RE.search(paragraph.text)
            if match:
                return int(match.group(1)), int(match.group(2))
        self.warn(preamble[0].line if preamble else 1, "no period (时间范围为…年) stated in the preamble")
        return None

    def _short_name(self, preamble):
        for paragraph in preamble:
            match = SHORT_NAME_RE.search(paragraph.text)
            if match:
                return match.group(1)
        return ""

    def _zone_functions(self, plan):
        section = plan.section(FUNCTIONS_SECTION)
        if section is None:
            self.warn(
                plan.chapters[0].line, f"no section “{FUNCTIONS_SECTION}”: the areas get no function text"
            )
            return []
        functions = []
        for paragraph in section.paragraphs:
            for clause in re.split(r"[；。]", paragraph.text):
                match = ZONE_CLAUSE_RE.match(clause)
                if match:
                    functions.append(ZoneFunction(match.group(1), clause, paragraph.line))
        if not functions:
            self.warn(section.line, f"“{FUNCTIONS_SECTION}” names no area (…片区重点发展…)")
        return functions

    def _targets(self, plan):
        section = plan.section(TARGETS_SECTION)
        if section is None:
            self.warn(plan.chapters[0].line, f"no section “{TARGETS_SECTION}”: no targets read")
            return []
        chapter = plan.chapters[section.chapter - 1]
        opening = section.paragraphs[0].text if section.paragraphs else ""
        targets = []
        for position, paragraph in enumerate(section.paragraphs, start=1):
            source_ref = f"第{to_chinese(chapter.number)}章第{to_chinese(section.number)}节第{position}段"
            for sentence in re.findall(r"[^。]+。?", paragraph.text):
                parent = None
                previous = None
                for match in TARGET_RE.finditer(sentence):
                    clause_start = max(sentence.rfind(mark, 0, match.start()) for mark in "，；：。") + 1
                    clause = sentence[clause_start : match.start()].strip()
                    if clause.startswith("其中"):
                        parent = previous.indicator if previous else None
                    indicator = re.sub(r"^(其中|实现)", "", clause)
                    indicator = re.sub(r"(达到|达)$", "", indicator).strip()
                    if not indicator:
                        raise PlanFormatError(
                            paragraph.line, f"target “{match.group(0)}” has no words before it"
                        )
                    year, year_text = self._target_year(sentence, paragraph.text, opening, plan.period)
                    if year is None:
                        self.warn(paragraph.line, f"target “{clause}{match.group(0)}”: no target year found")
                    target = ParsedTarget(
                        indicator=indicator,
                        value=match.group(1),
                        unit="%" if match.group(2) == "％" else match.group(2),
                        target_year=year,
                        year_text=year_text,
                        part_of=parent,
                        sentence=sentence,
                        line=paragraph.line,
                        source_ref=source_ref,
                    )
                    targets.append(target)
                    previous = previous if parent else target
        if not targets:
            self.warn(section.line, f"“{TARGETS_SECTION}” states no quantitative target")
        return targets

    @staticmethod
    def _target_year(sentence, paragraph, opening, period):
        """The year a target is for: stated in its sentence, else its paragraph, else the section's
        opening (到“十四五”末期); “十四五” means the end of the plan's period."""
        for text in (sentence, paragraph, opening):
            match = TARGET_YEAR_RE.search(text)
            if match:
                if match.group(1):
                    return int(match.group(1)), match.group(0)
                return (period[1] if period else None), match.group(0)
        return None, ""


def parse_fyp(text, context_chapters=CONTEXT_CHAPTERS):
    """Parse a five-year plan; raises PlanFormatError on input it cannot read."""
    return _Parser(text, context_chapters).parse()
