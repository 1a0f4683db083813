"""The light colours are defined once, as CSS custom properties in app.css; the dashboard's chart data
(Python) and dashboard.js only name them, so the three cannot drift apart."""

import re
from pathlib import Path

from django.conf import settings

from measures.dashboard.views import LIGHT_COLOURS, STATUS_COLOURS

STATIC = Path(settings.BASE_DIR) / "static"
ROOT_RULE = re.compile(r":root\s*\{(.*?)\}", re.S)
DEFINED = re.compile(r"(--[\w-]+)\s*:\s*(#[0-9a-fA-F]{3,6})\s*;")


def css_colours():
    root = ROOT_RULE.search((STATIC / "css" / "app.css").read_text()).group(1)
    return dict(DEFINED.findall(root))


def test_every_colour_python_and_js_name_is_defined_in_the_stylesheet():
    defined = css_colours()
    named = set(LIGHT_COLOURS.values()) | set(STATUS_COLOURS.values())
    script = (STATIC / "js" / "dashboard.js").read_text()
    named |= set(re.findall(r'"(--[\w-]+)"', script))
    assert {"--light-red", "--light-green", "--brand", "--chart-teal"} <= named
    assert named <= defined.keys(), named - defined.keys()


def test_light_values_are_written_nowhere_else():
    lights = {value.lower() for name, value in css_colours().items() if name.startswith("--light-")}
    assert "#d2222d" in lights
    sources = [
        STATIC / "js" / "dashboard.js",
        Path(settings.BASE_DIR) / "measures" / "dashboard" / "views.py",
    ]
    for source in sources:
        written = {value.lower() for value in re.findall(r"#[0-9a-fA-F]{6}\b", source.read_text())}
        assert not written & lights, (source.name, written & lights)


def test_the_light_badges_use_the_defined_colours():
    css = (STATIC / "css" / "app.css").read_text()
    for light in ("red", "yellow", "green", "closed"):
        assert f".light-{light} .dot {{ background: var(--light-{light}); }}" in css
