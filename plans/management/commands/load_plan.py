"""Load plan fixtures written by import_plan / import_fyp: the first version or a revision."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from plans.cli import add_revision_arguments, revision_options
from plans.revision import RevisionError, RevisionRefused, prepare


class Command(BaseCommand):
    help = (
        "Load (or reload) plan fixtures. Tasks are matched by content, not number; nothing people "
        "recorded moves; an unchanged fixture writes nothing. --dry-run prints the change list only."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="fixture files, e.g. fixtures/second-batch.json")
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would change in the database, write nothing"
        )
        parser.add_argument(
            "--reapply",
            action="store_true",
            help="load a file that an earlier revision applied and a later one replaced (undoes the later one)",
        )
        add_revision_arguments(parser)

    def handle(self, *args, paths, dry_run, reapply, **options):
        decisions = revision_options(options, "load_plan")
        for path in paths:
            try:
                revision = prepare(path, decisions)
                if revision.stale and not reapply:
                    self.stdout.write(self.style.WARNING(f"{path}: {revision.stale}."))
                    continue
                self.stdout.write(f"{path}:")
                self.stdout.write(revision.changes.format())
                if dry_run:
                    self.stdout.write("Dry run: nothing written.")
                    continue
                applied = revision.apply()
            except FileNotFoundError as exc:
                raise CommandError(f"{path}: no such file") from exc
            except RevisionRefused as exc:
                raise CommandError(f"{path}: refused, nothing changed: {exc}") from exc
            except (RevisionError, DatabaseError, ValueError) as exc:
                raise CommandError(f"{path}: could not be loaded, nothing changed: {exc}") from exc
            if applied is not None:
                self.stdout.write(self.style.SUCCESS(f"Applied as plan revision #{applied.pk}."))
