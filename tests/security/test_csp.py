"""Content-Security-Policy: every page gets the strict policy, the evidence download keeps its own
sandbox policy, and no template carries inline code or styles the policy would block."""

import re
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from tests.helpers import drain

EXPECTED = {
    "default-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}


def parse(header):
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = set(values)
    return directives


def assert_page_policy(response):
    policy = parse(response["Content-Security-Policy"])
    assert policy == EXPECTED
    # Scripts and styles fall back to default-src: this site only, nothing inline, no eval.
    assert "script-src" not in policy and "style-src" not in policy
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header


@pytest.mark.django_db
def test_sign_in_page_has_the_policy(client):
    assert_page_policy(client.get(reverse("login")))


@pytest.mark.parametrize(
    "url",
    [
        lambda w: "/",  # the manager's dashboard, the page with charts
        lambda w: reverse("measures:task-list"),
        lambda w: w.task.get_absolute_url(),
        lambda w: reverse("measures:report-edit", args=[w.zone.code, w.task.number, w.period.pk]),
        lambda w: reverse("zones:detail", args=[w.zone.code]),
        lambda w: reverse("measures:period-report-html", args=[w.period.pk]),
        lambda w: reverse("admin:index"),
        lambda w: "/no-such-page/",
    ],
    ids=["dashboard", "task-list", "task-page", "report-form", "zone", "period-report", "admin", "404"],
)
def test_pages_have_the_policy(client, world, url):
    world.manager.is_staff = world.manager.is_superuser = True
    world.manager.save()
    client.force_login(world.manager)
    assert_page_policy(client.get(url(world)))


def test_evidence_download_keeps_its_sandbox_policy(client, world):
    client.force_login(world.officer)
    response = client.get(reverse("measures:evidence-download", args=[world.evidence.pk]))
    drain(response)
    assert response.status_code == 200
    # Exactly the view's header: the middleware neither replaced it nor added a second one.
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response.headers.get("Content-Security-Policy-Report-Only") is None
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")


# What default-src 'self' blocks in markup: inline <script> (json_script's application/json data
# is fine, it is never run), on*= handlers, javascript: URLs, style="..." and <style> blocks.
BLOCKED = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I),
    "event handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "style element": re.compile(r"<style[\s>]", re.I),
}


def project_templates():
    folders = [Path(folder) for engine in settings.TEMPLATES for folder in engine["DIRS"]]
    # The project's own apps only; third-party templates (the admin's) are not ours to change.
    venv = Path(sys.prefix)
    folders += [
        Path(config.path) / "templates"
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(settings.BASE_DIR) and not Path(config.path).is_relative_to(venv)
    ]
    return sorted(path for folder in folders if folder.is_dir() for path in folder.rglob("*.html"))


def test_templates_have_nothing_the_policy_would_block():
    templates = project_templates()
    assert any(path.name == "task_detail.html" for path in templates)
    found = [
        f"{path.relative_to(settings.BASE_DIR)}:{text.count(chr(10), 0, match.start()) + 1}: {kind}"
        for path in templates
        for text in [path.read_text(encoding="utf-8")]
        for kind, pattern in BLOCKED.items()
        for match in pattern.finditer(text)
    ]
    assert found == []


@pytest.mark.parametrize(
    ("markup", "kind"),
    [
        ('<select id="period-select" name="period" onchange="this.form.submit()">', "event handler"),
        ('<span style="width: 40%"></span>', "style attribute"),
        ("<script>alert(1)</script>", "inline script"),
        ('<a href="javascript:void(0)">', "javascript: URL"),
        ("<style>p {}</style>", "style element"),
        ('<script src="/static/js/app.js" defer></script>', None),
        ('<script id="chart-data" type="application/json">{}</script>', None),
        ('<select name="period" data-autosubmit>', None),
        ('<progress class="progressbar" max="100" value="40">', None),
    ],
)
def test_the_template_scan_recognises_blocked_markup(markup, kind):
    assert [name for name, pattern in BLOCKED.items() if pattern.search(markup)] == ([kind] if kind else [])
