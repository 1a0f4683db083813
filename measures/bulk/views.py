"""Bulk update: the period's template for download, and the upload that applies it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from core.collection import collection_paused
from core.views import ensure
from measures import bulk
from measures.bulk.columns import STATUS_LABELS
from measures.bulk.forms import BulkUploadForm
from measures.models import ReportingPeriod


def _period_and_tasks(request, period_id):
    """The period and the tasks the user reports on in it; 403 for someone who reports on none."""
    period = get_object_or_404(ReportingPeriod, pk=period_id)
    tasks = bulk.reportable_tasks(request.user, period)
    ensure(bool(tasks))
    return period, tasks


@collection_paused()
def _template(request, period_id, kind):
    period, tasks = _period_and_tasks(request, period_id)
    zone = request.GET.get("zone")
    if zone:
        tasks = [task for task in tasks if task.zone.code == zone]
        if not tasks:
            raise Http404
    # A closed-off task's report cannot change, so it has no place in a form to fill in.
    rows = bulk.template_rows([task for task in tasks if not (task.is_closed or task.is_withdrawn)], period)
    if kind == "xlsx":
        response = HttpResponse(bulk.write_xlsx(rows, sheet_title=period.name), content_type=bulk.XLSX_TYPE)
    else:
        response = HttpResponse(bulk.write_csv(rows), content_type=bulk.CSV_TYPE)
    name = "-".join(part for part in (period.name, zone, "template") if part)
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.{kind}")
    return response


@never_cache
@login_required
def template_xlsx(request, period_id):
    return _template(request, period_id, "xlsx")


@never_cache
@login_required
def template_csv(request, period_id):
    return _template(request, period_id, "csv")


@login_required
def upload(request, period_id):
    period, tasks = _period_and_tasks(request, period_id)
    row_errors, status = [], 200
    form = BulkUploadForm()
    if request.method == "POST" and period.is_locked:
        # The template says so too; the file is not even read.
        status = 400
    elif request.method == "POST":
        form = BulkUploadForm(request.POST, request.FILES)
        if form.is_valid():
            row_errors = _apply(request, form, period)
            if not row_errors:
                return redirect("measures:bulk-upload", period.pk)
        status = 400
    zones = list({task.zone.pk: task.zone for task in tasks}.values())
    context = {
        "period": period,
        "zones": zones,
        "form": form,
        "row_errors": sorted(row_errors, key=lambda error: error.row),
        "task_count": sum(1 for task in tasks if not (task.is_closed or task.is_withdrawn)),
        "status_labels": STATUS_LABELS.values(),
    }
    return render(request, "measures/bulk_upload.html", context, status=status)


def _apply(request, form, period):
    """Check every row, then save all of them or none; the row errors, or none after a success message."""
    submit = form.cleaned_data["submit_reports"]
    outcome, errors = bulk.check_upload(form.rows, period=period, user=request.user, submit=submit)
    if errors:
        return errors
    errors, submitted = bulk.apply_changes(outcome.changes, user=request.user, period=period, submit=submit)
    if not errors:
        summary = _(
            "Spreadsheet applied. Updated: %(updated)s · Unchanged: %(unchanged)s · Submitted: %(submitted)s."
        )
        counts = {"updated": len(outcome.changes), "unchanged": outcome.unchanged, "submitted": submitted}
        messages.success(request, summary % counts)
    return errors
