"""A backup taken while another process keeps writing is one consistent snapshot that verifies."""

import json
import subprocess
import sys
import tarfile
import time

from django.conf import settings

from tests.conftest import PLAN_FIXTURE
from tests.ops.support import environment, manage

# Commits one agency (and its history row) after another until told to stop.
WRITER = """
import pathlib, time
from django.db import transaction
from zones.models import Agency
stop, progress = pathlib.Path({stop!r}), pathlib.Path({progress!r})
written = 0
while not stop.exists():
    with transaction.atomic():
        Agency.objects.create(name=f"并发写入{{written}}")
    written += 1
    partial = progress.with_suffix(".partial")
    partial.write_text(str(written))
    partial.replace(progress)  # never seen half written
    time.sleep(0.002)
"""


def wait_for(progress, rows):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if progress.exists() and int(progress.read_text()) >= rows:
            return int(progress.read_text())
        time.sleep(0.05)
    raise AssertionError(f"the writer did not reach {rows} rows")


def test_backup_during_writes_restores_exactly_what_it_recorded(installation, tmp_path):
    source, target = installation("source", migrated=True), installation("restore")
    done = manage("load_plan", PLAN_FIXTURE, env=source)
    assert done.returncode == 0, done.stderr
    count = manage(
        "shell",
        "--no-imports",
        "-c",
        "from zones.models import Agency; print(Agency.objects.count())",
        env=source,
    )
    plan_agencies = int(count.stdout)
    stop, progress = tmp_path / "stop", tmp_path / "progress"
    script = WRITER.format(stop=str(stop), progress=str(progress))
    writer = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=settings.BASE_DIR,
        env=environment(source),
    )
    try:
        wait_for(progress, 20)
        backup = manage("backup", "--output", tmp_path / "backups", env=source)
        written_by_then = wait_for(progress, int(progress.read_text()) + 10)
    finally:
        stop.touch()
        writer.wait(timeout=60)
    assert backup.returncode == 0, backup.stderr
    archive = backup.stdout.strip()
    with tarfile.open(archive) as tar:
        manifest = json.load(
            tar.extractfile(next(m for m in tar.getmembers() if m.name.endswith("manifest.json")))
        )
    agencies = manifest["row_counts"]["zones.Agency"]
    # The snapshot fell in the middle of the writing: some rows before it, more after.
    assert plan_agencies + 20 <= agencies < plan_agencies + written_by_then

    done = manage("restore", archive, env=target)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Verified: every row count and every media SHA-256 matches the manifest." in done.stdout
