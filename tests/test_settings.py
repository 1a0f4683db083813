"""Database settings the issue asks for."""

import os

import pytest
from django.db import connection


@pytest.mark.django_db
def test_sqlite_runs_with_wal_and_immediate_transactions():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite settings only")
    options = connection.settings_dict["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert "journal_mode=WAL" in options["init_command"]


def test_database_url_selects_postgresql(monkeypatch):
    import dj_database_url

    config = dj_database_url.parse("postgres://u:p@127.0.0.1:5432/ftz")
    assert config["ENGINE"] == "django.db.backends.postgresql"


def test_postgresql_connections_turn_jit_off():
    """Set for every PostgreSQL connection: checked by reading the settings a deployment would get."""
    import subprocess
    import sys

    code = "from ftztracker import settings; print(settings.DATABASES['default']['OPTIONS'])"
    env = {**os.environ, "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/ftz"}
    output = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert "-c jit=off" in output.stdout


@pytest.mark.django_db
def test_the_postgresql_test_database_runs_without_jit():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL settings only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
