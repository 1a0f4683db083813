"""The parsers' messages in the user's language.

The parsers (plan_parser, fyp_parser, layouts, agency_text) have no Django in them and write their
messages in English, with the document's own words quoted. The web import shows them through
localize(), which knows the common ones by their shape; any other message is shown as written.
"""

import re

from django.utils.translation import gettext as _

# (pattern, message); the pattern's named groups fill the message's placeholders.
PATTERNS = [
    (
        r"(?:(?P<zone>\S+): )?task number (?P<number>\d+) is out of sequence \(expected (?P<expected>\d+)\)",
        lambda: _("%(zone)stask number %(number)s is out of sequence (expected %(expected)s)"),
    ),
    (
        r"annex (?P<number>\d+) is out of sequence \(expected (?P<expected>\d+)\)",
        lambda: _("annex %(number)s is out of sequence (expected %(expected)s)"),
    ),
    (r"annex (?P<number>\d+) is empty", lambda: _("annex %(number)s is empty")),
    (
        r"annex (?P<number>\d+) has no “主要任务” \(or “重点任务”\) section",
        lambda: _("annex %(number)s has no “主要任务” (or “重点任务”) section"),
    ),
    (
        r"no annexes found: .*",
        lambda: _(
            "no annexes found: expected headings such as “附件 1”, or a single zone's 总体方案 whose "
            "title names the zone (…试验区X联动创新区总体方案) followed by “一、总体要求” and “二、主要任务”"
        ),
    ),
    (
        r"the document's layout was not recognised: .*",
        lambda: _(
            "the document's layout was not recognised: expected a linked-zone plan (附件 1, 附件 2 … or "
            "one zone's 总体方案), a five-year plan (第一章, 第一节 …), a task-division plan (numbered "
            "tasks with （牵头单位：…）) or a task table (columns 序号, 任务, 牵头单位)"
        ),
    ),
    (
        r"(?:(?P<zone>\S+) )?task (?P<number>\d+): the agency list \(.*\) has no closing bracket",
        lambda: _("%(zone)stask %(number)s: the agency list has no closing bracket"),
    ),
    (
        r"(?:(?P<zone>\S+) )?task (?P<number>\d+): no agencies listed \(.*\)",
        lambda: _(
            "%(zone)stask %(number)s: no agencies listed (expected “（支持单位：…）”, "
            "“（牵头单位：…；配合单位：…）” or “（…牵头）”)"
        ),
    ),
    (
        r"(?:(?P<zone>\S+) )?task (?P<number>\d+): empty agency list “(?P<text>.*)”",
        lambda: _("%(zone)stask %(number)s: empty agency list “%(text)s”"),
    ),
    (
        r"(?:(?P<zone>\S+) )?task (?P<number>\d+): “(?P<name>.+)”: read as (?P<read>.+) \(等 dropped\)",
        lambda: _("%(zone)stask %(number)s: “%(name)s” read as %(read)s (等 dropped)"),
    ),
    (
        r"(?:(?P<zone>\S+) )?task (?P<number>\d+): “(?P<name>.+)”: not a named agency, not linked",
        lambda: _("%(zone)stask %(number)s: “%(name)s” is not a named agency and is not linked"),
    ),
    (
        r"(?P<zone>\S+): stated total area (?P<area>\S+) km² differs from the sum of its blocks (?P<sum>\S+) km²",
        lambda: _("%(zone)sstated total area %(area)s km² differs from the sum of its blocks %(sum)s km²"),
    ),
    (
        r"(?P<zone>\S+): cannot read the total area \(总面积\)",
        lambda: _("%(zone)scannot read the total area (总面积)"),
    ),
    (r"(?P<zone>\S+): no total area \(总面积\) given", lambda: _("%(zone)sno total area (总面积) given")),
    (
        r"(?P<zone>\S+): the plan says (?P<stated>\d+) blocks but lists (?P<listed>\d+)",
        lambda: _("%(zone)sthe plan says %(stated)s blocks but lists %(listed)s"),
    ),
    (
        r"(?P<zone>\S+): no numbered tasks found under the categories .*",
        lambda: _(
            "%(zone)sno numbered tasks found under the categories (expected items numbered “1.”, “1、”, "
            "“（1）” or “①”)"
        ),
    ),
    (
        r"(?P<zone>\S+): category “(?P<title>.+)” has no numbered tasks",
        lambda: _("%(zone)scategory “%(title)s” has no numbered tasks"),
    ),
    (
        r"(?:(?P<zone>\S+): )?a task comes before any category （一）",
        lambda: _("%(zone)sa task comes before any category （一）"),
    ),
    (
        r"heading “(?P<text>.+)” continues on line (?P<line>\d+)(?: \(“.*”\))?: joined",
        lambda: _("heading “%(text)s” continues on line %(line)s: joined"),
    ),
    (r"section “(?P<title>.+)” ignored", lambda: _("section “%(title)s” ignored")),
    (
        r"(?P<zone>\S+): subsection “(?P<title>.+)” ignored",
        lambda: _("%(zone)ssubsection “%(title)s” ignored"),
    ),
    (
        r"no numbered tasks found: .*",
        lambda: _("no numbered tasks found: expected items such as “1. …（牵头单位：…）”, “（1）…” or “①…”"),
    ),
    (
        r"the 序号 “(?P<number>.*)” is not a number \(found “(?P<text>.*)”\)",
        lambda: _("the 序号 “%(number)s” is not a number (found “%(text)s”)"),
    ),
    (
        r"row (?P<number>.+) has no task text \(column “(?P<column>.+)”\)",
        lambda: _("row %(number)s has no task text (column “%(column)s”)"),
    ),
    (
        r"no header row found: .*",
        lambda: _("no header row found: expected the columns 序号, 任务, 牵头单位, 责任/配合单位, 完成时限"),
    ),
    (
        r"序号 (?P<number>\d+) is out of sequence \(expected (?P<expected>\d+)\)",
        lambda: _("序号 %(number)s is out of sequence (expected %(expected)s)"),
    ),
    (
        r"the table has a header row but no task rows",
        lambda: _("the table has a header row but no task rows"),
    ),
    (r"the document is empty", lambda: _("the document is empty")),
]
COMPILED = [(re.compile(pattern + "$"), message) for pattern, message in PATTERNS]


def localize(message):
    """`message` in the active language when its shape is known; otherwise as written."""
    for pattern, template in COMPILED:
        match = pattern.match(message)
        if match:
            values = {key: value or "" for key, value in match.groupdict().items()}
            if values.get("zone"):
                values["zone"] += _(": ")
            return template() % values
    return message
