"""The period report (工作情况报告): pick a period and zone, read it printable, or download it
as Excel, CSV or Word. Every format renders the same rows (measures.exports.rows)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache

from ..exports import csv, docx, text, xlsx
from ..exports.rows import columns, period_rows, timeliness_labels
from ..forms_exports import PeriodReportForm, ReportScopeForm
from ..models import ReportingPeriod

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


def format_links(period, zone):
    query = f"?zone={zone.code}" if zone is not None else ""
    return {name: reverse(f"measures:{url}", args=[period.pk]) + query for name, url in FORMATS}


@login_required
def choose(request):
    form = PeriodReportForm(request.GET or None, user=request.user)
    period, zone = form.selection()
    links = format_links(period, zone) if period is not None else None
    return render(request, "measures/exports/choose.html", {"form": form, "period": period, "links": links})


def scoped_report(request, period_id):
    """The report of one period for the zones asked for; 404 for anything outside the user's scope:
    an unknown period, a zone not theirs or not in the period's plan, a plan with none of theirs."""
    period = get_object_or_404(ReportingPeriod.objects.select_related("plan"), pk=period_id)
    form = ReportScopeForm(request.GET, user=request.user, period=period)
    if not form.is_valid():
        raise Http404
    report = period_rows(request.user, period, zone=form.cleaned_data["zone"])
    if not report.sections:
        raise Http404
    return report


def attachment(report, extension, content):
    filename = text.file_name(report, extension)
    return HttpResponse(
        content,
        content_type=CONTENT_TYPES[extension],
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


@login_required
@never_cache
def report_html(request, period_id):
    report = scoped_report(request, period_id)
    context = {
        "report": report,
        "title": text.title(report),
        "addressees": text.addressee_line(),
        "opening": text.opening(report),
        "summary": text.summary_sentences(report),
        "timeliness_labels": timeliness_labels(report.owed),
        "headers": {key: label for key, label, _width in columns()},
        "links": format_links(report.period, report.zone),
        "problems_number": text.heading_number(len(report.sections) + 1),
        "next_steps_number": text.heading_number(len(report.sections) + 2),
        "sections": [(text.heading_number(n), s) for n, s in enumerate(report.sections, start=1)],
    }
    return render(request, "measures/period_report.html", context)


@login_required
@never_cache
def report_xlsx(request, period_id):
    report = scoped_report(request, period_id)
    return attachment(report, "xlsx", xlsx.render(report))


@login_required
@never_cache
def report_csv(request, period_id):
    report = scoped_report(request, period_id)
    return attachment(report, "csv", csv.render(report))


@login_required
@never_cache
def report_docx(request, period_id):
    report = scoped_report(request, period_id)
    return attachment(report, "docx", docx.render(report))
