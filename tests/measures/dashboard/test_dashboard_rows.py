"""The dashboard's tables built as rows of HTML (measures.templatetags.dashboard_tables) draw the
same cells as the template loops they replaced, in both languages and on the edge values: no
report (None), a rise, a fall, nothing assessed, a name that needs escaping."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import translation

from measures.changes.selectors import Tally
from measures.templatetags.dashboard_tables import change_rows, gap_rows

# The loops as the templates had them before the rows were built in Python.
CHANGE_LOOP = (
    '{% for tally in zones %}<tr data-zone="{{ tally.zone.code }}"><td>{{ tally.zone.short_name }}</td>'
    '<td class="num">{{ tally.average_before|default_if_none:"—" }}%</td><td class="num">'
    '{{ tally.average_now|default_if_none:"—" }}%</td><td class="num">{% if tally.average_delta > 0 %}+'
    '{% endif %}{{ tally.average_delta|default_if_none:"—" }}</td><td class="num" data-count="worsened">'
    '{{ tally.worsened }}</td><td class="num" data-count="improved">{{ tally.improved }}</td>'
    '<td class="num" data-count="new_problems">{{ tally.new_problems }}</td>'
    '<td class="num" data-count="resolved_problems">{{ tally.resolved_problems }}</td></tr>{% endfor %}'
)
GAP_LOOP = (
    '{% load i18n %}{% for row in gaps %}<tr><td>{{ row.zone.short_name }}</td><td class="num">'
    '{{ row.assessed }}</td>{% if row.assessed %}<td class="num">{{ row.reported|floatformat:0 }}%</td>'
    '<td class="num">{{ row.verified|floatformat:0 }}%</td><td class="num">{{ row.gap|floatformat:1 }}</td>'
    '<td class="num">{{ row.overstated }}</td>{% else %}<td class="num muted" colspan="4">'
    '{% translate "none assessed yet" %}</td>{% endif %}</tr>{% endfor %}'
)


def zone(code, name):
    return SimpleNamespace(code=code, short_name=name)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_changes_by_zone_as_the_loop_drew_them(language):
    tallies = [
        Tally(
            zone=zone("a&b", "<西青>"), tasks=3, percent_now=150, percent_before=90, worsened=2, improved=1
        ),
        Tally(zone=zone("b", "武清"), tasks=4, percent_now=40, percent_before=200, new_problems=3),
        Tally(zone=zone("c", "滨海"), tasks=2, percent_now=50, percent_before=50, resolved_problems=1),
        Tally(zone=zone("d", "东丽")),
    ]
    assert tallies[3].average_delta is None and tallies[0].average_delta > 0 > tallies[1].average_delta
    with translation.override(language):
        expected = Template(CHANGE_LOOP).render(Context({"zones": tallies}))
        assert change_rows(tallies) == expected
    assert "&lt;西青&gt;" in expected and "+20" in expected and "—%" in expected


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_verification_gaps_as_the_loop_drew_them(language):
    gaps = [
        {"zone": zone("a", "<西青>"), "assessed": 0},
        {
            "zone": zone("b", "武清"),
            "assessed": 3,
            "reported": Decimal("72.5"),
            "verified": 61.49,
            "gap": Decimal("11.05"),
            "overstated": 2,
        },
        {
            "zone": zone("c", "滨海"),
            "assessed": 1,
            "reported": 100.0,
            "verified": 0,
            "gap": -0.25,
            "overstated": 0,
        },
    ]
    with translation.override(language):
        expected = Template(GAP_LOOP).render(Context({"gaps": gaps}))
        assert gap_rows(gaps) == expected
        assert translation.gettext("none assessed yet") in expected
    assert "&lt;西青&gt;" in expected and "73%" in expected
