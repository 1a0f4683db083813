"""Start the periodic jobs that are due: run it every minute from one cron line on every host.

    * * * * * cd /srv/ftztracker && .venv/bin/python manage.py run_periodic

Each job is claimed for its window (this minute, or today) by a unique row, so however many hosts
run the line, each job runs once per window; the claimed job is handed to the task worker.
"""

import datetime
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from notifications import registry
from notifications.models import JobRun
from notifications.services import claim_job, job_window
from notifications.tasks import run_job

KEEP_RUNS = datetime.timedelta(days=30)


class Command(BaseCommand):
    help = "Hand the periodic jobs that are due (dispatch, reminders, escalation) to the task worker."

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop", type=int, default=0, metavar="SECONDS", help="keep going, every SECONDS (for make run)"
        )

    def handle(self, *args, loop, **options):
        while True:
            self.tick(timezone.now())
            if not loop:
                return
            time.sleep(loop)

    def tick(self, now):
        local_hour = timezone.localtime(now).hour
        for job in registry.jobs().values():
            if job.cadence == "day" and local_hour < settings.FTZ_PERIODIC_HOUR:
                continue
            window = job_window(job.cadence, now)
            if claim_job(job=job.name, window=window, now=now):
                run_job.enqueue(job.name, window)
                self.stdout.write(f"{job.name} {window}: handed to the worker")
        JobRun.objects.filter(started_at__lt=now - KEEP_RUNS).delete()
