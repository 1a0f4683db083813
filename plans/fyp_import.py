"""Turn a parsed five-year plan into a plan fixture (natural keys) and a targets file.

The fixture uses the same models and the same loader (load_plan_fixture) as the
linked-zone plans, so every page works unchanged:
- one zone of kind whole_ftz (tianjin-ftz, annex 0) holds the plan-wide measures,
  because a task must belong to a zone;
- the three FTZ areas and the two first-batch linked zones are zones of their own,
  with their function text from 片区功能 as development goals and no tasks;
- one task category per section of the measure chapters (第三章 to 第十二章), one task
  per measure paragraph.

The quantitative targets of 发展目标 go to a separate JSON file: there is no model for
them yet, and load_plan deserialises every record of the fixture.
"""

import re
from dataclasses import dataclass

from zones.choices import ZoneKind

WHOLE_FTZ_CODE = "tianjin-ftz"


@dataclass(frozen=True)
class ZoneSpec:
    code: str
    name: str  # as the preamble's spatial scope names it (without 联动创新区)
    kind: str


# The areas and linked zones in the order the document lists them; the codes are ours.
ZONES = (
    ZoneSpec("dongjiang", "天津港东疆片区", ZoneKind.FTZ_AREA),
    ZoneSpec("airport", "天津机场片区", ZoneKind.FTZ_AREA),
    ZoneSpec("cbd", "滨海新区中心商务片区", ZoneKind.FTZ_AREA),
    ZoneSpec("binhai-hitech", "滨海高新区", ZoneKind.LINKED_ZONE),
    ZoneSpec("eco-city", "中新生态城", ZoneKind.LINKED_ZONE),
)

# Stable codes for the targets (for the indicator model to key on), by the indicator's
# words as the document writes them. A target the table does not know still gets out,
# with a generated code and a warning.
TARGETS = {
    "制度创新成果": ("institutional-innovations", "制度创新成果"),
    "首创性制度创新": ("first-of-a-kind-innovations", "首创性制度创新"),
    "在服务业扩大开放、要素跨境流动等重点领域开展压力测试": ("stress-tests", "重点领域压力测试"),
    "主动衔接国际高水平经贸规则制度创新": (
        "rule-alignment-innovations",
        "主动衔接国际高水平经贸规则制度创新",
    ),
    "外贸进出口年均增速": ("foreign-trade-growth", "外贸进出口年均增速"),
    "实际利用外资累计": ("fdi-utilised", "实际利用外资累计"),
    # The sentence names the countries in the clause before: 与“一带一路”相关国家和地区…，贸易额占比达到45%.
    "贸易额占比": ("belt-and-road-trade-share", "与“一带一路”相关国家和地区贸易额占比"),
}


def category_title(chapter, section):
    # The chapter title stays in: a section such as 扩大贸易往来 only means something
    # together with its chapter (深化面向日本、韩国的开放合作).
    return f"{chapter.heading} · {section.heading}"


def _english_category(translations, chapter, section):
    chapter_en = translations.get("chapters", {}).get(str(chapter.number), "")
    section_en = translations.get("sections", {}).get(section.code, "")
    if not (chapter_en and section_en):
        return ""
    return f"Chapter {chapter.number} {chapter_en} · Section {section.number} {section_en}"


def _match_functions(parsed, warnings):
    """{zone code: ZoneFunction} by name; 片区功能 may shorten a name (中心商务片区)."""
    matched = {}
    for function in parsed.zone_functions:
        name = re.sub(r"联动创新区$", "", function.name)
        spec = next((spec for spec in ZONES if spec.name == name), None)
        if spec is None:
            spec = next((spec for spec in ZONES if spec.name.endswith(name)), None)
            if spec is not None:
                warnings.append(
                    (
                        function.line,
                        f"{parsed.section('片区功能').heading} calls it “{function.name}”; "
                        f"named “{spec.name}” as the preamble does",
                    )
                )
        if spec is None:
            warnings.append((function.line, f"片区功能 names “{function.name}”, which is not a known zone"))
            continue
        matched[spec.code] = function
    for spec in ZONES:
        if spec.code not in matched:
            warnings.append((parsed.chapters[0].line, f"片区功能 gives no function for {spec.name}"))
        if not any(spec.name in paragraph.text for paragraph in parsed.preamble):
            warnings.append((parsed.chapters[0].line, f"the preamble does not name {spec.name}"))
    return matched


def _section_text(section):
    return "\n\n".join(paragraph.text for paragraph in section.paragraphs) if section else ""


def build_targets(parsed, *, code, source_file, warnings):
    targets = []
    for position, target in enumerate(parsed.targets, start=1):
        known = TARGETS.get(target.indicator)
        if known is None:
            warnings.append((target.line, f"target “{target.indicator}” is not in the table of target codes"))
            known = (f"target-{position}", target.indicator)
        targets.append(
            {
                "code": known[0],
                "name": known[1],
                "indicator": target.indicator,
                "value": target.value,
                "unit": target.unit,
                "target_year": target.target_year,
                "year_text": target.year_text,
                "part_of": TARGETS.get(target.part_of, (None,))[0] if target.part_of else None,
                "sentence": target.sentence,
                "source_ref": target.source_ref,
                "source_line": target.line,
            }
        )
    section = parsed.section("发展目标")
    return {
        "plan": code,
        "source_file": source_file,
        "section": f"{parsed.chapters[section.chapter - 1].heading} · {section.heading}" if section else "",
        "period": list(parsed.period) if parsed.period else None,
        "targets": targets,
    }


def build_fyp_fixture(
    parsed,
    *,
    code,
    title,
    title_en="",
    issuer="",
    status="",
    source_file="",
    translations=None,
):
    """Return (fixture objects, targets document, report dict) for a parsed five-year plan."""
    translations = translations or {}
    zones_en = translations.get("zones", {})
    tasks_en = translations.get("tasks", {})
    warnings = list(parsed.warnings)
    functions = _match_functions(parsed, warnings)

    objects = [
        {
            "model": "zones.plan",
            "fields": {
                "code": code,
                "title": title or parsed.title,
                "title_en": title_en,
                "issuer": issuer,
                "status": status,
                "source_file": source_file,
                "preamble": "\n\n".join(paragraph.text for paragraph in parsed.preamble),
            },
        }
    ]

    def zone(annex, zone_code, name, kind, **fields):
        values = {
            "plan": [code],
            "annex_number": annex,
            "kind": kind,
            "code": zone_code,
            "name": name,
            "name_en": zones_en.get(zone_code, ""),
            "annex_title": "",
            "dev_zone_name": "",
            # The document states no area for any of them.
            "area_km2": None,
            "stated_block_count": None,
            "guiding_principles": "",
            "development_goals": "",
            "lead_industries": "",
            "scope_text": "",
            "work_requirements": "",
        }
        values.update(fields)
        objects.append({"model": "zones.zone", "fields": values})

    scope = next((p.text for p in parsed.preamble if "空间范围" in p.text), "")
    zone(
        0,
        WHOLE_FTZ_CODE,
        parsed.short_name or "天津自贸试验区",
        ZoneKind.WHOLE_FTZ,
        guiding_principles=_section_text(parsed.section("指导思想")),
        development_goals=_section_text(parsed.section("发展目标")),
        scope_text=scope,
    )
    if not parsed.short_name:
        warnings.append(
            (1, "the preamble gives no short name (以下简称…); the whole FTZ is named 天津自贸试验区")
        )
    for annex, spec in enumerate(ZONES, start=1):
        function = functions.get(spec.code)
        zone(annex, spec.code, spec.name, spec.kind, development_goals=function.text if function else "")

    category_number = task_number = 0
    untranslated = 0
    for chapter in parsed.measure_chapters:
        for position, section in enumerate(chapter.sections):
            category_number += 1
            intro = [p.text for p in chapter.intro] if position == 0 else []
            intro += [p.text for p in section.intro]
            objects.append(
                {
                    "model": "measures.taskcategory",
                    "fields": {
                        "zone": [WHOLE_FTZ_CODE],
                        "number": category_number,
                        "code": section.code,
                        "title": category_title(chapter, section),
                        "title_en": _english_category(translations, chapter, section),
                        "intro": "\n\n".join(intro),
                    },
                }
            )
            for measure in section.measures:
                task_number += 1
                title_en = tasks_en.get(measure.code, "")
                untranslated += not title_en
                objects.append(
                    {
                        "model": "measures.task",
                        "fields": {
                            "zone": [WHOLE_FTZ_CODE],
                            "category": [WHOLE_FTZ_CODE, category_number],
                            "number": task_number,
                            "code": measure.code,
                            "title": measure.title,
                            "title_en": title_en,
                            "text": measure.text,
                            "agencies_text": "",
                            "source_ref": measure.source_ref,
                            "source_line": measure.line,
                        },
                    }
                )

    targets = build_targets(parsed, code=code, source_file=source_file, warnings=warnings)
    warnings.sort(key=lambda warning: warning[0])
    report = {
        "plan": title or parsed.title,
        "period": parsed.period,
        "zones": [
            (
                record["fields"]["annex_number"],
                record["fields"]["code"],
                record["fields"]["name"],
                record["fields"]["kind"],
            )
            for record in objects
            if record["model"] == "zones.zone"
        ],
        "chapters": [
            {
                "heading": chapter.heading,
                "line": chapter.line,
                "context": chapter.is_context,
                "sections": [
                    (section.code, section.title, len(section.measures)) for section in chapter.sections
                ],
                "measures": len(chapter.measures),
            }
            for chapter in parsed.chapters
        ],
        "categories": category_number,
        "tasks": task_number,
        "targets": targets["targets"],
        "untranslated_tasks": untranslated,
        "warnings": warnings,
    }
    return objects, targets, report


def format_fyp_report(report):
    period = report["period"]
    lines = [f"Plan: {report['plan']}" + (f" ({period[0]}–{period[1]})" if period else "")]
    chapters = report["chapters"]
    lines.append(
        "Chapters: {c}  Sections: {s}  Categories: {k}  Tasks (measures): {t}  Targets: {g}".format(
            c=len(chapters),
            s=sum(len(chapter["sections"]) for chapter in chapters),
            k=report["categories"],
            t=report["tasks"],
            g=len(report["targets"]),
        )
    )
    lines.append(
        "Zones: "
        + "  ".join(f"{annex} {code} {name} ({kind})" for annex, code, name, kind in report["zones"])
    )
    for chapter in chapters:
        if chapter["context"]:
            sections = "、".join(title for _, title, _ in chapter["sections"])
            lines.append(
                f"  {chapter['heading']} (line {chapter['line']}): context, not measures — {sections}"
            )
        else:
            counts = " ".join(f"{code}:{count}" for code, _, count in chapter["sections"])
            lines.append(
                f"  {chapter['heading']} (line {chapter['line']}): {chapter['measures']} measures ({counts})"
            )
    lines.append("Targets:")
    for target in report["targets"]:
        part = f", part of {target['part_of']}" if target["part_of"] else ""
        lines.append(
            f"  {target['code']}: {target['name']} {target['value']}{target['unit']} by {target['target_year']} "
            f"({target['year_text']}{part}; line {target['source_line']})"
        )
    if report["untranslated_tasks"]:
        lines.append(f"Tasks without an English title: {report['untranslated_tasks']}")
    lines.append(f"Warnings: {len(report['warnings'])}")
    for line, message in report["warnings"]:
        lines.append(f"  line {line}: {message}")
    return "\n".join(lines)
