"""PostgreSQL statistics on history rows' actor and kind together (CREATE STATISTICS, most common
pairs), so the planner knows how many rows a person has of each kind.

Without them it multiplies the two columns' frequencies: for the top bar's count of reports awaiting
review (ProgressReport.objects.not_authored_by, on every manager's page) it expected about 7,000
reports written by a manager who had recorded 6,800 follow-ups and written none, and counted them
by reading every report in parallel workers: 23-27 ms instead of 1 ms, once the history table had
been analysed (at 500,000 reports). SQLite has no such statistics and needs none here (its plan
reads the index event_actor_kind_report)."""

from django.db import migrations

NAME = "event_actor_kind_stats"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE STATISTICS IF NOT EXISTS {NAME} (mcv, dependencies) ON actor_id, kind FROM measures_reportevent"
    )
    # Filled at once rather than at autovacuum's next analysis of the table.
    schema_editor.execute("ANALYZE measures_reportevent")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP STATISTICS IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("measures", "0023_event_actor_kind_report_index")]

    operations = [migrations.RunPython(create, drop)]
