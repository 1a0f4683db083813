"""The dashboard's largest tables as rows of HTML: the chart across periods' numbers (a cell per
zone and period), by category and by supporting agency. At 200 zones, 800 categories and 25
periods they are some 20,000 cells, which took over a second through template loops; built
here they take a tenth of that. Every value is escaped (format_html) or a number."""

from django import template
from django.template.defaultfilters import floatformat
from django.template.defaulttags import CsrfTokenNode
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from measures.templatetags.reporting import drill_base, drill_link

register = template.Library()


def _percent(value):
    return "—" if value is None else f"{value}%"


@register.simple_tag
def history_rows(history, key):
    """One row per zone, a cell per period: `key` is "average" (a percent) or "score"."""
    lines = []
    for series in history["series"]:
        if key == "average":
            cells = "".join(
                f'<td class="num">{_percent(point["average"])}</td>' for point in series["points"]
            )
        else:
            cells = "".join(
                '<td class="num">{}</td>'.format("—" if point["score"] is None else point["score"])
                for point in series["points"]
            )
        lines.append(format_html("<tr><td>{}</td>", series["zone"].short_name) + cells + "</tr>")
    return mark_safe("\n".join(lines))  # noqa: S308 - escaped names and numbers


def _light_cells(base, tally, **filters):
    return "".join(
        f'<td class="num">{drill_link(base, count, light=light, **filters) if count else ""}</td>'
        for light, count in tally.lights()
    )


def _zone_url(context, zone):
    """The zone's address, reversed once per zone and page."""
    urls = context.render_context.setdefault("zone_urls", {})
    if zone.pk not in urls:
        urls[zone.pk] = zone.get_absolute_url()
    return urls[zone.pk]


@register.simple_tag(takes_context=True)
def category_rows(context, rows):
    base = drill_base(context)
    lines = []
    for row in rows:
        category, tally = row["category"], row["tally"]
        name = format_html(
            '<td><a href="{}">{} {} {}</a></td><td class="num">{}</td>',
            category.get_absolute_url(zone_url=_zone_url(context, category.zone)),
            category.zone.short_name,
            category.display_number,
            Truncator(category.display_title).chars(60),
            tally.tasks,
        )
        average = f'<td class="num">{_percent(tally.average_percent)}</td>'
        lines.append(f"<tr>{name}{_light_cells(base, tally, category=category.pk)}{average}</tr>")
    return mark_safe("\n".join(lines))  # noqa: S308 - escaped names and numbers


@register.simple_tag(takes_context=True)
def agency_rows(context, rows):
    base = drill_base(context)
    lines = []
    for row in rows:
        agency, tally = row["agency"], row["tally"]
        name = format_html(
            '<td><a href="{}">{}</a></td><td class="num">{}</td>',
            agency.get_absolute_url(),
            agency.display_name,
            tally.tasks,
        )
        rate = f'<td class="num">{_percent(tally.rate)}</td>'
        lines.append(f"<tr>{name}{_light_cells(base, tally, agency=agency.pk)}{rate}</tr>")
    return mark_safe("\n".join(lines))  # noqa: S308 - escaped names and numbers


# The tables with a row per zone (200 at the benchmark's scale, some 3,000 counts linking to the
# task list): built here like the ones above, the same cells as the template loops drew.


def _drill(base, count, **filters):
    """The drill tag's cell content: a count as its link, a zero as plain text."""
    return drill_link(base, count, **filters) if count else str(count)


def _zone_link(context, zone):
    return format_html('<a href="{}">{}</a>', _zone_url(context, zone), zone.short_name)


@register.simple_tag(takes_context=True)
def reporting_rows(context, rows):
    """Reporting rate by zone, with the chase (催办) form where a zone has reports missing."""
    base = drill_base(context)
    period = context["period"]
    flagged = context["deadline_passed"]
    chase = context["owed"] and not period.is_locked and not context.get("as_of")
    form = ""
    if chase:
        form = format_html(
            '<input type="hidden" name="period" value="{}"><input type="hidden" name="next" value="{}">'
            '<button class="button small" type="submit">{}</button></form>',
            period.pk,
            context["request"].get_full_path(),
            _("Chase (催办)"),
        )
        token = CsrfTokenNode().render(context)
    lines = []
    for row in rows:
        zone, tally = row["zone"], row["tally"]
        code = zone.code
        missing = _drill(base, tally.missing, zone=code, reported="missing")
        rate = "—" if tally.rate is None else f"{tally.rate}%"
        action = ""
        if chase and tally.missing:
            url = escape(reverse("measures:zone-chase", args=[code]))
            action = f'<form method="post" action="{url}">{token}{form}'
        lines.append(
            f'<tr><td>{_zone_link(context, zone)}</td><td class="num">{tally.open}</td>'
            f'<td class="num">{_drill(base, tally.on_time, zone=code, reported="on_time")}</td>'
            f'<td class="num">{_drill(base, tally.late, zone=code, reported="late")}</td>'
            f'<td class="num{" flag" if tally.missing and flagged else ""}">{missing}</td>'
            f'<td class="num">{rate}</td><td>{action}</td></tr>'
        )
    return mark_safe("\n".join(lines))  # noqa: S308 - escaped names and numbers


def _count_rows(context, rows, counts, name_cell):
    """A row per zone: its name cell, then each (value, count) of `counts(tally)` as the count
    linked to the task list filtered by it (`counts` names the filter it fills)."""
    base = drill_base(context)
    key, read = counts
    lines = []
    for row in rows:
        code = row["zone"].code
        cells = "".join(
            f'<td class="num">{_drill(base, count, zone=code, **{key: value})}</td>'
            for value, count in read(row["tally"])
        )
        lines.append(f"<tr><td>{name_cell(row['zone'])}</td>{cells}</tr>")
    return mark_safe("\n".join(lines))  # noqa: S308 - escaped names and numbers


@register.simple_tag(takes_context=True)
def status_rows(context, rows):
    """Status by zone: a count per status."""
    return _count_rows(
        context, rows, ("status", lambda tally: tally.statuses()), lambda zone: escape(zone.short_name)
    )


@register.simple_tag(takes_context=True)
def lights_rows(context, rows):
    """Lights by zone: a count per light."""
    return _count_rows(
        context, rows, ("light", lambda tally: tally.lights()), lambda zone: _zone_link(context, zone)
    )


@register.simple_tag(takes_context=True)
def ranking_rows(context, rows):
    """The zone ranking: on time of due, average completion, score."""
    base = drill_base(context)
    lines = []
    for place, row in enumerate(rows, start=1):
        zone, tally = row["zone"], row["tally"]
        on_time = _drill(base, tally.on_time, zone=zone.code, reported="on_time")
        lines.append(
            format_html('<tr><td class="num">{}</td><td>{}</td>', place, zone.short_name)
            + f'<td class="num">{on_time}/{tally.due}</td><td class="num">{tally.average_percent}%</td>'
            f'<td class="num"><strong>{localize(tally.score)}</strong></td></tr>'
        )
    return mark_safe("\n".join(lines))  # noqa: S308 - escaped names and numbers


def _or_dash(value):
    return "—" if value is None else value


@register.simple_tag
def change_rows(tallies):
    """The movers' table of changes by zone (measures.changes.selectors.Tally per zone): the
    cells the template loop drew, 200 rows at the benchmark's scale."""
    lines = []
    for tally in tallies:
        zone, delta = tally.zone, tally.average_delta
        sign = "+" if delta is not None and delta > 0 else ""
        lines.append(
            f'<tr data-zone="{conditional_escape(zone.code)}"><td>{conditional_escape(zone.short_name)}</td>'
            f'<td class="num">{_or_dash(tally.average_before)}%</td>'
            f'<td class="num">{_or_dash(tally.average_now)}%</td>'
            f'<td class="num">{sign}{_or_dash(delta)}</td>'
            f'<td class="num" data-count="worsened">{tally.worsened}</td>'
            f'<td class="num" data-count="improved">{tally.improved}</td>'
            f'<td class="num" data-count="new_problems">{tally.new_problems}</td>'
            f'<td class="num" data-count="resolved_problems">{tally.resolved_problems}</td></tr>'
        )
    return mark_safe("".join(lines))  # noqa: S308 - escaped names and numbers


@register.simple_tag
def gap_rows(gaps):
    """Self-reported beside verified progress per zone (measures.review.selectors.verification_gaps):
    the template loop's cells, its percents through the same floatformat filter."""
    none_yet = f'<td class="num muted" colspan="4">{escape(_("none assessed yet"))}</td>'
    lines = []
    for row in gaps:
        cells = none_yet
        if row["assessed"]:
            cells = (
                f'<td class="num">{floatformat(row["reported"], 0)}%</td>'
                f'<td class="num">{floatformat(row["verified"], 0)}%</td>'
                f'<td class="num">{floatformat(row["gap"], 1)}</td><td class="num">{row["overstated"]}</td>'
            )
        lines.append(
            f"<tr><td>{conditional_escape(row['zone'].short_name)}</td>"
            f'<td class="num">{row["assessed"]}</td>{cells}</tr>'
        )
    return mark_safe("".join(lines))  # noqa: S308 - escaped names and numbers
