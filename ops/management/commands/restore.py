"""Restore a backup archive into an empty database and MEDIA_ROOT, then verify it.

Checks the archive (checksums, vendor, migrations) and that the target is empty before
touching anything; afterwards compares row counts and every file's SHA-256 with the
manifest and exits non-zero on any difference. Stop the app before restoring.
"""

import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from datetime import datetime
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from measures.models import Evidence
from ops.backup import (
    CREATED_BY_MIGRATE,
    FORMAT,
    BackupError,
    media_files,
    pg_env,
    rows_and_migrations,
    run_tool,
    sha256_of,
)


def safe_path(folder, rel):
    path = PurePosixPath(rel)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"The manifest names an unsafe path: {rel!r}")
    return Path(folder).joinpath(*path.parts)


def read_archive(archive, work):
    """Unpack `archive` into `work`; return its folder and manifest."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            # The "data" filter refuses absolute paths, "..", links and device files.
            tar.extractall(work, filter="data")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise BackupError(f"{archive} cannot be read as a backup archive: {error}") from None
    folders = [p for p in Path(work).iterdir() if p.is_dir()]
    if len(folders) != 1 or not (folders[0] / "manifest.json").is_file():
        raise BackupError(f"{archive} is not an FTZ Tracker backup: it has no manifest.json.")
    manifest = json.loads((folders[0] / "manifest.json").read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}; this version reads {FORMAT}.")
    return folders[0], manifest


def media_problems(folder, expected):
    problems = []
    for rel, meta in expected.items():
        path = safe_path(folder, rel)
        if not path.is_file():
            problems.append(f"media file missing: {rel}")
        elif sha256_of(path) != meta["sha256"]:
            problems.append(f"SHA-256 checksum mismatch: media/{rel}")
    return problems


def archive_problems(root, manifest):
    """What is wrong with the unpacked archive itself, found before anything is restored."""
    db = manifest["database"]
    db_file = safe_path(root, db["file"])
    problems = []
    if not db_file.is_file():
        problems.append(f"the database file {db['file']} is missing")
    elif sha256_of(db_file) != db["sha256"]:
        problems.append(f"SHA-256 checksum mismatch: {db['file']}")
    problems += media_problems(root / "media", manifest["media"])
    unlisted = set(media_files(root / "media")) - set(manifest["media"])
    return problems + [f"media file not in the manifest: {rel}" for rel in sorted(unlisted)]


def migrations_in_code():
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def recorded_migrations(manifest):
    return {(app, name) for app, names in manifest["migrations"].items() for name in names}


def check_compatible(manifest):
    source, target = manifest["database"]["vendor"], connections[DEFAULT_DB_ALIAS].vendor
    if source != target:
        raise BackupError(
            f"This backup holds a {source} database but this installation uses {target}. "
            f"Restoring across database vendors is not supported: restore it into a {source} "
            "installation (set or unset DATABASE_URL accordingly)."
        )
    unknown = sorted(recorded_migrations(manifest) - migrations_in_code())
    if unknown:
        made_by = manifest["app"].get("git_commit") or manifest["app"]["version"]
        raise BackupError(
            f"The backup was made by a newer version of the app ({made_by}): this code lacks the "
            f"migrations {', '.join(f'{app}.{name}' for app, name in unknown)}. Deploy that version first."
        )


def sqlite_target():
    name = str(connections[DEFAULT_DB_ALIAS].settings_dict["NAME"])
    if name.startswith("file:") or name == ":memory:":
        raise BackupError("The target is an in-memory SQLite database; set SQLITE_PATH to a file.")
    return Path(name)


def current_state():
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        return rows_and_migrations(cursor, set(connection.introspection.table_names(cursor)))


def data_held():
    """{label: rows} the target database holds beyond the rows `migrate` creates."""
    if connections[DEFAULT_DB_ALIAS].vendor == "sqlite":
        path = sqlite_target()
        if not path.exists():
            return {}
        # Read directly: Django's connection would turn on WAL and keep the file open.
        db = sqlite3.connect(path)
        try:
            cursor = db.cursor()
            existing = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            counts, _ = rows_and_migrations(cursor, existing)
        finally:
            db.close()
    else:
        counts, _ = current_state()
    return {label: n for label, n in counts.items() if n and label not in CREATED_BY_MIGRATE}


def refusal(held, files):
    found = [f"{label}: {rows} rows" for label, rows in list(held.items())[:4]]
    if len(held) > 4:
        found.append(f"{len(held) - 4} more tables")
    if files:
        found.append(f"{files} files in MEDIA_ROOT")
    return (
        f"Refusing to restore: the target is not empty ({', '.join(found)}). A restore replaces the "
        "database (a SQLite file is first copied aside as *.before-restore-*); run again with --force "
        "if that is intended."
    )


def restore_sqlite(db_file, keep_old):
    target = sqlite_target()
    connections.close_all()
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(db_file, incoming)
    if target.exists() and keep_old:
        aside = target.with_name(f"{target.name}.before-restore-{timezone.localtime():%Y%m%d-%H%M%S}")
        old, copy = sqlite3.connect(target), sqlite3.connect(aside)
        old.backup(copy)  # includes what is still only in the -wal, which goes below
        copy.close()
        old.close()
    # A -wal left from the old file would be replayed onto the restored one and corrupt it.
    for suffix in ("-wal", "-shm", "-journal"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(incoming, target)


def restore_postgresql(db_file):
    db = connections[DEFAULT_DB_ALIAS].settings_dict
    connections.close_all()
    # One transaction: a failed restore leaves the database as it was, not half loaded.
    run_tool(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-acl", "--single-transaction"]
        + ["--no-password", f"--dbname={db['NAME']}", str(db_file)],
        pg_env(db),
    )


def copy_media(folder, expected):
    for rel in expected:
        target = safe_path(settings.MEDIA_ROOT, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        incoming = target.with_name(f".{target.name}.restoring")
        shutil.copyfile(safe_path(folder, rel), incoming)
        os.replace(incoming, target)


def verify(manifest):
    """Differences between the restored installation and the manifest."""
    counts, _ = current_state()
    expected = manifest["row_counts"]
    problems = [
        f"row count of {label}: {expected.get(label)} in the backup, {counts.get(label)} restored"
        for label in sorted(set(expected) | set(counts))
        if expected.get(label) != counts.get(label)
    ]
    problems += media_problems(settings.MEDIA_ROOT, manifest["media"])
    for name, recorded in Evidence.objects.exclude(file="").values_list("file", "sha256"):
        path = safe_path(settings.MEDIA_ROOT, name)
        if not path.is_file() or sha256_of(path) != recorded:
            problems.append(f"evidence file {name} is missing or differs from the SHA-256 recorded at upload")
    return problems, counts


class Command(BaseCommand):
    help = (
        "Restore ARCHIVE (made by `backup`) into the configured database and MEDIA_ROOT, then check "
        "row counts and SHA-256 checksums against its manifest. Stop the app first."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--force", action="store_true", help="replace a database or MEDIA_ROOT that already holds data"
        )

    def handle(self, *args, archive, force, **options):
        if not archive.is_file():
            raise CommandError(f"No such archive: {archive}")
        try:
            manifest = self.restore(archive, force)
        except BackupError as error:
            raise CommandError(str(error)) from None
        problems, counts = verify(manifest)
        self.summarize(archive, manifest, counts, problems)
        if problems:
            raise CommandError(f"The restore does not match the backup ({len(problems)} problem(s) above).")

    def restore(self, archive, force):
        # Enough room for the unpacked archive is needed in $TMPDIR.
        with tempfile.TemporaryDirectory(prefix="ftz-restore-") as work:
            root, manifest = read_archive(archive, work)
            check_compatible(manifest)
            held, files = data_held(), len(media_files(settings.MEDIA_ROOT))
            if (held or files) and not force:
                raise BackupError(refusal(held, files))
            if problems := archive_problems(root, manifest):
                raise BackupError("The archive is damaged; nothing was restored:\n  " + "\n  ".join(problems))
            # Media first: the restored rows never point at a file that is not there yet.
            copy_media(root / "media", manifest["media"])
            db_file = root / manifest["database"]["file"]
            if manifest["database"]["vendor"] == "sqlite":
                restore_sqlite(db_file, keep_old=bool(held))
            else:
                restore_postgresql(db_file)
        return manifest

    def summarize(self, archive, manifest, counts, problems):
        app, media = manifest["app"], manifest["media"]
        made = timezone.localtime(datetime.fromisoformat(manifest["created_at"]))
        commit = (app.get("git_commit") or "commit unknown")[:12]
        self.stdout.write(
            f"Restored {archive.name} (made {made:%Y-%m-%d %H:%M:%S %z} by {app['version']} {commit}, "
            f"{manifest['database']['vendor']})"
        )
        self.stdout.write(f"  database: {sum(counts.values())} rows in {len(counts)} tables")
        self.stdout.write(f"  media: {len(media)} files, {sum(m['size'] for m in media.values())} bytes")
        extra = set(media_files(settings.MEDIA_ROOT)) - set(media)
        if extra:
            self.stdout.write(f"  {len(extra)} files in MEDIA_ROOT are not in the backup; left in place")
        for problem in problems:
            self.stderr.write(f"  PROBLEM: {problem}")
        if not problems:
            self.stdout.write(
                self.style.SUCCESS("Verified: every row count and every media SHA-256 matches the manifest.")
            )
        newer = migrations_in_code() - recorded_migrations(manifest)
        if newer:
            self.stdout.write(f"This code has {len(newer)} newer migration(s): run `manage.py migrate` next.")
