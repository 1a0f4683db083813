"""Template helpers for reports: lights, states and readable history entries."""

import html
from urllib.parse import quote_plus

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.i18n import cjk_spacing
from core.links import INT, SLUG, url_former
from measures.choices import Assessment, EventKind, Light, ReportState, TaskStatus
from measures.models import ProgressReport
from measures.reporting.models import REPORT_FIELDS

register = template.Library()

FIELD_NAMES = frozenset(REPORT_FIELDS)


@register.simple_tag(takes_context=True)
def light_badge(context, light, reasons=(), compact=False):
    """A light's badge (measures/includes/light.html), drawn once per distinct light, reasons and
    size in a template: a list has few distinct badges, and rendering the include for every row
    was a fifth of the task list's time and more of the period report's (20,000 rows)."""
    light = Light(light) if light else Light.NONE
    reasons = tuple(str(reason) for reason in reasons or ())
    key = ("light_badge", light, reasons, bool(compact))
    drawn = context.render_context
    if key not in drawn:
        template = context.template.engine.get_template("measures/includes/light.html")
        drawn[key] = template.render(context.new({"light": light, "reasons": reasons, "compact": compact}))
    return drawn[key]


@register.simple_tag(takes_context=True)
def agency_chips(context, agencies):
    """The supporting agencies as linked chips; each agency's chip is built once per template,
    since the same few agencies recur on most rows of a list."""
    drawn = context.render_context.setdefault("agency_chips", {})
    chips = []
    agency_url = None
    for agency in agencies:
        if agency.pk not in drawn:
            # Agency.get_absolute_url, formed without a reverse() per agency (core.links).
            agency_url = agency_url or url_former("zones:agency-detail", INT)
            drawn[agency.pk] = (
                f'<li><a href="{_escaped(agency_url(agency.pk))}" title="{_escaped(agency.name_en)}">'
                f"{_escaped(agency.display_name)}</a></li>"
            )
        chips.append(drawn[agency.pk])
    return mark_safe(f'<ul class="chips">{"".join(chips)}</ul>')


@register.simple_tag(takes_context=True)
def task_list_rows(context, tasks):
    """The task list's rows (tasks annotated by measures.tasks.selectors.task_list and given their
    light by attach_lights), written in Python: drawn cell by cell through the template language,
    the 25 rows were a third of the page's time. What each cell shows is as the template wrote it
    (tests/measures/tasks compare the page with the rows drawn by the template).

    Joined as text with each value escaped as format_html would (_escaped), and the cells that
    recur on a page (zone, category, status and state labels, agency chips) made once each:
    format_html's argument handling and an escape per value per row were most of the rows' time."""
    zone_cells, category_cells, labels, chip_lists = {}, {}, {}, {}
    withdrawn = None
    rows = []
    # Zone.get_absolute_url and Task.get_absolute_url, formed without a reverse() per row.
    zone_url = url_former("zones:detail", SLUG)
    task_url = url_former("measures:task-detail", SLUG, INT)
    for task in tasks:
        zone = task.zone
        zone_cell = zone_cells.get(zone.pk)
        if zone_cell is None:
            zone_cell = zone_cells[zone.pk] = (
                f'<a href="{_escaped(zone_url(zone.code))}">{_escaped(zone.short_name)}</a>'
            )
        if task.withdrawn_at and withdrawn is None:
            withdrawn = f' <span class="state state-withdrawn">{_escaped(_("Withdrawn (撤销)"))}</span>'
        report = ""
        if task.report_status:
            status = (status_label, task.report_status)
            state = (state_label, task.report_state)
            for key in (status, state):
                if key not in labels:
                    labels[key] = _escaped(key[0](key[1]))
            report = f" · {labels[status]} {_escaped(task.report_percent)}% · {labels[state]}"
        category = task.category
        category_key = category.pk if category else None
        category_cell = category_cells.get(category_key)
        if category_cell is None:
            category_cell = category_cells[category_key] = (
                f"{_escaped(category.display_number)} {_escaped(category.display_title)}" if category else " "
            )
        agencies = task.listed_agencies
        agency_ids = tuple(agency.pk for agency in agencies)
        chips = chip_lists.get(agency_ids)
        if chips is None:
            chips = chip_lists[agency_ids] = agency_chips(context, agencies)
        rows.append(
            f'\n    <tr><td>{zone_cell}</td><td class="num">{_escaped(task.display_number)}</td>'
            f'<td class="light-col">{light_badge(context, task.light, task.light_reasons, True)}</td>\n'
            f'      <td><a href="{_escaped(task_url(zone.code, task.number))}">'
            f"{_escaped(task.display_title)}</a>{withdrawn if task.withdrawn_at else ''}"
            f'<div class="muted small">{_escaped(task.source_ref)}{report}</div></td>\n'
            f'      <td class="small">{category_cell}</td>\n'
            f"      <td>{chips}</td></tr>\n  "
        )
    return mark_safe("".join(rows))


def _escaped(value):
    """conditional_escape(value) as text, with a plain string (most values) escaped directly."""
    if type(value) is str:
        return html.escape(value)
    return str(conditional_escape(value))


@register.filter
def state_label(value):
    return ReportState(value).label if value in ReportState.values else "—"


@register.filter
def status_label(value):
    return TaskStatus(value).label if value in TaskStatus.values else "—"


def _field_value(field, value, agencies):
    if value in (None, ""):
        return "—"
    if field == "status":
        return status_label(value)
    if field == "percent_complete":
        return f"{value}%"
    if field == "support_agency":
        return agencies.get(value, str(value))
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"


@register.simple_tag
def event_lines(event, agencies=None):
    """Readable 'what changed' lines of one history entry."""
    agencies = agencies or {}
    changes = event.changes or {}
    lines = []
    if event.kind in (EventKind.CREATED, EventKind.EDITED):
        for field, pair in changes.items():
            if field not in FIELD_NAMES:
                continue
            label = capfirst(ProgressReport._meta.get_field(field).verbose_name)
            old, new = pair
            if event.kind == EventKind.CREATED:
                if new in (None, ""):
                    continue
                lines.append(f"{label}: {_field_value(field, new, agencies)}")
            else:
                lines.append(
                    f"{label}: {_field_value(field, old, agencies)} → {_field_value(field, new, agencies)}"
                )
    elif event.kind == EventKind.ACCEPTED and "assessment" in changes:
        lines.append(assessment_line(changes))
    elif "evidence" in changes:
        what = changes.get("name") or changes.get("url") or ""
        lines.append(f"{changes.get('description', '')} ({what})")
    elif "milestone" in changes:
        line = changes.get("title", "")
        if isinstance(line, list):
            line = f"{line[0]} → {line[1]}"
        due = changes.get("due")
        if isinstance(due, list):
            due = f"{due[0]} → {due[1]}"
        lines.append(_("%(title)s, due %(due)s") % {"title": line, "due": due} if due else line)
    elif "request" in changes:
        lines.append(changes.get("agency", ""))
    elif "zone" in changes:
        lines.append(
            _("%(tasks)s outstanding, %(recipients)s recipient(s)")
            % {"tasks": changes.get("tasks"), "recipients": changes.get("recipients")}
        )
    return lines


# Who did what, when: the history's sentences, worded here once and spaced one way (cjk_spacing),
# so no page sets a name against its verb differently (张三于 … 退回 vs 张三 于 … 退回).
HISTORY_SENTENCES = {
    "edited": gettext_lazy("Last edited by %(who)s on %(when)s."),
    "saved": gettext_lazy("Last saved by %(who)s on %(when)s."),
    "submitted": gettext_lazy("Submitted by %(who)s on %(when)s."),
    "signed_off": gettext_lazy("Signed off by %(who)s on %(when)s."),
    "accepted": gettext_lazy("Accepted by %(who)s on %(when)s."),
    "sent_back": gettext_lazy("Sent back by the zone leader %(who)s on %(when)s."),
    "returned": gettext_lazy("Returned by %(who)s on %(when)s."),
    "closed": gettext_lazy("Closed off by %(who)s on %(when)s."),
    "reopened": gettext_lazy("Reopened by %(who)s on %(when)s:"),
    "proposed": gettext_lazy("Proposed by %(who)s on %(when)s"),
}


def person(user):
    return (user.get_full_name() or user.username) if user is not None else "—"


@register.simple_tag
def history_line(kind, who, when, on_behalf_of=None):
    """One sentence of HISTORY_SENTENCES for `who` (a user) at `when` (already formatted), with
    the person stood in for when a deputy acted."""
    line = HISTORY_SENTENCES[kind] % {"who": person(who), "when": when}
    if on_behalf_of is not None:
        line = f"{line} {_('(deputy for %(principal)s)') % {'principal': person(on_behalf_of)}}"
    return cjk_spacing(line)


@register.simple_tag
def actor_name(event):
    """Who took a history step: the person, or "<deputy> for <them>" when a deputy acted."""
    if getattr(event, "on_behalf_of_id", None) is None:
        return cjk_spacing(person(event.actor))
    return cjk_spacing(
        _("%(deputy)s for %(principal)s")
        % {"deputy": person(event.actor), "principal": person(event.on_behalf_of)}
    )


@register.filter
def filesize(value):
    if value is None:
        return ""
    if value < 1024:
        return f"{value} B"
    if value < 1024 * 1024:
        return f"{value / 1024:.0f} KB"
    return f"{value / 1024 / 1024:.1f} MB"


@register.simple_tag(takes_context=True)
def drill(context, count, **filters):
    """A dashboard count as a link to the task list filtered to exactly the tasks it counts (the
    plan and period shown, plus `filters`); a zero stays plain text, there is nothing to open."""
    if not count:
        return count
    return drill_link(drill_base(context), count, **filters)


def drill_base(context):
    """The task list's URL with the plan and period shown, built once per page (thousands of
    counts link to it on a dashboard of 200 zones)."""
    drawn = context.render_context
    if "drill_base" not in drawn:
        query = urlencode({"plan": context["plan"].code, "period": context["period"].pk})
        drawn["drill_base"] = conditional_escape(f"{reverse('measures:task-list')}?{query}")
    return drawn["drill_base"]


def drill_link(base, count, **filters):
    """`base` from drill_base (escaped); a link to it with `filters` added. Built as a string (a
    dashboard of 200 zones has some 5,000 of them; format_html and urlencode were a tenth of its
    time): quote_plus leaves nothing HTML would need escaped, and "&" is written as "&amp;"."""
    query = "&amp;".join(
        f"{name}={quote_plus(str(value))}" for name, value in filters.items() if value is not None
    )
    href = f"{base}&amp;{query}" if query else base
    return mark_safe(f'<a class="drill" href="{href}">{conditional_escape(count)}</a>')  # noqa: S308


def assessment_line(changes):
    """The verified progress an acceptance recorded (its history row's changes)."""
    assessment = changes["assessment"][1]
    verified = (changes.get("verified_percent") or [None, None])[1]
    reason = (changes.get("assessment_reason") or ["", ""])[1]
    line = _("Assessed completion: %(assessment)s, verified %(percent)s%%") % {
        "assessment": Assessment(assessment).label if assessment in Assessment.values else assessment,
        "percent": verified,
    }
    return f"{line} · {reason}" if reason else line


@register.filter
def assessment_label(value):
    return Assessment(value).label if value in Assessment.values else ""
