"""Read a plan document and write its JSON fixture (natural keys) into fixtures/."""

import json
import os
import re
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from plans.cli import add_revision_arguments, add_zone_code_argument, preview, zone_codes
from plans.documents import DocumentError, read_document
from plans.layouts import FIVE_YEAR, LAYOUT_NAMES, TASK_LIST, TASK_TABLE, detect_layout, parse_lines
from plans.plan_import import AgencyDirectory, build_fixture, format_report
from plans.plan_parser import ZONE_CODE_MAX, PlanFormatError
from plans.plan_upload import ImportRefused, check_records


class Command(BaseCommand):
    help = (
        "Parse a plan document (.txt in any common encoding, .docx, .pdf with text, .xlsx/.csv task "
        "table) in any layout the web import reads (linked-zone plan, five-year plan, 任务分工方案, "
        "task table) and write fixtures/<code>.json. Nothing is written when the document has an error."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the plan document (.txt, .docx, .pdf, .xlsx or .csv)")
        parser.add_argument("--code", help="plan code (slug); defaults to the file name")
        parser.add_argument("--output", help="fixture path; defaults to fixtures/<code>.json")
        parser.add_argument("--issuer", default="", help="issuing body, e.g. 天津市商务局")
        parser.add_argument("--title-en", default="", help="English title of the plan")
        parser.add_argument(
            "--registry",
            default=str(settings.PLAN_FIXTURE_DIR / "agency_registry.json"),
            help="agency registry (canonical names, English names, aliases)",
        )
        parser.add_argument(
            "--translations",
            help="English titles for categories and tasks; defaults to fixtures/translations/<code>.en.json",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print the summary and what would change in the database, write nothing",
        )
        add_zone_code_argument(parser)
        add_revision_arguments(parser)

    def handle(self, *args, path, code, output, issuer, title_en, registry, translations, dry_run, **options):
        source = Path(path)
        try:
            document = read_document(source.name, source.read_bytes())
        except FileNotFoundError as exc:
            raise CommandError(f"{path}: no such file") from exc
        except DocumentError as exc:
            raise CommandError(f"{source.name}: {exc}") from exc
        try:
            directory = AgencyDirectory.load(registry, include_database=True)
            known = set(directory.english) | set(directory.aliases)
        except DatabaseError:
            # The database may not be migrated yet; the registry alone still resolves aliases.
            directory = AgencyDirectory.load(registry, include_database=False)
            known = set(directory.english) | set(directory.aliases)
        layout = detect_layout(document.lines)
        try:
            parsed = parse_lines(document.lines, layout, known, fallback_title=source.stem)
        except PlanFormatError as exc:
            found = document.lines[exc.line - 1].strip() if 0 < exc.line <= len(document.lines) else ""
            raise CommandError(
                f"{source.name}: line {document.label(exc.line)}: {exc.message}"
                + (f" (found: “{found[:80]}”)" if found else "")
            ) from exc
        self.stdout.write(f"Layout: {LAYOUT_NAMES.get(layout, layout)}")
        if document.encoding and document.encoding != "UTF-8":
            self.stdout.write(f"Encoding: {document.encoding}")
        if document.removed:
            self.stdout.write(f"Page furniture removed: {len(document.removed)} lines")

        code = code or re.sub(r"[^a-z0-9-]+", "-", source.stem.lower()).strip("-") or "plan"
        if layout in (TASK_LIST, TASK_TABLE):
            for zone in parsed.zones:
                zone.code = code[:ZONE_CODE_MAX].strip("-")
        translations_path = (
            Path(translations)
            if translations
            else settings.PLAN_FIXTURE_DIR / "translations" / f"{code}.en.json"
        )
        english = (
            json.loads(translations_path.read_text(encoding="utf-8")) if translations_path.exists() else {}
        )
        if layout == FIVE_YEAR:
            return self._five_year(parsed, source, code, english, issuer, title_en, output, dry_run, document)
        objects, report = build_fixture(
            parsed,
            code=code,
            directory=directory,
            translations=english,
            issuer=issuer,
            title_en=title_en,
            source_file=source.name,
        )
        zone_codes(self, objects, code, options["zone_code"])
        self.stdout.write(format_report(report))
        try:
            check_records(objects, parsed, layout, document.lines)
        except ImportRefused as exc:
            raise CommandError(f"{source.name}: {exc}") from exc
        if dry_run:
            preview(self, objects, source, options, "import_plan")
            self.stdout.write("Dry run: nothing written.")
            return
        target = Path(output) if output else settings.PLAN_FIXTURE_DIR / f"{code}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename, so a failure never leaves half a fixture.
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=target.parent, delete=False, suffix=".tmp"
        ) as tmp:
            json.dump(objects, tmp, ensure_ascii=False, indent=1)
            tmp.write("\n")
        os.replace(tmp.name, target)
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(objects)} objects to {target}"))

    def _five_year(self, parsed, source, code, english, issuer, title_en, output, dry_run, document):
        from plans.fyp_import import build_fyp_fixture, format_fyp_report
        from plans.management.commands.import_fyp import _write_json

        if not parsed.title:
            raise CommandError(f"{source.name}: the document states no title; use import_fyp with --title")
        objects, targets, report = build_fyp_fixture(
            parsed,
            code=code,
            title=parsed.title,
            title_en=title_en,
            issuer=issuer,
            source_file=source.name,
            translations=english,
        )
        self.stdout.write(format_fyp_report(report))
        try:
            check_records(objects, parsed, FIVE_YEAR, document.lines)
        except ImportRefused as exc:
            raise CommandError(f"{source.name}: {exc}") from exc
        if dry_run:
            self.stdout.write("Dry run: nothing written.")
            return
        target = Path(output) if output else settings.PLAN_FIXTURE_DIR / f"{code}.json"
        _write_json(target, objects)
        _write_json(target.with_name(f"{target.stem}.targets.json"), targets)
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(objects)} objects to {target}"))
