"""The small items of issue 14 (item 7): private caching, the language cookie, password reset,
the upload spool folder and X-Forwarded-For from anyone but the proxy."""

import os
import time

import pytest
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from rest_framework.authtoken.models import Token

from ftztracker.security import clean_upload_temp_dir, client_ip
from tests.security.test_login_throttle import fail, request_from, sign_in
from tests.security.test_production_settings import production_env, run

pytestmark = pytest.mark.django_db


# --- Cache-Control ----------------------------------------------------------------------------


def cache_parts(response):
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.parametrize(
    "url",
    [
        lambda w: reverse("measures:my"),
        lambda w: reverse("measures:task-list"),
        lambda w: reverse("zones:detail", args=[w.zone.code]),
        lambda w: w.task.get_absolute_url(),
        lambda w: reverse("measures:period-report-csv", args=[w.period.pk]),
        lambda w: reverse("api:task-list"),
        lambda w: reverse("api:schema"),
        lambda w: reverse("measures:evidence-download", args=[w.evidence.pk]),
    ],
)
def test_signed_in_pages_and_api_answers_are_private_and_not_stored(client, world, url):
    client.force_login(world.officer)
    response = client.get(url(world))
    assert response.status_code == 200
    parts = cache_parts(response)
    assert {"private", "no-store"} <= parts
    assert "public" not in parts and not any(p.startswith("max-age") and p != "max-age=0" for p in parts)


def test_api_answers_to_a_token_are_private_too(world):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token " + Token.objects.create(user=world.manager).key)
    assert {"private", "no-store"} <= cache_parts(api.get(reverse("api:task-list")))
    # Refusals under /api/ too: they say whether a token exists.
    assert {"private", "no-store"} <= cache_parts(APIClient().get(reverse("api:task-list")))


# --- language cookie --------------------------------------------------------------------------

PRINT_COOKIE_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps([s.LANGUAGE_COOKIE_SECURE, s.LANGUAGE_COOKIE_HTTPONLY, s.LANGUAGE_COOKIE_SAMESITE]))
"""


def test_the_language_cookie_is_secure_in_production(tmp_path):
    env = {**production_env(tmp_path), "DJANGO_SETTINGS_MODULE": "ftztracker.settings"}
    result = run(["-c", PRINT_COOKIE_SETTINGS], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == '[true, true, "Lax"]'


def test_the_language_cookie_carries_the_flags(client, settings):
    settings.LANGUAGE_COOKIE_SECURE = True
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


# --- password reset ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["password_reset", "password_reset_done", "password_reset_complete"])
def test_there_is_no_self_service_password_reset(client, name):
    with pytest.raises(NoReverseMatch):
        reverse(name)
    assert client.get("/accounts/password_reset/").status_code == 404
    assert client.get("/accounts/reset/MQ/set-password/").status_code == 404


def test_signing_in_and_changing_ones_password_still_work(client, world):
    assert client.get(reverse("login")).status_code == 200
    client.force_login(world.officer)
    assert client.get(reverse("password_change")).status_code == 200


# --- upload spool folder ----------------------------------------------------------------------


def test_uploads_spool_to_a_folder_of_their_own():
    assert os.path.isdir(settings.FILE_UPLOAD_TEMP_DIR)
    assert os.path.realpath(settings.FILE_UPLOAD_TEMP_DIR) != os.path.realpath("/tmp")


def test_start_up_removes_old_spool_files_only(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.FTZ_UPLOAD_TEMP_MAX_AGE = 3600
    old, fresh, other = (
        tmp_path / "tmpab12.upload.pdf",
        tmp_path / "tmpcd34.upload.docx",
        tmp_path / "keep.txt",
    )
    for path in (old, fresh, other):
        path.write_bytes(b"x")
    hours_ago = time.time() - 7200
    os.utime(old, (hours_ago, hours_ago))
    os.utime(other, (hours_ago, hours_ago))
    assert clean_upload_temp_dir() == 1
    assert not old.exists() and fresh.exists() and other.exists()


def test_every_process_start_cleans_the_spool(settings, tmp_path):
    import importlib

    import ftztracker.wsgi

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    left = tmp_path / "tmpkilled.upload.pdf"
    left.write_bytes(b"x")
    os.utime(left, (time.time() - 7200, time.time() - 7200))
    importlib.reload(ftztracker.wsgi)
    assert not left.exists()


# --- X-Forwarded-For from anyone but the proxy ------------------------------------------------


def test_forwarded_address_from_a_direct_client_is_ignored(settings):
    settings.FTZ_BEHIND_PROXY = True
    assert client_ip(request_from("198.51.100.7", "203.0.113.9")) == "198.51.100.7"
    settings.FTZ_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request_from("10.1.2.3", "203.0.113.9")) == "203.0.113.9"
    assert client_ip(request_from("127.0.0.1", "203.0.113.9")) == "127.0.0.1"


@pytest.fixture
def user():
    from core.roles import Role
    from tests.factories import make_user

    return make_user(Role.OFFICER, username="officer_x")


def test_a_direct_client_cannot_escape_the_lockout_by_forging_its_address(client, user, settings):
    settings.FTZ_BEHIND_PROXY = True
    direct = {"REMOTE_ADDR": "198.51.100.7"}
    for n in range(5):
        sign_in(client, "wrong-password", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}", **direct)
    response = sign_in(client, "pw-for-tests-1", HTTP_X_FORWARDED_FOR="203.0.113.99", **direct)
    assert response.status_code == 429
    # Through the proxy, another client's address is still its own.
    assert sign_in(client, "pw-for-tests-1", HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 302
    assert fail  # the throttle tests' helpers, shared


def test_a_direct_client_cannot_claim_https(client, settings):
    settings.FTZ_BEHIND_PROXY = True
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    forged = client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="198.51.100.7")
    assert forged.status_code == 301
    assert client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="https").status_code == 200
