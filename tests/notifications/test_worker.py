"""The worker path with the real database backend: a notice enqueues a task when its transaction
commits, `db_worker` runs it, and two workers at once send each message once."""

import subprocess
import sys
import textwrap

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core.roles import Role
from notifications.choices import Audience, ChannelKind, DeliveryStatus, NoticeKind
from notifications.models import Channel, Delivery, JobRun
from notifications.services import notify
from tests.databases import copy_sqlite
from tests.factories import make_user
from tests.ops.support import environment


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_a_committed_notice_is_delivered_by_the_worker(webhook, loaded_zone):
    officer = make_user(Role.OFFICER, zones=[loaded_zone], email="officer@xiqing.example.cn")
    channel = Channel.objects.create(
        name="wecom",
        kind=ChannelKind.WECOM,
        url=webhook.url("/wecom"),
        audience=Audience.ZONE,
        zone=loaded_zone,
    )
    with transaction.atomic():
        notify(kind=NoticeKind.CHASE, recipients=[officer], title="催办", zone=loaded_zone, key="a")
        notify(kind=NoticeKind.CHASE, recipients=[officer], title="再次催办", zone=loaded_zone, key="b")
        assert not DBTaskResult.objects.exists()  # nothing before the commit
    # One task for the whole transaction, in the database queue.
    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path == "notifications.tasks.dispatch" and queued.status == "READY"
    assert mail.outbox == []  # not sent inside the request

    run_worker()
    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL"
    assert sorted(m.subject for m in mail.outbox) == ["【FTZ】催办", "【FTZ】再次催办"]
    digest = Delivery.objects.get(channel=channel)
    assert digest.status == DeliveryStatus.PENDING and webhook.received == []  # its window is still open
    # The window closes; the periodic dispatch (here enqueued by hand) sends the digest.
    Delivery.objects.filter(pk=digest.pk).update(send_after=timezone.now())
    from notifications.tasks import dispatch

    dispatch.enqueue()
    run_worker()
    digest.refresh_from_db()
    assert digest.status == DeliveryStatus.SENT and digest.attempts == 1
    assert len(webhook.to("/wecom")) == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_notice_enqueues_nothing(loaded_zone):
    officer = make_user(Role.OFFICER, zones=[loaded_zone])
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(kind=NoticeKind.CHASE, recipients=[officer], title="催办", zone=loaded_zone)
        raise RuntimeError
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_periodic_jobs_run_once_per_window_whatever_the_number_of_hosts(loaded_zone):
    from notifications.management.commands.run_periodic import Command

    now = timezone.now().replace(hour=9)
    for _host in range(2):
        Command().tick(now)
    names = sorted(JobRun.objects.values_list("job", flat=True))
    # stocktakes registers two daily jobs of its own: due dates and the ladder of assigned items.
    assert names == ["assigned-items", "assigned-items-escalation", "dispatch", "escalation", "reminders"]
    assert DBTaskResult.objects.filter(task_path="notifications.tasks.run_job").count() == 5
    run_worker()
    assert JobRun.objects.filter(finished_at__isnull=False).count() == 5
    # The next minute is a new window for the dispatch job only.
    Command().tick(now + timezone.timedelta(minutes=1))
    assert JobRun.objects.filter(job="dispatch").count() == 2 and JobRun.objects.count() == 6


SETUP = """
from django.db import transaction
from notifications.choices import Audience, ChannelKind, NoticeKind
from notifications.models import Channel
from notifications.services import notify
from notifications.tasks import dispatch
from tests.factories import make_zone, make_user
from core.roles import Role

zone = make_zone()
officer = make_user(Role.OFFICER, zones=[zone])
for path in ("/wecom", "/ding", "/generic"):
    kind = {"/wecom": ChannelKind.WECOM, "/ding": ChannelKind.DINGTALK, "/generic": ChannelKind.WEBHOOK}[path]
    Channel.objects.create(name=path, kind=kind, url=BASE + path, audience=Audience.ZONE, zone=zone,
                           secret="SECx" if path == "/ding" else "")
for n in range(40):
    with transaction.atomic():
        notify(kind=NoticeKind.CHASE, recipients=[officer], title=f"催办{n}", zone=zone, key=f"k{n}")
for _ in range(10):
    dispatch.enqueue()
"""

CLOSE_WINDOWS = """
from django.utils import timezone
from notifications.models import Delivery
Delivery.objects.update(send_after=timezone.now())
from notifications.tasks import dispatch
for _ in range(10):
    dispatch.enqueue()
"""


def test_two_workers_at_once_send_each_message_once(webhook, tmp_path, migrated_sqlite):
    """Two db_worker processes on one database file, racing over the same queue."""
    database = tmp_path / "two-workers.sqlite3"
    # A copy of the run's migrated database, as `manage.py migrate` would leave it.
    copy_sqlite(migrated_sqlite, database)
    env = environment({"SQLITE_PATH": str(database), "FTZ_DATA_DIR": str(tmp_path / "data")})

    def manage(*args, background=False):
        command = [sys.executable, "manage.py", *args]
        if background:
            return subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=env, stderr=subprocess.PIPE, text=True
            )
        done = subprocess.run(
            command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr
        return done

    manage("shell", "--no-imports", "-c", f"BASE = {webhook.base!r}\n" + textwrap.dedent(SETUP))
    for script in ("", CLOSE_WINDOWS):
        if script:
            manage("shell", "--no-imports", "-c", script)
        workers = [
            manage("db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v0", background=True)
            for _ in range(2)
        ]
        for worker in workers:
            _out, err = worker.communicate(timeout=600)
            assert worker.returncode == 0, err
    # 40 notices, three channels, one window: one message each, however the two workers interleaved.
    assert sorted(r.path for r in webhook.received) == ["/ding", "/generic", "/wecom"]
    assert webhook.to("/generic")[0].body["count"] == 40
    check = manage(
        "shell",
        "--no-imports",
        "-c",
        "from notifications.models import Delivery; "
        "print(sorted(Delivery.objects.values_list('status', 'attempts')))",
    )
    assert check.stdout.strip() == "[('sent', 1), ('sent', 1), ('sent', 1)]"
