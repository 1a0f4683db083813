"""The comparison with the last period as the period report's files write it: the columns of
the Excel sheet and the sentences of the Word report, in the active language. Pure data: the
writers (measures.exports.xlsx, measures.exports.docx) lay it out."""

from django.utils.translation import gettext as _

from measures.changes.selectors import BETTER, SAME, WORSE


def as_of_label(day):
    return _("as of %(day)s") % {"day": day.isoformat()}


def as_of_note(day):
    return _("As of %(day)s: the situation at the end of that day, rebuilt from the history.") % {
        "day": day.isoformat()
    }


def comparison_heading(changes):
    return _("%(now)s against %(before)s") % {"now": changes.period.name, "before": changes.previous.name}


def zone_columns():
    """(label, width) of the per-zone comparison table."""
    return [
        (_("Zone"), 16),
        (_("Tasks"), 8),
        (_("Reported last period"), 11),
        (_("Reported this period"), 11),
        (_("Average completion, last period"), 12),
        (_("Average completion, this period"), 12),
        (_("Difference"), 9),
        (_("Status worsened"), 10),
        (_("Status improved"), 10),
        (_("New problems"), 10),
        (_("Problems resolved"), 10),
        (_("Milestones due"), 10),
        (_("Milestones met"), 10),
    ]


def zone_cells(name, tally):
    return [
        name,
        tally.tasks,
        tally.reported_before,
        tally.reported_now,
        tally.average_before,
        tally.average_now,
        tally.average_delta,
        tally.worsened,
        tally.improved,
        tally.new_problems,
        tally.resolved_problems,
        tally.milestones_due,
        tally.milestones_met,
    ]


def task_columns():
    """(label, width) of the per-task comparison columns."""
    return [
        (_("Zone"), 14),
        (_("Task no."), 9),
        (_("Task name"), 36),
        (_("Status, last period"), 12),
        (_("Status, this period"), 12),
        (_("Status move"), 10),
        (_("Percent, last period"), 10),
        (_("Percent, this period"), 10),
        (_("Percent change"), 10),
        (_("New problem"), 10),
        (_("Problem resolved"), 10),
        (_("Milestones due"), 10),
        (_("Milestones met"), 10),
    ]


def move_labels():
    return {WORSE: _("Worsened"), BETTER: _("Improved"), SAME: _("Unchanged"), None: ""}


def task_cells(row, moves, yes):
    return [
        row.task.zone.name,
        row.task.display_number,
        row.task.title,
        str(row.before.status_label) if row.before else "",
        str(row.now.status_label) if row.now else "",
        moves[row.move],
        row.before.percent if row.before else None,
        row.now.percent if row.now else None,
        row.delta,
        yes if row.new_problem else "",
        yes if row.resolved_problem else "",
        row.milestones_due,
        row.milestones_met,
    ]


def summary_sentence(changes):
    total = changes.total
    return _(
        "%(now)s against %(before)s: %(worsened)s tasks worsened in status and %(improved)s improved; "
        "%(new)s new problems were reported and %(resolved)s resolved."
    ) % {
        "now": changes.period.name,
        "before": changes.previous.name,
        "worsened": total.worsened,
        "improved": total.improved,
        "new": total.new_problems,
        "resolved": total.resolved_problems,
    }


def zone_sentence(tally):
    return _(
        "%(zone)s: average completion %(before)s%% → %(now)s%%; %(worsened)s worsened, %(improved)s "
        "improved; %(new)s new problems, %(resolved)s resolved; %(met)s of %(due)s milestones due were met."
    ) % {
        "zone": tally.zone.name,
        "before": tally.average_before,
        "now": tally.average_now,
        "worsened": tally.worsened,
        "improved": tally.improved,
        "new": tally.new_problems,
        "resolved": tally.resolved_problems,
        "met": tally.milestones_met,
        "due": tally.milestones_due,
    }


def mover_lines(changes, ref=None):
    """The biggest movers as sentences: gains, losses, then status worsenings. `ref(row)` names the
    task (the stocktake pack names it as its other sections do)."""

    def default_ref(row):
        return f"{row.task.zone.name} {row.task.display_number}. {row.task.title}"

    ref = ref or default_ref

    lines = [
        _("%(task)s: %(before)s%% → %(now)s%% (%(delta)+d)")
        % {"task": ref(row), "before": row.before.percent, "now": row.now.percent, "delta": row.delta}
        for row in [*changes.gains(), *changes.losses()]
    ]
    lines += [
        _("%(task)s: %(before)s → %(now)s")
        % {"task": ref(row), "before": row.before.status_label, "now": row.now.status_label}
        for row in changes.worsened()
    ]
    return lines
