"""Database settings the issue asks for."""

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
