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

from .agency_text import UnclosedClause, find_agency_clause

CN_NUM = "一二两三四五六七八九十"
OPEN = "（("
CLOSE = "）)"
# A paragraph whose last character is one of these is complete; anything else
# was cut by a page break and continues on the next non-empty line.
TERMINAL = "。！？；：:;）)”」"

ANNEX_RE = re.compile(r"^附件\s*(\d+)\s*$")
# 附件1：, 附件一, 附件 1 中国（天津）…总体方案 (the annex's title on the heading's line).
ANNEX_HEADING_RE = re.compile(rf"^附件\s*([0-9０-９]{{1,2}}|[{CN_NUM}]{{1,3}})\s*[：:、.．]?\s*(.*)$")


def annex_heading(text):
    """(number, title on the same line or "") when `text` heads an annex; else None."""
    match = ANNEX_HEADING_RE.match(text)
    if not match or (match.group(2) and not re.search(r"方案|联动创新区", match.group(2))):
        return None
    number = from_chinese(match.group(1).translate(str.maketrans("０１２３４５６７８９", "0123456789")))
    return (number, match.group(2).strip()) if number else None


SECTION_RE = re.compile(rf"^([{CN_NUM}]+)\s*、\s*(.+)$")
SUBHEADING_RE = re.compile(rf"^[（(]\s*([{CN_NUM}]+)\s*[）)]\s*(.*)$")
TASK_RE = re.compile(r"^(\d{1,3})\s*[.．、](?!\d)\s*(.*)$")
# Other ways plans number their items: （1） (1) ① and full-width digits (normalised first).
TASK_PAREN_RE = re.compile(r"^[（(]\s*(\d{1,3})\s*[）)]\s*(.*)$")
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９．", "0123456789.")
TASKS_SECTION_RE = re.compile(r"(?:主要|重点)(?:任务|举措|工作)")
BLOCK_RE = re.compile(rf"^区块\s*([{CN_NUM}\d]+)\s*[：:]\s*(.*)$")
SUBPLOT_RE = re.compile(rf"地块\s*([{CN_NUM}\d]+?)\s*(?=四至|[：:，,])(?:四至范围为)?\s*[：:]?")
AREA_NUMBER = r"([0-9０-９]+(?:[.．][0-9０-９]+)?)"
AREA_UNIT = r"(平方公里|平方千米|km²|km2|公顷)"
TOTAL_AREA_RE = re.compile(rf"(?:总|规划)面积\s*(?:约为|约|为|共|达)?\s*{AREA_NUMBER}\s*{AREA_UNIT}")
AREA_RE = re.compile(rf"(?:(?:占地)?面积\s*(?:约为|约|为|共)?\s*|约\s*)?{AREA_NUMBER}\s*{AREA_UNIT}")
BLOCK_COUNT_RE = re.compile(rf"分为\s*([{CN_NUM}\d]+)\s*个区块")
SUBPLOT_COUNT_RE = re.compile(rf"分为\s*([{CN_NUM}\d]+)\s*个地块")
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
    # The role of each agency in `agencies` (plans.agency_text: lead, responsible, ...).
    roles: list = field(default_factory=list)


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


ZONE_CODE_MAX = 40  # Zone.code's max_length


def zone_code(name):
    """西青经开区 → xiqing: pinyin of the name without its development-zone suffix.

    A long name gives the initials of its syllables instead, so the code fits its column on
    every database."""
    stem = re.sub(r"(经济技术开发区|经开区|开发区|片区|联动创新区)$", "", name) or name
    syllables = [re.sub(r"[^a-z0-9]+", "", s.lower()) for s in lazy_pinyin(stem)]
    code = "".join(syllables)
    if len(code) > ZONE_CODE_MAX:
        code = "".join(s[:1] if s.isalpha() else s for s in syllables)[:ZONE_CODE_MAX]
    return code or "zone"


def task_start(text):
    """(number, rest of the line) when `text` opens a numbered item: 1. 1、 （1） ① **1.**; else None."""
    bold = text.startswith("**")
    plain = text[2:].lstrip() if bold else text
    head = plain[:6].translate(FULL_WIDTH_DIGITS) + plain[6:]
    match = TASK_RE.match(head) or TASK_PAREN_RE.match(head)
    if match:
        number, rest = int(match.group(1)), match.group(2)
    elif plain[:1] and plain[0] in CIRCLED:
        number, rest = CIRCLED.index(plain[0]) + 1, plain[1:].lstrip()
    else:
        return None
    if bold:
        # **1.** 标题 closes the bold after the number; **1. 标题。**正文 carries it into the title.
        rest = rest[2:].lstrip() if rest.startswith("**") else "**" + rest
    return number, rest


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


def _decimal(text, line, what, unit="平方公里", warn=None):
    """The area in km² (the text keeps the figure as written); 公顷 are a hundredth of a km²."""
    text = text.translate(FULL_WIDTH_DIGITS)
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise PlanFormatError(line, f"cannot read the area of {what}: “{text}”") from exc
    if unit == "公顷":
        value = value / 100
    # Areas are kept to the hundredth of a km², as the plans state them.
    rounded = value.quantize(Decimal("0.01"))
    if rounded != value and warn:
        warn(line, f"{what}: {text} {unit} is {value} km², kept as {rounded} km²")
    return rounded if rounded != value or unit != "平方公里" else value


class _Parser:
    def __init__(self, text, known_agencies=None):
        self.lines = [
            Line(index + 1, raw.strip()) for index, raw in enumerate(text.splitlines()) if raw.strip()
        ]
        self.warnings = []
        self.known_agencies = set(known_agencies or ())

    def warn(self, line, message):
        self.warnings.append((line, message))

    def parse(self):
        if not self.lines:
            raise PlanFormatError(1, "the document is empty")
        starts = [i for i, line in enumerate(self.lines) if annex_heading(line.text)]
        if not starts:
            return self._single_zone()
        title, status, preamble_lines = self._front_matter(self.lines[: starts[0]])
        zones = []
        for position, start in enumerate(starts):
            end = starts[position + 1] if position + 1 < len(starts) else len(self.lines)
            heading = self.lines[start]
            annex_number, inline_title = annex_heading(heading.text)
            if annex_number != position + 1:
                raise PlanFormatError(
                    heading.number, f"annex {annex_number} is out of sequence (expected {position + 1})"
                )
            body = self.lines[start + 1 : end]
            if inline_title:
                body = [Line(heading.number, inline_title), *body]
            zones.append(self._annex(annex_number, heading, body))
        codes = [zone.code for zone in zones]
        for zone in zones:
            if codes.count(zone.code) > 1:
                raise PlanFormatError(zone.line, f"two annexes give the same zone code “{zone.code}”")
        preamble = "\n\n".join(text for _, text in join_paragraphs(preamble_lines))
        return ParsedPlan(title, status, preamble, zones, self.warnings)

    def _single_zone(self):
        """One zone's 总体方案 on its own: the title names the zone, no 附件 headings."""
        title, status, rest = self._front_matter(self.lines)
        if not ZONE_NAME_RE.search(title) or not any(SECTION_RE.match(line.text) for line in rest):
            raise PlanFormatError(
                self.lines[0].number,
                "no annexes found: expected headings such as “附件 1”, or a single zone's "
                "总体方案 whose title names the zone (…试验区X联动创新区总体方案) followed by "
                "“一、总体要求” and “二、主要任务”",
            )
        heading = Line(self.lines[0].number, "附件1")
        zone = self._annex(1, heading, [Line(self.lines[0].number, title), *rest])
        zone.annex_title = re.sub(r"\s+", "", title)
        return ParsedPlan(title, status, "", [zone], self.warnings)

    def _front_matter(self, lines):
        if not lines:
            return "", "", []
        title = lines[0].text
        rest = lines[1:]
        # A title set on two lines (第二批…联动创新区 / 建设方案): the second is short, no sentence.
        if rest and _continues_title(title, rest[0].text):
            title += rest[0].text
            rest = rest[1:]
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
            elif TASKS_SECTION_RE.search(title):
                self._tasks(zone, numeral, body)
                found.add("tasks")
            elif "工作要求" in title:
                zone.work_requirements = "\n\n".join(
                    text for _, text in join_paragraphs(body, SUBHEADING_RE.match)
                )
            else:
                self.warn(body[0].number if body else heading.number, f"section “{title}” ignored")
        if "tasks" not in found:
            raise PlanFormatError(
                heading.number, f"annex {annex_number} has no “主要任务” (or “重点任务”) section"
            )
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
            if ("总面积" in text or "规划面积" in text) and zone.area is None:
                area = TOTAL_AREA_RE.search(text)
                if not area:
                    raise PlanFormatError(number, f"{zone.name}: cannot read the total area (总面积)")
                zone.area = _decimal(area.group(1), number, zone.name, area.group(2), self.warn)
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
            if "面积" in body or "平方公里" in body or "公顷" in body or "平方千米" in body:
                raise PlanFormatError(line, f"{zone.name}: cannot read the area of 区块{match.group(1)}")
            self.warn(line, f"{zone.name}: 区块{match.group(1)} has no area")
            name, rest, area = "", body, None
        else:
            name = body[: area_match.start()].strip(" ，,、")
            rest = body[area_match.end() :]
            area = _decimal(
                area_match.group(1), line, f"{zone.name} 区块{match.group(1)}", area_match.group(2), self.warn
            )
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
        restarted = False

        def finish_task():
            if task_parts:
                task = self._task(zone, section_numeral, category, expected_task - 1, task_parts)
                if restarted:
                    task.source_ref = (
                        f"附件{zone.annex_number} {section_numeral}（{to_chinese(category.number)}）"
                        f"第{len(category.tasks) + 1}项"
                    )
                category.tasks.append(task)

        lines = list(lines)
        position = 0
        while position < len(lines):
            line = lines[position]
            position += 1
            heading = SUBHEADING_RE.match(line.text)
            started = task_start(line.text)
            if heading and heading.group(2) and position < len(lines):
                # A category heading wrapped onto a second short line (no sentence, no number).
                following = lines[position]
                if _continues_heading(heading.group(2), following.text):
                    self.warn(
                        line.number, f"heading “{line.text}” continues on line {following.number}: joined"
                    )
                    line = Line(line.number, line.text + following.text)
                    heading = SUBHEADING_RE.match(line.text)
                    position += 1
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
            elif started:
                if category is None:
                    raise PlanFormatError(
                        line.number, f"{zone.name}: a task comes before any category （一）"
                    )
                number, rest = started
                # Numbering that restarts in each category is as ordinary as numbering that runs on.
                restarts = number == 1 and expected_task > 1 and not category.tasks and task_parts is None
                if restarts:
                    restarted = True
                elif number != (
                    len(category.tasks) + 1 + (task_parts is not None) if restarted else expected_task
                ):
                    expected = (
                        len(category.tasks) + 1 + (task_parts is not None) if restarted else expected_task
                    )
                    raise PlanFormatError(
                        line.number,
                        f"{zone.name}: task number {number} is out of sequence (expected {expected})",
                    )
                finish_task()
                expected_task += 1
                task_parts = [(line.number, rest)]
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
        if not zone.tasks:
            # Items numbered in a way not read would otherwise vanish into the category text.
            raise PlanFormatError(
                zone.categories[0].line,
                f"{zone.name}: no numbered tasks found under the categories "
                "(expected items numbered “1.”, “1、”, “（1）” or “①”)",
            )
        for category in zone.categories:
            if not category.tasks:
                self.warn(category.line, f"{zone.name}: category “{category.title}” has no numbered tasks")

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

        agencies, roles, agencies_text = [], [], ""
        body = full
        try:
            clause = find_agency_clause(full, self.known_agencies)
        except UnclosedClause as exc:
            raise PlanFormatError(
                line_at(exc.start),
                f"{zone.name} task {number}: the agency list (支持单位/牵头单位/责任单位) has no closing bracket",
            ) from exc
        if clause is None:
            self.warn(
                number_line,
                f"{zone.name} task {number}: no agencies listed "
                "(expected “（支持单位：…）”, “（牵头单位：…；配合单位：…）” or “（…牵头）”)",
            )
        else:
            agencies_text = full[clause.start : clause.end]
            agencies = [name for name, _role in clause.entries]
            roles = [role for _name, role in clause.entries]
            if not agencies:
                raise PlanFormatError(
                    line_at(clause.start), f"{zone.name} task {number}: empty agency list “{agencies_text}”"
                )
            for note in clause.notes:
                self.warn(line_at(clause.start), f"{zone.name} task {number}: {note}")
            trailing = full[clause.end :].strip(" 。.")
            body = full[: clause.start].rstrip() + (trailing and " " + trailing)
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
        return ParsedTask(number, number_line, title, text, agencies_text, agencies, source_ref, roles)


def _continues_title(title, following):
    return (
        len(following) <= 20
        and following[:1] not in OPEN
        and not any(mark in following + title for mark in "。，；：,;:")
        and not annex_heading(following)
        and not SECTION_RE.match(following)
    )


def _continues_heading(title, following):
    return (
        len(following) <= 20
        and title[-1:] not in TERMINAL + "，,"
        and not any(mark in following for mark in "。，；：,;:（(")
        and task_start(following) is None
        and not SUBHEADING_RE.match(following)
        and not SECTION_RE.match(following)
    )


def _trim_boundary(text):
    text = text.strip().rstrip("；;。，,")
    # A closing bracket with no opening one is a stray from the PDF (东丽 区块三).
    while text and text[-1] in CLOSE and not any(ch in OPEN for ch in text):
        text = text[:-1].rstrip("；;。，,")
    return text


def parse_plan(text, known_agencies=None):
    """Parse a plan document; raises PlanFormatError on input it cannot read.

    `known_agencies` (names) tells 天津海关和市科技局 (two agencies) from 市工业和信息化局 (one)."""
    return _Parser(text, known_agencies).parse()
