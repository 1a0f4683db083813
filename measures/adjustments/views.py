"""Plan adjustments: the list, the proposal form from the task page, and the decision page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_filters.views import FilterView

from core.access import can_propose_adjustment, can_review, decides_own_submission
from core.pagination import ForgivingPaginationMixin
from core.views import add_service_errors, ensure, perform_action
from measures import services
from measures.adjustments.diff import diff
from measures.adjustments.filters import AdjustmentFilter
from measures.adjustments.forms import ADJUSTMENT_FORMS, ApproveForm, RejectForm
from measures.choices import AdjustmentKind, AdjustmentState
from measures.models import ReportEvent
from measures.scoping import visible_adjustments
from measures.tasks.actions import scoped_task


class AdjustmentListView(LoginRequiredMixin, ForgivingPaginationMixin, FilterView):
    filterset_class = AdjustmentFilter
    template_name = "measures/adjustment_list.html"
    context_object_name = "adjustments"
    paginate_by = 25

    def get_queryset(self):
        return (
            visible_adjustments(self.request.user)
            .select_related("task__zone", "proposed_by", "decided_by")
            .order_by("-proposed_at", "-pk")
        )


@login_required
def propose(request, code, number, kind):
    task = scoped_task(request, code, number)
    if kind not in AdjustmentKind.values:
        raise Http404
    ensure(can_propose_adjustment(request.user, task))
    form_class = ADJUSTMENT_FORMS[kind]
    form = form_class(request.POST or None, task=task)
    if request.method == "POST" and form.is_valid():
        try:
            adjustment = services.propose_adjustment(
                task=task,
                user=request.user,
                kind=kind,
                reason=form.cleaned_data["reason"],
                **form.service_kwargs(),
            )
            messages.success(request, _("Proposal sent to the managers for a decision."))
            return redirect(adjustment)
        except ValidationError as error:
            add_service_errors(form, error)
    context = {"task": task, "zone": task.zone, "kind": AdjustmentKind(kind), "form": form}
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "measures/adjustment_form.html", context, status=status)


def _adjustment(request, pk):
    return get_object_or_404(
        visible_adjustments(request.user).select_related("task__zone", "proposed_by", "decided_by"), pk=pk
    )


def render_adjustment(request, adjustment, status=200, **forms):
    context = {
        "adjustment": adjustment,
        "task": adjustment.task,
        "diff": diff(adjustment),
        "events": ReportEvent.objects.filter(task_id=adjustment.task_id, changes__adjustment=adjustment.pk)
        .select_related("actor")
        .order_by("at", "pk"),
        "may_decide": can_review(request.user)
        and adjustment.state == AdjustmentState.PROPOSED
        and not decides_own_submission(request.user, {adjustment.proposed_by_id}),
        "may_cancel": adjustment.proposed_by_id == request.user.pk
        and adjustment.state == AdjustmentState.PROPOSED,
        "approve_form": ApproveForm(),
        "reject_form": RejectForm(),
        **forms,
    }
    return render(request, "measures/adjustment_detail.html", context, status=status)


@login_required
def adjustment_detail(request, pk):
    return render_adjustment(request, _adjustment(request, pk))


def _decide(request, pk, *, allowed, **action):
    adjustment = _adjustment(request, pk)
    ensure(allowed(request.user, adjustment))
    return perform_action(request, adjustment, render_page=render_adjustment, **action)


def _reviewer(user, adjustment):
    return can_review(user)


@login_required
@require_POST
def approve(request, pk):
    return _decide(
        request,
        pk,
        allowed=_reviewer,
        form_class=ApproveForm,
        form_name="approve_form",
        call=lambda adjustment, data: services.approve_adjustment(
            adjustment=adjustment, user=request.user, note=data["note"]
        ),
        message=_("Adjustment approved and applied to the task."),
    )


@login_required
@require_POST
def reject(request, pk):
    return _decide(
        request,
        pk,
        allowed=_reviewer,
        form_class=RejectForm,
        form_name="reject_form",
        call=lambda adjustment, data: services.reject_adjustment(
            adjustment=adjustment, user=request.user, reason=data["reason"]
        ),
        message=_("Adjustment rejected."),
    )


@login_required
@require_POST
def cancel(request, pk):
    return _decide(
        request,
        pk,
        allowed=lambda user, adjustment: adjustment.proposed_by_id == user.pk,
        form_class=None,
        form_name="",
        call=lambda adjustment, data: services.cancel_adjustment(adjustment=adjustment, user=request.user),
        message=_("Proposal cancelled."),
    )
