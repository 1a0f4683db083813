"""Comparing two installations: this test process and a restored one run through manage.py."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from django.apps import apps
from django.conf import settings

from measures.models import Evidence

# Settings the restore subprocess must not inherit from whoever runs the tests.
TARGET_VARIABLES = ("DATABASE_URL", "SQLITE_PATH", "MEDIA_ROOT", "FTZ_DATA_DIR")


def state():
    """Row counts per model, SHA-256 per media file and the evidence rows, for comparing installations."""
    root = Path(settings.MEDIA_ROOT)
    models = apps.get_models(include_auto_created=True)
    return {
        "rows": {
            m._meta.label: m._base_manager.count() for m in models if m._meta.managed and not m._meta.proxy
        },
        "media": {
            p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        },
        "evidence": [
            list(row) for row in Evidence.objects.order_by("pk").values_list("file", "sha256", "url")
        ],
    }


def print_state():
    """Run by `manage.py shell -c` in the restored installation."""
    print(json.dumps(state()))


def environment(env):
    """This process's environment with the installation settings replaced by `env`."""
    return {**{k: v for k, v in os.environ.items() if k not in TARGET_VARIABLES}, **env}


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *map(str, args)],
        cwd=settings.BASE_DIR,
        env=environment(env),
        capture_output=True,
        text=True,
        timeout=600,
    )


def state_of(env):
    done = manage(
        "shell", "--no-imports", "-c", "from tests.ops.support import print_state; print_state()", env=env
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
