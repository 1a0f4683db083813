"""Which kind of plan a document is, and the parsers for the kinds plan_parser does not read.

Layouts, chosen by what the document looks like and named in the preview:
- linked_zone: the linked-zone plan, one 附件 per zone (or one zone's 总体方案 on its own);
  read by plan_parser;
- five_year: a five-year plan in 第N章 / 第N节; read by fyp_parser;
- task_list: a 任务分工方案 / 行动计划 / 重点任务清单: numbered items naming 牵头单位 and
  责任/配合/支持单位; read here;
- task_table: a table with the columns 序号, 任务, 牵头单位, 责任/配合单位, 完成时限 (.xlsx, .csv or
  a Word table); read here.

The task list and the task table have no zones: their tasks go to one zone named after the plan.
No Django here.
"""

import re
from dataclasses import dataclass

from zones.numerals import from_chinese, to_chinese

from .agency_text import UnclosedClause, find_agency_clause
from .plan_parser import (
    BOLD_LEAD_RE,
    CLOSE,
    OPEN,
    SECTION_RE,
    SUBHEADING_RE,
    TASKS_SECTION_RE,
    TERMINAL,
    ZONE_NAME_RE,
    Line,
    ParsedCategory,
    ParsedPlan,
    ParsedTask,
    ParsedZone,
    PlanFormatError,
    annex_heading,
    join_paragraphs,
    task_start,
    zone_code,
)

LINKED_ZONE, FIVE_YEAR, TASK_LIST, TASK_TABLE = "linked_zone", "five_year", "task_list", "task_table"
LAYOUT_NAMES = {
    LINKED_ZONE: "联动创新区建设方案 (附件 per zone) / linked-zone plan",
    FIVE_YEAR: "规划 (第N章/第N节) / five-year plan",
    TASK_LIST: "任务分工方案 / 行动计划 / 重点任务清单 / task-division plan",
    TASK_TABLE: "任务表 (序号, 任务, 牵头单位…) / task table",
}
CHAPTER_RE = re.compile(r"^第[一二三四五六七八九十]+章")
AGENCY_LABEL_RE = re.compile(r"(牵头|责任|配合|支持|协办|参与)(单位|部门)\s*[：:]|牵头[，,）)]")
TASK_LIST_TITLE_RE = re.compile(r"任务分工|分工方案|行动计划|行动方案|任务清单|工作方案|实施方案")
BARE_CLAUSE_RE = re.compile(r"^(牵头|责任|配合|支持|协办|参与)(单位|部门)\s*[：:]")
TITLE_SUFFIX_RE = re.compile(
    r"(的)?(重点)?(任务分工方案|任务分工|行动计划|行动方案|重点任务清单|任务清单|工作方案|实施方案)$"
)

HEADER_KEYS = {
    "number": ("序号", "编号"),
    "task": ("任务", "工作内容", "具体措施", "措施"),
    "lead": ("牵头单位", "牵头部门"),
    "category": ("类别", "领域", "分类", "板块"),
    "deadline": ("完成时限", "时限", "完成时间", "时间节点"),
}


@dataclass
class Parsed:
    layout: str
    plan: object  # ParsedPlan, or ParsedFYP for five_year


def detect_layout(lines):
    """The layout of a document given as text lines (index + 1 = line number)."""
    texts = [line.strip() for line in lines if line.strip()]
    if any("\t" in text and "序号" in text and "任务" in text for text in texts[:30]):
        return TASK_TABLE
    if any(annex_heading(text) for text in texts):
        return LINKED_ZONE
    if sum(1 for text in texts if CHAPTER_RE.match(text)) >= 2:
        return FIVE_YEAR
    head = "".join(texts[:3])
    labels = sum(1 for text in texts if AGENCY_LABEL_RE.search(text))
    if ZONE_NAME_RE.search(head) and "总体方案" in head:
        return LINKED_ZONE
    # A linked-zone plan whose annex headings are missing or misspelt: its parser says so.
    if any(text.startswith("区块") for text in texts) and any("实施范围" in text for text in texts):
        return LINKED_ZONE
    if labels and (TASK_LIST_TITLE_RE.search(head) or labels >= 3):
        return TASK_LIST
    if any(CHAPTER_RE.match(text) for text in texts):
        return FIVE_YEAR
    return None


def parse_lines(lines, layout, known_agencies=None, fallback_title=""):
    """Parse with the given layout's parser; PlanFormatError on what it cannot read."""
    text = "\n".join(lines)
    if layout == LINKED_ZONE:
        from .plan_parser import parse_plan

        return parse_plan(text, known_agencies)
    if layout == FIVE_YEAR:
        from .fyp_parser import parse_fyp

        return parse_fyp(text)
    if layout == TASK_LIST:
        return _TaskList(lines, known_agencies).parse()
    if layout == TASK_TABLE:
        return _TaskTable(lines, known_agencies, fallback_title).parse()
    first = next((i + 1 for i, line in enumerate(lines) if line.strip()), 1)
    raise PlanFormatError(
        first,
        "the document's layout was not recognised: expected a linked-zone plan (附件 1, 附件 2 … or one "
        "zone's 总体方案), a five-year plan (第一章, 第一节 …), a task-division plan (numbered tasks with "
        "（牵头单位：…）) or a task table (columns 序号, 任务, 牵头单位)",
    )


def _title_and_status(lines):
    """(title, status, remaining lines) from the front of the document."""
    if not lines:
        return "", "", []
    title, rest = lines[0].text, lines[1:]
    while (
        rest
        and len(rest[0].text) <= 24
        and rest[0].text[:1] not in OPEN
        and not any(mark in rest[0].text + title for mark in "。，；：,;:")
        and not SECTION_RE.match(rest[0].text)
        and task_start(rest[0].text) is None
        and len(title) < 60
    ):
        title += rest[0].text
        rest = rest[1:]
    status = ""
    if rest and rest[0].text[:1] in OPEN and rest[0].text[-1:] in CLOSE and len(rest[0].text) <= 20:
        status = rest[0].text[1:-1].strip()
        rest = rest[1:]
    return title, status, rest


def _single_zone(title, line):
    name = TITLE_SUFFIX_RE.sub("", title) or title
    return ParsedZone(annex_number=1, line=line, annex_title=title, name=name[:100], code=zone_code(name))


def _title_of(text):
    bold = BOLD_LEAD_RE.match(text)
    if bold:
        return bold.group(1).replace("**", "").strip().rstrip("。")
    return re.split(r"(?<=。)", text, maxsplit=1)[0].replace("**", "").strip().rstrip("。")


class _Items:
    """Numbered items under categories, with their agencies; shared by both task layouts."""

    def __init__(self, known_agencies):
        self.known = set(known_agencies or ())
        self.warnings = []

    def warn(self, line, message):
        self.warnings.append((line, message))

    def task(self, zone, category, number, parts, written_number, ref_prefix):
        number_line = parts[0][0]
        full = "".join(text for _, text in parts)
        offsets, position = [], 0
        for line_number, text in parts:
            offsets.append((position, line_number))
            position += len(text)

        def line_at(index):
            return max((line for start, line in offsets if start <= index), default=number_line)

        try:
            clause = find_agency_clause(full, self.known)
        except UnclosedClause as exc:
            raise PlanFormatError(
                line_at(exc.start),
                f"task {written_number}: the agency list (牵头单位/责任单位…) has no closing bracket",
            ) from exc
        agencies, roles, agencies_text, body = [], [], "", full
        if clause is None:
            self.warn(
                number_line,
                f"task {written_number}: no agencies listed (expected “（牵头单位：…；责任单位：…）” or “（…牵头）”)",
            )
        else:
            agencies_text = full[clause.start : clause.end]
            agencies = [name for name, _ in clause.entries]
            roles = [role for _, role in clause.entries]
            if not agencies:
                raise PlanFormatError(
                    line_at(clause.start), f"task {written_number}: empty agency list “{agencies_text}”"
                )
            for note in clause.notes:
                self.warn(line_at(clause.start), f"task {written_number}: {note}")
            trailing = full[clause.end :].strip(" 。.")
            body = full[: clause.start].rstrip() + (trailing and " " + trailing)
        text = body.replace("**", "").strip()
        if not text:
            raise PlanFormatError(number_line, f"task {written_number} has no text")
        return ParsedTask(
            number,
            number_line,
            _title_of(body),
            text,
            agencies_text,
            agencies,
            f"{ref_prefix}第{written_number}项",
            roles,
        )


class _TaskList(_Items):
    def __init__(self, lines, known_agencies):
        super().__init__(known_agencies)
        self.lines = [Line(i + 1, raw.strip()) for i, raw in enumerate(lines) if raw.strip()]

    def parse(self):
        if not self.lines:
            raise PlanFormatError(1, "the document is empty")
        title, status, rest = _title_and_status(self.lines)
        zone = _single_zone(title, self.lines[0].number)
        sections, before = [], []
        for line in rest:
            match = SECTION_RE.match(line.text)
            if match and len(line.text) <= 40 and line.text[-1:] not in "。；;":
                sections.append((match, []))
            elif sections:
                sections[-1][1].append(line)
            else:
                before.append(line)
        preamble = "\n\n".join(text for _, text in join_paragraphs(before))
        if not sections:
            # A bare list: every numbered item under one category.
            sections = [(None, before)]
            preamble = ""
        expected = 1
        tasked = [s for s in sections if any(task_start(line.text) for line in s[1])]
        if not tasked:
            raise PlanFormatError(
                (rest or self.lines)[0].number,
                "no numbered tasks found: expected items such as “1. …（牵头单位：…）”, “（1）…” or “①…”",
            )
        for match, body in sections:
            section_title = match.group(2).strip() if match else "重点任务"
            numeral = match.group(1) if match else ""
            if (match, body) not in tasked:
                text = "\n\n".join(t for _, t in join_paragraphs(body, SUBHEADING_RE.match))
                if re.search(r"总体要求|指导思想|总体目标|工作目标", section_title):
                    zone.guiding_principles = (zone.guiding_principles + "\n\n" + text).strip()
                elif re.search(r"保障|工作要求|组织实施|组织领导", section_title):
                    zone.work_requirements = (zone.work_requirements + "\n\n" + text).strip()
                else:
                    zone.intro = (zone.intro + "\n\n" + section_title + "\n" + text).strip()
                continue
            if match and not TASKS_SECTION_RE.search(section_title) and len(tasked) == 1:
                self.warn(body[0].number if body else 1, f"tasks read from section “{section_title}”")
            expected = self._section(zone, numeral, section_title, body, expected, match)
        return ParsedPlan(title, status, preamble, [zone], self.warnings)

    def _section(self, zone, numeral, section_title, body, expected, match):
        has_subheadings = any(
            (h := SUBHEADING_RE.match(line.text)) and h.group(2) and task_start(line.text) is None
            for line in body
        )
        category = None
        if not has_subheadings:
            category = ParsedCategory(len(zone.categories) + 1, body[0].number if body else 1, section_title)
            zone.categories.append(category)
        parts = None
        written = None
        restarted = False

        def finish():
            if parts:
                ref = f"{numeral}、" if numeral else ""
                if has_subheadings:
                    ref += f"（{to_chinese(category.number_in_section)}）"
                category.tasks.append(self.task(zone, category, len(zone.tasks) + 1, parts, written, ref))

        for line in body:
            heading = SUBHEADING_RE.match(line.text)
            started = task_start(line.text)
            if (
                has_subheadings
                and heading
                and heading.group(2)
                and from_chinese(heading.group(1)) is not None
            ):
                finish()
                parts = None
                category = ParsedCategory(len(zone.categories) + 1, line.number, heading.group(2).strip())
                category.number_in_section = from_chinese(heading.group(1))
                zone.categories.append(category)
            elif started:
                if category is None:
                    raise PlanFormatError(line.number, "a task comes before any category （一）")
                number, rest = started
                in_category = len(category.tasks) + 1 + (parts is not None)
                if number == 1 and not category.tasks and parts is None:
                    restarted = restarted or expected > 1
                elif number != (in_category if restarted else expected):
                    raise PlanFormatError(
                        line.number,
                        f"task number {number} is out of sequence (expected {in_category if restarted else expected})",
                    )
                finish()
                parts = [(line.number, rest)]
                written = number
                expected = number + 1
            elif parts is not None:
                text = line.text
                if BARE_CLAUSE_RE.match(text) and text[-1:] not in CLOSE:
                    # 牵头单位：市商务局 on a line of its own, without brackets.
                    text = f"（{text.rstrip('。；;')}）"
                parts.append((line.number, text))
            elif category is not None:
                category.intro += line.text
            elif line.text[-1:] in TERMINAL:
                zone.intro = (zone.intro + "\n\n" + line.text).strip()
        finish()
        return expected


class _TaskTable(_Items):
    def __init__(self, lines, known_agencies, fallback_title):
        super().__init__(known_agencies)
        self.rows = [(i + 1, raw.split("\t")) for i, raw in enumerate(lines) if raw.strip()]
        self.fallback_title = fallback_title

    def parse(self):
        header_at = next(
            (
                k
                for k, (_, cells) in enumerate(self.rows)
                if any("序号" in c for c in cells) and any("任务" in c or "措施" in c for c in cells)
            ),
            None,
        )
        if header_at is None:
            raise PlanFormatError(
                self.rows[0][0] if self.rows else 1,
                "no header row found: expected the columns 序号, 任务, 牵头单位, 责任/配合单位, 完成时限",
            )
        header_line, header = self.rows[header_at]
        columns = self._columns(header_line, header)
        before = [" ".join(c for c in cells if c) for _, cells in self.rows[:header_at]]
        title = before[0] if before else self.fallback_title
        zone = _single_zone(title or "任务表", header_line)
        category = None
        expected = 1
        restarted = False
        for line, cells in self.rows[header_at + 1 :]:

            def cell(key, cells=cells):
                index = columns.get(key)
                return cells[index].strip() if index is not None and index < len(cells) else ""

            number_text = (
                cell("number").translate(str.maketrans("０１２３４５６７８９", "0123456789")).rstrip(".、")
            )
            task_text = cell("task")
            filled = [c for c in cells if c.strip()]
            category_name = cell("category")
            if category_name and (category is None or category.title != category_name):
                category = ParsedCategory(len(zone.categories) + 1, line, category_name)
                zone.categories.append(category)
            if not number_text and not task_text:
                continue
            if not number_text.isdigit():
                if len(filled) == 1 and "category" not in columns:
                    # A row of its own (一、制度创新) heads the rows after it.
                    name = re.sub(r"^[一二三四五六七八九十]+\s*[、.．]\s*", "", filled[0].strip())
                    category = ParsedCategory(len(zone.categories) + 1, line, name)
                    zone.categories.append(category)
                    continue
                raise PlanFormatError(
                    line, f"the 序号 “{number_text}” is not a number (found “{' | '.join(filled)}”)"
                )
            if not task_text:
                raise PlanFormatError(
                    line, f"row {number_text} has no task text (column “{header[columns['task']]}”)"
                )
            if category is None:
                category = ParsedCategory(1, line, "重点任务")
                zone.categories.append(category)
            number = int(number_text)
            in_category = len(category.tasks) + 1
            if number == 1 and not category.tasks:
                restarted = restarted or expected > 1
            elif number != (in_category if restarted else expected):
                raise PlanFormatError(
                    line,
                    f"序号 {number} is out of sequence (expected {in_category if restarted else expected})",
                )
            expected = number + 1
            clause = ""
            labels = [("lead", "牵头单位")] + [(key, label) for key, label in self.role_columns]
            written = "；".join(f"{label}：{cell(key)}" for key, label in labels if cell(key))
            if written:
                clause = f"（{written}）"
            text = task_text + clause
            deadline = cell("deadline")
            task = self.task(zone, category, len(zone.tasks) + 1, [(line, text)], number, "")
            if cell("title"):
                task.title = cell("title").rstrip("。")
            if deadline:
                task.text += f"（完成时限：{deadline}）"
            category.tasks.append(task)
        if not zone.tasks:
            raise PlanFormatError(header_line, "the table has a header row but no task rows")
        return ParsedPlan(title, "", "", [zone], self.warnings)

    def _columns(self, line, header):
        columns = {}
        self.role_columns = []
        for index, name in enumerate(header):
            name = re.sub(r"\s+", "", name)
            if not name:
                continue
            for key in ("number", "lead", "deadline", "category"):
                if key not in columns and any(word in name for word in HEADER_KEYS[key]):
                    columns[key] = index
                    break
            else:
                if re.search(r"(责任|配合|协办|参与|支持)(单位|部门)", name):
                    key = f"role{index}"
                    columns[key] = index
                    label = "责任单位" if "责任" in name else "支持单位" if "支持" in name else "配合单位"
                    self.role_columns.append((key, label))
                elif any(word in name for word in HEADER_KEYS["task"]):
                    if "task" in columns and "title" not in columns:
                        # 重点任务 | 具体措施: the first names the task, the second is its text.
                        columns["title"] = columns["task"]
                    if "title" not in columns or columns["title"] != index:
                        columns["task"] = index
        for key in ("number", "task"):
            if key not in columns:
                raise PlanFormatError(
                    line,
                    f"the header row has no “{HEADER_KEYS[key][0]}” column (found: {' | '.join(header)})",
                )
        return columns
