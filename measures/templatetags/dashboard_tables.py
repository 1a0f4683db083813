"""The dashboard's largest tables as rows of HTML: the chart across periods' numbers (a cell per
zone and period), by category and by supporting agency. At 200 zones, 800 categories and 25
periods they are some 20,000 cells, which took over a second through template loops; built
here they take a tenth of that. Every value is escaped (format_html) or a number."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

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
        format_html(
            '<td class="num">{}</td>', drill_link(base, count, light=light, **filters) if count else ""
        )
        for light, count in tally.lights()
    )


@register.simple_tag(takes_context=True)
def category_rows(context, rows):
    base = drill_base(context)
    lines = []
    for row in rows:
        category, tally = row["category"], row["tally"]
        name = format_html(
            '<td><a href="{}">{} {} {}</a></td><td class="num">{}</td>',
            category.get_absolute_url(),
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
