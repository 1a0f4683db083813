"""Writing, submitting and reviewing a task's report for a period, and closing off the task."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import can_report, can_review, can_review_report
from core.forms import ReasonForm
from core.merge import read_snapshot, snapshot
from core.views import add_service_errors, ensure, is_own_submission_refusal
from measures import services
from measures.choices import AWAITING_SIGNOFF_STATES
from measures.models import ProgressReport, ReportingPeriod
from measures.reporting.forms import CloseOffForm, ReportEvidenceForm, ReportForm, ReviewForm
from measures.reporting.services import edit_refusal, submission_problems
from measures.services import ReportConflict
from measures.tasks import selectors
from measures.tasks.actions import back_to_task, scoped_task
from measures.tasks.views import chosen_period, render_task_page


def _period(task, period_id):
    return get_object_or_404(ReportingPeriod, pk=period_id, plan_id=task.zone.plan_id)


def _label(field):
    return capfirst(ProgressReport._meta.get_field(field).verbose_name)


def _shown(report, field):
    """A field's value as the page shows it."""
    if field == "support_agency":
        return report.support_agency.display_name if report.support_agency else "—"
    if field == "status":
        return report.get_status_display()
    return getattr(report, field)


def _describe_conflict(conflict, mine=None):
    """Field label and the other person's value for each field they changed; with a three-way
    merge, only the fields both sides changed, with the user's value beside theirs to choose."""
    report = conflict.report
    if conflict.merge is not None:
        return [
            {
                "field": field,
                "label": _label(field),
                "value": _shown(report, field),
                "mine": _shown(mine, field) if mine is not None else "",
            }
            for field in conflict.merge.conflicts
        ]
    rows = []
    for field in conflict.changes:
        if field not in services.REPORT_FIELDS:
            continue
        rows.append({"label": _label(field), "value": _shown(report, field)})
    if not rows:
        # Only the state moved (submitted, returned or accepted meanwhile): say so, or the page
        # would come back as if nothing had happened, with nothing saved.
        state = ProgressReport._meta.get_field("state").verbose_name
        rows.append({"label": capfirst(state), "value": report.get_state_display()})
    return rows


def _taken_from_theirs(request, report):
    """The fields whose conflict the user settled for the other person's saved value."""
    if report is None:
        return []
    return [field for field in services.REPORT_FIELDS if request.POST.get(f"choose_{field}") == "theirs"]


def _form_after_conflict(request, error, task):
    """The form again over the newer version: what the user typed stays; with a merge, the
    fields only the other person changed show their values (the user never touched them), and
    the base moves to the newer version, so the next save writes only what is still the user's."""
    data = request.POST.copy()
    current = error.report
    data["version"] = current.version
    if error.merge is not None:
        theirs = services.report_values(current)
        for field in error.merge.theirs_kept:
            data[field] = "" if theirs[field] is None else theirs[field]
        data["base"] = snapshot(theirs)
    for field in services.REPORT_FIELDS:
        data.pop(f"choose_{field}", None)
    form = ReportForm(data, instance=current, task=task)
    form.is_valid()
    return form


def _message(*, submitted, attached):
    if submitted:
        return (
            _("Report submitted for review with the evidence attached.")
            if attached
            else _("Report submitted for review.")
        )
    return _("Draft saved with the evidence attached.") if attached else _("Draft saved.")


def _add_errors(form, evidence_form, error):
    """A service's refusal onto the form whose field it names: the evidence fields' on the
    evidence form, the rest on the report form."""
    if hasattr(error, "error_dict"):
        ours = {f: e for f, e in error.error_dict.items() if f in evidence_form.fields}
        rest = {f: e for f, e in error.error_dict.items() if f not in evidence_form.fields}
        if ours:
            add_service_errors(evidence_form, ValidationError(ours))
        if rest:
            add_service_errors(form, ValidationError(rest))
    else:
        add_service_errors(form, error)


@login_required
def edit_report(request, code, number, period_id):
    task = scoped_task(request, code, number)
    period = _period(task, period_id)
    ensure(can_report(request.user, task))
    report = ProgressReport.objects.filter(task=task, period=period).select_related("updated_by").first()
    instance = report or ProgressReport(task=task, period=period)
    conflict = refusal = None
    if request.method == "POST":
        # A conflict settled for the other person's value writes theirs, not the typed one; read
        # before the form is bound, which sets the typed values on the same instance.
        theirs = {field: getattr(report, field) for field in _taken_from_theirs(request, report)}
        form = ReportForm(request.POST, instance=instance, task=task)
        evidence_form = ReportEvidenceForm(request.POST, request.FILES)
        if form.is_valid() and evidence_form.is_valid():
            version = form.cleaned_data["version"]
            data = {**form.report_data(), **theirs}
            try:
                saved = services.save_report_with_evidence(
                    task=task,
                    period=period,
                    user=request.user,
                    data=data,
                    submit="submit" in request.POST,
                    expected_version=version if version is not None else 0,
                    base=read_snapshot(form.cleaned_data["base"]),
                    **evidence_form.evidence(),
                )
                merged = getattr(saved, "merged", None)
                if merged is not None and merged.theirs_kept:
                    messages.info(
                        request,
                        _(
                            "Someone else saved this report while you were editing it. Their changes to "
                            "%(fields)s are kept; yours were saved alongside."
                        )
                        % {"fields": ", ".join(str(_label(field)) for field in merged.theirs_kept)},
                    )
                message = _message(submitted="submit" in request.POST, attached=evidence_form.attaches())
                if "submit" in request.POST and saved.state in AWAITING_SIGNOFF_STATES:
                    message = _submitted_message(saved)
                return back_to_task(request, task, period, "report", message)
            except ReportConflict as error:
                conflict = _describe_conflict(error, mine=form.instance)
                form = _form_after_conflict(request, error, task)
                report = error.report
            except ValidationError as error:
                _add_errors(form, evidence_form, error)
        elif "submit" in request.POST and not form.is_valid():
            # Field errors stop the save before the service checks what a submission needs; ask
            # it now about the values that were valid (form.instance holds them, unsaved), so
            # every problem is listed in one round. A field already in error keeps its message.
            for field, message in submission_problems(form.instance).items():
                if field not in form.errors:
                    form.add_error(field, message)
    else:
        form = ReportForm(
            instance=instance,
            task=task,
            initial={
                "version": report.version if report else 0,
                "base": snapshot(services.report_values(report)),
            },
        )
        evidence_form = ReportEvidenceForm()
        # Say at once when the report cannot be written (a POST is refused by the service as before).
        refusal = edit_refusal(task=task, period=period, report=report)
    failed = form.is_bound and (form.errors or evidence_form.errors)
    status = 409 if conflict else (400 if failed else 200)
    return render(
        request,
        "measures/report_form.html",
        {
            "task": task,
            "zone": task.zone,
            "period": period,
            "report": report,
            "form": form,
            "evidence_form": evidence_form,
            # What is attached already, so the officer sees it before adding more or submitting.
            "attached": list(report.evidence.active().select_related("added_by")) if report else [],
            "conflict": conflict,
            "refusal": refusal,
            "return_note": selectors.latest_return_note(report),
        },
        status=status,
    )


@login_required
@require_POST
def start_from_previous(request, code, number, period_id):
    task = scoped_task(request, code, number)
    period = _period(task, period_id)
    ensure(can_report(request.user, task))
    try:
        services.start_from_previous(task=task, period=period, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return back_to_task(request, task, period, "report")
    messages.success(request, _("Report started from the previous period. Check and update every field."))
    return _to_edit(task, period)


def _to_edit(task, period):
    return redirect(reverse("measures:report-edit", args=[task.zone.code, task.number, period.pk]))


@login_required
@require_POST
def submit_report(request, code, number, period_id):
    task = scoped_task(request, code, number)
    period = _period(task, period_id)
    ensure(can_report(request.user, task))
    report = get_object_or_404(ProgressReport, task=task, period=period)
    try:
        report = services.submit_report(report=report, user=request.user)
    except ValidationError as error:
        reasons = " ".join(error.messages)
        messages.error(request, _("The report cannot be submitted yet: %(reasons)s") % {"reasons": reasons})
        return _to_edit(task, period)
    return back_to_task(request, task, period, "report", _submitted_message(report))


def _submitted_message(report):
    if report.state in AWAITING_SIGNOFF_STATES:
        return _("Report submitted to the zone leader for sign-off.")
    return _("Report submitted for review.")


@login_required
@require_POST
def recall_report(request, code, number, period_id):
    task = scoped_task(request, code, number)
    period = _period(task, period_id)
    ensure(can_report(request.user, task))
    report = get_object_or_404(ProgressReport, task=task, period=period)
    try:
        services.recall_report(report=report, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return back_to_task(request, task, period, "report")
    return back_to_task(
        request,
        task,
        period,
        "report",
        _("Report recalled: it is a draft again. Change it and submit it again."),
    )


@login_required
@require_POST
def review_report(request, code, number, period_id):
    task = scoped_task(request, code, number)
    period = _period(task, period_id)
    ensure(can_review_report(request.user))
    report = get_object_or_404(ProgressReport, task=task, period=period)
    form = ReviewForm(request.POST)
    if form.is_valid():
        action, note = form.cleaned_data["action"], form.cleaned_data["note"]
        version = form.cleaned_data["version"]
        try:
            if action == "return":
                services.return_report(report=report, user=request.user, note=note, expected_version=version)
                message = _("Report returned to the zone with your note.")
            elif action == "accept":
                services.accept_report(
                    report=report,
                    user=request.user,
                    note=note,
                    expected_version=version,
                    **form.assessment_data(),
                )
                message = _("Report accepted.")
            else:
                services.comment_on_report(report=report, user=request.user, note=note)
                message = _("Comment added.")
            return back_to_task(request, task, period, "report", message)
        except ReportConflict:
            form.add_error(
                None,
                _(
                    "The zone changed this report after you opened it. Read the current version below, then decide."
                ),
            )
            form.data = form.data.copy()
            form.data["version"] = ProgressReport.objects.get(pk=report.pk).version
        except ValidationError as error:
            if is_own_submission_refusal(error):
                messages.error(request, " ".join(error.messages))
                return back_to_task(request, task, period, "report")
            add_service_errors(form, error)
    return render_task_page(request, task, period, status=400, review_form=form)


@login_required
@require_POST
def close_task(request, code, number):
    task = scoped_task(request, code, number)
    ensure(can_review(request.user))
    form = CloseOffForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.close_task(
                task=task,
                user=request.user,
                note=data["note"],
                uploaded_file=data["file"],
                url=data["url"],
                description=data["description"],
            )
            return back_to_task(request, task, message=_("Task closed off (销号)."))
        except ValidationError as error:
            add_service_errors(form, error)
    return render_task_page(request, task, chosen_period(task), status=400, close_form=form)


@login_required
@require_POST
def reopen_task(request, code, number):
    task = scoped_task(request, code, number)
    ensure(can_review(request.user))
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.reopen_task(task=task, user=request.user, reason=form.cleaned_data["reason"])
            return back_to_task(request, task, message=_("Task reopened."))
        except ValidationError as error:
            add_service_errors(form, error)
    return render_task_page(request, task, chosen_period(task), status=400, reopen_form=form)
