"""Background tasks (Django's tasks API through the django-tasks backport).

Which backend runs them is the TASKS setting alone: the database backend (django_tasks_db, worker
`manage.py db_worker`) by default; a larger deployment may point TASKS at another backend (RQ,
Celery) without touching this code. Arguments are JSON: ids and strings, never model instances.
"""

from django.utils import timezone
from django_tasks import task

from . import delivery, registry


@task()
def dispatch():
    """Route new notices to their channels and send every message that is due."""
    return delivery.dispatch()


@task()
def run_job(name, window):
    """One periodic job, already claimed for `window` by run_periodic (so it runs once per window)."""
    job = registry.jobs()[name]
    result = job.function(now=timezone.now())
    from .models import JobRun

    JobRun.objects.filter(job=name, window=window).update(
        finished_at=timezone.now(), result=str(result)[:200]
    )
    return str(result)[:200]
