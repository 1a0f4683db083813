"""The period report (工作情况报告): pick a period and zone, read it printable, or download it
as Excel, CSV or Word. Every format renders the same rows (measures.exports.rows)."""

from django.contrib.auth.decorators import login_required
from django.db.models import F, Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.http import content_disposition_header, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache

from core.access import assigned_to, can_review
from core.collection import collection_paused
from measures.changes import asof
from measures.changes.exports import as_of_label
from measures.changes.forms import AsOfForm
from measures.changes.selectors import period_changes, summed_changes
from measures.choices import Light
from measures.dashboard.silence import owed_periods, zone_figures
from measures.exports import csv, docx, text, xlsx
from measures.exports.forms import PeriodReportForm, ReportScopeForm
from measures.exports.rows import TIMELINESS, columns, period_rows, period_summary, timeliness_labels
from measures.models import ReportingPeriod, Task
from measures.review.selectors import verification_gaps
from notifications.choices import Subject
from notifications.models import Escalation

FORMATS = [
    ("html", "period-report-html"),
    ("xlsx", "period-report-xlsx"),
    ("csv", "period-report-csv"),
    ("docx", "period-report-docx"),
]
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def format_links(period, zone, day=None, accepted_only=False):
    params = {"zone": zone.code} if zone is not None else {}
    if day is not None:
        params["as_of"] = day.isoformat()
    if accepted_only:
        params["accepted"] = 1
    query = f"?{urlencode(params)}" if params else ""
    return {name: reverse(f"measures:{url}", args=[period.pk]) + query for name, url in FORMATS}


def as_of(request):
    """(AsOfForm, the past day asked for or None) of ?as_of=YYYY-MM-DD."""
    form = AsOfForm(request.GET if "as_of" in request.GET else None)
    return form, form.day()


def report_changes(request, report, rows=True):
    """This period against the one before for the report's tasks (measures.changes.selectors); as
    of a past day from the same snapshot as the rows. Without `rows` (the summary of several
    zones shows the tallies and the movers only) counted in the database as the dashboard's:
    reading 20,000 tasks and two periods' reports row by row took 0.5-0.9 s."""
    snapshot = getattr(report, "snapshot", None)
    if snapshot is None and not rows:
        return summed_changes(
            tasks=Task.objects.visible_to(request.user),
            period=report.period,
            zones={section.zone.pk: section.zone for section in report.sections},
        )
    return period_changes(
        tasks=Task.objects.visible_to(request.user, linked_before=snapshot.end if snapshot else None),
        period=report.period,
        zone=report.zone,
        reports=snapshot.counted() if snapshot else None,
        milestones=snapshot.milestone_rows() if snapshot else None,
        tasks_then=snapshot.then if snapshot else None,
        zones={section.zone.pk: section.zone for section in report.sections},
    )


@login_required
def choose(request):
    form = PeriodReportForm(request.GET or None, user=request.user)
    period, zone = form.selection()
    links = format_links(period, zone, accepted_only=form.accepted_only) if period is not None else None
    return render(request, "measures/exports/choose.html", {"form": form, "period": period, "links": links})


def scope(request, period_id):
    """(period, zone asked for or None, accepted reports only); 404 for an unknown period or a
    zone outside the user's scope or not in the period's plan."""
    period = get_object_or_404(ReportingPeriod.objects.select_related("plan"), pk=period_id)
    day = as_of(request)[1]
    end = asof.day_end(day) if day is not None else None
    form = ReportScopeForm(request.GET, user=request.user, period=period, linked_before=end)
    if not form.is_valid():
        raise Http404
    return period, form.cleaned_data["zone"], form.cleaned_data["accepted"]


def scoped_report(request, period_id, day=None):
    """The report of one period for the zones asked for; 404 for anything outside the user's scope:
    an unknown period, a zone not theirs or not in the period's plan, a plan with none of theirs.
    With `day`, as it stood at the end of that day (counting submitted reports as they were)."""
    period, zone, accepted_only = scope(request, period_id)
    if day is None:
        report = period_rows(request.user, period, zone=zone, accepted_only=accepted_only)
    else:
        report = asof.period_rows_as_of(request.user, period, day, zone=zone)
    if not report.sections:
        raise Http404
    return report


def attachment(report, extension, content):
    filename = text.file_name(report, extension)
    snapshot = getattr(report, "snapshot", None)
    if snapshot is not None:
        # A file of a past day says so in its name, so it is never taken for today's.
        filename = f"{filename.rsplit('.', 1)[0]}-{as_of_label(snapshot.day)}.{extension}"
    return HttpResponse(
        content,
        content_type=CONTENT_TYPES[extension],
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


def summary_rows(rows):
    """The summary's table rows as HTML: (tr attributes, first cell's HTML, tally, requests or
    None). Written here rather than by template loops: 200 zones and 800 categories of twelve
    cells each took a second to render through the template engine, more than the counting."""
    lines = []
    for attributes, first, tally, requests in rows:
        counts = tally.counts
        cells = [f"<td>{first}</td>", f'<td class="num">{tally.tasks}</td>']
        cells += [f'<td class="num" data-count="{k}">{counts["timeliness"][k]}</td>' for k in TIMELINESS]
        cells += [f'<td class="num" data-zone-light="{v}">{counts["light"][v]}</td>' for v in Light.values]
        if requests is not None:
            cells.append(f'<td class="num">{requests}</td>')
        lines.append(f"<tr {attributes}>{''.join(cells)}</tr>")
    return mark_safe("\n".join(lines))  # noqa: S308 - built from escaped names and numbers


def page_context(report, day=None):
    return {
        "report": report,
        "title": text.title(report),
        "addressees": text.addressee_line(),
        "opening": text.opening(report),
        "summary": text.summary_sentences(report),
        "timeliness_labels": timeliness_labels(report.owed),
        "headers": {key: label for key, label, _width in columns()},
        "links": format_links(report.period, report.zone, day, report.accepted_only),
        # The same page counting accepted reports only, or submitted ones too.
        "other_count": format_links(report.period, report.zone, day, not report.accepted_only)["html"],
    }


@login_required
@never_cache
@asof.paused_when_asked
def report_html(request, period_id):
    """One zone's report in full; for several zones, their summary, each zone's tasks a click
    away (its own page). The full report of 20,000 tasks was 17 MB of HTML that took seconds
    to send and would print 2,674 pages; the downloads keep every row of every zone."""
    period, zone, accepted_only = scope(request, period_id)
    as_of_form, day = as_of(request)
    if zone is None:
        if day is None:
            summary = period_summary(request.user, period, accepted_only=accepted_only)
        else:
            summary = asof.period_summary_as_of(request.user, period, day)
        if not summary.sections:
            raise Http404
        if len(summary.sections) > 1:
            context = page_context(summary, day)
            context.update(as_of_form=as_of_form, as_of=day)
            context["changes"] = report_changes(request, summary, rows=False)
            context["zone_rows"] = summary_rows(
                (
                    f'data-zone="{escape(section.zone.code)}"',
                    format_html(
                        '<a href="{}?{}">{}</a>',
                        request.path,
                        urlencode({"zone": section.zone.code} | ({"accepted": 1} if accepted_only else {})),
                        section.zone.name,
                    ),
                    section.tally,
                    section.tally.requests,
                )
                for section in summary.sections
            )
            context["category_rows"] = summary_rows(
                (
                    f'data-category="{row.category.pk}"',
                    format_html(
                        "{}</td><td>{} {}",
                        row.category.zone.name,
                        row.category.code or row.category.number,
                        row.category.title,
                    ),
                    row.tally,
                    None,
                )
                for row in summary.categories
            )
            context["red_escalations"] = red_escalations(summary, request.user, day)
            # As of a day, both from the rebuilt summary's snapshot (measures.changes.asof).
            context["silence"] = silence_by_zone(request.user, summary)
            context["gaps"] = gaps_of(period, [section.zone for section in summary.sections], summary)
            return render(request, "measures/period_report_summary.html", context)
    if day is None:
        report = period_rows(request.user, period, zone=zone, accepted_only=accepted_only)
    else:
        report = asof.period_rows_as_of(request.user, period, day, zone=zone)
    if not report.sections:
        raise Http404
    context = {
        **page_context(report, day),
        "as_of_form": as_of_form,
        "as_of": day,
        "changes": report_changes(request, report),
        "show_change_rows": True,
        "problems_number": text.heading_number(len(report.sections) + 1),
        "next_steps_number": text.heading_number(len(report.sections) + 2),
        "sections": [(text.heading_number(n), s) for n, s in enumerate(report.sections, start=1)],
        "red_escalations": red_escalations(report, request.user, day),
        "silence": silence_by_zone(request.user, report),
        "gaps": gaps_of(period, [section.zone for section in report.sections], report),
    }
    return render(request, "measures/period_report.html", context)


def gaps_of(period, zones, report=None):
    """Verified progress beside self-reported per zone: now (one query), or, for a report rebuilt
    as of a day, as it stood then (no query)."""
    snapshot = getattr(report, "snapshot", None)
    if snapshot is None:
        return verification_gaps(period, zones)
    return asof.verification_gaps_as_of(snapshot, period, zones, report.zone_of)


def silence_by_zone(user, report):
    """For managers, [(zone, ZoneSilence)] of the report's zones in its period once the deadline
    has passed (an empty list before it); None for anyone else (the section is not shown). Three
    queries for a manager (one for a report rebuilt as of a day), none otherwise."""
    if not can_review(user):
        return None
    period = report.period
    periods = owed_periods(period.plan, [period], report.today)
    zones = [section.zone for section in report.sections]
    if not periods:
        return []
    if getattr(report, "snapshot", None) is not None:
        # Rebuilt as of the report's day (today = the day): the reports and returns of then.
        figures = asof.zone_silence_as_of(report)
        return [(zone, figures[zone.pk]) for zone in zones]
    figures = zone_figures(
        plan=period.plan, periods=periods, today=report.today, zone_ids=[z.pk for z in zones]
    )
    return [(zone, figures[zone.pk]) for zone in zones]


def red_escalations(report, user, day=None):
    """The red escalations (红色督办) of the period, settled or not (with `day`: those issued by
    then): of its reports in the report's zones, and of the items assigned at stocktakes that lapsed
    in it, a zone's in the report's zones and, unless the report is one zone's, an agency's, each
    shown to whom the item is shown (`core.access.assigned_to`)."""
    zones = [section.zone.pk for section in report.sections]
    items = Q(zone_id__in=zones) if report.zone is not None else Q(zone_id__in=zones) | Q(zone__isnull=True)
    steps = Escalation.objects.red().filter(
        Q(subject=Subject.REPORT, zone_id__in=zones)
        | (Q(subject=Subject.ASSIGNED_ITEM) & items & assigned_to(user)),
        period_id=report.period.pk,
    )
    if day is not None:
        steps = steps.filter(issued_at__lt=asof.day_end(day))
    # Agency steps (no zone) after the zones' steps.
    return list(steps.order_by(F("zone__annex_number").asc(nulls_last=True), "issued_at"))


@collection_paused()
def download(request, period_id, extension, render_file, with_changes):
    """A download of the report (as of ?as_of= when given); a refused date is a 400 that says why,
    in the user's language, not a file of today's figures under a past date's name."""
    form, day = as_of(request)
    if form.refused():
        scope(request, period_id)
        return HttpResponseBadRequest(form.errors_text(), content_type="text/plain; charset=utf-8")
    report = scoped_report(request, period_id, day)
    if with_changes:
        return attachment(report, extension, render_file(report, changes=report_changes(request, report)))
    return attachment(report, extension, render_file(report))


@login_required
@never_cache
@asof.paused_when_asked
def report_xlsx(request, period_id):
    return download(request, period_id, "xlsx", xlsx.render, with_changes=True)


@login_required
@never_cache
@asof.paused_when_asked
def report_csv(request, period_id):
    return download(request, period_id, "csv", csv.render, with_changes=False)


@login_required
@never_cache
@asof.paused_when_asked
def report_docx(request, period_id):
    return download(request, period_id, "docx", docx.render, with_changes=True)
