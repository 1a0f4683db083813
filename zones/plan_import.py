"""Turn a parsed plan into a fixture with natural keys, and load such fixtures in place.

Agencies are resolved through the registry (fixtures/agency_registry.json) and
the database, so 市网信办 and 市委网信办 become one agency. Loading deletes and
re-inserts only the rows that have no identity of their own (plots, task-agency
links); plans, zones, blocks, categories and tasks keep their primary keys, so
progress recorded against a task survives a reload.
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.core import serializers
from django.db import transaction
from django.db.models import F, Max

from .models import Agency, AgencyAlias, SubPlot


@dataclass
class AgencyDirectory:
    """Canonical names, English names and aliases known before this import."""

    english: dict = field(default_factory=dict)  # canonical name → English name
    aliases: dict = field(default_factory=dict)  # alias → canonical name
    registry_aliases: dict = field(default_factory=dict)  # canonical → aliases from the registry

    @classmethod
    def load(cls, registry_path=None, include_database=True):
        directory = cls()
        if registry_path and Path(registry_path).exists():
            for entry in json.loads(Path(registry_path).read_text(encoding="utf-8")):
                directory.english[entry["name"]] = entry.get("name_en", "")
                directory.registry_aliases[entry["name"]] = list(entry.get("aliases", []))
                for alias in entry.get("aliases", []):
                    directory.aliases[alias] = entry["name"]
        if include_database:
            for name, name_en in Agency.objects.values_list("name", "name_en"):
                if not directory.english.get(name):
                    directory.english[name] = name_en
            for alias, name in AgencyAlias.objects.values_list("alias", "agency__name"):
                directory.aliases.setdefault(alias, name)
        return directory

    def canonical(self, name):
        return self.aliases.get(name, name)

    def is_known(self, name):
        return name in self.english or name in self.aliases


def _english_zone_name(code, name):
    if name.endswith("经开区") or name.endswith("经济技术开发区"):
        return f"{code.capitalize()} Economic and Technological Development Zone"
    return ""


def build_fixture(parsed, *, code, directory, translations=None, issuer="", title_en="", source_file=""):
    """Return (fixture objects, report dict) for a parsed plan."""
    translations = (translations or {}).get("zones", {})
    objects = []
    used_agencies = []
    for zone in parsed.zones:
        for task in zone.tasks:
            for name in task.agencies:
                canonical = directory.canonical(name)
                if canonical not in used_agencies:
                    used_agencies.append(canonical)
    new_agencies = [name for name in used_agencies if not directory.is_known(name)]

    for name in used_agencies:
        objects.append(
            {"model": "zones.agency", "fields": {"name": name, "name_en": directory.english.get(name, "")}}
        )
        for alias in directory.registry_aliases.get(name, []):
            objects.append({"model": "zones.agencyalias", "fields": {"agency": [name], "alias": alias}})
    objects.append(
        {
            "model": "zones.plan",
            "fields": {
                "code": code,
                "title": parsed.title,
                "title_en": title_en,
                "issuer": issuer,
                "status": parsed.status,
                "source_file": source_file,
                "preamble": parsed.preamble,
            },
        }
    )
    untranslated = 0
    for zone in parsed.zones:
        english = translations.get(zone.code, {})
        objects.append(
            {
                "model": "zones.zone",
                "fields": {
                    "plan": [code],
                    "annex_number": zone.annex_number,
                    "code": zone.code,
                    "name": zone.name,
                    "name_en": english.get("name_en") or _english_zone_name(zone.code, zone.name),
                    "annex_title": zone.annex_title,
                    "dev_zone_name": zone.dev_zone_name,
                    "area_km2": str(zone.area) if zone.area is not None else None,
                    "stated_block_count": zone.stated_block_count,
                    "guiding_principles": zone.guiding_principles,
                    "development_goals": zone.development_goals,
                    "lead_industries": zone.lead_industries,
                    "scope_text": zone.scope_text,
                    "work_requirements": zone.work_requirements,
                },
            }
        )
        for block in zone.blocks:
            objects.append(
                {
                    "model": "zones.block",
                    "fields": {
                        "zone": [zone.code],
                        "number": block.number,
                        "name": block.name,
                        "area_km2": str(block.area) if block.area is not None else None,
                        "boundary": block.boundary,
                        "text": block.text,
                    },
                }
            )
            for plot in block.subplots:
                objects.append(
                    {
                        "model": "zones.subplot",
                        "fields": {
                            "block": [zone.code, block.number],
                            "number": plot.number,
                            "boundary": plot.boundary,
                        },
                    }
                )
        for category in zone.categories:
            objects.append(
                {
                    "model": "measures.taskcategory",
                    "fields": {
                        "zone": [zone.code],
                        "number": category.number,
                        "title": category.title,
                        "title_en": english.get("categories", {}).get(str(category.number), ""),
                        "intro": category.intro,
                    },
                }
            )
            for task in category.tasks:
                task_title_en = english.get("tasks", {}).get(str(task.number), "")
                untranslated += not task_title_en
                objects.append(
                    {
                        "model": "measures.task",
                        "fields": {
                            "zone": [zone.code],
                            "category": [zone.code, category.number],
                            "number": task.number,
                            "title": task.title,
                            "title_en": task_title_en,
                            "text": task.text,
                            "agencies_text": task.agencies_text,
                            "source_ref": task.source_ref,
                            "source_line": task.line,
                        },
                    }
                )
                for position, name in enumerate(task.agencies, start=1):
                    objects.append(
                        {
                            "model": "measures.taskagency",
                            "fields": {
                                "task": [zone.code, task.number],
                                "agency": [directory.canonical(name)],
                                "position": position,
                            },
                        }
                    )
    report = {
        "plan": parsed.title,
        "status": parsed.status,
        "zones": [
            {
                "annex": zone.annex_number,
                "code": zone.code,
                "name": zone.name,
                "area": zone.area,
                "blocks_area": zone.blocks_area,
                "blocks": len(zone.blocks),
                "plots": sum(len(block.subplots) for block in zone.blocks),
                "categories": len(zone.categories),
                "tasks": len(zone.tasks),
            }
            for zone in parsed.zones
        ],
        "agencies": used_agencies,
        "new_agencies": new_agencies,
        "aliases_resolved": sorted(
            {
                (name, directory.canonical(name))
                for name in parsed.agency_names
                if directory.canonical(name) != name
            }
        ),
        "untranslated_tasks": untranslated,
        "warnings": parsed.warnings,
    }
    return objects, report


def format_report(report):
    lines = [f"Plan: {report['plan']}" + (f" ({report['status']})" if report["status"] else "")]
    zones = report["zones"]
    lines.append(
        "Zones: {z}  Blocks: {b} (plots: {p})  Categories: {c}  Tasks: {t}  Agencies: {a}".format(
            z=len(zones),
            b=sum(zone["blocks"] for zone in zones),
            p=sum(zone["plots"] for zone in zones),
            c=sum(zone["categories"] for zone in zones),
            t=sum(zone["tasks"] for zone in zones),
            a=len(report["agencies"]),
        )
    )
    for zone in zones:
        lines.append(
            f"  附件{zone['annex']} {zone['code']:<10} {zone['name']}: stated {zone['area']} km², "
            f"blocks sum {zone['blocks_area']} km² in {zone['blocks']} blocks, "
            f"{zone['categories']} categories, {zone['tasks']} tasks"
        )
    new = report["new_agencies"]
    lines.append("New agencies not seen before: " + ("、".join(new) if new else "none"))
    for alias, canonical in report["aliases_resolved"]:
        lines.append(f"  alias {alias} → {canonical}")
    if report["untranslated_tasks"]:
        lines.append(f"Tasks without an English title: {report['untranslated_tasks']}")
    lines.append(f"Warnings: {len(report['warnings'])}")
    for line, message in report["warnings"]:
        lines.append(f"  line {line}: {message}")
    return "\n".join(lines)


@transaction.atomic
def load_plan_fixture(path):
    """Load a plan fixture in place; returns Counter of (model label, created|updated)."""
    data = Path(path).read_text(encoding="utf-8")
    records = json.loads(data)
    zone_codes = [r["fields"]["code"] for r in records if r["model"] == "zones.zone"]
    from measures.models import TaskAgency

    SubPlot.objects.filter(block__zone__code__in=zone_codes).delete()
    TaskAgency.objects.filter(task__zone__code__in=zone_codes).delete()
    parked = _match_numbered_rows_on_code(records, zone_codes)
    counts = Counter()
    data = json.dumps(records, ensure_ascii=False)
    for deserialized in serializers.deserialize("json", data, handle_forward_references=True):
        existed = deserialized.object.pk is not None
        deserialized.save()
        counts[(deserialized.object._meta.label, "updated" if existed else "created")] += 1
    for model in parked:
        left = _renumber_rows_left_behind(model, zone_codes)
        if left:
            counts[(model._meta.label, "no longer in the plan")] += left
    return counts


# Numbers stay below 20,000 in any real plan, and parked ones stay below the small-integer limit.
PARKING_OFFSET = 20_000


def _match_numbered_rows_on_code(records, zone_codes):
    """Keep categories and tasks that carry the plan's own numbering (4.2, 4.2.3) on their identity.

    A revised document may insert a section or a measure: the running numbers after it move on,
    and within its section so do the paragraph codes. A measure is therefore matched first by its
    lead sentence (its title, unique within a zone) and then by its code; a category by its code.
    Matched rows keep their primary key, so what was reported against them stays with them. Their
    numbers are parked out of the way first so the new numbering cannot collide with the old.
    Returns the models parked."""
    from measures.models import Task, TaskCategory

    parked = []
    for model, keys in ((TaskCategory, ("code",)), (Task, ("title", "code"))):
        coded = model.objects.filter(zone__code__in=zone_codes).exclude(code="")
        rows = list(coded.values("pk", "zone__code", *keys))
        if not rows:
            continue
        index = {key: {} for key in keys}
        for row in rows:
            for key in keys:
                # A title found twice in a zone identifies neither row.
                slot = index[key].setdefault((row["zone__code"], row[key]), row["pk"])
                if slot != row["pk"]:
                    index[key][(row["zone__code"], row[key])] = None
        candidates = [r for r in records if r["model"] == model._meta.label_lower and r["fields"].get("code")]
        taken = set()
        # Key by key over all records, so a new measure that took over an old code cannot claim
        # the row of the measure whose title moved to the next code.
        for key in keys:
            for record in candidates:
                fields = record["fields"]
                pk = index[key].get((fields["zone"][0], fields.get(key)))
                if "pk" not in record and pk is not None and pk not in taken:
                    record["pk"] = pk
                    taken.add(pk)
        coded.update(number=F("number") + PARKING_OFFSET)
        parked.append(model)
    return parked


def _renumber_rows_left_behind(model, zone_codes):
    """Rows the revised document no longer has keep their history, numbered after the plan's."""
    left = list(
        model.objects.filter(zone__code__in=zone_codes, number__gte=PARKING_OFFSET).order_by("number")
    )
    for row in left:
        highest = model.objects.filter(zone=row.zone_id, number__lt=PARKING_OFFSET).aggregate(
            n=Max("number")
        )["n"]
        row.number = (highest or 0) + 1
        row.save(update_fields=["number"])
    return len(left)
