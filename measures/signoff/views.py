"""The zone leader's sign-off queue, signing off or sending back a report, and naming a deputy."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import access_for, can_sign_off
from core.views import add_service_errors, ensure, is_own_submission_refusal
from measures import services
from measures.models import Deputy, ProgressReport, ReportingPeriod
from measures.scoping import visible_zones
from measures.services import ReportConflict
from measures.signoff import selectors
from measures.signoff.filters import SignoffQueueFilter
from measures.signoff.forms import DeputyForm, SignoffForm
from measures.signoff.services import DEPUTISED_ROLES, deputy_range_default
from measures.tasks.actions import back_to_task, scoped_task
from measures.tasks.views import render_task_page

PAGE_SIZE = 50


@login_required
def signoff_list(request):
    """Reports waiting for the user's sign-off, the oldest submission first."""
    access = access_for(request.user)
    ensure(access.is_admin or selectors.signs_off(request.user))
    zones = visible_zones(request.user).order_by("plan__code", "annex_number")
    queue = SignoffQueueFilter(
        request.GET or None, queryset=selectors.signoff_queue(request.user), zones=zones
    )
    reports = queue.qs.select_related("task__zone", "period", "updated_by").order_by("updated_at", "pk")
    total = reports.count()
    return render(
        request,
        "measures/signoff_list.html",
        {"filter": queue, "reports": list(reports[:PAGE_SIZE]), "total": total, "page_size": PAGE_SIZE},
    )


@login_required
@require_POST
def signoff_report(request, code, number, period_id):
    task = scoped_task(request, code, number)
    period = get_object_or_404(ReportingPeriod, pk=period_id, plan_id=task.zone.plan_id)
    ensure(can_sign_off(request.user, task))
    report = get_object_or_404(ProgressReport, task=task, period=period)
    form = SignoffForm(request.POST)
    if form.is_valid():
        action, note = form.cleaned_data["action"], form.cleaned_data["note"]
        version = form.cleaned_data["version"]
        try:
            if action == "send_back":
                services.send_back_report(
                    report=report, user=request.user, note=note, expected_version=version
                )
                message = _("Report sent back to the officer with your note.")
            else:
                services.sign_off_report(
                    report=report, user=request.user, note=note, expected_version=version
                )
                message = _("Report signed off; it now waits for the managers' review.")
            return back_to_task(request, task, period, "report", message)
        except ReportConflict:
            form.add_error(
                None,
                _("The report changed after you opened it. Read the current version below, then decide."),
            )
            form.data = form.data.copy()
            form.data["version"] = ProgressReport.objects.get(pk=report.pk).version
        except ValidationError as error:
            if is_own_submission_refusal(error) or not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return back_to_task(request, task, period, "report")
            add_service_errors(form, error)
    return render_task_page(request, task, period, status=400, signoff_form=form)


def _may_name_own_deputy(user):
    return bool(access_for(user).roles & DEPUTISED_ROLES)


@login_required
def deputies(request):
    """A zone leader's or manager's own deputies: name one for a date range, or withdraw one."""
    ensure(_may_name_own_deputy(request.user))
    today = timezone.localdate()
    if request.method == "POST":
        form = DeputyForm(request.POST, principal=request.user)
        if form.is_valid():
            try:
                services.name_deputy(principal=request.user, user=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Deputy named."))
                return redirect("measures:deputies")
    else:
        starts_on, ends_on = deputy_range_default(today)
        form = DeputyForm(principal=request.user, initial={"starts_on": starts_on, "ends_on": ends_on})
    named, standing_in = selectors.deputyships_of(request.user)
    return render(
        request,
        "measures/deputies.html",
        {"form": form, "named": named, "standing_in": standing_in, "today": today},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_POST
def withdraw_deputy(request, pk):
    # Someone else's deputyship is not found (404): only its principal manages it here; the
    # administrators have the admin.
    deputyship = get_object_or_404(Deputy, pk=pk, principal=request.user)
    try:
        services.withdraw_deputy(deputyship=deputyship, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Deputy withdrawn."))
    return redirect("measures:deputies")
