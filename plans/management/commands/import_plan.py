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
from plans.plan_import import AgencyDirectory, build_fixture, format_report
from plans.plan_parser import PlanFormatError, parse_plan


class Command(BaseCommand):
    help = (
        "Parse a plan in the format of the second-batch plan (附件, 实施范围, 主要任务, 支持单位) "
        "and write fixtures/<code>.json. Nothing is written when the document has an error."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the plan document (UTF-8 text)")
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
            text = source.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise CommandError(f"{path}: no such file") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        try:
            parsed = parse_plan(text)
        except PlanFormatError as exc:
            raise CommandError(f"{source.name}: line {exc.line}: {exc.message}") from exc

        code = code or re.sub(r"[^a-z0-9-]+", "-", source.stem.lower()).strip("-") or "plan"
        translations_path = (
            Path(translations)
            if translations
            else settings.PLAN_FIXTURE_DIR / "translations" / f"{code}.en.json"
        )
        english = (
            json.loads(translations_path.read_text(encoding="utf-8")) if translations_path.exists() else {}
        )
        try:
            directory = AgencyDirectory.load(registry, include_database=True)
        except DatabaseError:
            # The database may not be migrated yet; the registry alone still resolves aliases.
            directory = AgencyDirectory.load(registry, include_database=False)
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
