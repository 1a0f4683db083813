"""Reporting periods for managers: see where each stands, lock it, reopen it with a reason."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import can_review
from core.forms import ReasonForm
from core.views import ensure
from measures import services
from measures.models import ReportingPeriod
from measures.periods import selectors
from measures.periods.forms import LockForm
from measures.periods.services import WAITING_FOR_REVIEW


@login_required
def period_list(request):
    ensure(can_review(request.user))
    return render(request, "measures/period_list.html", {"periods": selectors.period_overview()})


@login_required
@require_POST
def lock_period(request, pk):
    """Lock a period. With reports still waiting for review the service refuses unless confirmed:
    the page then says how many and asks to confirm (or to review them first)."""
    ensure(can_review(request.user))
    period = get_object_or_404(ReportingPeriod.objects.select_related("plan"), pk=pk)
    form = LockForm(request.POST)
    confirmed = form.is_valid() and form.cleaned_data["confirm_waiting"]
    try:
        services.lock_period(period=period, user=request.user, confirm_waiting=confirmed)
    except ValidationError as error:
        waiting = next((e for e in error.error_list if e.code == WAITING_FOR_REVIEW), None)
        if waiting is None:
            messages.error(request, " ".join(error.messages))
            return redirect("measures:period-list")
        return render(
            request,
            "measures/period_lock_confirm.html",
            {
                "period": period,
                "waiting": waiting.params["count"],
                "message": waiting.message % waiting.params,
            },
            status=409,
        )
    messages.success(
        request, _("%(period)s is locked; its reports can no longer change.") % {"period": period}
    )
    return redirect("measures:period-list")


@login_required
@require_POST
def reopen_period(request, pk):
    ensure(can_review(request.user))
    period = get_object_or_404(ReportingPeriod, pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for reopening a locked period."))
        return redirect("measures:period-list")
    try:
        services.reopen_period(period=period, user=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("%(period)s is open again.") % {"period": period})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("measures:period-list")
