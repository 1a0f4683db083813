"""One-archive backups: a database snapshot, the media folder and a manifest to verify them by.

The archive `ftz-backup-YYYYMMDD-HHMMSS.tar.gz` holds one folder of that name with
`manifest.json`, the database (`database.sqlite3` or `database.pgdump`) and `media/`.
Row counts are taken from the same snapshot as the database copy, so a backup made
while the app is writing still verifies exactly after a restore. Restoring lives in
the `restore` management command, which reuses the helpers here.
"""

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
import tomllib
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

FORMAT = 1
DB_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# Rows `migrate` itself creates; a database holding only these still counts as empty.
CREATED_BY_MIGRATE = {"contenttypes.ContentType", "auth.Permission"}


class BackupError(Exception):
    """A refusal or failure with a message meant for the operator."""


def model_tables():
    """{model label: table} for every concrete table, many-to-many tables included."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            tables.setdefault(model._meta.label, model._meta.db_table)
    return dict(sorted(tables.items()))


def _count(cursor, table):
    cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
    return cursor.fetchone()[0]


def rows_and_migrations(cursor, existing):
    counts = {label: _count(cursor, table) for label, table in model_tables().items() if table in existing}
    migrations = {}
    if "django_migrations" in existing:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        for app, name in cursor.fetchall():
            migrations.setdefault(app, []).append(name)
    return counts, migrations


def media_files(root):
    """{relative name: path} of the files under `root`.

    Hidden names are skipped: they are in-flight temporary files (health probes, half-copied
    restores); evidence is always stored under a plain "evidence/YYYY/MM/<uuid>.<ext>" name.
    """
    root = Path(root)
    if not root.is_dir():
        return {}
    return {
        p.relative_to(root).as_posix(): p
        for p in sorted(root.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    }


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _app_version():
    version = tomllib.loads((settings.BASE_DIR / "pyproject.toml").read_text())["project"]["version"]
    try:
        commit = subprocess.run(
            ["git", "-C", str(settings.BASE_DIR), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except OSError:  # no git on the server: the version alone will have to do
        commit = ""
    return {"version": version, "git_commit": commit or None}


def pg_env(db):
    """libpq environment for pg_dump/pg_restore: the password never appears in `ps`."""
    env = dict(os.environ)
    for key, var in [("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")]:
        if db.get(key):
            env[var] = str(db[key])
    for option in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if option in db.get("OPTIONS", {}):
            env["PG" + option.upper()] = str(db["OPTIONS"][option])
    return env


def run_tool(command, env):
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} was not found: install the PostgreSQL client tools (postgresql-client) "
            "of the server's major version or newer."
        ) from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed:\n{done.stderr.strip()}")


# --- backup ---------------------------------------------------------------------------


def _snapshot_sqlite(target):
    name = str(connections[DEFAULT_DB_ALIAS].settings_dict["NAME"])
    if not name.startswith("file:") and not Path(name).is_file():
        # sqlite3.connect would quietly create an empty database and back that up.
        raise BackupError(f"There is no database at {name}; check SQLITE_PATH / FTZ_DATA_DIR.")
    # The online backup API copies a consistent state even while other processes write.
    source = sqlite3.connect(name, uri=True, timeout=20)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        # One self-contained file (no -wal beside it); the app turns WAL back on when it connects.
        copy.execute("PRAGMA journal_mode=DELETE")
        cursor = copy.cursor()
        existing = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return rows_and_migrations(cursor, existing)
    finally:
        copy.close()
        source.close()


def _snapshot_postgresql(target):
    # A private connection: the caller's connection may be inside a transaction already.
    connection = connections[DEFAULT_DB_ALIAS].copy()
    try:
        connection.ensure_connection()
        connection.set_autocommit(False)
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            existing = set(connection.introspection.table_names(cursor))
            state = rows_and_migrations(cursor, existing)
            # pg_dump reads the very snapshot the counts came from, while this transaction stays open.
            db = connection.settings_dict
            run_tool(
                ["pg_dump", "--format=custom", "--no-password", f"--snapshot={snapshot}"]
                + [f"--file={target}", db["NAME"]],
                pg_env(db),
            )
        connection.rollback()
        return state
    finally:
        connection.close()


class _HashingReader:
    def __init__(self, f):
        self.f = f
        self.digest = hashlib.sha256()

    def read(self, size=-1):
        data = self.f.read(size)
        self.digest.update(data)
        return data


def _add_media(tar, folder):
    """Add every file under MEDIA_ROOT, hashing the bytes as they go into the archive."""
    checksums = {}
    for rel, path in media_files(settings.MEDIA_ROOT).items():
        info = tar.gettarinfo(path, f"{folder}/media/{rel}")
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        with open(path, "rb") as f:
            reader = _HashingReader(f)
            tar.addfile(info, reader)
        checksums[rel] = {"sha256": reader.digest.hexdigest(), "size": info.size}
    return checksums


def create_backup(output_dir):
    """Write one archive into `output_dir` and return its path."""
    vendor = connections[DEFAULT_DB_ALIAS].vendor
    if vendor not in DB_FILES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    created = timezone.now()
    name = f"ftz-backup-{timezone.localtime(created):%Y%m%d-%H%M%S}"
    archive = output_dir / f"{name}.tar.gz"
    if archive.exists():
        raise BackupError(f"{archive} already exists; wait a second and run the backup again.")
    with tempfile.TemporaryDirectory(prefix="ftz-backup-") as work:
        db_file = Path(work) / DB_FILES[vendor]
        snapshot = _snapshot_sqlite if vendor == "sqlite" else _snapshot_postgresql
        row_counts, migrations = snapshot(db_file)
        partial = output_dir / f".{name}.tar.gz.partial"
        # The archive holds password hashes and sessions: owner-only from the first byte.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                tar.add(db_file, f"{name}/{db_file.name}")
                # Media after the database: evidence files are written before their rows commit
                # and never deleted, so every file the snapshot refers to is already on disk.
                media = _add_media(tar, name)
                manifest = {
                    "format": FORMAT,
                    "app": _app_version(),
                    "created_at": created.isoformat(),
                    "database": {
                        "vendor": vendor,
                        "file": db_file.name,
                        "sha256": sha256_of(db_file),
                        "size": db_file.stat().st_size,
                    },
                    "migrations": migrations,
                    "row_counts": row_counts,
                    "media": media,
                }
                data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
                info = tarfile.TarInfo(f"{name}/manifest.json")
                info.size, info.mtime, info.mode = len(data), int(created.timestamp()), 0o600
                tar.addfile(info, io.BytesIO(data))
                raw.flush()
                os.fsync(raw.fileno())
            # Renamed only when complete, so a crash never leaves a truncated "good" archive.
            os.replace(partial, archive)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return archive
