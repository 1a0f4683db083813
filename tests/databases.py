"""Migrated databases made once per test run and copied, instead of migrating each one.

`migrate` costs about 11 s of CPU on an empty database (Django renders the model state of every
migration), and a run migrated once per xdist process plus once per test that starts its own
installation. Here the first process that needs one migrates a template under a lock in the run's
shared temporary directory; the others copy it: SQLite into the in-memory test database or a file,
PostgreSQL with CREATE DATABASE ... TEMPLATE. Django's own `migrate` still runs over the copy when
the test database is set up, finds nothing to apply, and would apply what the template missed.

A template is named (SQLite) or marked (PostgreSQL) by `schema_key()`, a digest of what `migrate`
builds from: a template made from other migrations is never copied, even where a directory outlives
a run (pytest empties a fixed --basetemp at each start, but a caller may name any directory)."""

import contextlib
import fcntl
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.backends.base.creation import TEST_DATABASE_PREFIX

# Settings a subprocess must not inherit from whoever runs the tests (as tests.ops.support).
INSTALLATION_VARIABLES = ("DATABASE_URL", "SQLITE_PATH", "MEDIA_ROOT", "FTZ_DATA_DIR")
MIGRATE = (
    "from django.core.management import call_command; call_command('migrate', run_syncdb=True, verbosity=0)"
)
POSTGRES_MARKER = "postgres-template"
# Modules besides the migrations whose code `migrate` runs to build the schema: the measures app's
# pre/post_migrate handlers install the database triggers from this file.
SCHEMA_MODULES = ("measures/db_triggers.py",)

# The in-memory test database exists while a connection to it is open: this one holds it from the
# copy until Django's own connection has opened it.
_holders = []


def shared_directory(config, tmp_path_factory):
    """The run's temporary directory, which every xdist process of the run sees (each has its own
    subdirectory of it); a run without xdist has it to itself."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if hasattr(config, "workerinput") else base


@contextlib.contextmanager
def _locked(directory):
    with open(directory / "templates.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _migrate_in_subprocess(env, directory):
    """Migrate the installation `env` points at, in a fresh process (this one's settings and
    connections stay as they are)."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in INSTALLATION_VARIABLES},
        "FTZ_DATA_DIR": str(directory / "template-data"),
        "MEDIA_ROOT": str(directory / "template-data" / "media"),
        **env,
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", MIGRATE],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(f"migrating the template database failed:\n{done.stdout}{done.stderr}")


def schema_key():
    """A digest of the installed apps in their order, every file of their migration packages and
    SCHEMA_MODULES: what a migrated database was made from. It changes when any migration is added,
    removed or edited (a library's too, on an upgrade)."""
    from django.apps import apps

    digest = hashlib.sha256()
    for app in apps.get_app_configs():
        digest.update(f"app {app.label} {app.name}\n".encode())
        migrations = Path(app.path) / "migrations"
        for path in sorted(migrations.rglob("*.py")) if migrations.is_dir() else ():
            digest.update(f"file {path.relative_to(app.path)}\n".encode())
            digest.update(path.read_bytes())
    for name in SCHEMA_MODULES:
        digest.update(f"module {name}\n".encode())
        digest.update((Path(settings.BASE_DIR) / name).read_bytes())
    return digest.hexdigest()[:16]


def sqlite_template(directory):
    """A migrated SQLite file of today's migrations (made by the first caller)."""
    path = directory / f"migrated-{schema_key()}.sqlite3"
    with _locked(directory):
        if not path.exists():
            partial = directory / "migrating.sqlite3"
            _migrate_in_subprocess({"SQLITE_PATH": str(partial)}, directory)
            # The file alone is the database once its last connection closed (the WAL is checkpointed
            # into it and removed); check rather than copy a file that misses its log.
            if Path(f"{partial}-wal").exists():
                raise RuntimeError(f"{partial}-wal is left over: the template would be incomplete")
            partial.replace(path)
    return path


def copy_sqlite(template, target):
    """`template` as a new database file `target` (e.g. an installation's SQLITE_PATH)."""
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)


def admin_connection(db):
    """An autocommit connection to the server of `db` (settings), to create and drop databases."""
    import psycopg

    return psycopg.connect(
        dbname="postgres",
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"],
        port=db["PORT"],
        autocommit=True,
    )


def drop_database(admin, name):
    """DROP DATABASE name, whoever is still connected. WITH (FORCE) ends our own role's leftover
    connections, but refuses when one of them belongs to another role, such as an autovacuum worker
    analysing a database a test has just filled; a plain DROP stops autovacuum itself and waits for
    it (up to 5 s, inside PostgreSQL)."""
    import psycopg

    try:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.errors.InsufficientPrivilege:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def postgres_url(db, name):
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{name}"


# The database the settings name, read before Django renames it to the test database's name.
CONFIGURED_NAME = settings.DATABASES["default"]["NAME"]


def postgres_template_name():
    """Named after the database the tests run against, as Django names the test databases
    (test_<NAME>, then _gw0, _gw1 per process), so runs against other databases never meet."""
    return f"{TEST_DATABASE_PREFIX}{CONFIGURED_NAME}_template"


def postgres_template(directory, db):
    """The name of a migrated PostgreSQL database of today's migrations (made by the first caller;
    dropped at the end of the run by drop_postgres_template). The marker holds its name and, once it
    is migrated, its schema_key(): a marker without today's key means the database is remade."""
    name = postgres_template_name()
    marker = directory / POSTGRES_MARKER
    key = schema_key()
    with _locked(directory):
        if not marker.exists() or marker.read_text().split() != [name, key]:
            with admin_connection(db) as admin:
                # One left by a run that was killed, or made from other migrations.
                drop_database(admin, name)
                admin.execute(f'CREATE DATABASE "{name}"')
                marker.write_text(name)
                _migrate_in_subprocess({"DATABASE_URL": postgres_url(db, name)}, directory)
                # CREATE DATABASE ... TEMPLATE refuses while anyone is connected to the template, and
                # the subprocess's server process may outlive the subprocess by a moment.
                deadline = time.monotonic() + 60
                while admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name]
                ).fetchone()[0]:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{name} is still in use after its migration")
                    time.sleep(0.05)
                marker.write_text(f"{name} {key}")
    return name


def drop_postgres_template(directory, db):
    marker = directory / POSTGRES_MARKER
    if marker.exists():
        with admin_connection(db) as admin:
            drop_database(admin, marker.read_text().split()[0])
        marker.unlink()


def create_postgres_from_template(directory, db, name):
    """A new database `name` (dropped first if it exists), migrated: a copy of the run's template."""
    template = postgres_template(directory, db)
    with admin_connection(db) as admin:
        drop_database(admin, name)
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def start_test_database_from_template(directory):
    """Before Django sets up the test database: make it a copy of the run's migrated template."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        # Django's own CREATE DATABASE for the test database then copies it (TEST["TEMPLATE"]).
        db.setdefault("TEST", {})["TEMPLATE"] = postgres_template(directory, db)
    elif connection.vendor == "sqlite":
        name = connection.creation._get_test_db_name()
        # Django deletes a test database file before it migrates; only the in-memory one (the default)
        # survives to be migrated, so only that one is copied into.
        if connection.creation.is_in_memory_db(name):
            template = sqlite3.connect(f"file:{sqlite_template(directory)}?mode=ro", uri=True)
            holder = sqlite3.connect(name, uri=True)
            template.backup(holder)
            template.close()
            _holders.append(holder)


def release_holders():
    """Once Django's connection holds the in-memory test database, ours may close."""
    while _holders:
        _holders.pop().close()
