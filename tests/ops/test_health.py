"""/health/: 200 when the database answers and MEDIA_ROOT takes a file, else 503 naming the part."""

from unittest import mock

import pytest
from django.db import OperationalError, connection

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_healthy_without_signing_in(client, media):
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "media": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert "Set-Cookie" not in response.headers
    # The probe file is gone again; a missing folder was created like the first upload would.
    assert media.is_dir() and list(media.iterdir()) == []


def test_head_works_for_load_balancers(client):
    assert client.head("/health/").status_code == 200


def test_unwritable_media_is_503_without_details(client, settings, tmp_path):
    # A path below a regular file can be neither created nor written, even by root.
    (tmp_path / "not-a-folder").write_text("x")
    settings.MEDIA_ROOT = tmp_path / "not-a-folder" / "media"

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "media": "error"}
    assert "no-store" in response["Cache-Control"]


def test_database_failure_is_503_without_details(client, caplog):
    refused = OperationalError('connection to server at "10.0.0.5", port 5432 failed: password rejected')
    with mock.patch.object(connection, "cursor", side_effect=refused):
        response = client.get("/health/")

    assert response.status_code == 503
    assert response.json() == {"database": "error", "media": "ok"}
    assert b"10.0.0.5" not in response.content and b"password" not in response.content
    assert "10.0.0.5" in caplog.text  # the operator still finds the cause in the log


def test_only_reads_are_allowed(client):
    assert client.post("/health/").status_code == 405
