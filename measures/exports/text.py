"""The wording every format shares: title, addressees, summary sentence, file name."""

import re

from django.utils.translation import gettext as _

from core.i18n import localized
from zones.numerals import to_chinese

# The plans name who receives the zones' reports (工作情况报告 / 评估结果); these are names as
# the plan writes them, shown in English only where the UI is English.
ADDRESSEES = [
    (
        "市高水平开放高质量发展领导小组办公室",
        "Office of the Municipal Leading Group for High-Level Opening-up",
    ),
    ("自贸试验区管委会", "Administrative Committee of the Pilot Free Trade Zone"),
]


def addressee_line():
    """The line above the body of an official report, ending with a colon."""
    return localized(
        "、".join(zh for zh, _en in ADDRESSEES) + "：", ", ".join(en for _zh, en in ADDRESSEES) + ":"
    )


def subject(report):
    """What the report is about: the plan's construction work ("…建设方案" without "方案")."""
    plan = report.plan
    return localized(plan.title.removesuffix("方案"), plan.title_en)


def as_of(report):
    """「截至2026年12月5日」: the day a provisional report was drawn up."""
    day = report.today
    return _("as of %(date)s") % {"date": localized(f"{day.year}年{day.month}月{day.day}日", day.isoformat())}


def title(report):
    period = report.period.name
    if report.provisional:
        # Before the deadline reports may still come in or change: the title says when it was drawn.
        period = _("%(period)s, %(as_of)s") % {"period": period, "as_of": as_of(report)}
    values = {"subject": subject(report), "period": period}
    if report.zone is not None:
        values["zone"] = report.zone.name
        return _("%(subject)s work report: %(zone)s (%(period)s)") % values
    return _("%(subject)s work report (%(period)s)") % values


def opening(report):
    """按照《…方案》要求，现将…工作情况报告如下。"""
    plan = report.plan
    scope = report.zone.name if report.zone is not None else _("the linked innovation zones")
    return _("As the %(plan)s requires, the progress of %(scope)s in %(period)s is reported as follows.") % {
        # The translation puts the 《》 around the title (按照《%(plan)s》要求); a title stored with
        # its own marks would otherwise read 《《…》》.
        "plan": localized(plan.title.strip().removeprefix("《").removesuffix("》"), plan.title_en),
        "scope": scope,
        "period": report.period.name,
    }


def heading_number(number):
    """一、二、… in Chinese, 1. 2. … in English."""
    return localized(f"{to_chinese(number)}、", f"{number}. ")


def summary_sentences(report):
    """The summary as sentences, for the Word report and the top of the printable page."""
    timeliness = report.timeliness()
    values = {
        "zones": len(report.sections),
        # Each task has exactly one timeliness; the summary page has counts, not rows, to count.
        "tasks": sum(timeliness.values()),
        "on_time": timeliness["on_time"],
        "late": timeliness["late"],
        "missing": timeliness["missing"],
        "closed": timeliness["closed"],
        "deadline": report.period.deadline.isoformat(),
    }
    listing = _("%(label)s %(count)s")
    by_status = "; ".join(listing % {"label": label, "count": n} for _v, label, n in report.by_status() if n)
    by_light = "; ".join(listing % {"label": label, "count": n} for _v, label, n in report.by_light() if n)
    if not report.period.is_owed:
        opening = _(
            "This period covers %(tasks)s tasks in %(zones)s zone(s). It comes before tracking of the plan "
            "started on %(start)s, so its reports were not owed: %(on_time)s were reported on time, "
            "%(late)s late and %(missing)s not at all; %(closed)s had been closed off."
        ) % {**values, "start": report.period.plan.tracking_start.isoformat()}
        return [
            *notes(report),
            opening,
            _("By status: %(list)s.") % {"list": by_status or "—"},
            _("By light: %(list)s.") % {"list": by_light or "—"},
        ]
    return [
        *notes(report),
        _(
            "This period covers %(tasks)s tasks in %(zones)s zone(s). By the deadline of %(deadline)s, "
            "%(on_time)s were reported on time, %(late)s late and %(missing)s not yet submitted; "
            "%(closed)s had been closed off."
        )
        % values,
        _("By status: %(list)s.") % {"list": by_status or "—"},
        _("By light: %(list)s.") % {"list": by_light or "—"},
    ]


def notes(report):
    """What the reader must know before the figures: a provisional report, accepted reports only."""
    found = []
    if report.provisional:
        found.append(
            _(
                "Provisional: drawn up %(as_of)s, before the submission deadline of %(deadline)s; "
                "reports may still be submitted or changed."
            )
            % {"as_of": as_of(report), "deadline": report.period.deadline.isoformat()}
        )
    if report.accepted_only:
        found.append(
            _("Only accepted reports are counted here; reports still awaiting review count as not reported.")
        )
    return found


def file_name(report, extension):
    """工作情况报告-2026年第四季度[-西青经开区].xlsx; Django encodes it for the header."""
    parts = [_("Work report"), report.period.name]
    if report.zone is not None:
        parts.append(report.zone.name)
    return "-".join(parts) + f".{extension}"


# Text is cleaned on the way out, here and nowhere else: whatever is stored (typed, pasted, loaded
# from a plan, changed in the admin, restored from a backup) reaches every export through
# `writable`, so no stored string can break a file. XML 1.0 (docx, xlsx) has no place for the C0
# controls other than tab and line breaks, nor for U+FFFE/U+FFFF or lone surrogates. Vertical tab
# and form feed are what Word and some web forms paste for a line or page break, so they become
# line breaks; the rest carry nothing readable and are dropped.
_LINE_BREAKS = re.compile(r"[\x0b\x0c]")
_UNWRITABLE = re.compile(r"[\x00-\x08\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# Either of the two: nearly every string has neither, and one search is cheaper than two passes.
_TO_CLEAN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def writable(value):
    """`value` as any export may write it; anything but text is returned as it is."""
    if not isinstance(value, str) or _TO_CLEAN.search(value) is None:
        return value
    return _UNWRITABLE.sub("", _LINE_BREAKS.sub("\n", value))
