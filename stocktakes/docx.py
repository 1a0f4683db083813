"""The meeting pack as a Word document, in the period report's official layout (measures.exports.docx:
its page set-up, fonts and the Body writer)."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from indicators.models import plain_number
from measures.changes.exports import mover_lines
from measures.choices import Light
from measures.exports import text
from measures.exports.docx import TITLE, Body, run, set_up_page


def _task(task):
    return f"{task.zone.short_name} {task.display_number}. {task.display_title}"


def _light_lines(groups):
    """The red or yellow tasks: each zone's first ones and how many more the task list has."""
    lines = []
    for group in groups:
        lines += [f"{_task(t)}: {'; '.join(t.light_reasons)}" for t in group.rows]
        if group.more:
            lines.append(
                ngettext(
                    "%(zone)s: %(count)d more in the task list",
                    "%(zone)s: %(count)d more in the task list",
                    group.more,
                )
                % {"zone": group.name, "count": group.more}
            )
    return lines


def sections(pack):
    """(heading, [lines]) in the pack's order; the page and the document say the same."""
    previous = []
    if pack.previous is not None:
        for item in pack.previous_items:
            line = _("%(title)s → %(assignee)s, due %(due)s: %(state)s") % {
                "title": item.title,
                "assignee": item.assignee_name,
                "due": item.due.isoformat(),
                "state": item.get_state_display(),
            }
            if item.overdue:
                line += _(" (overdue)")
            if item.progress:
                line += f" · {item.progress}"
            previous.append(line)
    return [
        (_("Items assigned at the previous meeting"), previous),
        (_("Red tasks"), _light_lines(pack.lights_by_zone(Light.RED, page=False))),
        (_("Yellow tasks"), _light_lines(pack.lights_by_zone(Light.YELLOW, page=False))),
        (
            _("Escalations (督办)"),
            [
                f"{e.get_level_display()} · {e.zone.short_name if e.zone_id else e.agency.name} · "
                f"{e.label} ({e.days_late})"
                for e in pack.escalations
            ],
        ),
        (
            _("Open major matters"),
            [
                f"{m.zone.short_name} · {m.get_urgency_display()} · {m.title} ({m.get_state_display()})"
                for m in pack.matters
            ],
        ),
        (
            _("Overdue coordination requests"),
            [
                f"{_task(r.task)} → {r.agency.name}: {r.question} ("
                + _("reply by %(date)s") % {"date": r.reply_by.isoformat()}
                + ")"
                for r in pack.requests
            ],
        ),
        (
            _("Biggest movers"),
            mover_lines(pack.changes, ref=lambda row: _task(row.task)) if pack.mover_count else [],
        ),
        (
            _("Indicator gaps"),
            [
                f"{zone.short_name} · {row.indicator.display_name}: {plain_number(row.latest)}"
                f" / {plain_number(row.indicator.target)} {row.indicator.display_unit} ({row.status_label})"
                for zone, row in pack.gaps
            ],
        ),
        (
            _("Items assigned at this meeting"),
            [
                _("%(title)s → %(assignee)s, due %(due)s: %(state)s")
                % {
                    "title": item.title,
                    "assignee": item.assignee_name,
                    "due": item.due.isoformat(),
                    "state": item.get_state_display(),
                }
                for item in pack.items
            ],
        ),
    ]


def render(pack):
    stocktake = pack.stocktake
    document = Document()
    set_up_page(document)
    body = Body(document)
    document.core_properties.title = text.writable(stocktake.title)
    body.runs(run(stocktake.title, TITLE, Pt(22)), indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    body.paragraph(
        _("%(scope)s · meeting of %(date)s")
        % {"scope": stocktake.scope_label, "date": stocktake.held_on.isoformat()},
        indent=False,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    if stocktake.notes:
        body.paragraph(stocktake.notes)
    for number, (heading, lines) in enumerate(sections(pack), start=1):
        body.heading(text.heading_number(number) + heading, level=1)
        for line in lines:
            body.paragraph(line)
        if not lines:
            body.paragraph(_("None."))
    return body.save()
