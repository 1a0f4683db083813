"""Create the four quarterly reporting periods of a year for one plan or for every plan."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from measures import services
from zones.models import Plan


class Command(BaseCommand):
    help = (
        "Create the quarterly reporting periods of a year, each due a number of days after the "
        "quarter ends. Periods that already exist are left as they are, so it is safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--plan", help="plan code, e.g. second-batch (default: every plan)")
        parser.add_argument("--year", type=int, help="calendar year (default: this year)")
        parser.add_argument(
            "--deadline-days", type=int, default=15, help="days after a quarter ends that reports are due"
        )

    def handle(self, *args, plan, year, deadline_days, **options):
        year = year or timezone.localdate().year
        # Catches typos such as 226 or 20260 before they become a year of bogus periods.
        if not 2000 <= year <= 2100:
            raise CommandError(f"--year must be between 2000 and 2100; got {year}.")
        if deadline_days < 0:
            raise CommandError("--deadline-days cannot be negative.")
        plans = Plan.objects.order_by("code")
        if plan is not None:
            plans = plans.filter(code=plan)
            if not plans.exists():
                known = ", ".join(Plan.objects.order_by("code").values_list("code", flat=True)) or "none"
                raise CommandError(f"Unknown plan {plan!r}. Known plans: {known}.")
        total = 0
        # All or nothing: a failure on one plan must not leave the others half set up.
        with transaction.atomic():
            for each in plans:
                created = services.create_quarterly_periods(plan=each, year=year, deadline_days=deadline_days)
                for period in created:
                    self.stdout.write(
                        f"{each.code}: created {period.name} ({period.start:%Y-%m-%d} – {period.end:%Y-%m-%d}), "
                        f"due {period.deadline:%Y-%m-%d}"
                    )
                if not created:
                    self.stdout.write(f"{each.code}: the periods of {year} already exist")
                total += len(created)
        self.stdout.write(f"{total} periods created.")
