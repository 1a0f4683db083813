"""A process that kept its SQLite connection open reads and writes the restored file, not the one
restore renamed over (core.sqlite_file)."""

import os
import sqlite3

import pytest
from django.db.utils import ConnectionHandler

from core.sqlite_file import follow_replaced_file


@pytest.fixture(autouse=True)
def own_databases(django_db_blocker):
    """These tests open their own files, not the test database."""
    with django_db_blocker.unblock():
        yield


def database(path, value):
    db = sqlite3.connect(path)
    with db:
        db.execute("CREATE TABLE note (text TEXT)")
        db.execute("INSERT INTO note VALUES (?)", [value])
    db.close()


def kept_connection(path):
    settings = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path), "CONN_MAX_AGE": 600}
    wrapper = ConnectionHandler({"default": settings})["default"]
    wrapper.ensure_connection()
    return wrapper


def read(wrapper):
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT text FROM note ORDER BY rowid")
        return [row[0] for row in cursor.fetchall()]


def test_a_kept_connection_follows_a_restored_file(tmp_path):
    live, restored = tmp_path / "db.sqlite3", tmp_path / "restored.sqlite3"
    database(live, "before the restore")
    database(restored, "from the backup")
    wrapper = kept_connection(live)
    try:
        assert read(wrapper) == ["before the restore"]
        os.replace(restored, live)  # what manage.py restore does
        assert read(wrapper) == ["before the restore"]  # still the file that has no name now
        follow_replaced_file(connection=wrapper)
        assert read(wrapper) == ["from the backup"]
        with wrapper.cursor() as cursor:
            cursor.execute("INSERT INTO note VALUES ('recorded after')")
    finally:
        wrapper.close()
    db = sqlite3.connect(live)
    assert [row[0] for row in db.execute("SELECT text FROM note ORDER BY rowid")] == [
        "from the backup",
        "recorded after",
    ]
    db.close()


def test_a_connection_to_the_same_file_is_kept(tmp_path):
    live = tmp_path / "db.sqlite3"
    database(live, "kept")
    wrapper = kept_connection(live)
    try:
        raw = wrapper.connection
        follow_replaced_file(connection=wrapper)
        assert wrapper.connection is raw
    finally:
        wrapper.close()


def test_every_request_and_new_connection_is_checked():
    from django.core.signals import request_started
    from django.db.backends.signals import connection_created

    from core.sqlite_file import remember_file

    assert follow_replaced_file in request_started._live_receivers(None)[0]
    assert remember_file in connection_created._live_receivers(None)[0]
