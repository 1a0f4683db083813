"""Importing a plan from a file an office has: read, recognise, parse, check, preview, apply.

The same steps serve the web import (/plans/import/) and the import_plan command:

    prepare_import(...)  -> Prepared: the layout, the fixture records, warnings, unknown agencies
                            with suggested matches, the change list for a revision. Writes nothing.
    apply_prepared(...)  -> loads the records in one transaction, with the administrator's choice
                            for each unknown agency (create it, or map it to a known one as an alias).

Everything a database could refuse is checked before saving (field lengths, decimals, codes,
duplicates), so SQLite and PostgreSQL accept and refuse the same documents.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.validators import validate_slug
from django.db import DatabaseError, models, transaction
from django.utils.translation import gettext as _

from zones.models import Agency, AgencyAlias, Plan, PlanUpload, Zone

from .documents import Document, read_document
from .layouts import FIVE_YEAR, LAYOUT_NAMES, TASK_LIST, TASK_TABLE, detect_layout, parse_lines
from .plan_import import AgencyDirectory, build_fixture
from .plan_parser import ZONE_CODE_MAX, PlanFormatError

SUGGESTIONS = 3
SUGGESTION_CUTOFF = 60


class ImportRefused(Exception):
    """The document cannot be imported as asked; `line` (1-based) when a line is to blame."""

    def __init__(self, message, line=None, found=""):
        self.message = message
        self.line = line
        self.found = found
        super().__init__(message)

    def __str__(self):
        where = _("line %(line)s: ") % {"line": self.line} if self.line else ""
        found = " " + _("(found: “%(text)s”)") % {"text": self.found[:80]} if self.found else ""
        from .parser_messages import localize

        return f"{where}{localize(self.message)}{found}"


@dataclass
class Prepared:
    name: str
    sha256: str
    layout: str
    plan_code: str
    revision_of: str  # plan code, or "" for a new plan
    title: str
    records: list
    report: dict
    warnings: list  # [(line, message)]
    unknown_agencies: list  # [{"name", "line", "suggestions": [[name, score, id]]}]
    lines: list  # the cleaned source lines
    removed: list  # [(line, text, why)]: page furniture dropped before parsing
    encoding: str = ""
    kind: str = ""
    pages: list = field(default_factory=list)
    changes: list = field(default_factory=list)  # the revision's task changes, when a plan is revised
    change_text: str = ""  # plans.revision's full change list, as load_plan --dry-run prints it
    problems: list = field(default_factory=list)  # what keeps plans.revision from applying it
    targets: dict | None = None

    @property
    def layout_name(self):
        return LAYOUT_NAMES.get(self.layout, self.layout)

    def to_payload(self):
        return {
            key: getattr(self, key)
            for key in (
                "name",
                "sha256",
                "layout",
                "plan_code",
                "revision_of",
                "title",
                "records",
                "report",
                "warnings",
                "unknown_agencies",
                "lines",
                "removed",
                "encoding",
                "kind",
                "pages",
                "changes",
                "change_text",
                "problems",
                "targets",
            )
        }

    @classmethod
    def from_payload(cls, payload):
        return cls(**payload)


def slug_for(name):
    stem = Path(name).stem.lower()
    return re.sub(r"[^a-z0-9-]+", "-", stem).strip("-")[:60] or "plan"


def prepare_import(*, name, data, plan_code, revision_of=None, registry=None, translations=None):
    """Read and parse `data`; return Prepared or raise ImportRefused. Writes nothing."""
    from .documents import DocumentError

    try:
        document = read_document(name, data)
    except DocumentError as exc:
        raise ImportRefused(exc.message, exc.line) from exc
    layout = detect_layout(document.lines)
    directory = _directory(registry)
    known = set(directory.english) | set(directory.aliases)
    try:
        parsed = parse_lines(document.lines, layout, known, fallback_title=Path(name).stem)
    except PlanFormatError as exc:
        raise ImportRefused(exc.message, exc.line, _line(document, exc.line)) from exc

    if revision_of is not None:
        plan_code = revision_of.code
    try:
        validate_slug(plan_code)
    except Exception as exc:  # noqa: BLE001 - ValidationError carries the translated message
        raise ImportRefused(
            _("The plan code “%(code)s” may hold only letters, digits and hyphens.") % {"code": plan_code}
        ) from exc
    if len(plan_code) > Plan._meta.get_field("code").max_length:
        raise ImportRefused(_("The plan code is longer than 60 characters."))
    if revision_of is None and Plan.objects.filter(code=plan_code).exists():
        raise ImportRefused(
            _(
                "A plan with the code “%(code)s” exists already. Choose “revision of” that plan, or another code."
            )
            % {"code": plan_code}
        )
    if layout in (TASK_LIST, TASK_TABLE):
        # The zone of a plan without zones is the plan itself: its code is the plan's.
        for zone in parsed.zones:
            existing = revision_of.zones.order_by("annex_number").first() if revision_of else None
            zone.code = existing.code if existing else plan_code[:ZONE_CODE_MAX].strip("-")

    english = _translations(translations, plan_code)
    existing_plan = revision_of
    targets = None
    if layout == FIVE_YEAR:
        from .fyp_import import build_fyp_fixture

        title = parsed.title or (existing_plan.title if existing_plan else Path(name).stem)
        records, targets, report = build_fyp_fixture(
            parsed,
            code=plan_code,
            title=title,
            title_en=existing_plan.title_en if existing_plan else "",
            issuer=existing_plan.issuer if existing_plan else "",
            status=existing_plan.status if existing_plan else "",
            source_file=name[:200],
            translations=english,
        )
        warnings = [tuple(w) for w in report.get("warnings", parsed.warnings)]
        agency_names = []
    else:
        title = parsed.title
        records, report = build_fixture(
            parsed,
            code=plan_code,
            directory=directory,
            translations=english,
            issuer=existing_plan.issuer if existing_plan else "",
            title_en=existing_plan.title_en if existing_plan else "",
            source_file=name[:200],
        )
        warnings = [tuple(w) for w in parsed.warnings]
        agency_names = report["new_agencies"]

    check_records(records, parsed, layout, document.lines)
    _check_zone_owners(records, plan_code, parsed)
    unknown = [
        {"name": agency, "line": _agency_line(parsed, agency), "suggestions": suggest_agencies(agency)}
        for agency in agency_names
    ]
    prepared = Prepared(
        name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        layout=layout,
        plan_code=plan_code,
        revision_of=revision_of.code if revision_of else "",
        title=title,
        records=records,
        report=_jsonable(report),
        warnings=[(line, message) for line, message in warnings],
        unknown_agencies=unknown,
        lines=document.lines,
        removed=document.removed,
        encoding=document.encoding,
        kind=document.kind,
        pages=document.pages,
        targets=targets,
    )
    from .revision import UNCERTAIN_PAIRINGS

    revision = _revision(prepared, records)
    prepared.change_text = revision.changes.format()
    # The preview asks for each uncertain pairing in its own form instead of the command's flags.
    prepared.problems = [problem for problem in revision.changes.problems if problem != UNCERTAIN_PAIRINGS]
    if revision_of is not None:
        prepared.changes = task_changes(revision.changes)
    return prepared


def _revision(prepared, records, user=None, matches=None):
    """The revision engine (plans.revision) over the prepared records: its change list, its apply()."""
    from .revision import Revision, RevisionError, RevisionOptions
    from .revision import read_document as read_records

    try:
        doc = read_records(records)
    except RevisionError as exc:
        raise ImportRefused(str(exc)) from exc
    doc.source_name = prepared.name
    doc.sha256 = prepared.sha256
    return Revision(doc, RevisionOptions(user=user, via="web import", matches=matches or {}))


def task_changes(changes):
    """The revision engine's task changes as the preview keeps them (JSON), in plan order.

    The same list `load_plan --dry-run` prints: content matching, renumbering, withdrawals,
    agencies and roles, conflicts with approved adjustments, what each task carries, and the
    pairings only the administrator can settle (kind "uncertain", with the `choice` to send back)."""
    from dataclasses import asdict

    rows = [asdict(change) for change in changes.tasks]
    for row in rows:
        row.pop("task_id", None)
        row["number"] = row["new_number"] if row["new_number"] is not None else row["old_number"]
    return sorted(rows, key=lambda row: (row["zone"], row["number"] or 0))


def uncertain_pairings(prepared):
    """The pairings of a previewed revision the administrator must settle before it applies."""
    return [change for change in prepared.changes if "uncertain" in change.get("kinds", ())]


def suggest_agencies(name):
    """[[known name, score, agency id]] closest to `name`, best first."""
    from rapidfuzz import fuzz, process

    choices = {}
    for pk, agency_name in Agency.objects.values_list("pk", "name"):
        choices[agency_name] = pk
    for alias, pk in AgencyAlias.objects.values_list("alias", "agency_id"):
        choices.setdefault(alias, pk)
    if not choices:
        return []
    found = process.extract(
        name, list(choices), scorer=fuzz.WRatio, limit=SUGGESTIONS * 2, score_cutoff=SUGGESTION_CUTOFF
    )
    suggestions, seen = [], set()
    names = dict(Agency.objects.values_list("pk", "name"))
    for match, score, _index in found:
        pk = choices[match]
        if pk in seen:
            continue
        seen.add(pk)
        suggestions.append([names[pk], round(score), pk])
    return suggestions[:SUGGESTIONS]


@transaction.atomic
def apply_prepared(prepared, *, agency_choices=None, user=None, matches=None):
    """Apply the prepared records in one transaction as a plan revision (plans.revision: tasks
    matched by content, nothing recorded moved or erased); returns the PlanRevision (None when
    nothing changed).

    `agency_choices` maps an unknown agency's name to an Agency id (the name becomes its alias)
    or to None (the agency is created). A name without a choice is created. `matches` settles
    uncertain pairings as `--match` does: {(zone code, old number): new number or None}."""
    from .revision import RevisionRefused

    records = map_agencies(prepared.records, agency_choices or {})
    revision = _revision(prepared, records, user, matches)
    try:
        return revision.apply()
    except RevisionRefused as exc:
        raise ImportRefused("; ".join(revision.changes.problems) or str(exc)) from exc


def map_agencies(records, choices):
    """The records with each mapped agency name replaced by the chosen agency, and an alias kept."""
    chosen = {name: Agency.objects.get(pk=pk).name for name, pk in choices.items() if pk}
    if not chosen:
        return records
    out = []
    links = {}
    for record in records:
        fields = record["fields"]
        if record["model"] == "zones.agency" and fields["name"] in chosen:
            continue
        if record["model"] == "zones.agencyalias" and fields["agency"][0] in chosen:
            continue
        if record["model"] == "measures.taskagency":
            fields = {**fields, "agency": [chosen.get(fields["agency"][0], fields["agency"][0])]}
            task = tuple(fields["task"])
            # Mapped onto an agency the task names already: the plan's first mention stands.
            if fields["agency"][0] in links.setdefault(task, []):
                continue
            links[task].append(fields["agency"][0])
            fields["position"] = len(links[task])
            record = {**record, "fields": fields}
        out.append(record)
    known_aliases = set(AgencyAlias.objects.filter(alias__in=list(chosen)).values_list("alias", flat=True))
    for alias, target in chosen.items():
        if alias not in known_aliases and alias != target:
            out.insert(0, {"model": "zones.agencyalias", "fields": {"agency": [target], "alias": alias}})
    # Aliases need their agency first: the loader resolves natural keys in order.
    agencies = [r for r in out if r["model"] == "zones.agency"]
    aliases = [r for r in out if r["model"] == "zones.agencyalias"]
    rest = [r for r in out if r["model"] not in ("zones.agency", "zones.agencyalias")]
    return agencies + aliases + rest


def _directory(registry):
    registry = registry or str(settings.PLAN_FIXTURE_DIR / "agency_registry.json")
    try:
        return AgencyDirectory.load(registry, include_database=True)
    except DatabaseError:
        return AgencyDirectory.load(registry, include_database=False)


def _translations(path, code):
    path = Path(path) if path else settings.PLAN_FIXTURE_DIR / "translations" / f"{code}.en.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _line(document, number):
    if isinstance(document, Document) and number and 0 < number <= len(document.lines):
        return document.lines[number - 1].strip()
    return ""


def _jsonable(value):
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _agency_line(parsed, name):
    for zone in getattr(parsed, "zones", []):
        for task in zone.tasks:
            if name in task.agencies:
                return task.line
    return None


def _record_line(parsed, layout, title_line=None):
    """A function giving the source line of a fixture record, for errors."""
    zones, blocks, categories, agencies = {}, {}, {}, {}
    if layout != FIVE_YEAR:
        for zone in parsed.zones:
            zones[zone.code] = zone.line
            for block in zone.blocks:
                blocks[(zone.code, block.number)] = block.line
            for category in zone.categories:
                categories[(zone.code, category.number)] = category.line
                for task in category.tasks:
                    for name in task.agencies:
                        agencies.setdefault(name, task.line)

    def line_of(record):
        fields = record["fields"]
        model = record["model"]
        if model == "measures.task":
            return fields.get("source_line")
        if model == "zones.zone":
            return zones.get(fields["code"])
        if model == "zones.block":
            return blocks.get((fields["zone"][0], fields["number"]))
        if model == "zones.subplot":
            return blocks.get(tuple(fields["block"]))
        if model == "measures.taskcategory":
            return categories.get((fields["zone"][0], fields["number"]))
        if model == "zones.agency":
            return agencies.get(fields["name"])
        if model == "zones.plan":
            return title_line
        return None

    return line_of


def check_records(records, parsed, layout, lines=()):
    """Refuse what a database would refuse, naming the line: lengths, decimals, slugs, duplicates.

    `lines` (the document's) name the title's line for the plan's own fields."""
    title_line = next((number for number, text in enumerate(lines, start=1) if text.strip()), None)
    line_of = _record_line(parsed, layout, title_line)
    seen = {}
    for record in records:
        model = apps.get_model(record["model"])
        for name, value in record["fields"].items():
            model_field = model._meta.get_field(name)
            label = f"{model._meta.verbose_name} {model_field.verbose_name}"
            if isinstance(value, str) and model_field.max_length and len(value) > model_field.max_length:
                raise ImportRefused(
                    _(
                        "the %(what)s is %(length)d characters long; at most %(max)d fit. Shorten it in the document."
                    )
                    % {"what": label, "length": len(value), "max": model_field.max_length},
                    line_of(record),
                    value,
                )
            if (
                isinstance(model_field, models.SlugField)
                and value
                and not re.fullmatch(r"[-a-zA-Z0-9_]+", value)
            ):
                raise ImportRefused(
                    _("the %(what)s “%(value)s” is not a code of letters and digits.")
                    % {"what": label, "value": value},
                    line_of(record),
                )
            if isinstance(model_field, models.DecimalField) and value is not None:
                try:
                    number = Decimal(str(value))
                except InvalidOperation as exc:
                    raise ImportRefused(
                        _("the %(what)s “%(value)s” is not a number.") % {"what": label, "value": value},
                        line_of(record),
                    ) from exc
                digits = len(number.as_tuple().digits)
                exponent = -number.as_tuple().exponent
                if (
                    exponent > model_field.decimal_places
                    or digits - max(exponent, 0) > model_field.max_digits - model_field.decimal_places
                ):
                    raise ImportRefused(
                        _("the %(what)s %(value)s does not fit (at most %(places)d decimals).")
                        % {"what": label, "value": value, "places": model_field.decimal_places},
                        line_of(record),
                    )
            if (
                isinstance(model_field, models.PositiveSmallIntegerField)
                and isinstance(value, int)
                and not 0 <= value <= 32767
            ):
                raise ImportRefused(
                    _("the %(what)s %(value)s is out of range.") % {"what": label, "value": value},
                    line_of(record),
                )
        key = _unique_key(record)
        if key is not None:
            if key in seen:
                raise ImportRefused(
                    _("the document names the same %(what)s twice: %(key)s")
                    % {"what": model._meta.verbose_name, "key": " ".join(map(str, key[1:]))},
                    line_of(record) or seen[key],
                )
            seen[key] = line_of(record)


def _unique_key(record):
    fields = record["fields"]
    model = record["model"]
    if model == "zones.zone":
        return (model, fields["code"])
    if model == "measures.taskagency":
        return (model, *fields["task"], fields["agency"][0])
    if model == "zones.agencyalias":
        return (model, fields["alias"])
    return None


def _check_zone_owners(records, plan_code, parsed):
    """A zone code another plan holds would move that zone (and its reports) out of it."""
    codes = [r["fields"]["code"] for r in records if r["model"] == "zones.zone"]
    taken = dict(
        Zone.objects.filter(code__in=codes).exclude(plan__code=plan_code).values_list("code", "plan__title")
    )
    for zone in getattr(parsed, "zones", []):
        if zone.code in taken:
            raise ImportRefused(
                _(
                    "the zone code “%(code)s” (%(name)s) belongs to the plan “%(plan)s”; importing would move it. Rename the zone in the document or import this as a revision of that plan."
                )
                % {"code": zone.code, "name": zone.name, "plan": taken[zone.code]},
                zone.line,
            )
    for code in codes:
        if code in taken and not any(zone.code == code for zone in getattr(parsed, "zones", [])):
            raise ImportRefused(
                _("the zone code “%(code)s” belongs to the plan “%(plan)s”.")
                % {"code": code, "plan": taken[code]}
            )


def pending_uploads():
    """Previews not yet applied and not expired."""
    from django.utils import timezone

    return PlanUpload.objects.filter(applied_at__isnull=True, expires_at__gt=timezone.now())


@transaction.atomic
def start_upload(*, user, name, data, plan_code="", revision_of=None):
    """Prepare the document and keep its preview server-side; ImportRefused when it cannot be."""
    from datetime import timedelta

    from django.utils import timezone

    # Expired previews are deleted whenever anyone starts a new one.
    PlanUpload.objects.filter(applied_at__isnull=True, expires_at__lte=timezone.now()).delete()
    prepared = prepare_import(name=name, data=data, plan_code=plan_code, revision_of=revision_of)
    upload = PlanUpload(
        created_by=user,
        expires_at=timezone.now() + timedelta(minutes=settings.FTZ_IMPORT_PREVIEW_MINUTES),
        file_name=Path(name).name[:200],
        sha256=prepared.sha256,
        layout=prepared.layout,
        plan_code=prepared.plan_code,
        revision_of=revision_of,
        payload=_jsonable(prepared.to_payload()),
    )
    upload.full_clean()
    upload.save()
    return upload


@transaction.atomic
def confirm_upload(*, user, upload, agency_choices=None, matches=None):
    """Apply a previewed upload in one transaction, as `user`; returns the rows written.

    Refused (ImportRefused) when the preview expired, was applied already, or a plan with its code
    appeared since (a new plan) or its plan is gone (a revision)."""
    from django.utils import timezone

    upload = PlanUpload.objects.select_for_update().get(pk=upload.pk)
    if upload.is_applied:
        raise ImportRefused(_("This import was applied already."))
    if upload.expires_at <= timezone.now():
        raise ImportRefused(_("This preview has expired. Upload the file again."))
    prepared = Prepared.from_payload(upload.payload)
    if not prepared.revision_of and Plan.objects.filter(code=prepared.plan_code).exists():
        raise ImportRefused(
            _("A plan with the code “%(code)s” was created since the preview. Upload the file again.")
            % {"code": prepared.plan_code}
        )
    if prepared.revision_of and upload.revision_of_id is None:
        raise ImportRefused(_("The plan this revises was deleted since the preview. Upload the file again."))
    known = {entry["name"] for entry in prepared.unknown_agencies}
    choices = {name: pk for name, pk in (agency_choices or {}).items() if name in known}
    for pk in choices.values():
        if pk and not Agency.objects.filter(pk=pk).exists():
            raise ImportRefused(_("An agency chosen in the preview no longer exists. Choose again."))
    matches = matches or {}
    undecided = [
        change
        for change in uncertain_pairings(prepared)
        if (change["zone"], change["old_number"]) not in matches
    ]
    if undecided:
        raise ImportRefused(
            _("Decide for each uncertain pairing whether it is the same task (%(tasks)s).")
            % {"tasks": "、".join(f"{change['zone']} {change['old_number']}" for change in undecided)}
        )
    revision = apply_prepared(prepared, agency_choices=choices, user=user, matches=matches)
    upload.applied_at = timezone.now()
    upload.applied_by = user
    upload.summary = {
        "revision": revision.pk if revision is not None else None,
        "tasks": sum(1 for r in prepared.records if r["model"] == "measures.task"),
        "agencies_mapped": {name: Agency.objects.get(pk=pk).name for name, pk in choices.items() if pk},
        "agencies_created": sorted(known - {name for name, pk in choices.items() if pk}),
        "changes": len(prepared.changes),
    }
    # The applied upload stays as the record; the full preview (records, source lines) goes.
    upload.payload = {key: upload.payload[key] for key in ("name", "layout", "title", "warnings", "changes")}
    upload.full_clean()
    upload.save()
    return upload


@transaction.atomic
def cancel_upload(*, upload):
    """Cancelling leaves nothing: the preview is deleted."""
    if upload.is_applied:
        raise ImportRefused(_("This import was applied already; it cannot be cancelled."))
    upload.delete()
