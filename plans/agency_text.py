"""The agencies a task names, with their role, in the bracket styles plans use.

    （支持单位：市科技局、市商务局）            every agency supporting
    （责任单位：…） 〔责任单位：…〕 【配合单位：…】  one role for the list
    （牵头单位：市商务局；配合单位：天津海关）      a role per label
    （市商务局牵头，市发展改革委按职责分工负责）    lead, then responsible
    市商务局（牵头）、天津海关和市科技局、…等      a role marked on a name, 和-joined names, 等

No Django here. Roles are the values of measures.choices.AgencyRole.
"""

import re
from dataclasses import dataclass, field

LEAD, RESPONSIBLE, COOPERATING, SUPPORTING = "lead", "responsible", "cooperating", "supporting"

OPEN = "（(〔【［["
CLOSE = "）)〕】］]"
LABELS = {
    "牵头单位": LEAD,
    "牵头部门": LEAD,
    "责任单位": RESPONSIBLE,
    "责任部门": RESPONSIBLE,
    "主责单位": RESPONSIBLE,
    "配合单位": COOPERATING,
    "配合部门": COOPERATING,
    "协办单位": COOPERATING,
    "参与单位": COOPERATING,
    "支持单位": SUPPORTING,
    "支持部门": SUPPORTING,
}
LABEL_RE = re.compile(r"(" + "|".join(LABELS) + r")\s*[：:]\s*")
CLAUSE_OPEN_RE = re.compile(rf"[{re.escape(OPEN)}]\s*(?=(?:{'|'.join(LABELS)})\s*[：:])")
# （X牵头，Y按职责分工负责）: verbs after the names say the role.
VERB_ROLES = (
    (re.compile(r"(?:共同)?牵头(?:负责|落实|推进|实施)?$"), LEAD),
    (re.compile(r"(?:按职责分工|按职责)?(?:分别|共同)?负责(?:落实|推进|实施)?$"), RESPONSIBLE),
    (re.compile(r"(?:按职责分工|按职责)?(?:协同|积极)?配合$"), COOPERATING),
    (re.compile(r"(?:按职责分工|按职责)?(?:参与|支持)$"), SUPPORTING),
)
# 各有关部门, 相关单位: no agency to link, said in the list as written.
GENERIC_RE = re.compile(r"^(?:各|其他)?(?:有关|相关)?(?:部门|单位)$")
MARKED_ROLE_RE = re.compile(r"[（(]\s*(牵头|负责|配合|支持)\s*[）)]$")
MARKS = {"牵头": LEAD, "负责": RESPONSIBLE, "配合": COOPERATING, "支持": SUPPORTING}
NAME_SPLIT_RE = re.compile(r"[、，,；;/]")
ET_CETERA_RE = re.compile(r"等(?:有关|相关)?(?:单位|部门|机构)?$")
# The last character of an agency's name: 局, 委, 办, 海关, 银行, 中心, 政府…
AGENCY_END_RE = re.compile(r"(?:局|委|办|厅|部|署|院|会|行|司|所|关|处|室|中心|政府|集团|公司|区|团)$")
JOINERS_RE = re.compile(r"[和及与]")


@dataclass
class AgencyClause:
    start: int  # where the bracket opens in the task text
    end: int  # index after the closing bracket
    entries: list = field(default_factory=list)  # [(name, role)] in the plan's order
    notes: list = field(default_factory=list)  # readings worth telling the administrator


class UnclosedClause(Exception):
    def __init__(self, start):
        self.start = start
        super().__init__(start)


def closing_bracket(text, start):
    depth = 0
    for index in range(start, len(text)):
        if text[index] in OPEN:
            depth += 1
        elif text[index] in CLOSE:
            depth -= 1
            if depth == 0:
                return index
    return None


def find_agency_clause(text, known=None):
    """The last agency clause in `text`, or None; UnclosedClause when it never closes.

    `known` (a set of agency names) helps split 天津海关和市科技局 but keep 市工业和信息化局."""
    opens = list(CLAUSE_OPEN_RE.finditer(text))
    if opens:
        # （牵头单位：X）（配合单位：Y）: clauses one after the other are one list.
        chosen = [opens[-1]]
        for opener in reversed(opens[:-1]):
            close = closing_bracket(text, opener.start())
            if close is None or text[close + 1 : chosen[0].start()].strip(" \t；;，,。") != "":
                break
            chosen.insert(0, opener)
        start = chosen[0].start()
        end = None
        clause = AgencyClause(start, 0)
        for opener in chosen:
            close = closing_bracket(text, opener.start())
            if close is None:
                raise UnclosedClause(opener.start())
            end = close + 1
            inner = text[opener.end() : close]
            labels = list(LABEL_RE.finditer(inner))
            for position, label in enumerate(labels):
                stop = labels[position + 1].start() if position + 1 < len(labels) else len(inner)
                role = LABELS[label.group(1)]
                _add_names(clause, inner[label.end() : stop], role, known)
        clause.end = end
        return clause
    return _verb_clause(text, known)


def _verb_clause(text, known):
    """（市商务局牵头，市发展改革委按职责分工负责） at the end of the text."""
    stripped = text.rstrip(" 。.；;")
    if not stripped or stripped[-1] not in CLOSE:
        return None
    # Walk back to the matching opener.
    depth = 0
    for start in range(len(stripped) - 1, -1, -1):
        if stripped[start] in CLOSE:
            depth += 1
        elif stripped[start] in OPEN:
            depth -= 1
            if depth == 0:
                break
    else:
        return None
    inner = stripped[start + 1 : -1]
    if not any(
        pattern.search(part.strip()) for part in re.split(r"[，,；;]", inner) for pattern, _ in VERB_ROLES[:2]
    ):
        return None
    clause = AgencyClause(start, len(stripped))
    for part in re.split(r"[，,；;]", inner):
        part = part.strip()
        for pattern, role in VERB_ROLES:
            match = pattern.search(part)
            if match:
                _add_names(clause, part[: match.start()], role, known)
                break
        else:
            if part:
                return None  # a remark in brackets, not an agency clause
    return clause if clause.entries else None


def _add_names(clause, names_text, role, known):
    for raw in NAME_SPLIT_RE.split(names_text):
        name = re.sub(r"\s+", "", raw).strip("。.:：")
        if not name:
            continue
        entry_role = role
        marked = MARKED_ROLE_RE.search(name)
        if marked:
            entry_role = MARKS[marked.group(1)]
            name = name[: marked.start()]
        trimmed = ET_CETERA_RE.sub("", name)
        if trimmed != name and trimmed:
            clause.notes.append(f"“{name}”: read as {trimmed} (等 dropped)")
            name = trimmed
        if GENERIC_RE.match(name):
            clause.notes.append(f"“{name}”: not a named agency, not linked")
            continue
        for part in split_joined(name, known):
            if part and part not in [existing for existing, _ in clause.entries]:
                clause.entries.append((part, entry_role))


def split_joined(name, known=None):
    """天津海关和市科技局 → two agencies; 市工业和信息化局 stays one."""
    known = known or set()
    if name in known or not JOINERS_RE.search(name):
        return [name]
    parts = [part for part in JOINERS_RE.split(name) if part]
    if len(parts) > 1 and all(part in known or AGENCY_END_RE.search(part) for part in parts):
        # 市人力资源和社会保障局 splits into 市人力资源 (not a name) and 社会保障局: every part must
        # be a whole name, which the first part's ending shows.
        return parts
    return [name]
