import datetime
import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

SOURCE_DIR = settings.BASE_DIR.parent / "shared" / "sources"
SOURCE_PLAN = SOURCE_DIR / "003_75cbf884333c7980.txt"
PLAN_FIXTURE = settings.PLAN_FIXTURE_DIR / "second-batch.json"
TRACKED_SINCE = datetime.date(2000, 1, 1)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the real plan once for the whole session (tests roll back around it)."""
    with django_db_blocker.unblock():
        call_command("load_plan", str(PLAN_FIXTURE), stdout=StringIO())
        # Tests date their periods freely (some years back): the session's plan is one tracked
        # from the start, as an install with history is. Tests of the tracking start set their own.
        from zones.models import Plan

        Plan.objects.update(tracking_start=TRACKED_SINCE)


@pytest.fixture(scope="session")
def source_text():
    if not SOURCE_PLAN.exists():
        pytest.fail(f"the source plan is missing: {SOURCE_PLAN}")
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
