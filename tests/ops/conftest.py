"""Committed report data with evidence files, and an empty second installation to restore into."""

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from core.roles import Role
from measures import services
from measures.choices import TaskStatus
from measures.models import ReportingPeriod, Task
from tests import databases as template_databases
from tests.conftest import PLAN_FIXTURE
from tests.factories import make_user
from tests.measures.upload_samples import PDF, png, upload
from zones.models import Plan


@pytest.fixture
def reported(transactional_db, settings, tmp_path):
    """The plan, a submitted report with two files and a link, all committed so pg_dump sees them."""
    call_command("load_plan", str(PLAN_FIXTURE), stdout=StringIO())
    settings.MEDIA_ROOT = tmp_path / "media"
    task = Task.objects.get(zone__code="xiqing", number=1)
    period = ReportingPeriod.objects.create(
        plan=Plan.objects.get(code="second-batch"),
        name="2026年第四季度",
        start=datetime.date(2026, 10, 1),
        end=datetime.date(2026, 12, 31),
        deadline=datetime.date(2027, 1, 10),
    )
    officer = make_user(Role.OFFICER, zones=[task.zone])
    data = {"status": TaskStatus.ON_TRACK, "percent_complete": 40, "progress": "完成方案编制"}
    report = services.save_report(task=task, period=period, user=officer, data=data)
    for content, name in [(PDF, "进展报告.pdf"), (png(), "现场照片.png")]:
        services.add_file_evidence(
            report=report, user=officer, uploaded_file=upload(content, name), description=name
        )
    services.add_link_evidence(
        report=report, user=officer, url="https://example.org/news", description="报道"
    )
    services.submit_report(report=report, user=officer)
    return report


@pytest.fixture
def backup(reported, tmp_path):
    out = StringIO()
    call_command("backup", output=tmp_path / "backups", stdout=out)
    return Path(out.getvalue().strip())


@pytest.fixture
def installation(tmp_path, template_directory):
    """Make installations (environment variables) of the test database's vendor: empty, or
    `migrated` (a copy of the run's migrated template, as `manage.py migrate` would leave it)."""
    databases = []

    def make(name, migrated=False):
        env = {"FTZ_DATA_DIR": str(tmp_path / name), "MEDIA_ROOT": str(tmp_path / name / "media")}
        if connection.vendor != "postgresql":
            path = tmp_path / name / "ftz.sqlite3"
            if migrated:
                template_databases.copy_sqlite(template_databases.sqlite_template(template_directory), path)
            return {**env, "SQLITE_PATH": str(path)}
        db = connection.settings_dict
        # Named after the test database, so parallel runs against other databases never meet.
        databases.append(f"{db['NAME']}_{name}")
        if migrated:
            template_databases.create_postgres_from_template(template_directory, db, databases[-1])
        else:
            with template_databases.admin_connection(db) as admin:
                template_databases.drop_database(admin, databases[-1])
                admin.execute(f'CREATE DATABASE "{databases[-1]}"')
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{databases[-1]}"
        return {**env, "DATABASE_URL": url}

    yield make
    if databases:
        with template_databases.admin_connection(connection.settings_dict) as admin:
            for name in databases:
                template_databases.drop_database(admin, name)


@pytest.fixture
def target(installation):
    return installation("restore")
