"""Read a linked-innovation-zone plan (the 003 source format) into plain data.

The text comes out of a PDF: page breaks split lines (and words), parentheses and
colons appear both full- and half-width, lead sentences are sometimes **bold**.
The parser keeps every figure and sentence as written; it only joins what the
page breaks split. Anything it cannot read raises PlanFormatError naming the line.

No Django here, so the parser can be tested and reused on its own.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from pypinyin import lazy_pinyin

from zones.numerals import from_chinese, to_chinese

CN_NUM = "一二两三四五六七八九十"
OPEN = "（("
CLOSE = "）)"
# A paragraph whose last character is one of these is complete; anything else
# was cut by a page break and continues on the next non-empty line.
TERMINAL = "。！？；：:;）)”」"

ANNEX_RE = re.compile(r"^附件\s*(\d+)\s*$")
SECTION_RE = re.compile(rf"^([{CN_NUM}]+)\s*、\s*(.+)$")
SUBHEADING_RE = re.compile(rf"^[（(]\s*([{CN_NUM}]+)\s*[）)]\s*(.*)$")
TASK_RE = re.compile(r"^(\d{1,3})\s*[.．、](?!\d)\s*(.*)$")
BLOCK_RE = re.compile(rf"^区块\s*([{CN_NUM}\d]+)\s*[：:]\s*(.*)$")
SUBPLOT_RE = re.compile(rf"地块\s*([{CN_NUM}\d]+?)\s*(?=四至|[：:，,])(?:四至范围为)?\s*[：:]?")
TOTAL_AREA_RE = re.compile(r"总面积\s*([0-9０-９]+(?:[.．][0-9０-９]+)?)\s*平方公里")
AREA_RE = re.compile(r"(?:面积\s*)?([0-9]+(?:\.[0-9]+)?)\s*平方公里")
BLOCK_COUNT_RE = re.compile(rf"分为\s*([{CN_NUM}\d]+)\s*个区块")
SUBPLOT_COUNT_RE = re.compile(rf"分为\s*([{CN_NUM}\d]+)\s*个地块")
AGENCIES_OPEN_RE = re.compile(r"[（(]\s*支持单位\s*[：:]\s*")
AGENCY_SPLIT_RE = re.compile(r"[、，,；;]")
ZONE_NAME_RE = re.compile(r"试验区\s*(.+?)\s*联动创新区")
DEV_ZONE_RE = re.compile(r"和([^，。、和]+?)[（(]以下简称([^）)]+)[）)]")
LEAD_INDUSTRIES_RE = re.compile(r"(?:围绕|以(?!下))[^。；（）()]*?(?:主导产业|产业集群)[^，。；]*")
BOLD_LEAD_RE = re.compile(r"^\*\*(.+?)\*\*\s*(.*)$", re.S)


class PlanFormatError(Exception):
    """The document does not follow the plan format; `line` is 1-based."""

    def __init__(self, line, message):
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


@dataclass
class Line:
    number: int
    text: str


@dataclass
class ParsedSubPlot:
    number: int
    boundary: str


@dataclass
class ParsedBlock:
    number: int
    line: int
    name: str
    area: Decimal | None
    boundary: str
    text: str
    subplots: list = field(default_factory=list)


@dataclass
class ParsedTask:
    number: int
    line: int
    title: str
    text: str
    agencies_text: str
    agencies: list
    source_ref: str


@dataclass
class ParsedCategory:
    number: int
    line: int
    title: str
    intro: str = ""
    tasks: list = field(default_factory=list)


@dataclass
class ParsedZone:
    annex_number: int
    line: int
    annex_title: str
    name: str
    code: str
    dev_zone_name: str = ""
    intro: str = ""
    guiding_principles: str = ""
    development_goals: str = ""
    lead_industries: str = ""
    scope_text: str = ""
    area: Decimal | None = None
    area_line: int | None = None
    stated_block_count: int | None = None
    work_requirements: str = ""
    blocks: list = field(default_factory=list)
    categories: list = field(default_factory=list)

    @property
    def tasks(self):
        return [task for category in self.categories for task in category.tasks]

    @property
    def blocks_area(self):
        areas = [block.area for block in self.blocks]
        if not areas or any(area is None for area in areas):
            return None
        return sum(areas, Decimal("0"))


@dataclass
class ParsedPlan:
    title: str
    status: str
    preamble: str
    zones: list
    warnings: list = field(default_factory=list)

    @property
    def agency_names(self):
        names = []
        for zone in self.zones:
            for task in zone.tasks:
                for name in task.agencies:
                    if name not in names:
                        names.append(name)
        return names


def zone_code(name):
    """西青经开区 → xiqing: pinyin of the name without its development-zone suffix."""
    stem = re.sub(r"(经济技术开发区|经开区|开发区|片区|联动创新区)$", "", name) or name
    code = "".join(lazy_pinyin(stem))
    return re.sub(r"[^a-z0-9]+", "", code.lower()) or "zone"


def join_paragraphs(lines, starts_new=lambda text: False):
    """Rejoin lines that a page break split; returns [(first line number, text)]."""
    paragraphs = []
    for line in lines:
        if paragraphs and not starts_new(line.text) and paragraphs[-1][1][-1] not in TERMINAL:
            number, text = paragraphs[-1]
            paragraphs[-1] = (number, text + line.text)
        else:
            paragraphs.append((line.number, line.text))
    return paragraphs


def _number(text, line, what):
    value = from_chinese(text)
    if value is None:
        raise PlanFormatError(line, f"cannot read the number of {what}: “{text}”")
    return value


def _decimal(text, line, what):
    text = text.translate(str.maketrans("０１２３４５６７８９．", "0123456789."))
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise PlanFormatError(line, f"cannot read the area of {what}: “{text}”") from exc


class _Parser:
    def __init__(self, text):
        self.lines = [
            Line(index + 1, raw.strip()) for index, raw in enumerate(text.splitlines()) if raw.strip()
        ]
        self.warnings = []

    def warn(self, line, message):
        self.warnings.append((line, message))

    def parse(self):
        if not self.lines:
            raise PlanFormatError(1, "the document is empty")
        starts = [i for i, line in enumerate(self.lines) if ANNEX_RE.match(line.text)]
        if not starts:
            raise PlanFormatError(
                self.lines[0].number, "no annexes found: expected headings such as “附件 1”"
            )
        title, status, preamble_lines = self._front_matter(self.lines[: starts[0]])
        zones = []
        for position, start in enumerate(starts):
            end = starts[position + 1] if position + 1 < len(starts) else len(self.lines)
            heading = self.lines[start]
            annex_number = int(ANNEX_RE.match(heading.text).group(1))
            if annex_number != position + 1:
                raise PlanFormatError(
                    heading.number, f"annex {annex_number} is out of sequence (expected {position + 1})"
                )
            zones.append(self._annex(annex_number, heading, self.lines[start + 1 : end]))
        codes = [zone.code for zone in zones]
        for zone in zones:
            if codes.count(zone.code) > 1:
                raise PlanFormatError(zone.line, f"two annexes give the same zone code “{zone.code}”")
        preamble = "\n\n".join(text for _, text in join_paragraphs(preamble_lines))
        return ParsedPlan(title, status, preamble, zones, self.warnings)

    def _front_matter(self, lines):
        if not lines:
            return "", "", []
        title = lines[0].text
        rest = lines[1:]
        status = ""
        if rest and rest[0].text[:1] in OPEN and rest[0].text[-1:] in CLOSE:
            status = rest[0].text[1:-1].strip()
            rest = rest[1:]
        return title, status, rest

    def _annex(self, annex_number, heading, lines):
        if not lines:
            raise PlanFormatError(heading.number, f"annex {annex_number} is empty")
        title_line = lines[0]
        match = ZONE_NAME_RE.search(title_line.text)
        name = match.group(1) if match else title_line.text
        zone = ParsedZone(
            annex_number=annex_number,
            line=heading.number,
            annex_title=re.sub(r"\s+", "", title_line.text),
            name=name,
            code=zone_code(name),
        )
        sections, intro = self._split(lines[1:], SECTION_RE)
        zone.intro = "".join(line.text for line in intro)
        zone.dev_zone_name = self._dev_zone_name(zone)
        found = set()
        for section_heading, numeral, body in sections:
            title = section_heading.group(2)
            if "总体要求" in title:
                self._general(zone, body)
                found.add("general")
            elif "主要任务" in title:
                self._tasks(zone, numeral, body)
                found.add("tasks")
            elif "工作要求" in title:
                zone.work_requirements = "\n\n".join(
                    text for _, text in join_paragraphs(body, SUBHEADING_RE.match)
                )
            else:
                self.warn(body[0].number if body else heading.number, f"section “{title}” ignored")
        if "tasks" not in found:
            raise PlanFormatError(heading.number, f"annex {annex_number} has no “主要任务” section")
        summed = zone.blocks_area
        if zone.area is not None and summed is not None and zone.area != summed:
            self.warn(
                zone.area_line,
                f"{zone.name}: stated total area {zone.area} km² differs from the sum of its blocks {summed} km²",
            )
        zone.lead_industries = self._lead_industries(zone)
        return zone

    def _split(self, lines, heading_re):
        """Split lines at headings; returns ([(match, numeral, body lines)], lines before)."""
        sections = []
        before = []
        for line in lines:
            match = heading_re.match(line.text)
            if match:
                sections.append((match, match.group(1), []))
            elif sections:
                sections[-1][2].append(line)
            else:
                before.append(line)
        return sections, before

    def _dev_zone_name(self, zone):
        candidates = DEV_ZONE_RE.findall(zone.intro)
        for full, short in candidates:
            if short.strip() == zone.name:
                return full.strip()
        return candidates[-1][0].strip() if candidates else ""

    def _lead_industries(self, zone):
        for text in (zone.development_goals, zone.guiding_principles):
            match = LEAD_INDUSTRIES_RE.search(text)
            if match:
                return match.group(0)
        return ""

    def _general(self, zone, lines):
        subsections, _ = self._split(lines, SUBHEADING_RE)
        for match, _numeral, body in subsections:
            title = match.group(2).strip()
            paragraphs = join_paragraphs(body, lambda text: BLOCK_RE.match(text) is not None)
            text = "\n\n".join(paragraph for _, paragraph in paragraphs)
            if "指导思想" in title:
                zone.guiding_principles = text
            elif "发展目标" in title:
                zone.development_goals = text
            elif "实施范围" in title:
                self._scope(zone, paragraphs)
            else:
                self.warn(body[0].number if body else zone.line, f"subsection “{title}” ignored")

    def _scope(self, zone, paragraphs):
        scope = []
        for number, text in paragraphs:
            block_match = BLOCK_RE.match(text)
            if block_match:
                zone.blocks.append(self._block(zone, number, block_match, text))
                continue
            scope.append(text)
            if "总面积" in text and zone.area is None:
                area = TOTAL_AREA_RE.search(text)
                if not area:
                    raise PlanFormatError(number, f"{zone.name}: cannot read the total area (总面积)")
                zone.area = _decimal(area.group(1), number, zone.name)
                zone.area_line = number
            count = BLOCK_COUNT_RE.search(text)
            if count and zone.stated_block_count is None:
                zone.stated_block_count = _number(count.group(1), number, "blocks")
        zone.scope_text = "\n\n".join(scope)
        first_line = paragraphs[0][0] if paragraphs else zone.line
        if zone.area is None:
            self.warn(first_line, f"{zone.name}: no total area (总面积) given")
        if zone.stated_block_count is not None and zone.stated_block_count != len(zone.blocks):
            self.warn(
                first_line,
                f"{zone.name}: the plan says {zone.stated_block_count} blocks but lists {len(zone.blocks)}",
            )

    def _block(self, zone, line, match, text):
        number = _number(match.group(1), line, "a block")
        expected = len(zone.blocks) + 1
        if number != expected:
            raise PlanFormatError(
                line, f"{zone.name}: 区块{match.group(1)} is out of sequence (expected {expected})"
            )
        body = match.group(2)
        area_match = AREA_RE.search(body)
        if not area_match:
            if "面积" in body or "平方公里" in body:
                raise PlanFormatError(line, f"{zone.name}: cannot read the area of 区块{match.group(1)}")
            self.warn(line, f"{zone.name}: 区块{match.group(1)} has no area")
            name, rest, area = "", body, None
        else:
            name = body[: area_match.start()].strip(" ，,、")
            rest = body[area_match.end() :]
            area = _decimal(area_match.group(1), line, f"区块{match.group(1)}")
        rest = re.sub(r"^[\s，,、]*(四至范围为)?[：:]?", "", rest)
        block = ParsedBlock(number, line, name, area, "", text)
        plot_marks = list(SUBPLOT_RE.finditer(rest))
        if plot_marks:
            for index, mark in enumerate(plot_marks):
                end = plot_marks[index + 1].start() if index + 1 < len(plot_marks) else len(rest)
                boundary = _trim_boundary(rest[mark.end() : end])
                block.subplots.append(ParsedSubPlot(_number(mark.group(1), line, "a plot"), boundary))
            stated = SUBPLOT_COUNT_RE.search(rest)
            if stated and _number(stated.group(1), line, "plots") != len(block.subplots):
                self.warn(
                    line,
                    f"{zone.name}: 区块{match.group(1)} states {stated.group(1)} plots but lists {len(block.subplots)}",
                )
        else:
            block.boundary = _trim_boundary(rest)
        return block

    def _tasks(self, zone, section_numeral, lines):
        category = None
        task_parts = None  # [(line number, text)] of the task being read
        expected_task = 1

        def finish_task():
            if task_parts:
                category.tasks.append(
                    self._task(zone, section_numeral, category, expected_task - 1, task_parts)
                )

        for line in lines:
            heading = SUBHEADING_RE.match(line.text)
            task_start = TASK_RE.match(line.text)
            if heading and heading.group(2):
                finish_task()
                task_parts = None
                number = _number(heading.group(1), line.number, "a category")
                if number != len(zone.categories) + 1:
                    raise PlanFormatError(
                        line.number,
                        f"{zone.name}: category （{heading.group(1)}） is out of sequence "
                        f"(expected （{to_chinese(len(zone.categories) + 1)}）)",
                    )
                category = ParsedCategory(number, line.number, heading.group(2).strip())
                zone.categories.append(category)
            elif task_start:
                if category is None:
                    raise PlanFormatError(
                        line.number, f"{zone.name}: a task comes before any category （一）"
                    )
                number = int(task_start.group(1))
                if number != expected_task:
                    raise PlanFormatError(
                        line.number,
                        f"{zone.name}: task number {number} is out of sequence (expected {expected_task})",
                    )
                finish_task()
                expected_task += 1
                task_parts = [(line.number, task_start.group(2))]
            elif task_parts is not None:
                task_parts.append((line.number, line.text))
            elif category is not None:
                category.intro += line.text
            else:
                self.warn(line.number, f"{zone.name}: text before the first category ignored")
        finish_task()
        if not zone.categories:
            raise PlanFormatError(
                lines[0].number if lines else zone.line, f"{zone.name}: no task categories found"
            )

    def _task(self, zone, section_numeral, category, number, parts):
        number_line = parts[0][0]
        full = "".join(text for _, text in parts)
        offsets = []  # where each source line starts in `full`, to name lines in errors
        position = 0
        for line_number, text in parts:
            offsets.append((position, line_number))
            position += len(text)

        def line_at(index):
            return max((line for start, line in offsets if start <= index), default=number_line)

        opens = list(AGENCIES_OPEN_RE.finditer(full))
        agencies, agencies_text = [], ""
        body = full
        if not opens:
            self.warn(number_line, f"{zone.name} task {number}: no supporting agencies (支持单位) listed")
        else:
            opener = opens[-1]
            close = _closing_bracket(full, opener.start())
            if close is None:
                raise PlanFormatError(
                    line_at(opener.start()),
                    f"{zone.name} task {number}: the supporting-agency list (支持单位) has no closing bracket",
                )
            agencies_text = full[opener.start() : close + 1]
            inner = full[opener.end() : close]
            agencies = [re.sub(r"\s+", "", name) for name in AGENCY_SPLIT_RE.split(inner)]
            agencies = [name for name in agencies if name]
            if not agencies:
                raise PlanFormatError(
                    line_at(opener.start()), f"{zone.name} task {number}: empty agency list"
                )
            trailing = full[close + 1 :].strip(" 。.")
            body = full[: opener.start()].rstrip() + (trailing and " " + trailing)
        bold = BOLD_LEAD_RE.match(body)
        if bold:
            title = bold.group(1).strip()
            text = title + bold.group(2)
        else:
            text = body
            title = re.split(r"(?<=。)", body, maxsplit=1)[0]
        text = text.replace("**", "").strip()
        title = title.replace("**", "").strip().rstrip("。")
        source_ref = f"附件{zone.annex_number} {section_numeral}（{to_chinese(category.number)}）第{number}项"
        return ParsedTask(number, number_line, title, text, agencies_text, agencies, source_ref)


def _closing_bracket(text, start):
    depth = 0
    for index in range(start, len(text)):
        if text[index] in OPEN:
            depth += 1
        elif text[index] in CLOSE:
            depth -= 1
            if depth == 0:
                return index
    return None


def _trim_boundary(text):
    text = text.strip().rstrip("；;。，,")
    # A closing bracket with no opening one is a stray from the PDF (东丽 区块三).
    while text and text[-1] in CLOSE and not any(ch in OPEN for ch in text):
        text = text[:-1].rstrip("；;。，,")
    return text


def parse_plan(text):
    """Parse a plan document; raises PlanFormatError on input it cannot read."""
    return _Parser(text).parse()
