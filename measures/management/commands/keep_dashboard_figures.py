"""Count and keep the dashboard's figures of every started period (dashboard.services.keep_all_figures).

Nothing depends on running it: a dashboard counts what is missing or stale on its first view and
keeps it. After a restore or an upgrade at scale (200 zones, 25 periods), it saves that first view
the count over every report."""

from django.core.management.base import BaseCommand

from measures.dashboard.services import keep_all_figures


class Command(BaseCommand):
    help = "Count and keep the dashboard's figures of every started period whose kept figures are missing or stale."

    def handle(self, *args, **options):
        counted = keep_all_figures()
        self.stdout.write(f"{counted} periods counted and kept.")
