"""Measures migration 0021 (the dashboard's kept figures of open periods) can be undone after
use: the rows its triggers wrote lack the deadline and end the earlier schema requires."""

from tests.ops.support import manage

# A task closed and reopened: the triggers start a row (no deadline) for each period of its plan.
WRITE = """
from django.utils import timezone
from measures.models import LockedPeriodFigures, Task
from tests.factories import make_period, make_task
task = make_task()
make_period(plan=task.zone.plan)
Task.objects.filter(pk=task.pk).update(closed_at=timezone.now())
print(LockedPeriodFigures.objects.filter(final=False, deadline__isnull=True).count())
"""

FINAL = "from measures.models import LockedPeriodFigures; print(LockedPeriodFigures.objects.count())"


def test_0021_reverses_and_reapplies_after_a_write(installation):
    env = installation("reverse", migrated=True)
    written = manage("shell", "--no-imports", "-c", WRITE, env=env)
    assert written.returncode == 0, written.stderr
    assert int(written.stdout) >= 1
    back = manage("migrate", "measures", "0020", "--noinput", env=env)
    assert back.returncode == 0, back.stderr
    forward = manage("migrate", "--noinput", env=env)
    assert forward.returncode == 0, forward.stderr
    assert int(manage("shell", "--no-imports", "-c", FINAL, env=env).stdout) == 0
