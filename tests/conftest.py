import datetime
import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from whitenoise.middleware import WhiteNoiseMiddleware

from tests import databases

SOURCE_DIR = settings.BASE_DIR.parent / "shared" / "sources"
SOURCE_PLAN = SOURCE_DIR / "003_75cbf884333c7980.txt"
PLAN_FIXTURE = settings.PLAN_FIXTURE_DIR / "second-batch.json"
TRACKED_SINCE = datetime.date(2000, 1, 1)


def pytest_collection_modifyitems(items):
    # A test that serves pages to a browser is slow and needs Chromium: it must carry the e2e marker
    # so that `-m "not e2e"` leaves it out.
    unmarked = [
        item.nodeid
        for item in items
        if "live_server" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("e2e")
    ]
    if unmarked:
        raise pytest.UsageError("browser tests without the e2e marker: " + ", ".join(unmarked))


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty default cache, as a fresh process does: the task list's kept
    content (measures.tasks.page_cache) of a test's rolled-back rows must not reach the next test,
    whose rows may get the same ids and data version."""
    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def fast_password_hasher():
    """One cheap hasher for the whole suite: the default one costs about 0.3 s per password made or
    checked, and tests make thousands of users. Production keeps Django's default."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


def _static_settings(middleware):
    """Everything the static files WhiteNoise finds, and the headers it gives them, depend on."""
    names = [
        "STATICFILES_DIRS",
        "STATICFILES_FINDERS",
        "INSTALLED_APPS",
        "WHITENOISE_MIMETYPES",
        "WHITENOISE_ADD_HEADERS_FUNCTION",
        "WHITENOISE_IMMUTABLE_FILE_TEST",
    ]
    return (
        middleware.static_prefix,
        middleware.max_age,
        middleware.allow_all_origins,
        middleware.charset,
        *(repr(getattr(settings, name, None)) for name in names),
    )


@pytest.fixture(scope="session", autouse=True)
def static_files_found_once():
    """Each test client builds its own middleware, and WhiteNoise then lists and stats every static
    file of every app again (about a tenth of the suite's CPU time). A server builds it once per
    process: the files found are kept per set of settings they depend on, and served as before."""
    found = {}
    list_them = WhiteNoiseMiddleware.add_files_from_finders

    def add_files_from_finders(middleware):
        key = _static_settings(middleware)
        if key not in found:
            before = dict(middleware.files)
            list_them(middleware)
            found[key] = {url: f for url, f in middleware.files.items() if before.get(url) is not f}
        middleware.files.update(found[key])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WhiteNoiseMiddleware, "add_files_from_finders", add_files_from_finders)
        yield


@pytest.fixture(scope="session")
def template_directory(request, tmp_path_factory):
    """Where this run's migrated template databases are made (tests.databases)."""
    return databases.shared_directory(request.config, tmp_path_factory)


@pytest.fixture(scope="session")
def migrated_sqlite(template_directory):
    """A migrated SQLite file to copy for a test's own installation (tests.databases.copy_sqlite)."""
    return databases.sqlite_template(template_directory)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, template_directory):
    """The test database starts as a copy of the run's migrated template, not migrated from nothing."""
    databases.start_test_database_from_template(template_directory)


def pytest_sessionfinish(session):
    # The run's PostgreSQL template outlives every process's test database; the process that started
    # the run (xdist's controller, or the only one) drops it once they are done.
    if not hasattr(session.config, "workerinput") and connection.vendor == "postgresql":
        databases.drop_postgres_template(
            session.config._tmp_path_factory.getbasetemp(), connection.settings_dict
        )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the real plan once for the whole session (tests roll back around it)."""
    databases.release_holders()
    with django_db_blocker.unblock():
        call_command("load_plan", str(PLAN_FIXTURE), stdout=StringIO())
        # Tests date their periods freely (some years back): the session's plan is one tracked
        # from the start, as an install with history is. Tests of the tracking start set their own.
        from zones.models import Plan

        Plan.objects.update(tracking_start=TRACKED_SINCE)


def require_sources(*paths):
    """Skip the calling test when a source plan is missing (a clone without ../shared/sources)."""
    for path in paths:
        if not path.exists():
            pytest.skip(
                f"the source plan is missing: {path} (tests on the source texts need ../shared/sources)"
            )


@pytest.fixture(scope="session")
def source_text():
    require_sources(SOURCE_PLAN)
    return SOURCE_PLAN.read_text(encoding="utf-8")


def squash(text):
    """The source apart from whitespace and the PDF's bold markers."""
    return re.sub(r"\s+", "", text).replace("**", "")


@pytest.fixture
def plain_source(source_text):
    return squash(source_text)


@pytest.fixture
def tmp_plan(tmp_path, source_text):
    """Write a (possibly altered) copy of the source plan and return its path."""

    def write(text=None, name="plan.txt"):
        path = Path(tmp_path) / name
        path.write_text(source_text if text is None else text, encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the site's default language: a request in another language
    (Accept-Language: en) leaves that language active in the thread for the tests after it."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
