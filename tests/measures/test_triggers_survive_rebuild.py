"""The triggers the counts rest on (measures.db_triggers) survive a later migration that rebuilds
their tables, as most AddField/AlterField do on SQLite: `migrate` drops them before and creates them
after (pre_migrate / post_migrate), recounting what was written meanwhile. A real `migrate` runs in a
subprocess over a migrated copy, with one extra migration (tests/measures/rebuild_migrations)."""

import json

import pytest
from django.db import connection

from measures import db_triggers
from tests import databases
from tests.ops.conftest import installation  # noqa: F401 (fixture)
from tests.ops.support import manage

pytestmark = pytest.mark.django_db

# The extra migration is picked up only where this is run first.
WITH_REBUILD = (
    "from django.conf import settings; "
    "settings.MIGRATION_MODULES = {'measures': 'tests.measures.rebuild_migrations'}; "
)

BEFORE = """
from django.core.management import call_command
from measures.dashboard import figures, services
from measures.models import ReportingPeriod, Task
from tests.factories import make_period, make_plan, make_task, make_user, make_zone, submit_report_as
from core.roles import Role
plan = make_plan()
zone = make_zone(plan=plan)
tasks = [make_task(zone=zone) for _ in range(3)]
period = make_period(plan=plan)
officer = make_user(Role.OFFICER, zones=[zone])
for task in tasks[:2]:
    submit_report_as(task, period, officer, percent_complete=30)
# As the dashboard keeps an open period's figures: counted at the changes read before the count.
found, missing, stamps = figures.kept([period], [zone.pk])
services.keep_period_figures(periods=[period], stamps=stamps)
"""

AFTER = """
import json
from collections import Counter
from django.db import connection
from django.utils import timezone
from core.roles import Role
from measures import db_triggers
from measures.choices import ReportState
from measures.dashboard import figures, services
from measures.models import ProgressReport, ReportingPeriod, SubmittedReportCount, Task
from tests.factories import make_user, submit_report_as
period = ReportingPeriod.objects.get()
tasks = list(Task.objects.order_by("pk"))
zone = tasks[0].zone
names = sorted(db_triggers.present(connection))
held_before = figures.kept([period], [zone.pk])[0]
# The task list's data version moves on a write of each rebuilt table (measures 0025).
from measures.models import Milestone, TaskAgency, TaskCategory
from measures.tasks.page_cache import data_version
from zones.models import Agency
versions = [data_version()]
for write in (
    lambda: TaskCategory.objects.filter(pk=tasks[0].category_id).update(title="改名的类别"),
    lambda: Task.objects.filter(pk=tasks[0].pk).update(title="改名的任务"),
    lambda: ReportingPeriod.objects.filter(pk=period.pk).update(name="改名的期"),
    lambda: TaskAgency.objects.create(task=tasks[0], agency=Agency.objects.create(name="重建后的单位"), position=1),
    lambda: Milestone.objects.create(task=tasks[0], title="节点", due=timezone.localdate(),
        created_by=make_user(username="milestone-author"), created_at=timezone.now(), updated_at=timezone.now()),
    lambda: ProgressReport.objects.filter(task=tasks[0]).update(percent_complete=31),
):
    write()
    versions.append(data_version())
# Writes after the migration, each of a kind a trigger counts.
submit_report_as(tasks[2], period, make_user(Role.OFFICER, zones=[zone]), percent_complete=90)
ProgressReport.objects.filter(task=tasks[0]).update(state=ReportState.ACCEPTED)
Task.objects.filter(pk=tasks[1].pk).update(closed_at=timezone.now() - timezone.timedelta(days=400))
ProgressReport.objects.filter(task=tasks[1]).delete()
kept_counts = {k: v for k, v in SubmittedReportCount.objects.values_list("period_id", "submitted") if v}
recounted = Counter(ProgressReport.objects.filter(state=ReportState.SUBMITTED).values_list("period_id", flat=True))
held = figures.kept([period], [zone.pk])[0]
counted = figures.counted(Task.objects.all(), [period])
print(json.dumps({
    "triggers": names,
    "held_before": len(held_before),
    "held": {str(k): v for k, v in held.items()},
    "counted": {str(k): v for k, v in counted.items() if str(k) in {str(h) for h in held}},
    "counts": sorted(kept_counts.items()),
    "recounted": sorted(recounted.items()),
    "versions": versions,
}))
"""


def expected():
    return sorted(set().union(*(group.names(connection.vendor) for group in db_triggers.GROUPS)))


def shell(code, env):
    done = manage("shell", "--no-imports", "-c", code, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_migration_that_rebuilds_their_tables_keeps_the_counts(installation):  # noqa: F811
    env = installation("rebuild", migrated=True)
    shell(BEFORE, env)
    migrated = manage(
        "shell",
        "--no-imports",
        "-c",
        WITH_REBUILD
        + "from django.core.management import call_command; call_command('migrate', verbosity=1)",
        env=env,
    )
    assert migrated.returncode == 0, migrated.stderr
    assert "9999_rebuild_tables... OK" in migrated.stdout
    after = json.loads(shell(AFTER, env))
    assert after["triggers"] == expected()
    # The figures kept before the migration are counted again (writes in it went uncounted).
    assert after["held_before"] == 0
    # The badge's count and the figures the dashboard would show as kept, against a recount.
    assert after["counts"] == after["recounted"] and after["counts"]
    assert after["held"] == after["counted"]
    assert len(set(after["versions"])) == len(after["versions"])


def test_the_first_migrate_of_a_new_database_too(tmp_path):
    """0019 and 0021 leave their triggers to the end of the run, so a rebuild later in the same run
    neither fails on them nor drops them."""
    if connection.vendor != "sqlite":
        pytest.skip("a new PostgreSQL database is made the same way (tests.databases)")
    path = tmp_path / "new.sqlite3"
    env = {"SQLITE_PATH": str(path), "FTZ_DATA_DIR": str(tmp_path), "MEDIA_ROOT": str(tmp_path / "media")}
    migrated = manage(
        "shell",
        "--no-imports",
        "-c",
        WITH_REBUILD
        + "from django.core.management import call_command; call_command('migrate', verbosity=0)",
        env=env,
    )
    assert migrated.returncode == 0, migrated.stderr
    names = shell(
        "from django.db import connection; from measures import db_triggers; "
        "print(sorted(db_triggers.present(connection)))",
        env,
    )
    assert names.strip() == str(expected())


def test_a_migrate_with_nothing_to_apply_puts_back_a_missing_trigger_and_recounts(migrated_sqlite, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("checked on SQLite, where a rebuild drops triggers without a word")
    path = tmp_path / "db.sqlite3"
    databases.copy_sqlite(migrated_sqlite, path)
    env = {"SQLITE_PATH": str(path), "FTZ_DATA_DIR": str(tmp_path), "MEDIA_ROOT": str(tmp_path / "media")}
    shell(
        "from django.db import connection\n"
        "from tests.factories import make_period, make_task, make_plan, make_zone, make_user, submit_report_as\n"
        "from core.roles import Role\n"
        "zone = make_zone(plan=make_plan()); task = make_task(zone=zone); period = make_period(plan=zone.plan)\n"
        "connection.cursor().execute('DROP TRIGGER submitted_count_insert')\n"
        "submit_report_as(task, period, make_user(Role.OFFICER, zones=[zone]))\n",
        env,
    )
    assert manage("migrate", "--noinput", env=env).returncode == 0
    out = shell(
        "from django.db import connection; from measures import db_triggers\n"
        "from measures.models import SubmittedReportCount\n"
        "print(sorted(db_triggers.present(connection)))\n"
        "print(list(SubmittedReportCount.objects.values_list('submitted', flat=True)))\n",
        env,
    )
    assert out.splitlines() == [str(expected()), "[1]"]
