"""Evidence: upload a file or add a link to a report, withdraw it, download it safely."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import can_report
from core.forms import ReasonForm
from core.views import add_service_errors, ensure
from measures import services
from measures.evidence.forms import EvidenceFileForm, EvidenceLinkForm
from measures.models import Evidence, ProgressReport, ReportingPeriod, Task
from measures.scoping import visible_outcomes
from measures.tasks.actions import back_to_task, scoped_task
from measures.tasks.views import render_task_page, task_page_action


def _report(request, code, number, period_id):
    task = scoped_task(request, code, number)
    period = get_object_or_404(ReportingPeriod, pk=period_id, plan_id=task.zone.plan_id)
    ensure(can_report(request.user, task))
    report = get_object_or_404(ProgressReport, task=task, period=period)
    return task, period, report


@login_required
@require_POST
def add_file(request, code, number, period_id):
    task, period, report = _report(request, code, number, period_id)
    form = EvidenceFileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_file_evidence(
                report=report,
                user=request.user,
                uploaded_file=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
            )
            return back_to_task(request, task, period, "evidence", _("File added to the report."))
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                # Upload checks speak about the file itself.
                error = ValidationError({"file": error.error_list})
            add_service_errors(form, error)
    return render_task_page(request, task, period, status=400, file_form=form)


@login_required
@require_POST
def add_link(request, code, number, period_id):
    task, period, report = _report(request, code, number, period_id)
    return task_page_action(
        request,
        task,
        period,
        anchor="evidence",
        form_class=EvidenceLinkForm,
        form_name="link_form",
        call=lambda task, data: services.add_link_evidence(
            report=report, user=request.user, url=data["url"], description=data["description"]
        ),
        message=_("Link added to the report."),
    )


def _visible_evidence(request, pk):
    visible = Q(report__task__in=Task.objects.visible_to(request.user)) | Q(
        outcome__in=visible_outcomes(request.user)
    )
    return get_object_or_404(
        Evidence.objects.select_related("report__task__zone", "report__period").filter(visible), pk=pk
    )


@login_required
@require_POST
def withdraw(request, pk):
    evidence = _visible_evidence(request, pk)
    if evidence.report is None:
        # Outcome evidence is part of a submitted record; it has no withdrawal route.
        raise Http404
    task, period = evidence.report.task, evidence.report.period
    ensure(can_report(request.user, task))
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.withdraw_evidence(
                evidence=evidence, user=request.user, reason=form.cleaned_data["reason"]
            )
            return back_to_task(
                request, task, period, "evidence", _("Evidence withdrawn; it stays in the history.")
            )
        except ValidationError as error:
            add_service_errors(form, error)
    form.evidence_pk = evidence.pk
    return render_task_page(request, task, period, status=400, withdraw_form=form)


@login_required
def download(request, pk):
    evidence = _visible_evidence(request, pk)
    if not evidence.file:
        raise Http404
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from storage.")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=evidence.original_name, content_type=evidence.content_type
    )
    # Never let a browser render an uploaded file as a page of this site.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
