"""The migrated templates of tests.databases are told apart by what they were migrated from: a
directory holding a template of other migrations (or of another trigger module) never hands it out."""

import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps

from tests import databases


@pytest.fixture
def one_app(tmp_path, monkeypatch):
    """schema_key() over one app of our own, in tmp_path/app, with one migration, and one schema
    module of our own."""
    app = tmp_path / "app"
    (app / "migrations").mkdir(parents=True)
    (app / "migrations" / "__init__.py").write_text("")
    (app / "migrations" / "0001_initial.py").write_text("operations = []\n")
    triggers = tmp_path / "triggers.py"
    triggers.write_text("SQL = 'CREATE TRIGGER a'\n")
    config = SimpleNamespace(label="app", name="app", path=str(app))
    monkeypatch.setattr(apps, "get_app_configs", lambda: [config])
    # An absolute path stays itself when schema_key() joins it to BASE_DIR.
    monkeypatch.setattr(databases, "SCHEMA_MODULES", (str(triggers),))
    return SimpleNamespace(app=app, config=config, triggers=triggers)


def test_the_key_changes_with_any_migration_the_app_list_or_the_triggers(one_app):
    first = databases.schema_key()
    assert databases.schema_key() == first
    migration = one_app.app / "migrations" / "0001_initial.py"
    migration.write_text("operations = ['edited']\n")
    edited = databases.schema_key()
    assert edited != first
    migration.write_text("operations = []\n")
    assert databases.schema_key() == first
    (one_app.app / "migrations" / "0002_more.py").write_text("operations = []\n")
    added = databases.schema_key()
    assert added not in (first, edited)
    one_app.config.label = "renamed"
    renamed = databases.schema_key()
    assert renamed not in (first, edited, added)
    one_app.triggers.write_text("SQL = 'CREATE TRIGGER b'\n")
    assert databases.schema_key() not in (first, edited, added, renamed)


def test_the_real_key_reads_every_app_with_migrations():
    """Today's apps: measures' migrations and db_triggers exist where schema_key() looks."""
    measures = apps.get_app_config("measures")
    assert any((Path(measures.path) / "migrations").glob("0001_*.py"))
    assert all((databases.settings.BASE_DIR / name).is_file() for name in databases.SCHEMA_MODULES)
    assert len(databases.schema_key()) == 16


def test_a_sqlite_template_of_other_migrations_is_not_copied(one_app, tmp_path, monkeypatch):
    directory = tmp_path / "run"
    directory.mkdir()
    made = []

    def migrate(env, _directory):
        # Stands for the real migrate: a database that says which migrations it was made from.
        made.append(env["SQLITE_PATH"])
        with sqlite3.connect(env["SQLITE_PATH"]) as db:
            db.execute("CREATE TABLE made_from (migration TEXT)")
            db.execute("INSERT INTO made_from VALUES (?)", [migration.read_text()])
        db.close()

    def made_from(path):
        with sqlite3.connect(path) as db:
            row = db.execute("SELECT migration FROM made_from").fetchone()[0]
        db.close()
        return row

    migration = one_app.app / "migrations" / "0001_initial.py"
    monkeypatch.setattr(databases, "_migrate_in_subprocess", migrate)
    first = databases.sqlite_template(directory)
    assert databases.sqlite_template(directory) == first and len(made) == 1
    migration.write_text("operations = ['a new field']\n")
    second = databases.sqlite_template(directory)
    assert second != first and len(made) == 2
    assert made_from(second) == "operations = ['a new field']\n"
    assert made_from(first) == "operations = []\n"


def test_a_postgres_template_of_other_migrations_is_made_again(one_app, tmp_path, monkeypatch):
    directory = tmp_path / "run"
    directory.mkdir()
    statements, migrated = [], []

    class Admin:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def execute(self, sql, params=None):
            statements.append(sql)
            # Nobody connected to the template once it is migrated.
            return SimpleNamespace(fetchone=lambda: (0,))

    monkeypatch.setattr(databases, "admin_connection", lambda db: Admin())
    monkeypatch.setattr(databases, "_migrate_in_subprocess", lambda env, d: migrated.append(env))
    db = {"USER": "u", "PASSWORD": "p", "HOST": "h", "PORT": "5432"}
    name = databases.postgres_template(directory, db)
    assert databases.postgres_template(directory, db) == name and len(migrated) == 1
    (one_app.app / "migrations" / "0002_more.py").write_text("operations = []\n")
    databases.postgres_template(directory, db)
    assert len(migrated) == 2
    assert sum(sql.startswith(f'CREATE DATABASE "{name}"') for sql in statements) == 2
    # A marker left by a migration that did not finish (its name, no key) is not taken either.
    (directory / databases.POSTGRES_MARKER).write_text(name)
    databases.postgres_template(directory, db)
    assert len(migrated) == 3
    databases.drop_postgres_template(directory, db)
    assert statements[-1] == f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    assert not (directory / databases.POSTGRES_MARKER).exists()
