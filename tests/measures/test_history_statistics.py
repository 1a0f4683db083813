"""PostgreSQL knows how a person's history rows spread over kinds (measures 0024): without these
statistics the top bar's count of reports awaiting review read every report once the history table
had been analysed. SQLite has no such statistics."""

import importlib

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

migration = importlib.import_module("measures.migrations.0024_event_actor_kind_statistics")


def test_the_history_has_statistics_on_actor_and_kind_together():
    if connection.vendor != "postgresql":
        pytest.skip("extended statistics are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT stxkind, ARRAY(SELECT attname FROM pg_attribute WHERE attrelid = stxrelid"
            " AND attnum = ANY(stxkeys) ORDER BY attname) FROM pg_statistic_ext WHERE stxname = %s",
            [migration.NAME],
        )
        kinds, columns = cursor.fetchone()
    assert set(kinds) >= {"m", "f"} and columns == ["actor_id", "kind"]
