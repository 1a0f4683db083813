"""Load plan fixtures written by import_plan, updating existing rows in place."""

from django.core.management.base import BaseCommand, CommandError

from zones.plan_import import load_plan_fixture


class Command(BaseCommand):
    help = "Load (or reload) plan fixtures. Existing zones and tasks keep their identity and progress."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="fixture files, e.g. fixtures/second-batch.json")

    def handle(self, *args, paths, **options):
        for path in paths:
            try:
                counts = load_plan_fixture(path)
            except FileNotFoundError as exc:
                raise CommandError(f"{path}: no such file") from exc
            except Exception as exc:  # noqa: BLE001 - report any load failure with the file name
                raise CommandError(f"{path}: could not be loaded, nothing changed: {exc}") from exc
            created = sum(n for (_, kind), n in counts.items() if kind == "created")
            updated = sum(n for (_, kind), n in counts.items() if kind == "updated")
            self.stdout.write(f"{path}: {created} rows created, {updated} updated")
            for (label, kind), n in sorted(counts.items()):
                if kind == "no longer in the plan":
                    # Kept with their reports and renumbered after the plan's own rows.
                    self.stdout.write(f"  {n} {label} rows are no longer in the plan; kept and numbered last")
