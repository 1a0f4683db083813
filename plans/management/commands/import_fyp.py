"""Read the FTZ's five-year plan and write its fixture and its targets file into fixtures/."""

import json
import os
import re
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from plans.cli import add_revision_arguments, add_zone_code_argument, preview, zone_codes
from plans.fyp_import import build_fyp_fixture, format_fyp_report
from plans.fyp_parser import parse_fyp
from plans.plan_parser import PlanFormatError


def _write_json(target, data):
    """Write beside the target and rename, so a failure never leaves half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=target.parent, delete=False, suffix=".tmp"
    ) as tmp:
        json.dump(data, tmp, ensure_ascii=False, indent=1)
        tmp.write("\n")
    # NamedTemporaryFile creates the file private (0600); a fixture is for everyone to read.
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, target)


class Command(BaseCommand):
    help = (
        "Parse a plan in the format of the FTZ's five-year plan (第N章, 第N节, paragraphs opening "
        "with a lead sentence) and write fixtures/<code>.json (load it with load_plan) and "
        "fixtures/<code>.targets.json (the quantitative targets). Nothing is written when the "
        "document has an error."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the plan document (UTF-8 text)")
        parser.add_argument("--code", help="plan code (slug); defaults to the file name")
        parser.add_argument(
            "--title", default="", help="the plan's title, needed when the document does not state it"
        )
        parser.add_argument("--title-en", default="", help="English title of the plan")
        parser.add_argument("--issuer", default="", help="issuing body, when known")
        parser.add_argument("--status", default="", help="document status as printed, when known")
        parser.add_argument("--output", help="fixture path; defaults to fixtures/<code>.json")
        parser.add_argument(
            "--targets-output", help="targets path; defaults to <fixture path without .json>.targets.json"
        )
        parser.add_argument(
            "--translations",
            help="English titles of chapters, sections, zones and tasks; "
            "defaults to fixtures/translations/<code>.en.json",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print the summary and what would change in the database, write nothing",
        )
        add_zone_code_argument(parser)
        add_revision_arguments(parser)

    def handle(self, *args, path, code, title, title_en, issuer, status, output, targets_output, **options):
        source = Path(path)
        try:
            text = source.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise CommandError(f"{path}: no such file") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        try:
            parsed = parse_fyp(text)
        except PlanFormatError as exc:
            raise CommandError(f"{source.name}: line {exc.line}: {exc.message}") from exc
        if not (title or parsed.title):
            raise CommandError(f"{source.name}: the document states no title; give it with --title")

        code = code or re.sub(r"[^a-z0-9-]+", "-", source.stem.lower()).strip("-") or "plan"
        translations_path = (
            Path(options["translations"])
            if options["translations"]
            else settings.PLAN_FIXTURE_DIR / "translations" / f"{code}.en.json"
        )
        english = (
            json.loads(translations_path.read_text(encoding="utf-8")) if translations_path.exists() else {}
        )
        objects, targets, report = build_fyp_fixture(
            parsed,
            code=code,
            title=title,
            title_en=title_en,
            issuer=issuer,
            status=status,
            source_file=source.name,
            translations=english,
        )
        zone_codes(self, objects, code, options["zone_code"])
        self.stdout.write(format_fyp_report(report))
        if options["dry_run"]:
            preview(self, objects, source, options, "import_fyp")
            self.stdout.write("Dry run: nothing written.")
            return
        target = Path(output) if output else settings.PLAN_FIXTURE_DIR / f"{code}.json"
        targets_target = (
            Path(targets_output) if targets_output else target.with_name(f"{target.stem}.targets.json")
        )
        _write_json(target, objects)
        _write_json(targets_target, targets)
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(objects)} objects to {target}"))
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(targets['targets'])} targets to {targets_target}"))
