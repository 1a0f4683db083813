"""Turn a parsed plan into a fixture with natural keys (loaded by plans.revision).

Agencies are resolved through the registry (fixtures/agency_registry.json) and
the database, so 市网信办 and 市委网信办 become one agency.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError

from zones.models import Agency, AgencyAlias, Zone


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
                roles = getattr(task, "roles", None) or []
                for position, name in enumerate(task.agencies, start=1):
                    link = {
                        "task": [zone.code, task.number],
                        "agency": [directory.canonical(name)],
                        "position": position,
                    }
                    role = roles[position - 1] if position <= len(roles) else "supporting"
                    # Supporting is the default, so a plan of 支持单位 keeps the fixture it had.
                    if role != "supporting":
                        link["role"] = role
                    objects.append({"model": "measures.taskagency", "fields": link})
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


def assign_zone_codes(records, plan_code, explicit=None):
    """Give each zone of a fixture a code no other plan's zone has; returns notes for the summary.

    A zone's code is its identity in URLs, so it stays unique; but a code is looked up within
    its plan only, and a zone another plan already holds under the same pinyin (西青经开区 in a
    later plan) gets an explicit code (`explicit`, name → code) or `<code>-<plan code>`.
    """
    explicit = explicit or {}
    zones = [r for r in records if r["model"] == "zones.zone"]
    try:
        taken = dict(Zone.objects.exclude(plan__code=plan_code).values_list("code", "plan__code"))
    except DatabaseError:
        taken = {}  # the database is not migrated yet: nothing can collide
    renamed, notes = {}, []
    for record in zones:
        fields = record["fields"]
        old = fields["code"]
        new = explicit.get(fields["name"]) or explicit.get(old)
        if new is None and old in taken:
            new = f"{old}-{plan_code}"[:40].strip("-")
            notes.append(
                f"zone code {old} is a zone of plan {taken[old]}: {fields['name']} gets {new} "
                f"(choose another with --zone-code {fields['name']}=CODE)"
            )
        if new and new != old:
            if not re.fullmatch(r"[-a-z0-9_]{1,40}", new):
                raise ValueError(f"zone code {new}: use up to 40 lowercase letters, digits and hyphens")
            renamed[old] = new
    for code in {fields["code"] for fields in (r["fields"] for r in zones)}:
        if len(renamed.get(code, code)) > 40:
            raise ValueError(f"zone code {code} is longer than 40 characters: give one with --zone-code")
    if not renamed:
        return notes
    for record in records:
        fields = record["fields"]
        if record["model"] == "zones.zone":
            fields["code"] = renamed.get(fields["code"], fields["code"])
        for key in ("zone", "block", "category", "task"):
            value = fields.get(key)
            if isinstance(value, list) and value and value[0] in renamed:
                fields[key] = [renamed[value[0]], *value[1:]]
    return notes


def parse_zone_codes(values):
    """--zone-code 西青经开区=xiqing-3 (or OLDCODE=NEWCODE) → {name or code: code}."""
    codes = {}
    for value in values:
        name, sep, code = value.partition("=")
        if not sep or not name.strip() or not code.strip():
            raise ValueError(f"--zone-code {value}: expected NAME=CODE, e.g. 西青经开区=xiqing-3")
        codes[name.strip()] = code.strip()
    return codes
