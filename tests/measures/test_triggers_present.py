"""The database triggers the counts rest on (measures migrations 0019 and 0021) are all there once
every migration has run. On SQLite a later migration that rebuilds one of their tables (most
AddField or AlterField do: a copy, DROP TABLE, RENAME) drops that table's triggers without a word,
and the badge's counts and the dashboard's kept figures would then go stale; `migrate` therefore
drops them before and creates them again after (measures.db_triggers, test_triggers_survive_rebuild)."""

import importlib
import re

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

MIGRATIONS = [
    "measures.migrations.0019_submitted_report_counts",
    "measures.migrations.0021_open_period_figures",
    "measures.migrations.0025_task_list_data_version",
]


def expected():
    names = set()
    for name in MIGRATIONS:
        module = importlib.import_module(name)
        statements = module.SQLITE if connection.vendor == "sqlite" else module.POSTGRESQL
        names |= {
            found for statement in statements for found in re.findall(r"CREATE TRIGGER (\w+)", statement)
        }
    return names


def present():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {row[0] for row in cursor.fetchall()}


def test_every_trigger_of_the_counts_is_in_the_migrated_database():
    names = expected()
    assert len(names) >= 7
    assert names - present() == set()
