"""Create the default evaluation indicators (评估指标体系) for the loaded plans."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from indicators.seeding import load_indicators


class Command(BaseCommand):
    help = (
        "Create four default dimensions per plan, the second-batch plan's computed indicators and entered "
        "suggested defaults, and the 14th five-year plan's targets. Only missing rows are created, so it is "
        "safe to run again (and after an upgrade, to add new defaults)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--targets",
            default=str(settings.PLAN_FIXTURE_DIR / "ftz-14th-fyp.targets.json"),
            help="the five-year plan's targets fixture",
        )

    def handle(self, *args, targets, **options):
        try:
            counts = load_indicators(targets_path=Path(targets))
        except FileNotFoundError as exc:
            raise CommandError(f"{targets}: no such file") from exc
        except ValueError as exc:
            raise CommandError(f"nothing changed: {exc}") from exc
        self.stdout.write(", ".join(f"{n} {what}" for what, n in counts.items()))
