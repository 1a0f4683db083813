"""backup → restore into an empty installation → identical rows, files and checksums."""

import io
import tarfile
from pathlib import Path

import psycopg
from django.db import connection

from tests.ops.support import manage, state, state_of


def nothing_restored(target):
    if any(Path(target["MEDIA_ROOT"]).rglob("*")):
        return False
    if "SQLITE_PATH" in target:
        return not Path(target["SQLITE_PATH"]).exists()
    with psycopg.connect(target["DATABASE_URL"]) as db:
        return db.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0


def test_restore_reproduces_rows_and_files(backup, target):
    before = state()
    assert before["rows"]["measures.Evidence"] == 3 and len(before["media"]) == 2

    done = manage("restore", backup, env=target)

    assert done.returncode == 0, done.stdout + done.stderr
    assert f", {connection.vendor}" in done.stdout.splitlines()[0]
    assert "Verified: every row count and every media SHA-256 matches the manifest." in done.stdout
    assert state_of(target) == before


def test_restore_refuses_a_target_with_data_unless_forced(backup, target):
    assert manage("restore", backup, env=target).returncode == 0

    again = manage("restore", backup, env=target)
    assert again.returncode == 1
    assert "Refusing to restore: the target is not empty (" in again.stderr
    assert "--force" in again.stderr

    forced = manage("restore", "--force", backup, env=target)
    assert forced.returncode == 0, forced.stderr
    assert state_of(target) == state()
    if "SQLITE_PATH" in target:  # the replaced file is kept beside the new one
        sqlite = Path(target["SQLITE_PATH"])
        assert list(sqlite.parent.glob(f"{sqlite.name}.before-restore-*"))


def rewrite(archive, change):
    """Copy `archive` with `change(name, data)` applied to every member's bytes."""
    members = []
    with tarfile.open(archive) as tar:
        for info in tar.getmembers():
            data = tar.extractfile(info).read() if info.isfile() else None
            members.append((info, data))
    with tarfile.open(archive, "w:gz") as tar:
        for info, data in members:
            if data is not None:
                data = change(info.name, data)
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)


def test_an_altered_media_file_fails_the_checksum_and_restores_nothing(backup, target):
    pdf = next(name for name in state()["media"] if name.endswith(".pdf"))
    rewrite(backup, lambda name, data: data.replace(b"MediaBox", b"MediaBax") if name.endswith(pdf) else data)

    done = manage("restore", backup, env=target)

    assert done.returncode == 1
    assert f"SHA-256 checksum mismatch: media/{pdf}" in done.stderr
    assert "nothing was restored" in done.stderr
    assert nothing_restored(target)


def test_restoring_across_database_vendors_is_refused_with_the_reason(backup, target):
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    vendor = f'"vendor": "{connection.vendor}"'.encode()
    rewrite(backup, lambda name, data: data.replace(vendor, f'"vendor": "{other}"'.encode()))

    done = manage("restore", backup, env=target)

    assert done.returncode == 1
    assert (
        f"This backup holds a {other} database but this installation uses {connection.vendor}" in done.stderr
    )
    assert "Restoring across database vendors is not supported" in done.stderr
