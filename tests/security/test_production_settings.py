"""FTZ_PRODUCTION=1: HTTPS-only settings that pass `check --deploy`, and refusal to start half-configured.

Settings are read once per process, so each variant runs manage.py in a subprocess with its own
environment. FTZ_DATA_DIR points at a temporary folder so nothing is written into the checkout.
"""

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

MANAGE = settings.BASE_DIR / "manage.py"
# Variables that would change the outcome if the developer or another test set them.
OURS = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "FTZ_PRODUCTION",
    "FTZ_BEHIND_PROXY",
    "FTZ_SSL_REDIRECT",
    "FTZ_HSTS_SECONDS",
    "FTZ_HSTS_INCLUDE_SUBDOMAINS",
    "FTZ_HSTS_PRELOAD",
    # Set by tests/e2e/conftest.py for Playwright; a deployment must not have it (async.E001).
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def production_env(tmp_path, **extra):
    env = {key: value for key, value in os.environ.items() if key not in OURS}
    env.update(
        FTZ_DATA_DIR=str(tmp_path),
        FTZ_PRODUCTION="1",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="ftz.example.gov.cn",
    )
    env.update(extra)
    return {key: value for key, value in env.items() if value is not None}


def run(args, env):
    return subprocess.run(
        [sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def deploy_check(env):
    return run([str(MANAGE), "check", "--deploy", "--fail-level", "WARNING"], env)


def test_check_deploy_passes_with_the_production_switch(tmp_path):
    result = deploy_check(production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_without_it(tmp_path):
    # The same command on the laptop settings must fail, or the test above proves nothing.
    env = production_env(tmp_path, FTZ_PRODUCTION=None, ALLOWED_HOSTS=None)
    result = deploy_check(env)
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_check_deploy_fails_with_a_weak_secret_key(tmp_path):
    result = deploy_check(production_env(tmp_path, SECRET_KEY="short"))
    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_preload_is_opt_in_and_then_checked_in_full(tmp_path):
    result = deploy_check(production_env(tmp_path, FTZ_HSTS_PRELOAD="1"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 silenced" in result.stdout


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"SECRET_KEY": None}, "needs SECRET_KEY"),
        ({"ALLOWED_HOSTS": None}, "needs ALLOWED_HOSTS"),
        ({"DEBUG": "1"}, "DEBUG must be off"),
    ],
    ids=["no-secret-key", "no-allowed-hosts", "debug-on"],
)
def test_production_refuses_to_start_half_configured(tmp_path, missing, message):
    result = deploy_check(production_env(tmp_path, **missing))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr
    # No key was generated into the data folder as a fallback.
    assert not (tmp_path / "secret_key").exists()


PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
names = ["DEBUG", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
         "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER", "SECURE_REDIRECT_EXEMPT"]
print(json.dumps({name: getattr(s, name) for name in names}))
"""


def effective_settings(env):
    result = run(["-c", PRINT_SETTINGS], {**env, "DJANGO_SETTINGS_MODULE": "ftztracker.settings"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_values(tmp_path):
    values = effective_settings(production_env(tmp_path, FTZ_BEHIND_PROXY="1", FTZ_HSTS_SECONDS="3600"))
    assert values == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        # Load balancers probe /health/ over plain HTTP.
        "SECURE_REDIRECT_EXEMPT": ["^health/$"],
    }
    # Without a proxy the forwarded header is not trusted at all.
    assert effective_settings(production_env(tmp_path))["SECURE_PROXY_SSL_HEADER"] is None


@pytest.fixture
def https_settings(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # As settings.py sets them together; the header is believed only from the trusted proxy.
    settings.FTZ_BEHIND_PROXY = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True


@pytest.mark.django_db
def test_plain_http_is_redirected_and_https_gets_hsts(client, https_settings):
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response.url == "https://testserver/accounts/login/"
    # What the proxy sends after terminating TLS.
    secure = client.get("/accounts/login/", headers={"x-forwarded-proto": "https"})
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert secure.cookies["csrftoken"]["secure"]
