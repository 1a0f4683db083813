"""The database triggers the counts rest on, for SQLite and PostgreSQL, and what keeps them on
through every later migration.

Hand-written SQL because no kept library writes triggers for both SQLite and PostgreSQL. Three
groups, each installed by its migration (whose own copy of this SQL stays as it was applied):
measures 0019 keeps SubmittedReportCount (the top bar's awaiting-review badge), measures 0021
moves LockedPeriodFigures.changes (the dashboard reads kept figures of an open period only while
`counted_at` equals `changes`) and measures 0025 moves DataVersion, the version the task list's
kept pages are keyed by (measures.tasks.page_cache; its section below says how).

On SQLite most AddField/AlterField rebuild the table (copy, DROP TABLE, RENAME): that drops its
triggers silently or fails on a trigger that names the table. So every `migrate` that has something
to apply drops these triggers first (pre_migrate) and creates them again at its end (post_migrate),
from the definitions here, for the groups whose migration is applied; whenever a trigger was missing
or dropped, the counts are made right again (`recount`): writes made meanwhile were not counted.
A changed definition here therefore reaches a database with the next migration applied to it."""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.migrations.recorder import MigrationRecorder

REPORTS = "measures_progressreport"
TASKS = "measures_task"
COUNTS = "measures_submittedreportcount"
FIGURES = "measures_lockedperiodfigures"

# --- measures 0019: SubmittedReportCount --------------------------------------------------------

# The one rule of the count (measures.reporting.models.AWAITING_REVIEW re-derives the badge from it).
SUBMITTED = "state = 'submitted'"
ADD = f"""INSERT INTO {COUNTS} (period_id, submitted) SELECT NEW.period_id, 1 WHERE NEW.{SUBMITTED}
    ON CONFLICT (period_id) DO UPDATE SET submitted = {COUNTS}.submitted + 1"""
REMOVE = f"UPDATE {COUNTS} SET submitted = submitted - 1 WHERE period_id = OLD.period_id AND OLD.{SUBMITTED}"
CHANGED = "OLD.state IS NOT NEW.state OR OLD.period_id IS NOT NEW.period_id"

COUNT_SQLITE = [
    f"CREATE TRIGGER submitted_count_insert AFTER INSERT ON {REPORTS} BEGIN {ADD}; END",
    f"CREATE TRIGGER submitted_count_delete AFTER DELETE ON {REPORTS} BEGIN {REMOVE}; END",
    f"CREATE TRIGGER submitted_count_update AFTER UPDATE OF state, period_id ON {REPORTS} "
    f"WHEN {CHANGED} BEGIN {REMOVE}; {ADD}; END",
]
COUNT_POSTGRESQL = [
    f"""CREATE FUNCTION measures_submitted_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN {REMOVE}; END IF;
    IF TG_OP <> 'DELETE' THEN {ADD}; END IF;
    RETURN NULL;
END $$""",
    f"CREATE TRIGGER submitted_count_insert_delete AFTER INSERT OR DELETE ON {REPORTS} "
    "FOR EACH ROW EXECUTE FUNCTION measures_submitted_count()",
    f"CREATE TRIGGER submitted_count_update AFTER UPDATE OF state, period_id ON {REPORTS} FOR EACH ROW "
    f"WHEN ({CHANGED.replace('IS NOT', 'IS DISTINCT FROM')}) EXECUTE FUNCTION measures_submitted_count()",
]
COUNT_DROP = {
    "sqlite": [f"DROP TRIGGER IF EXISTS submitted_count_{name}" for name in ("insert", "delete", "update")],
    "postgresql": [
        f"DROP TRIGGER IF EXISTS submitted_count_insert_delete ON {REPORTS}",
        f"DROP TRIGGER IF EXISTS submitted_count_update ON {REPORTS}",
        "DROP FUNCTION IF EXISTS measures_submitted_count()",
    ],
}
# Every period's count from its reports, by the triggers' rule (a period without one reads as 0).
COUNT_RECOUNT = [
    f"DELETE FROM {COUNTS}",
    f"INSERT INTO {COUNTS} (period_id, submitted) SELECT period_id, COUNT(*) FROM {REPORTS} "
    f"WHERE {SUBMITTED} GROUP BY period_id",
]

# --- measures 0021: LockedPeriodFigures.changes -------------------------------------------------

COLUMNS = "(period_id, zone_id, percent_sum, on_time, reported, changes, final)"
UPSERT = f"ON CONFLICT (period_id, zone_id) DO UPDATE SET changes = {FIGURES}.changes + 1"


def bump_report(row):
    # Only while the period and the zone exist: a report deleted with its period or zone (a
    # cascade, a flush) must not leave a row behind for a period or zone that is gone.
    return (
        f"INSERT INTO {FIGURES} {COLUMNS} SELECT {row}.period_id, z.id, 0, 0, 0, 1, FALSE "
        f"FROM {TASKS} t, zones_zone z, measures_reportingperiod p "
        f"WHERE t.id = {row}.task_id AND z.id = t.zone_id AND p.id = {row}.period_id {UPSERT}"
    )


def bump_task(row):
    # In the order of the periods, as services.keep_period_figures writes them: two writers never
    # lock the same rows in opposite orders.
    return (
        f"INSERT INTO {FIGURES} {COLUMNS} SELECT p.id, z.id, 0, 0, 0, 1, FALSE "
        f"FROM measures_reportingperiod p, zones_zone z WHERE z.id = {row}.zone_id AND p.plan_id = z.plan_id ORDER BY p.id "
        f"{UPSERT}"
    )


REPORT_COLUMNS = ["state", "percent_complete", "submitted_on", "period_id", "task_id"]
TASK_COLUMNS = ["closed_at", "withdrawn_at", "zone_id"]


def changed(columns, differ="IS NOT"):
    return " OR ".join(f"OLD.{c} {differ} NEW.{c}" for c in columns)


# A period or zone deleted takes its rows with it, those a trigger above wrote during the same
# deletion too (the foreign keys are checked at commit).
FORGET_PERIOD = f"DELETE FROM {FIGURES} WHERE period_id = OLD.id"
FORGET_ZONE = f"DELETE FROM {FIGURES} WHERE zone_id = OLD.id"

FIGURES_SQLITE = [
    f"CREATE TRIGGER figures_period_delete AFTER DELETE ON measures_reportingperiod BEGIN {FORGET_PERIOD}; END",
    f"CREATE TRIGGER figures_zone_delete AFTER DELETE ON zones_zone BEGIN {FORGET_ZONE}; END",
    f"CREATE TRIGGER figures_report_insert AFTER INSERT ON {REPORTS} BEGIN {bump_report('NEW')}; END",
    f"CREATE TRIGGER figures_report_delete AFTER DELETE ON {REPORTS} BEGIN {bump_report('OLD')}; END",
    f"CREATE TRIGGER figures_report_update AFTER UPDATE OF {', '.join(REPORT_COLUMNS)} ON {REPORTS} "
    f"WHEN {changed(REPORT_COLUMNS)} BEGIN {bump_report('OLD')}; {bump_report('NEW')}; END",
    f"CREATE TRIGGER figures_task_delete AFTER DELETE ON {TASKS} BEGIN {bump_task('OLD')}; END",
    f"CREATE TRIGGER figures_task_update AFTER UPDATE OF {', '.join(TASK_COLUMNS)} ON {TASKS} "
    f"WHEN {changed(TASK_COLUMNS)} BEGIN {bump_task('OLD')}; {bump_task('NEW')}; END",
]
FIGURES_POSTGRESQL = [
    f"""CREATE FUNCTION measures_figures_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'zones_zone' THEN {FORGET_ZONE}; ELSE {FORGET_PERIOD}; END IF;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER figures_period_delete AFTER DELETE ON measures_reportingperiod "
    "FOR EACH ROW EXECUTE FUNCTION measures_figures_forget()",
    "CREATE TRIGGER figures_zone_delete AFTER DELETE ON zones_zone FOR EACH ROW EXECUTE FUNCTION measures_figures_forget()",
    f"""CREATE FUNCTION measures_figures_report() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN {bump_report("OLD")}; END IF;
    IF TG_OP <> 'DELETE' THEN {bump_report("NEW")}; END IF;
    RETURN NULL;
END $$""",
    f"""CREATE FUNCTION measures_figures_task() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {bump_task("OLD")};
    IF TG_OP <> 'DELETE' THEN {bump_task("NEW")}; END IF;
    RETURN NULL;
END $$""",
    f"CREATE TRIGGER figures_report_insert_delete AFTER INSERT OR DELETE ON {REPORTS} "
    "FOR EACH ROW EXECUTE FUNCTION measures_figures_report()",
    f"CREATE TRIGGER figures_report_update AFTER UPDATE OF {', '.join(REPORT_COLUMNS)} ON {REPORTS} "
    f"FOR EACH ROW WHEN ({changed(REPORT_COLUMNS, 'IS DISTINCT FROM')}) "
    "EXECUTE FUNCTION measures_figures_report()",
    f"CREATE TRIGGER figures_task_delete AFTER DELETE ON {TASKS} FOR EACH ROW EXECUTE FUNCTION measures_figures_task()",
    f"CREATE TRIGGER figures_task_update AFTER UPDATE OF {', '.join(TASK_COLUMNS)} ON {TASKS} "
    f"FOR EACH ROW WHEN ({changed(TASK_COLUMNS, 'IS DISTINCT FROM')}) EXECUTE FUNCTION measures_figures_task()",
]
FIGURES_DROP = {
    "sqlite": [
        f"DROP TRIGGER IF EXISTS figures_{name}"
        for name in (
            "report_insert",
            "report_delete",
            "report_update",
            "task_delete",
            "task_update",
            "period_delete",
            "zone_delete",
        )
    ],
    "postgresql": [
        f"DROP TRIGGER IF EXISTS figures_report_insert_delete ON {REPORTS}",
        f"DROP TRIGGER IF EXISTS figures_report_update ON {REPORTS}",
        f"DROP TRIGGER IF EXISTS figures_task_delete ON {TASKS}",
        f"DROP TRIGGER IF EXISTS figures_task_update ON {TASKS}",
        "DROP TRIGGER IF EXISTS figures_period_delete ON measures_reportingperiod",
        "DROP TRIGGER IF EXISTS figures_zone_delete ON zones_zone",
        "DROP FUNCTION IF EXISTS measures_figures_report()",
        "DROP FUNCTION IF EXISTS measures_figures_forget()",
        "DROP FUNCTION IF EXISTS measures_figures_task()",
    ],
}
# Figures of open periods are counted again on their next view; a locked period's final figures
# were counted from rows that no longer change and stay as they are.
FIGURES_RECOUNT = [f"UPDATE {FIGURES} SET counted_at = NULL WHERE NOT final AND counted_at IS NOT NULL"]


# --- measures 0025: DataVersion, the task list's data version -------------------------------------
#
# Every insert, update or deletion of a row the task list shows or filters by moves a counter in the
# same statement as the write, whatever code made it (a service, queryset.update(), a bulk load,
# the admin), so it commits or rolls back with it; the list reads SUM(changes) (one query of a few
# hundred rows) and keys its kept pages by it. Which row a write moves:
# - a task, its reports, milestones and agency links, a category, a zone: the row of that zone
#   ("zone", zone id). On PostgreSQL an updated row stays locked until commit, so one row that every
#   writer moved would queue unrelated writes behind each other (and could deadlock them); per zone,
#   writers of different zones never meet, and those of one zone already queue on the period's and
#   the zone's kept figures (0021). A transaction writing several zones (a plan revision, an agency
#   merge) takes their rows in the order it writes; should two such wait for each other, PostgreSQL
#   ends one with an error, and nothing is half written. A write a task's zone can no longer be
#   read for (the task gone first) moves ("zone", 0).
# - an agency, a period, a plan: that table's row (its name, 0). They change rarely, by managers and
#   plan revisions; a row per table is enough.
# Each write adds a random step (1 to 2·10⁹) rather than 1: the sum still moves on every write, and
# a database put back from a backup, or a test's rolled-back transaction, that then takes other
# writes does not come back to a sum it had with other rows (a kept page of that sum would be
# shown). No row is ever deleted, so the sum never goes back by a deletion either.
VERSIONS = "measures_dataversion"
# SQLite's random() is a signed 64-bit integer; % keeps the sign, so the step is 2 to 2·10⁹.
STEP = {
    "sqlite": "(random() % 1000000000 + 1000000001)",
    "postgresql": "(1 + floor(random() * 2000000000)::bigint)",
}
# Table -> (scope, how a row of it names its zone; None: the table's own row).
VERSIONED = {
    TASKS: ("zone", "{row}.zone_id"),
    REPORTS: ("zone", "COALESCE((SELECT zone_id FROM measures_task WHERE id = {row}.task_id), 0)"),
    "measures_milestone": (
        "zone",
        "COALESCE((SELECT zone_id FROM measures_task WHERE id = {row}.task_id), 0)",
    ),
    "measures_taskagency": (
        "zone",
        "COALESCE((SELECT zone_id FROM measures_task WHERE id = {row}.task_id), 0)",
    ),
    "measures_taskcategory": ("zone", "{row}.zone_id"),
    "zones_zone": ("zone", "{row}.id"),
    "zones_agency": ("zones_agency", None),
    "measures_reportingperiod": ("measures_reportingperiod", None),
    "zones_plan": ("zones_plan", None),
}


def bump_version(vendor, table, row):
    scope, zone = VERSIONED[table]
    scope_id = zone.format(row=row) if zone else "0"
    return (
        f"INSERT INTO {VERSIONS} (scope, scope_id, changes) VALUES ('{scope}', {scope_id}, {STEP[vendor]}) "
        f"ON CONFLICT (scope, scope_id) DO UPDATE SET changes = {VERSIONS}.changes + excluded.changes"
    )


def _version_name(table):
    return f"list_version_{table.split('_', 1)[1]}"


VERSION_SQLITE = [
    f"CREATE TRIGGER {_version_name(table)}_{op.lower()} AFTER {op} ON {table} "
    f"BEGIN {bump_version('sqlite', table, 'OLD' if op == 'DELETE' else 'NEW')}; END"
    for table in VERSIONED
    for op in ("INSERT", "UPDATE", "DELETE")
]
VERSION_POSTGRESQL = [
    statement
    for table in VERSIONED
    for statement in (
        f"""CREATE FUNCTION {_version_name(table)}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN {bump_version("postgresql", table, "OLD")};
    ELSE {bump_version("postgresql", table, "NEW")}; END IF;
    RETURN NULL;
END $$""",
        f"CREATE TRIGGER {_version_name(table)} AFTER INSERT OR UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {_version_name(table)}()",
    )
]
VERSION_DROP = {
    "sqlite": [
        f"DROP TRIGGER IF EXISTS {_version_name(table)}_{op}"
        for table in VERSIONED
        for op in ("insert", "update", "delete")
    ],
    "postgresql": [
        statement
        for table in VERSIONED
        for statement in (
            f"DROP TRIGGER IF EXISTS {_version_name(table)} ON {table}",
            f"DROP FUNCTION IF EXISTS {_version_name(table)}()",
        )
    ],
}


def _version_recount(vendor):
    # Writes made while the triggers were missing were not counted: the version moves once for them.
    return [
        f"INSERT INTO {VERSIONS} (scope, scope_id, changes) VALUES ('migrate', 0, {STEP[vendor]}) "
        f"ON CONFLICT (scope, scope_id) DO UPDATE SET changes = {VERSIONS}.changes + excluded.changes"
    ]


@dataclass(frozen=True)
class Group:
    migration: str  # of the measures app: the triggers belong only in a database where it is applied
    create: dict
    drop: dict
    # A list of statements, or a function of the vendor giving them.
    recount: list = field(default_factory=list)

    def names(self, vendor):
        return {
            statement.split()[2]
            for statement in self.create[vendor]
            if statement.startswith("CREATE TRIGGER")
        }


GROUPS = [
    Group(
        "0019_submitted_report_counts",
        {"sqlite": COUNT_SQLITE, "postgresql": COUNT_POSTGRESQL},
        COUNT_DROP,
        COUNT_RECOUNT,
    ),
    Group(
        "0021_open_period_figures",
        {"sqlite": FIGURES_SQLITE, "postgresql": FIGURES_POSTGRESQL},
        FIGURES_DROP,
        FIGURES_RECOUNT,
    ),
    Group(
        "0025_task_list_data_version",
        {"sqlite": VERSION_SQLITE, "postgresql": VERSION_POSTGRESQL},
        VERSION_DROP,
        _version_recount,
    ),
]

# Set on a connection from pre_migrate to post_migrate: migrations 0019, 0021 and 0025 then leave their
# triggers to post_migrate, so a later migration of the same run can rebuild the tables they are on.
DEFERRED = "measures_triggers_deferred"


def _vendor(connection):
    if connection.vendor not in ("sqlite", "postgresql"):
        raise RuntimeError(
            f"No triggers for {connection.vendor}: the badge and the dashboard would go stale."
        )
    return connection.vendor


def applied_groups(connection):
    """The groups whose migration is applied to `connection`'s database."""
    applied = {name for app, name in MigrationRecorder(connection).applied_migrations() if app == "measures"}
    return [group for group in GROUPS if group.migration in applied]


def present(connection):
    """The names of our triggers `connection`'s database has."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        names = {row[0] for row in cursor.fetchall()}
    return names & set().union(*(group.names(_vendor(connection)) for group in GROUPS))


def drop_all(connection):
    """Drop every trigger (and function) of ours; those not there are skipped."""
    vendor = _vendor(connection)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for group in GROUPS:
            for statement in group.drop[vendor]:
                cursor.execute(statement)


def create_all(connection, groups=None):
    """Create the triggers of `groups` (default: those applied), replacing any there, and recount."""
    vendor = _vendor(connection)
    groups = applied_groups(connection) if groups is None else groups
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for group in groups:
            for statement in [*group.drop[vendor], *group.create[vendor]]:
                cursor.execute(statement)
        # After the triggers, in the same transaction: every later write is counted by them.
        recount(connection, groups)


def recount(connection, groups=None):
    """Make the kept counts right without the triggers' history: SubmittedReportCount counted again
    from the reports, open periods' kept figures marked to be counted again. No recorded row and no
    final figures are touched."""
    groups = applied_groups(connection) if groups is None else groups
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for group in groups:
            statements = group.recount(connection.vendor) if callable(group.recount) else group.recount
            for statement in statements:
                cursor.execute(statement)


def ensure(connection):
    """Create the applied groups' triggers if any is missing (then recount); True if it did. One
    query when all are there (every `migrate` with nothing to apply, every test flush)."""
    groups = applied_groups(connection)
    expected = set().union(*(group.names(_vendor(connection)) for group in groups))
    if expected <= present(connection):
        return False
    create_all(connection, groups)
    return True


def before_migrate(sender, using, plan=None, **kwargs):
    """pre_migrate of the measures app: with something to apply, our triggers go first."""
    from django.db import connections

    connection = connections[using]
    if plan is not None and not plan:
        return
    if connection.vendor not in ("sqlite", "postgresql"):
        return
    # The recorder's table is missing in a database never migrated: nothing of ours is there.
    if MigrationRecorder(connection).has_table():
        drop_all(connection)
    setattr(connection, DEFERRED, True)


def after_migrate(sender, using, **kwargs):
    """post_migrate of the measures app (after `migrate`, and after each `flush`)."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor not in ("sqlite", "postgresql"):
        return
    setattr(connection, DEFERRED, False)
    if MigrationRecorder(connection).has_table():
        ensure(connection)
