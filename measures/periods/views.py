"""Reporting periods for managers: see where each stands, lock it, reopen it with a reason."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import can_review
from core.forms import ReasonForm
from core.views import ensure, perform_action
from measures import services
from measures.models import ReportingPeriod
from measures.periods import selectors


@login_required
def period_list(request):
    ensure(can_review(request.user))
    return render(request, "measures/period_list.html", {"periods": selectors.period_overview()})


@login_required
@require_POST
def lock_period(request, pk):
    ensure(can_review(request.user))
    period = get_object_or_404(ReportingPeriod, pk=pk)
    return perform_action(
        request,
        period,
        call=lambda period, data: services.lock_period(period=period, user=request.user),
        message=_("%(period)s is locked; its reports can no longer change.") % {"period": period},
        success_url="measures:period-list",
    )


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
