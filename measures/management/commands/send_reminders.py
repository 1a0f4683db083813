"""Daily reminders before a reporting deadline and chase notices (催办) after it."""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from measures import services

# Discards every message: a dry run must not reach anyone, whatever backend is configured.
DRY_RUN_EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"


def _day(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--today must be a date written YYYY-MM-DD, e.g. 2026-10-08; got {value!r}."
        ) from None


class Command(BaseCommand):
    help = (
        "Send reminders to zone officers before a reporting deadline and chase notices after it. "
        "Run once a day; each notice is recorded and never sent twice in the same window."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", help="act as if today were this date (YYYY-MM-DD)")
        parser.add_argument(
            "--days-before",
            type=int,
            help="remind this many days before a deadline (default: FTZ_REMIND_DAYS_BEFORE)",
        )
        parser.add_argument(
            "--chase-every",
            type=int,
            help="after a deadline, chase at most once every N days (default: FTZ_CHASE_EVERY_DAYS)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would be sent without sending or recording it"
        )

    def handle(self, *args, today, days_before, chase_every, dry_run, **options):
        # An empty --today is a mistake to report, not a request for the real date.
        today = _day(today) if today is not None else None
        # Settings are read here rather than as argparse defaults so a deployment's
        # environment (and override_settings in tests) is what counts.
        if days_before is None:
            days_before = settings.FTZ_REMIND_DAYS_BEFORE
        if chase_every is None:
            chase_every = settings.FTZ_CHASE_EVERY_DAYS
        if days_before < 0:
            raise CommandError("--days-before cannot be negative.")
        if chase_every < 1:
            raise CommandError("--chase-every must be at least 1 day.")

        if dry_run:
            # The service sends and records in one go, so a dry run lets it do both for real,
            # then throws the mail away (dummy backend) and rolls the Reminder rows back. That
            # way the preview runs exactly the code that would send, with no second copy of
            # its rules to drift out of step.
            with override_settings(EMAIL_BACKEND=DRY_RUN_EMAIL_BACKEND), transaction.atomic():
                reminders = services.send_reminders(
                    today=today, days_before=days_before, chase_every=chase_every
                )
                transaction.set_rollback(True)
        else:
            reminders = services.send_reminders(today=today, days_before=days_before, chase_every=chase_every)

        prefix = "would send" if dry_run else "sent"
        for reminder in reminders:
            # Delivery cannot be known in a dry run: only whether an address exists.
            if not reminder.email:
                delivery = " (no e-mail address: recorded, shown on their My work page)"
            elif not reminder.delivered and not dry_run:
                delivery = " (NOT delivered: mail server error)"
            else:
                delivery = ""
            self.stdout.write(
                f"{prefix} {reminder.kind}: {reminder.zone.code} {reminder.zone.name} → "
                f"{reminder.recipient.get_username()} <{reminder.email or '-'}>, "
                f"{reminder.task_count} reports outstanding{delivery}"
            )
        chases = sum(1 for reminder in reminders if reminder.kind == "chase")
        undelivered = sum(1 for reminder in reminders if not reminder.email or not reminder.delivered)
        summary = (
            f"{'Dry run: would send' if dry_run else 'Sent'} {len(reminders)} notices "
            f"({len(reminders) - chases} reminders, {chases} chase notices); "
            f"{undelivered} {'would not be' if dry_run else 'not'} e-mailed."
        )
        self.stdout.write(self.style.SUCCESS(summary) if reminders else summary)
