"""The bulk-update spreadsheet's columns and the values its cells may hold.

The file is a data format shared with Excel users, not a page: its headers and status labels are
fixed Chinese text, so a template downloaded with the English UI uploads back unchanged and a change
to the translation catalogue never breaks files already filled in.
"""

from django.utils import translation

from measures.choices import TaskStatus
from measures.exports.text import writable

ZONE = "联动创新区代码"
NUMBER = "任务编号"
TITLE = "任务名称"
STATUS = "推进状态"
PERCENT = "完成进度(%)"
PROGRESS = "本期进展"
PROBLEMS = "存在的问题和困难"
NEXT_STEPS = "下一步工作"
SUPPORT_NEEDED = "需协调支持事项"
SUPPORT_AGENCY = "需支持单位"
VERSION = "版本"

HEADERS = [
    ZONE,
    NUMBER,
    TITLE,
    STATUS,
    PERCENT,
    PROGRESS,
    PROBLEMS,
    NEXT_STEPS,
    SUPPORT_NEEDED,
    SUPPORT_AGENCY,
    VERSION,
]
WIDTHS = {ZONE: 14, NUMBER: 9, TITLE: 36, STATUS: 13, PERCENT: 11, SUPPORT_AGENCY: 22, VERSION: 7}
TEXT_WIDTH = 40

# Report field → column, for the free-text fields copied as they are.
TEXT_COLUMNS = {
    "progress": PROGRESS,
    "problems": PROBLEMS,
    "next_steps": NEXT_STEPS,
    "support_needed": SUPPORT_NEEDED,
}
FIELD_COLUMNS = {
    "status": STATUS,
    "percent_complete": PERCENT,
    "support_agency": SUPPORT_AGENCY,
    **TEXT_COLUMNS,
}

STATUS_LABELS = {
    TaskStatus.NOT_STARTED: "未启动",
    TaskStatus.ON_TRACK: "按计划推进",
    TaskStatus.DELAYED: "滞后",
    TaskStatus.BLOCKED: "受阻",
    TaskStatus.COMPLETED: "已完成",
}


def status_by_label():
    """Every spelling accepted on import: the fixed label, the code, and both UI labels."""
    accepted = {}
    for status in TaskStatus:
        accepted[status.value.lower()] = status
        accepted[STATUS_LABELS[status].lower()] = status
        for language in ("en", "zh-hans"):
            with translation.override(language):
                accepted[str(status.label).strip().lower()] = status
    return accepted


def clean_text(value):
    """A cell's text as the report form would store it: trimmed, LF line breaks, XML-safe."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else _number_text(value)
    # The template wrote the stored text through the exports' one cleaning rule; reading it the
    # same way lets an untouched cell compare equal to what is stored.
    return writable(text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _number_text(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
