"""Apply a plan document (a fixture written by import_plan / import_fyp) to the database as a revision.

The record is sacred: a load only writes what the document itself changed, and never what people
and workflows own (销号, 撤销, approved adjustments, liaisons, reports, milestones, requests,
outcome links).

- Tasks are matched to the document by content within their zone (same text, then same lead
  sentence, then text similarity), never by number: a renumbered task keeps its row and everything
  recorded on it. A pairing in the grey band of similarity is refused until the administrator
  confirms it (or says the two are different tasks).
- A task the document no longer has is withdrawn (撤销) with a reason naming the revision, never
  deleted; a new one is created with nothing attached.
- Text and agencies are merged three ways against what the previous load of the document said
  (PlanRevision.snapshot): a part the document did not change is left as the database has it
  (an approved adjustment, a hand-added agency); a part both changed is a conflict, listed and
  not overwritten.
- Zones are looked up within their plan only, so one plan's load never moves another plan's zones.
- Agency names nobody knows are listed with the closest known names and mapped (alias), renamed
  or created as the administrator says.

`prepare()` computes the change list without writing (the preview, --dry-run); `apply()` writes
exactly that list in one transaction. The change list's `as_dict()` is plain JSON for a web page:
it lists `problems` (what blocks applying), uncertain pairings with their `choice`, and unknown
agencies with suggestions; the page's answers go back as RevisionOptions (matches, agency_actions,
user) for a second `prepare()` of the same document, whose `apply()` records the revision.
"""

import difflib
import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from rapidfuzz import fuzz, process

from measures.choices import AdjustmentKind, AdjustmentState, AgencyRole
from measures.models import Task, TaskAgency, TaskCategory
from measures.services import links_of, record_link_changes
from measures.tasks.models import LOADED_VERSION, LinkChangeCause
from zones.models import Agency, AgencyAlias, Block, Plan, SubPlot, Zone

from .models import PlanRevision

# Text similarity (rapidfuzz ratio, 0-100) at or above which two tasks are the same task edited,
# and below which they are different tasks; in between the administrator decides. Distinct tasks
# of one zone score at most 32 in both plans (their texts share only the policy vocabulary), a
# task with half its text rewritten about 65. A task at the same position as one that left
# gets the benefit of its position down to SAME_PLACE.
SAME_TASK = 85
DIFFERENT_TASK = 50
SAME_PLACE = 38
# How a withdrawal by a revision starts its reason (after the Chinese sentence).
REVISION_WITHDRAWAL = "Not in the revised plan"
PLAN_RECORDS = (
    "zones.block",
    "zones.subplot",
    "measures.taskcategory",
    "measures.task",
    "measures.taskagency",
)
# Numbers a row is parked on while its zone is renumbered (below the small-integer limit).
PARKING = 20_000


# The web preview asks for these decisions in its own form, so it leaves this problem out.
UNCERTAIN_PAIRINGS = (
    "uncertain task pairings: confirm each with --match ZONE:OLD=NEW (or ZONE:OLD=new for "
    "different tasks), a --match-file, or --accept-similar"
)


class RevisionError(Exception):
    """The document cannot be applied; nothing was written."""


class RevisionRefused(RevisionError):
    """The change list needs the administrator's decision first (uncertain pairs, unknown agencies)."""

    def __init__(self, changes):
        self.changes = changes
        super().__init__("; ".join(changes.problems))


# ---------------------------------------------------------------------------------------------
# The document


@dataclass
class TaskDoc:
    number: int
    category: int
    fields: dict
    agencies: list
    # Agency name → its role on the task (measures.choices.AgencyRole), when not supporting.
    roles: dict = field(default_factory=dict)

    @property
    def title(self):
        return self.fields.get("title", "")

    @property
    def text(self):
        return self.fields.get("text", "")


@dataclass
class ZoneDoc:
    code: str
    fields: dict
    blocks: list = field(default_factory=list)  # [(number, fields, [(plot number, boundary)])]
    categories: list = field(default_factory=list)  # [(number, fields)]
    tasks: list = field(default_factory=list)

    @property
    def name(self):
        return self.fields.get("name", "")


@dataclass
class PlanDoc:
    code: str
    fields: dict
    zones: list
    agencies: dict  # name → English name
    aliases: list  # [(alias, agency name)]
    source_name: str = ""
    sha256: str = ""


def read_fixture(path):
    raw = Path(path).read_bytes()
    try:
        records = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RevisionError(f"not a plan fixture (JSON): {exc}") from exc
    doc = read_document(records)
    doc.source_name = Path(path).name
    doc.sha256 = hashlib.sha256(raw).hexdigest()
    return doc


def read_document(records):
    """The plan of fixture records (natural keys), checked for what the loader relies on."""
    if not isinstance(records, list):
        raise RevisionError("not a plan fixture: expected a list of records")
    plans, zones, agencies, aliases = [], {}, {}, []
    pending = defaultdict(list)
    for index, record in enumerate(records, start=1):
        try:
            model, fields = record["model"], dict(record["fields"])
        except (KeyError, TypeError) as exc:
            raise RevisionError(f"record {index}: no model or fields") from exc
        try:
            if model == "zones.plan":
                plans.append(fields)
            elif model == "zones.agency":
                agencies[fields["name"]] = fields.get("name_en", "")
            elif model == "zones.agencyalias":
                aliases.append((fields["alias"], fields["agency"][0]))
            elif model == "zones.zone":
                fields.pop("plan", None)
                code = fields.pop("code")
                zones[code] = ZoneDoc(code=code, fields=fields)
            elif model in PLAN_RECORDS:
                pending[model].append((index, fields))
            else:
                raise RevisionError(f"record {index}: {model} does not belong in a plan fixture")
        except (KeyError, IndexError, TypeError) as exc:
            raise RevisionError(f"record {index} ({model}): missing field {exc}") from exc
    if len(plans) != 1:
        raise RevisionError(f"a plan fixture holds exactly one plan, this one {len(plans)}")
    plan_fields = plans[0]

    def zone_of(index, fields, key="zone"):
        try:
            code = fields[key][0]
        except (KeyError, IndexError, TypeError) as exc:
            raise RevisionError(f"record {index}: no {key}") from exc
        if code not in zones:
            raise RevisionError(f"record {index}: names zone {code}, which the fixture does not have")
        return zones[code]

    blocks = {}
    for index, fields in pending["zones.block"]:
        zone = zone_of(index, fields)
        entry = (fields.pop("number"), {k: v for k, v in fields.items() if k != "zone"}, [])
        zone.blocks.append(entry)
        blocks[(zone.code, entry[0])] = entry
    for index, fields in pending["zones.subplot"]:
        key = tuple(fields.get("block") or ())
        if key not in blocks:
            raise RevisionError(f"record {index}: names block {list(key)}, which the fixture does not have")
        blocks[key][2].append((fields["number"], fields["boundary"]))
    categories = set()
    for index, fields in pending["measures.taskcategory"]:
        zone = zone_of(index, fields)
        number = fields.pop("number", None)
        if not isinstance(number, int):
            raise RevisionError(f"record {index}: a category needs a number")
        zone.categories.append((number, {k: v for k, v in fields.items() if k != "zone"}))
        categories.add((zone.code, number))
    tasks = {}
    for index, fields in pending["measures.task"]:
        zone = zone_of(index, fields)
        category = tuple(fields.pop("category", None) or ())
        number = fields.pop("number", None)
        if not isinstance(number, int) or category not in categories or not fields.get("text"):
            raise RevisionError(
                f"record {index}: a task needs a number, a text and a category of the fixture"
            )
        task = TaskDoc(
            number=number,
            category=category[1],
            fields={k: v for k, v in fields.items() if k != "zone"},
            agencies=[],
        )
        if (zone.code, number) in tasks:
            raise RevisionError(f"record {index}: task {zone.code} {number} appears twice")
        tasks[(zone.code, number)] = task
        zone.tasks.append(task)
    for index, fields in pending["measures.taskagency"]:
        key = tuple(fields.get("task") or ())
        if key not in tasks:
            raise RevisionError(f"record {index}: names task {list(key)}, which the fixture does not have")
        tasks[key].agencies.append(fields["agency"][0])
        if fields.get("role"):
            tasks[key].roles[fields["agency"][0]] = fields["role"]
    for task in tasks.values():
        for name in task.agencies:
            agencies.setdefault(name, "")
    return PlanDoc(
        code=plan_fields.pop("code"),
        fields=plan_fields,
        zones=list(zones.values()),
        agencies=agencies,
        aliases=aliases,
    )


# ---------------------------------------------------------------------------------------------
# The change list (what a preview shows)


@dataclass
class TaskChange:
    zone: str
    kinds: list
    task_id: int | None = None
    old_number: int | None = None
    new_number: int | None = None
    title: str = ""
    diff: str = ""
    similarity: int | None = None
    agencies_added: list = field(default_factory=list)
    agencies_dropped: list = field(default_factory=list)
    agencies_renamed: list = field(default_factory=list)
    roles_changed: list = field(default_factory=list)  # [(agency name, old role, new role)]
    carries: dict = field(default_factory=dict)
    note: str = ""
    # For an uncertain pairing: the decision to send back, as --match takes it ("xiqing:2=2"; a
    # web form offers it and "xiqing:2=new"), read with parse_match into RevisionOptions.matches.
    choice: str = ""


@dataclass
class AgencyChoice:
    name: str
    suggestions: list  # [(known name, score)]
    action: str  # create | alias | rename | refused
    target: str = ""


@dataclass
class ChangeList:
    plan: str
    title: str
    new_plan: bool
    source_name: str = ""
    sha256: str = ""
    zones_added: list = field(default_factory=list)
    zones_dropped: list = field(default_factory=list)
    zones_renamed: list = field(default_factory=list)  # (code in the document, code given, held by)
    zones_changed: list = field(default_factory=list)
    categories_added: list = field(default_factory=list)
    tasks: list = field(default_factory=list)
    agencies: list = field(default_factory=list)
    other_updates: int = 0
    problems: list = field(default_factory=list)

    def of_kind(self, kind):
        return [change for change in self.tasks if kind in change.kinds]

    @property
    def counts(self):
        return {
            "added": len(self.of_kind("added")),
            "changed": len({id(c) for c in self.tasks if {"text", "agencies", "roles"} & set(c.kinds)}),
            "renumbered": len(self.of_kind("renumbered")),
            "withdrawn": len(self.of_kind("withdrawn")),
            "agencies": len(self.agencies)
            + sum(len(c.agencies_added) + len(c.agencies_dropped) for c in self.tasks),
            "conflicts": len(self.of_kind("conflict")),
            "uncertain": len(self.of_kind("uncertain")),
        }

    @property
    def is_empty(self):
        return not (
            self.new_plan
            or self.zones_added
            or self.zones_dropped
            or self.zones_changed
            or self.categories_added
            or self.tasks
            or self.agencies
            or self.other_updates
        )

    def as_dict(self):
        data = asdict(self)
        data["counts"] = self.counts
        return data

    def format(self):
        lines = [f"Plan {self.plan}: {self.title}" + (" (new)" if self.new_plan else "")]
        if self.is_empty:
            lines.append("No changes: the database already holds this version of the plan.")
            return "\n".join(lines)
        counts = self.counts
        lines.append(
            "Tasks: {added} added, {changed} changed, {renumbered} renumbered, {withdrawn} withdrawn; "
            "{agencies} agency changes; {conflicts} conflicts; {uncertain} uncertain".format(**counts)
        )
        for code in self.zones_added:
            lines.append(f"  zone added: {code}")
        for code, given, holder in self.zones_renamed:
            lines.append(
                f"  zone code {code} is {holder}: this plan's zone gets {given} "
                f"(choose one with import_plan --zone-code)"
            )
        for code in self.zones_dropped:
            lines.append(f"  zone no longer in the plan (its tasks are withdrawn): {code}")
        for code, names in self.zones_changed:
            lines.append(f"  zone {code}: {', '.join(names)} changed")
        if self.new_plan:
            lines.append(f"  {len(self.categories_added)} categories added")
        else:
            for code, number, title in self.categories_added:
                lines.append(f"  category added: {code} {number} {title}")
        if not self.new_plan:
            for change in self.tasks:
                lines.extend(_format_task(change))
        elif self.tasks:
            zones = Counter(change.zone for change in self.tasks)
            lines.append("  " + ", ".join(f"{code} {n} tasks" for code, n in zones.items()))
        for choice in self.agencies:
            close = "、".join(f"{name} ({score})" for name, score in choice.suggestions) or "none"
            what = {
                "create": "created",
                "alias": f"recorded as another name of {choice.target}",
                "rename": f"the new name of {choice.target} (kept as an alias)",
                "refused": "refused (--strict): map, rename or create it",
            }[choice.action]
            lines.append(f"  agency not known: {choice.name}: {what}; closest known: {close}")
            if choice.suggestions and choice.action in ("create", "refused"):
                best = choice.suggestions[0][0]
                lines.append(
                    f"      if it is {best}: --agency-rename {best}={choice.name} (renamed) or "
                    f"--agency-alias {choice.name}={best} (another name)"
                )
        if self.other_updates:
            lines.append(f"  {self.other_updates} other fields updated (plan, zones, blocks, sources)")
        for problem in self.problems:
            lines.append(f"REFUSED: {problem}")
        return "\n".join(lines)


def _format_task(change):
    number = (
        f"{change.old_number}→{change.new_number}"
        if change.old_number is not None and change.new_number not in (None, change.old_number)
        else str(change.new_number if change.new_number is not None else change.old_number)
    )
    lines = [f"  {change.zone} {number} [{', '.join(change.kinds)}] {change.title[:40]}"]
    if change.similarity is not None and "uncertain" in change.kinds:
        lines[0] += f" (similarity {change.similarity})"
    if change.note:
        lines.append(f"      {change.note}")
    if change.diff:
        lines.extend(f"      {line}" for line in change.diff.splitlines())
    for old, new in change.agencies_renamed:
        lines.append(f"      agency renamed: {old} → {new}")
    if change.agencies_added:
        lines.append(f"      agencies added: {'、'.join(change.agencies_added)}")
    if change.agencies_dropped:
        lines.append(f"      agencies dropped: {'、'.join(change.agencies_dropped)}")
    for name, old, new in change.roles_changed:
        lines.append(f"      role of {name}: {old} → {new}")
    if change.carries and any(change.carries.values()):
        lines.append(
            "      carries {reports} reports, {milestones} milestones, {requests} requests, "
            "{outcomes} outcome links".format(**change.carries)
        )
    return lines


def short_diff(old, new, width=30):
    """The changed stretches of two texts, with a little context: -删去的 +新增的."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    parts = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            continue
        before = old[max(0, a1 - 8) : a1]
        if a2 > a1:
            parts.append(f"-…{before}[{old[a1:a2][:width]}]…")
        if b2 > b1:
            parts.append(f"+…{before}[{new[b1:b2][:width]}]…")
        if len(parts) >= 6:
            parts.append("…")
            break
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# Options: what the administrator decided


@dataclass
class RevisionOptions:
    # (zone code, old task number) → new task number, or None: "not the same task".
    matches: dict = field(default_factory=dict)
    accept_similar: bool = False
    # Unknown agency name → ("alias", known name) | ("rename", known name) | ("create", "").
    agency_actions: dict = field(default_factory=dict)
    strict: bool = False
    user: object = None
    via: str = ""


def parse_match(value):
    """'xiqing:5=6' or 'xiqing:5=new' → (("xiqing", 5), 6 | None)."""
    try:
        left, right = value.split("=", 1)
        zone, old = left.rsplit(":", 1)
        new = None if right.strip().lower() in ("new", "none", "-") else int(right)
        return (zone.strip(), int(old)), new
    except ValueError as exc:
        raise RevisionError(
            f"--match {value}: expected ZONE:OLD=NEW (e.g. xiqing:5=6) or ZONE:OLD=new"
        ) from exc


def read_match_file(path):
    """One pairing per line (ZONE:OLD=NEW); blank lines and # comments ignored."""
    matches = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            key, new = parse_match(line)
            matches[key] = new
    return matches


# ---------------------------------------------------------------------------------------------
# Preparing: the change list and the writes it implies


@dataclass
class _TaskPlan:
    doc: TaskDoc | None
    row: Task | None
    change: TaskChange | None = None
    fields: dict = field(default_factory=dict)  # field → new value for the row
    agency_ids: list | None = None  # new ordered list of agency ids, when the links change
    roles: dict = field(default_factory=dict)  # agency id → new role, for links the task keeps
    withdraw: bool = False
    base: dict | None = None


@dataclass
class _ZonePlan:
    doc: ZoneDoc | None
    row: Zone | None
    fields: dict = field(default_factory=dict)
    categories: dict = field(default_factory=dict)  # doc number → TaskCategory row or None (new)
    category_fields: dict = field(default_factory=dict)  # row pk → {field: value}
    blocks: list = field(default_factory=list)
    tasks: list = field(default_factory=list)
    same_zone_as: Zone | None = None


class Revision:
    """A document compared with the database: `changes` to show, `apply()` to write them."""

    def __init__(self, doc, options=None):
        self.doc = doc
        self.options = options or RevisionOptions()
        self.plan = Plan.objects.filter(code=doc.code).first()
        self.changes = ChangeList(
            plan=doc.code,
            title=doc.fields.get("title", ""),
            new_plan=self.plan is None,
            source_name=doc.source_name,
            sha256=doc.sha256,
        )
        self.stale = self._superseded()
        self.same_file_as_latest = False
        self.plan_fields = {}
        self.zone_plans = []
        self.agency_ids = {}
        self.new_agencies = []
        self.renames = []  # (agency row, new name)
        self.new_aliases = []  # (alias, agency name)
        self.english = []  # (agency row, English name)
        self._prepare_agencies()
        self._prepare_plan()
        self._prepare_zones()
        self._count_what_tasks_carry()
        if self.changes.of_kind("uncertain"):
            self.changes.problems.append(UNCERTAIN_PAIRINGS)

    def _superseded(self):
        """The revision that replaced this very file, when it was applied before and then revised.

        Loading it again would undo the later revision (make run loads the committed fixture on
        every start), so the loader stops and says so unless told to re-apply it.
        """
        if self.plan is None or not self.doc.sha256:
            return None
        revisions = PlanRevision.objects.filter(plan=self.plan)
        latest = revisions.order_by("-applied_at", "-pk").first()
        if latest is None or latest.source_sha256 == self.doc.sha256:
            return None
        earlier = (
            revisions.filter(Q(source_sha256=self.doc.sha256) | Q(replaces_sha256=self.doc.sha256))
            .order_by("-applied_at", "-pk")
            .first()
        )
        if earlier is None:
            return None
        return (
            f"this file is a version of the plan that revision #{latest.pk} ({latest.source_name}) "
            f"replaced (seen by revision #{earlier.pk}); loading it again would undo #{latest.pk}. "
            "Not loaded; give --reapply to load it anyway"
        )

    def _replaced_file(self):
        """At a plan's first recorded revision: the committed fixture, if it is what the database holds.

        A database loaded before revisions were recorded came from fixtures/<code>.json; once that
        is known to be the version this revision replaces, the start-up load skips it.
        """
        if self.plan is None or PlanRevision.objects.filter(plan=self.plan).exists():
            return ""
        committed = Path(settings.PLAN_FIXTURE_DIR) / f"{self.plan.code}.json"
        try:
            doc = read_fixture(committed)
        except (OSError, RevisionError):
            return ""
        if doc.sha256 == self.doc.sha256 or doc.code != self.plan.code:
            return ""
        return doc.sha256 if Revision(doc).changes.is_empty else ""

    # -- agencies ---------------------------------------------------------------------------
    def _prepare_agencies(self):
        known = {}
        rows = {agency.name: agency for agency in Agency.objects.all()}
        for name, agency in rows.items():
            known[name] = agency
        for alias, agency_id in AgencyAlias.objects.values_list("alias", "agency_id"):
            known.setdefault(alias, next(a for a in rows.values() if a.pk == agency_id))
        canonical = list(rows)
        for name, name_en in self.doc.agencies.items():
            if name in known:
                agency = known[name]
                self.agency_ids[name] = agency
                if name_en and not agency.name_en and agency.name == name:
                    self.english.append((agency, name_en))
                continue
            suggestions = [
                (match, round(score))
                for match, score, _ in process.extract(name, canonical, scorer=fuzz.ratio, limit=3)
                if score >= 50
            ]
            action, target = self.options.agency_actions.get(name, ("create", ""))
            if action in ("alias", "rename"):
                agency = known.get(target)
                if agency is None:
                    self.changes.problems.append(f"agency {name}: {target} is not a known agency to {action}")
                    action = "refused"
                elif action == "alias":
                    self.agency_ids[name] = agency
                    self.new_aliases.append((name, agency))
                else:
                    self.agency_ids[name] = agency
                    self.renames.append((agency, name))
                    target = agency.name
            elif self.options.strict and name not in self.options.agency_actions:
                action = "refused"
                self.changes.problems.append(
                    f"agency {name} is not known (--strict): give --agency-alias, --agency-rename or "
                    "--agency-create"
                )
            else:
                action = "create"
                self.new_agencies.append((name, name_en))
                self.agency_ids[name] = None
            self.changes.agencies.append(AgencyChoice(name, suggestions, action, target))
        for alias, name in self.doc.aliases:
            agency = self.agency_ids.get(name)
            if alias not in known and agency is not None and alias not in dict(self.new_aliases):
                self.new_aliases.append((alias, agency))
            elif alias not in known and agency is None:
                self.new_aliases.append((alias, name))  # resolved once the agency is created

    def _agency_name(self, name):
        """The name the agency will have after this revision (for the change list)."""
        agency = self.agency_ids.get(name)
        return (
            name if agency is None else dict((a.pk, n) for a, n in self.renames).get(agency.pk, agency.name)
        )

    def _agency_key(self, name):
        """A comparable identity: the agency's id, or its name when it is yet to be created."""
        agency = self.agency_ids.get(name)
        return agency.pk if agency is not None else name

    # -- plan and zones -----------------------------------------------------------------------
    def _prepare_plan(self):
        if self.plan is None:
            return
        for key, value in self.doc.fields.items():
            # The file a version was read from is no change of the plan (applied with one only).
            if key == "source_file" or (key == "title_en" and getattr(self.plan, key)):
                continue
            if getattr(self.plan, key) != value:
                self.plan_fields[key] = value
        self.changes.other_updates += len(self.plan_fields)

    def _prepare_zones(self):
        existing = list(Zone.objects.filter(plan=self.plan)) if self.plan else []
        by_code = {zone.code: zone for zone in existing}
        by_name = {zone.name: zone for zone in existing}
        others = {
            zone.code: zone
            for zone in Zone.objects.filter(code__in=[z.code for z in self.doc.zones])
            .exclude(plan=self.plan)
            .select_related("plan")
        }
        matched = set()
        for zone_doc in self.doc.zones:
            row = by_code.get(zone_doc.code) or by_name.get(zone_doc.name)
            if row is not None and row.pk in matched:
                row = None
            zone_plan = _ZonePlan(doc=zone_doc, row=row)
            if row is None:
                if zone_doc.code in others:
                    # Codes are URLs and stay unique; the other plan's zone is never taken over.
                    other = others[zone_doc.code]
                    code = self._free_zone_code(zone_doc.code)
                    self.changes.zones_renamed.append(
                        (zone_doc.code, code, f"{other.name} of plan {other.plan.code}")
                    )
                    zone_doc.code = code
                same = (
                    Zone.objects.exclude(plan=self.plan)
                    .filter(Q(name=zone_doc.name) | Q(dev_zone_name=zone_doc.name))
                    .order_by("pk")
                    .first()
                )
                zone_plan.same_zone_as = (same.same_zone_as or same) if same else None
                self.changes.zones_added.append(zone_doc.code)
            else:
                matched.add(row.pk)
                for key, value in zone_doc.fields.items():
                    if key.endswith("_en") and getattr(row, key):
                        continue
                    if _differs(getattr(row, key), value):
                        zone_plan.fields[key] = value
                if zone_plan.fields:
                    self.changes.zones_changed.append((row.code, sorted(zone_plan.fields)))
            self.zone_plans.append(zone_plan)
        annexes = {zone_doc.fields.get("annex_number") for zone_doc in self.doc.zones}
        highest = max((a for a in annexes if isinstance(a, int)), default=0)
        for row in existing:
            if row.pk not in matched:
                self.changes.zones_dropped.append(row.code)
                dropped = _ZonePlan(doc=None, row=row)
                if row.annex_number in annexes or row.annex_number <= highest:
                    # Its annex number may be taken by the document's zones.
                    highest += 1
                    dropped.fields["annex_number"] = highest
                self.zone_plans.append(dropped)
        bases = self._bases()
        for zone_plan in self.zone_plans:
            self._prepare_categories(zone_plan)
            self._prepare_blocks(zone_plan)
            self._prepare_tasks(zone_plan, bases)

    def _free_zone_code(self, code):
        stem = f"{code}-{self.doc.code}"[:37].strip("-")
        taken = set(Zone.objects.filter(code__startswith=stem).values_list("code", flat=True))
        taken |= {zone.code for zone in self.doc.zones}
        candidate, n = stem, 1
        while candidate in taken:
            n += 1
            candidate = f"{stem}-{n}"
        return candidate

    def _prepare_categories(self, zone_plan):
        if zone_plan.doc is None:
            return
        rows = list(zone_plan.row.categories.all()) if zone_plan.row else []
        free = list(rows)
        for number, fields in zone_plan.doc.categories:
            row = _pick(free, lambda r, f=fields: r.title == f.get("title"))
            row = row or _pick(free, lambda r, f=fields: bool(f.get("code")) and r.code == f.get("code"))
            row = row or _pick(free, lambda r, n=number: r.number == n)
            zone_plan.categories[number] = row
            if row is None:
                self.changes.categories_added.append((zone_plan.doc.code, number, fields.get("title", "")))
                continue
            updates = {"number": number} if row.number != number else {}
            for key, value in fields.items():
                if key.endswith("_en") and getattr(row, key) and row.title == fields.get("title"):
                    continue
                if getattr(row, key) != value:
                    updates[key] = value
            if updates:
                zone_plan.category_fields[row.pk] = updates
                self.changes.other_updates += 1

    def _prepare_blocks(self, zone_plan):
        if zone_plan.doc is None:
            return
        rows = {}
        if zone_plan.row is not None:
            rows = {block.number: block for block in zone_plan.row.blocks.prefetch_related("subplots")}
        for number, fields, plots in zone_plan.doc.blocks:
            row = rows.pop(number, None)
            updates = {}
            if row is not None:
                for key, value in fields.items():
                    if _differs(getattr(row, key), value):
                        updates[key] = value
                same_plots = [(p.number, p.boundary) for p in row.subplots.all()] == sorted(plots)
            else:
                same_plots = False
            if row is None or updates or not same_plots:
                zone_plan.blocks.append(("save", number, row, fields, plots, not same_plots))
                self.changes.other_updates += 1
        for row in rows.values():
            # Blocks are the plan's own data (nothing is recorded against them): a block the
            # revision no longer has goes, as the zone's area would otherwise be wrong.
            zone_plan.blocks.append(("delete", row.number, row, {}, [], True))
            self.changes.other_updates += 1

    def _bases(self):
        """What the previous load of this plan said of each task: {task id: {title, text, agencies}}."""
        if self.plan is None:
            return {}
        latest = PlanRevision.objects.filter(plan=self.plan).order_by("-applied_at", "-pk").first()
        self.same_file_as_latest = latest is not None and latest.source_sha256 == self.doc.sha256
        return {int(pk): base for pk, base in (latest.snapshot if latest else {}).items()}

    def _prepare_tasks(self, zone_plan, bases):
        rows = []
        if zone_plan.row is not None:
            rows = list(
                zone_plan.row.tasks.order_by("number").prefetch_related(
                    "agency_links__agency__aliases", "adjustments"
                )
            )
        docs = zone_plan.doc.tasks if zone_plan.doc else []
        code = zone_plan.doc.code if zone_plan.doc else zone_plan.row.code
        pairs, uncertain = self._match(code, zone_plan.row.code if zone_plan.row else code, rows, docs)
        paired_rows = {row.pk for row, _doc, _score in pairs + uncertain}
        paired_docs = {id(doc) for _row, doc, _score in pairs + uncertain}
        highest = max((doc.number for doc in docs), default=0)
        taken = {doc.number for doc in docs}
        for row, doc, score in pairs:
            zone_plan.tasks.append(self._compare(zone_plan, row, doc, bases.get(row.pk), score))
        for row, doc, score in uncertain:
            change = TaskChange(
                zone=code,
                kinds=["uncertain"],
                task_id=row.pk,
                old_number=row.number,
                new_number=doc.number,
                title=row.title,
                diff=short_diff(row.text, doc.text),
                similarity=round(score),
                note=f"same task as the document's {doc.number} ({doc.title[:30]})?",
                choice=f"{code}:{row.number}={doc.number}",
            )
            self.changes.tasks.append(change)
            zone_plan.tasks.append(_TaskPlan(doc=doc, row=row, change=change))
        for doc in docs:
            if id(doc) not in paired_docs:
                change = TaskChange(zone=code, kinds=["added"], new_number=doc.number, title=doc.title)
                change.agencies_added = [self._agency_name(name) for name in doc.agencies]
                self.changes.tasks.append(change)
                zone_plan.tasks.append(_TaskPlan(doc=doc, row=None, change=change))
        for row in rows:
            if row.pk in paired_rows:
                continue
            plan = _TaskPlan(doc=None, row=row)
            if row.number in taken or row.number <= highest:
                highest += 1
                plan.fields["number"] = highest
            if row.withdrawn_at is None:
                plan.withdraw = True
                plan.change = TaskChange(
                    zone=code,
                    kinds=["withdrawn"],
                    task_id=row.pk,
                    old_number=row.number,
                    new_number=plan.fields.get("number", row.number),
                    title=row.title,
                    note="not in this version of the plan: withdrawn (撤销), kept with what it carries",
                )
                self.changes.tasks.append(plan.change)
            elif plan.fields:
                self.changes.other_updates += 1
            zone_plan.tasks.append(plan)

    def _match(self, code, row_code, rows, docs):
        """Pair existing tasks with the document's: (sure pairs, uncertain pairs), each (row, doc, score)."""
        free_rows = list(rows)
        free_docs = list(docs)
        pairs, uncertain = [], []

        def take(row, doc, score, into):
            free_rows.remove(row)
            free_docs.remove(doc)
            into.append((row, doc, score))

        by_number = {doc.number: doc for doc in docs}
        for row in list(free_rows):
            for key in ((code, row.number), (row_code, row.number)):
                if key in self.options.matches:
                    new = self.options.matches[key]
                    doc = by_number.get(new)
                    if new is not None and (doc is None or doc not in free_docs):
                        self.changes.problems.append(f"--match {key[0]}:{key[1]}={new}: no such free task")
                    elif doc is not None:
                        take(row, doc, 100.0, pairs)
                    break
        excluded = {
            key[1] for key, new in self.options.matches.items() if new is None and key[0] in (code, row_code)
        }
        candidates = [row for row in free_rows if row.number not in excluded]
        for same in (
            lambda row, doc: _squash(row.text) == _squash(doc.text),
            lambda row, doc: _base_text(row) == _squash(doc.text),
            lambda row, doc: row.title == doc.title,
        ):
            for row in list(candidates):
                hits = [doc for doc in free_docs if same(row, doc)]
                if len(hits) == 1 and sum(same(other, hits[0]) for other in candidates) == 1:
                    take(row, hits[0], 100.0, pairs)
                    candidates.remove(row)
        scored = []
        for row in candidates:
            for doc in free_docs:
                score = max(
                    fuzz.ratio(_squash(row.text), _squash(doc.text)),
                    fuzz.ratio(_base_text(row), _squash(doc.text)),
                )
                if score >= DIFFERENT_TASK or (score >= SAME_PLACE and row.number == doc.number):
                    scored.append((-score, abs(row.number - doc.number), row.pk, row, doc, score))
        scored.sort(key=lambda item: item[:3])
        for _neg, _distance, _pk, row, doc, score in scored:
            if row in free_rows and doc in free_docs:
                take(
                    row, doc, score, pairs if score >= SAME_TASK or self.options.accept_similar else uncertain
                )
        return pairs, uncertain

    def _compare(self, zone_plan, row, doc, base, score):
        plan = _TaskPlan(doc=doc, row=row)
        change = TaskChange(
            zone=zone_plan.doc.code,
            kinds=[],
            task_id=row.pk,
            old_number=row.number,
            new_number=doc.number,
            title=doc.title,
            similarity=round(score),
        )
        # Said once: the revision that brings it back records it in its snapshot.
        if base is None and row.withdrawn_at is not None and REVISION_WITHDRAWAL in row.withdraw_reason:
            change.kinds.append("withdrawn earlier")
            change.note = "in the plan again, withdrawn by an earlier revision: reinstate it by hand if meant"
        links = list(row.agency_links.all())
        db_ids = [link.agency_id for link in links]
        if base is None:
            base = _bootstrap_base(row, links)
        plan.base = base
        doc_ids = [self._agency_key(name) for name in doc.agencies]
        # Text and title: the document's change wins only where the database still has the
        # previous version; where someone changed it since (an approved adjustment), it is a conflict.
        doc_changed_text = _squash(doc.text) != _squash(base["text"]) or doc.title != base["title"]
        if doc_changed_text and (doc.text, doc.title) != (row.text, row.title):
            if (_squash(row.text), row.title) == (_squash(base["text"]), base["title"]):
                plan.fields.update(text=doc.text, title=doc.title)
                change.kinds.append("text")
                change.diff = short_diff(row.text, doc.text)
            else:
                change.kinds.append("conflict")
                change.diff = short_diff(row.text, doc.text)
                change.note = (
                    "the plan changed this task's text, which an approved adjustment had changed too: "
                    "kept as adjusted; settle it with a plan adjustment"
                )
        if row.number != doc.number:
            plan.fields["number"] = doc.number
            change.kinds.append("renumbered")
        category = zone_plan.categories.get(doc.category)
        if category is None or category.pk != row.category_id:
            plan.fields["category"] = doc.category  # resolved to the row when applying
        for key in ("code", "agencies_text", "source_ref", "source_line"):
            if key in doc.fields and getattr(row, key) != doc.fields[key]:
                plan.fields[key] = doc.fields[key]
        if doc.fields.get("title_en") and not row.title_en:
            plan.fields["title_en"] = doc.fields["title_en"]
        # Agencies: apply what the document added and dropped since the previous version, and
        # keep what was added by hand or by an adjustment.
        base_ids = list(base["agencies"])
        renamed = {a.pk: n for a, n in self.renames}
        change.agencies_renamed = [
            (agency.name, renamed[agency.pk])
            for agency in (link.agency for link in links)
            if agency.pk in renamed and agency.pk in doc_ids
        ]
        if doc_ids != base_ids:
            added = [key for key in doc_ids if key not in base_ids]
            dropped = [key for key in base_ids if key not in doc_ids]
            adjusted = any(
                a.kind == AdjustmentKind.AGENCIES and a.state == AdjustmentState.APPROVED
                for a in row.adjustments.all()
            )
            if db_ids == base_ids:
                wanted = doc_ids
            elif adjusted and (added or dropped):
                wanted = db_ids
                change.kinds.append("conflict")
                change.note = (change.note + "; " if change.note else "") + (
                    "the plan changed the agencies an approved adjustment had set: kept as adjusted"
                )
            else:
                wanted = [key for key in db_ids if key not in dropped] + [
                    key for key in added if key not in db_ids
                ]
            if wanted != db_ids:
                plan.agency_ids = wanted
                names = {link.agency_id: link.agency.name for link in links}
                names.update({self._agency_key(n): self._agency_name(n) for n in doc.agencies})
                change.agencies_added = [names.get(k, str(k)) for k in wanted if k not in db_ids]
                change.agencies_dropped = [names.get(k, str(k)) for k in db_ids if k not in wanted]
                if change.agencies_added or change.agencies_dropped:
                    change.kinds.append("agencies")
                elif "conflict" not in change.kinds:
                    change.kinds.append("reordered")
        self._compare_roles(plan, change, doc, links, base)
        if change.kinds or change.agencies_renamed:
            plan.change = change
            if not change.kinds:
                change.kinds.append("agency renamed")
            self.changes.tasks.append(change)
        elif plan.fields:
            self.changes.other_updates += 1
        return plan

    def _compare_roles(self, plan, change, doc, links, base):
        """Roles (牵头/责任/配合/支持) the document changed on agencies the task keeps.

        Three-way, like the text: the document's change wins where the database still has the
        previous version's role; a role set by hand since then stays. A previous version recorded
        before snapshots kept roles says nothing of them: then only a new file's role the document
        names (any but 支持) counts; reloading the same file (make run) never touches a role set by
        hand, and a document's silence never demotes a lead by accident."""
        named = {self._agency_key(name): name for name in doc.agencies}
        base_roles = base.get("roles")
        for link in links:
            name = named.get(link.agency_id)
            if name is None:
                continue
            new = doc.roles.get(name, AgencyRole.SUPPORTING)
            if new == link.role:
                continue
            before = (base_roles or {}).get(str(link.agency_id))
            if before is None:
                if name not in doc.roles or self.same_file_as_latest:
                    continue
            elif new == before:
                continue  # the document did not change it; the database did, and keeps it
            elif link.role != before:
                if "conflict" not in change.kinds:
                    change.kinds.append("conflict")
                change.note = (change.note + "; " if change.note else "") + (
                    f"the plan changed the role of {link.agency.name}, which was changed since: kept"
                )
                continue
            plan.roles[link.agency_id] = new
            change.roles_changed.append((link.agency.name, link.role, new))
        if plan.roles and "roles" not in change.kinds:
            change.kinds.append("roles")

    def _count_what_tasks_carry(self):
        ids = [c.task_id for c in self.changes.tasks if c.task_id is not None]
        if not ids:
            return
        counts = {
            row["pk"]: row
            for row in Task.objects.filter(pk__in=ids)
            .annotate(
                n_reports=Count("reports", distinct=True),
                n_milestones=Count("milestones", distinct=True),
                n_requests=Count("coordination_requests", distinct=True),
                n_outcomes=Count("outcomes", distinct=True),
            )
            .values("pk", "n_reports", "n_milestones", "n_requests", "n_outcomes")
        }
        for change in self.changes.tasks:
            row = counts.get(change.task_id)
            if row:
                change.carries = {
                    "reports": row["n_reports"],
                    "milestones": row["n_milestones"],
                    "requests": row["n_requests"],
                    "outcomes": row["n_outcomes"],
                }

    # -- applying -------------------------------------------------------------------------------
    def apply(self):
        """Write the change list in one transaction; returns the PlanRevision row (None if no change)."""
        if self.changes.problems:
            raise RevisionRefused(self.changes)
        if self.changes.is_empty:
            return None
        with transaction.atomic():
            return self._apply()

    def _apply(self):
        now = timezone.now()
        user = self.options.user
        revision = PlanRevision(
            source_name=self.doc.source_name[:255] or "(unnamed)",
            source_sha256=self.doc.sha256,
            replaces_sha256=self._replaced_file(),
            document=str(self.doc.fields.get("source_file", ""))[:200],
            applied_at=now,
            applied_by=user,
            applied_via=self.options.via[:120],
        )
        reason = f"Plan revision: {revision.source_name} ({self.doc.sha256[:12]}, {now:%Y-%m-%d %H:%M})"
        self._apply_agencies()
        plan = self.plan
        if plan is None:
            plan = Plan(code=self.doc.code, **self.doc.fields)
            _clean(plan)
            plan.save()
            self.plan = plan
        else:
            if "source_file" in self.doc.fields and plan.source_file != self.doc.fields["source_file"]:
                self.plan_fields["source_file"] = self.doc.fields["source_file"]
            if self.plan_fields:
                _save(plan, self.plan_fields, user, reason)
        revision.plan = plan
        revision.save()
        reason = f"Plan revision #{revision.pk}: {revision.source_name}"
        snapshot = {}
        changed_rows = []
        self._park_annexes()
        for zone_plan in self.zone_plans:
            zone = self._apply_zone(plan, zone_plan, user, reason)
            if zone_plan.doc is None:
                self._withdraw(zone_plan, revision, now, user, reason)
                continue
            self._apply_categories(zone, zone_plan, user, reason)
            self._apply_blocks(zone, zone_plan)
            changed_rows += self._apply_tasks(zone, zone_plan, revision, now, user, reason, snapshot)
        if changed_rows:
            Task.objects.filter(pk__in=changed_rows).update(revised_in=revision)
        counts = self.changes.counts
        revision.tasks_added = counts["added"]
        revision.tasks_changed = counts["changed"]
        revision.tasks_renumbered = counts["renumbered"]
        revision.tasks_withdrawn = counts["withdrawn"]
        revision.agency_changes = counts["agencies"]
        revision.conflicts = counts["conflicts"]
        revision.changes = self.changes.as_dict()
        # The document's version of each of its tasks: the base the next revision is compared with.
        revision.snapshot = {str(pk): base for pk, base in snapshot.items()}
        revision.save(update_fields=[
            "tasks_added", "tasks_changed", "tasks_renumbered", "tasks_withdrawn",
            "agency_changes", "conflicts", "changes", "snapshot",
        ])  # fmt: skip
        return revision

    def _apply_agencies(self):
        for agency, name in self.renames:
            AgencyAlias.objects.get_or_create(alias=agency.name, defaults={"agency": agency})
            AgencyAlias.objects.filter(alias=name).delete()
            agency.name = name
            _clean(agency)
            agency.save(update_fields=["name"])
        created = {}
        for name, name_en in self.new_agencies:
            agency = Agency(name=name, name_en=name_en)
            _clean(agency)
            agency.save()
            created[name] = agency
            self.agency_ids[name] = agency
        for agency, name_en in self.english:
            agency.name_en = name_en
            _clean(agency)
            agency.save(update_fields=["name_en"])
        for alias, agency in self.new_aliases:
            if isinstance(agency, str):
                agency = created.get(agency)
                if agency is None:
                    continue
            row = AgencyAlias(alias=alias, agency=agency)
            _clean(row, validate_unique=True)
            row.save()

    def _park_annexes(self):
        moving = [zp for zp in self.zone_plans if zp.row is not None and "annex_number" in zp.fields]
        for index, zone_plan in enumerate(moving):
            Zone.objects.filter(pk=zone_plan.row.pk).update(annex_number=PARKING + index)

    def _apply_zone(self, plan, zone_plan, user, reason):
        if zone_plan.row is None:
            zone = Zone(
                plan=plan,
                code=zone_plan.doc.code,
                same_zone_as=zone_plan.same_zone_as,
                **zone_plan.doc.fields,
            )
            _clean(zone, validate_unique=True)
            zone.save()
            zone_plan.row = zone
            return zone
        if zone_plan.fields:
            _save(zone_plan.row, zone_plan.fields, user, reason)
        return zone_plan.row

    def _apply_categories(self, zone, zone_plan, user, reason):
        moving = [pk for pk, fields in zone_plan.category_fields.items() if "number" in fields]
        rows = {c.pk: c for c in zone.categories.all()}
        doc_numbers = {number for number, _ in zone_plan.doc.categories}
        # A category the revision no longer has keeps its tasks; it moves out of the way when
        # its number is taken by the document's numbering.
        kept = {c.pk for c in zone_plan.categories.values() if c is not None}
        highest = max(doc_numbers, default=0)
        for pk, row in sorted(rows.items(), key=lambda item: item[1].number):
            if pk not in kept and (row.number in doc_numbers or row.number <= highest):
                highest += 1
                zone_plan.category_fields[pk] = {"number": highest}
                moving.append(pk)
        _keep_loaded_version([rows[pk] for pk in zone_plan.category_fields], model=TaskCategory)
        for index, pk in enumerate(moving):
            TaskCategory.objects.filter(pk=pk).update(number=PARKING + index)
        for pk, fields in zone_plan.category_fields.items():
            _save(rows[pk], fields, user, reason)
        for number, fields in zone_plan.doc.categories:
            if zone_plan.categories.get(number) is None:
                category = TaskCategory(zone=zone, number=number, **fields)
                _clean(category)
                category.save()
                zone_plan.categories[number] = category

    def _apply_blocks(self, zone, zone_plan):
        for action, number, row, fields, plots, new_plots in zone_plan.blocks:
            if action == "delete":
                row.delete()
                continue
            if row is None:
                row = Block(zone=zone, number=number)
            for key, value in fields.items():
                setattr(row, key, value)
            _clean(row)
            row.save()
            if new_plots:
                SubPlot.objects.filter(block=row).delete()
                plots_rows = [SubPlot(block=row, number=n, boundary=b) for n, b in plots]
                for plot in plots_rows:
                    _clean(plot)
                SubPlot.objects.bulk_create(plots_rows)

    def _withdraw(self, zone_plan, revision, now, user, reason):
        _keep_loaded_version([tp.row for tp in zone_plan.tasks if tp.withdraw])
        for task_plan in zone_plan.tasks:
            if task_plan.withdraw:
                self._withdraw_row(task_plan.row, revision, now, user, reason, task_plan.fields)

    def _withdraw_row(self, row, revision, now, user, reason, fields):
        updates = dict(fields)
        updates.update(
            withdrawn_at=now,
            withdrawn_by=user,
            withdraw_reason=(
                f"不在修订后的方案中（{revision.source_name}，计划修订 #{revision.pk}）。"
                f"{REVISION_WITHDRAWAL} ({revision.source_name}, plan revision #{revision.pk})."
            ),
        )
        _save(row, updates, user, reason)

    def _apply_tasks(self, zone, zone_plan, revision, now, user, reason, snapshot):
        _keep_loaded_version(
            [
                tp.row
                for tp in zone_plan.tasks
                if tp.fields or tp.withdraw or tp.agency_ids is not None or tp.roles
            ]
        )
        relinked = [
            tp.row.pk
            for tp in zone_plan.tasks
            if tp.row is not None and tp.doc is not None and (tp.agency_ids is not None or tp.roles)
        ]
        links_before = links_of(relinked)
        moving = [tp.row.pk for tp in zone_plan.tasks if tp.row is not None and "number" in tp.fields]
        for index, pk in enumerate(moving):
            Task.objects.filter(pk=pk).update(number=PARKING + index)
        changed = []
        new_rows = []
        for task_plan in zone_plan.tasks:
            doc, row = task_plan.doc, task_plan.row
            if row is None:
                fields = dict(doc.fields)
                task = Task(
                    zone=zone, category=zone_plan.categories[doc.category], number=doc.number, **fields
                )
                _clean(task)
                new_rows.append((task, doc))
                continue
            if doc is None:
                if task_plan.withdraw:
                    self._withdraw_row(row, revision, now, user, reason, task_plan.fields)
                elif task_plan.fields:
                    _save(row, task_plan.fields, user, reason)
                continue
            fields = dict(task_plan.fields)
            if "category" in fields:
                fields["category"] = zone_plan.categories[doc.category]
            if fields:
                _save(row, fields, user, reason)
            if {"text", "title", "number"} & set(fields):
                changed.append(row.pk)
            if task_plan.agency_ids is not None:
                self._set_links(row, task_plan.agency_ids, doc.roles if doc is not None else {})
            for agency_id, role in task_plan.roles.items():
                TaskAgency.objects.filter(task=row, agency_id=agency_id).update(role=role)
            if (task_plan.agency_ids is not None or task_plan.roles) and not fields:
                # The links live in their own table; the task's history still says when and why.
                Task.history.bulk_history_create(
                    [row], update=True, default_user=user, default_change_reason=f"{reason} (agencies)"
                )
            snapshot[row.pk] = self._snapshot(doc)
        if new_rows:
            created = Task.objects.bulk_create([task for task, _doc in new_rows])
            if not self.changes.new_plan:
                Task.history.bulk_history_create(created, default_user=user, default_change_reason=reason)
            links = []
            for task, doc in new_rows:
                snapshot[task.pk] = self._snapshot(doc)
                for position, name in enumerate(doc.agencies, start=1):
                    links.append(
                        TaskAgency(
                            task=task,
                            agency=self.agency_ids[name],
                            position=position,
                            role=doc.roles.get(name, AgencyRole.SUPPORTING),
                        )
                    )
            TaskAgency.objects.bulk_create(links)
        # The links live in their own table without history: what changed is recorded beside them,
        # so a view as of an earlier day reads the links of then (a new task did not exist then).
        record_link_changes(
            before=links_before,
            after=links_of(relinked),
            cause=LinkChangeCause.REVISION,
            by=user,
            reason=reason,
            at=now,
        )
        return changed

    def _snapshot(self, doc):
        return {
            "title": doc.title,
            "text": doc.text,
            "agencies": [self.agency_ids[name].pk for name in doc.agencies],
            "roles": {
                str(self.agency_ids[name].pk): doc.roles.get(name, AgencyRole.SUPPORTING)
                for name in doc.agencies
            },
        }

    def _set_links(self, task, keys, roles=None):
        ids = [key if isinstance(key, int) else self.agency_ids[key].pk for key in keys]
        # The document's role for the agencies it names; a link it does not name keeps its own.
        kept = dict(TaskAgency.objects.filter(task=task).values_list("agency_id", "role"))
        named = {
            self.agency_ids[name].pk: role for name, role in (roles or {}).items() if name in self.agency_ids
        }
        TaskAgency.objects.filter(task=task).delete()
        TaskAgency.objects.bulk_create(
            TaskAgency(
                task=task,
                agency_id=agency_id,
                position=position,
                role=named.get(agency_id) or kept.get(agency_id) or AgencyRole.SUPPORTING,
            )
            for position, agency_id in enumerate(dict.fromkeys(ids), start=1)
        )


def _pick(rows, test):
    for row in rows:
        if test(row):
            rows.remove(row)
            return row
    return None


def _squash(text):
    return "".join((text or "").split())


def _base_text(row):
    """The text the plan gave the task before an approved adjustment changed it."""
    approved = [
        a
        for a in row.adjustments.all()
        if a.kind == AdjustmentKind.TEXT and a.state == AdjustmentState.APPROVED and a.before.get("text")
    ]
    if not approved:
        return _squash(row.text)
    return _squash(min(approved, key=lambda a: (a.decided_at, a.pk)).before["text"])


def _bootstrap_base(row, links):
    """The previous version of a task loaded before revisions were recorded.

    Its text is the text before the first approved text adjustment; its agencies those before the
    first approved agency adjustment, else the linked agencies the plan's own list names (a link
    added by hand names an agency the list as written does not).
    """
    approved = sorted(
        (a for a in row.adjustments.all() if a.state == AdjustmentState.APPROVED),
        key=lambda a: (a.decided_at, a.pk),
    )
    text = next((a.before["text"] for a in approved if a.kind == AdjustmentKind.TEXT), row.text)
    agencies = next(
        (
            [entry["id"] for entry in a.before.get("agencies", [])]
            for a in approved
            if a.kind == AdjustmentKind.AGENCIES
        ),
        None,
    )
    if agencies is None:
        written = row.agencies_text or ""
        agencies = [
            link.agency_id
            for link in links
            if link.agency.name in written
            or any(alias.alias in written for alias in link.agency.aliases.all())
        ]
    return {"title": row.title, "text": text, "agencies": agencies}


def _clean(instance, validate_unique=False):
    """Field lengths and values checked before saving, so SQLite and PostgreSQL refuse alike.

    Relations are set by the loader itself, so they are not looked up again.
    """
    exclude = [f.name for f in instance._meta.fields if f.is_relation]
    try:
        instance.full_clean(exclude=exclude, validate_unique=validate_unique, validate_constraints=False)
    except ValidationError as exc:
        label = f"{instance._meta.verbose_name} {instance}"
        raise RevisionError(
            f"{label}: {'; '.join(f'{k}: {v}' for k, v in exc.message_dict.items())}"
        ) from exc


def _save(row, fields, user, reason):
    for key, value in fields.items():
        setattr(row, key, value)
    _clean(row)
    row._history_user = user
    row._change_reason = reason
    row.save(update_fields=list(fields))


def _keep_loaded_version(rows, model=Task):
    """Tasks and categories loaded in bulk have no history row yet: write the version before this
    revision, as a change (not a creation), so a view as of an earlier day finds what they were."""
    rows = [row for row in rows if row is not None]
    with_history = set(
        model.history.filter(id__in=[row.pk for row in rows]).values_list("id", flat=True).distinct()
    )
    missing = [row for row in rows if row.pk not in with_history]
    if missing:
        model.history.bulk_history_create(missing, update=True, default_change_reason=LOADED_VERSION)


def _differs(current, value):
    if isinstance(current, Decimal) or (current is None) != (value is None):
        if current is None or value is None:
            return current is not value
        try:
            return Decimal(str(value)) != current
        except InvalidOperation:
            return True
    return current != value


def prepare(source, options=None):
    """A Revision for a fixture path or a PlanDoc."""
    doc = source if isinstance(source, PlanDoc) else read_fixture(source)
    return Revision(doc, options)
