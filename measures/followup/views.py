"""Milestones, coordination requests and the managers' chase notice."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_filters.views import FilterView

from core.access import can_answer, can_report, can_review
from core.pagination import ForgivingPaginationMixin
from core.views import ensure, perform_action
from measures import services
from measures.followup import selectors
from measures.followup.filters import RequestFilter
from measures.followup.forms import (
    AnswerForm,
    ChaseForm,
    CoordinationForm,
    MilestoneDoneForm,
    MilestoneForm,
    ReopenForm,
)
from measures.models import CoordinationRequest, Milestone
from measures.scoping import visible_zones
from measures.tasks.actions import scoped_task, task_url, viewed_period
from measures.tasks.views import chosen_period, render_task_page, task_page_action


def _task_action(request, task, *, anchor, **action):
    return task_page_action(request, task, viewed_period(request, task), anchor=anchor, **action)


@login_required
@require_POST
def add_milestone(request, code, number):
    task = scoped_task(request, code, number)
    ensure(can_report(request.user, task))
    return _task_action(
        request,
        task,
        anchor="milestones",
        form_class=MilestoneForm,
        form_name="milestone_form",
        call=lambda task, data: services.add_milestone(task=task, user=request.user, **data),
        message=_("Milestone added."),
    )


@login_required
@require_POST
def edit_milestone(request, code, number, pk):
    task = scoped_task(request, code, number)
    milestone = get_object_or_404(Milestone, pk=pk, task=task)
    ensure(can_report(request.user, task))

    def edit_form(data, files):
        form = MilestoneForm(data, files, prefix=f"milestone-{pk}")
        # Refused, the row's edit form opens again with what was typed and why.
        form.milestone_pk = pk
        return form

    return _task_action(
        request,
        task,
        anchor=f"milestone-{pk}",
        form_class=edit_form,
        form_name="milestone_edit_form",
        call=lambda task, data: services.update_milestone(milestone=milestone, user=request.user, **data),
        message=_("Milestone updated."),
    )


def _milestone_action(request, code, number, pk, action, message, **form):
    task = scoped_task(request, code, number)
    milestone = get_object_or_404(Milestone, pk=pk, task=task)
    ensure(can_report(request.user, task))
    return _task_action(
        request,
        task,
        anchor="milestones",
        call=lambda task, data: action(milestone=milestone, user=request.user, **data),
        message=message,
        **form,
    )


@login_required
@require_POST
def complete_milestone(request, code, number, pk):
    # The day it was done (today unless given) is recorded on the milestone and in its history row.
    return _milestone_action(
        request,
        code,
        number,
        pk,
        services.complete_milestone,
        _("Milestone marked done."),
        form_class=MilestoneDoneForm,
        form_name="milestone_done_form",
    )


@login_required
@require_POST
def delete_milestone(request, code, number, pk):
    return _milestone_action(request, code, number, pk, services.delete_milestone, _("Milestone deleted."))


@login_required
@require_POST
def reopen_milestone(request, code, number, pk):
    return _milestone_action(request, code, number, pk, services.reopen_milestone, _("Milestone reopened."))


@login_required
@require_POST
def ask_agency(request, code, number):
    task = scoped_task(request, code, number)
    ensure(can_report(request.user, task))
    period = chosen_period(task)
    return perform_action(
        request,
        task,
        form_class=lambda data, files: CoordinationForm(data, files, task=task),
        form_name="coordination_form",
        call=lambda task, data: services.ask_agency(task=task, user=request.user, period=period, **data),
        message=_("Request sent to the agency."),
        success_url=task_url(task, viewed_period(request, task), "coordination"),
        # A refused request is shown on the current period's page, where requests are asked.
        render_page=lambda request, task, **forms: render_task_page(request, task, period, **forms),
        errors_as_messages=False,
    )


def _request(request, code, number, pk):
    task = scoped_task(request, code, number)
    return task, get_object_or_404(CoordinationRequest.objects.select_related("agency"), pk=pk, task=task)


@login_required
@require_POST
def answer_request(request, code, number, pk):
    task, coordination = _request(request, code, number, pk)
    ensure(can_answer(request.user, coordination))

    def answer_form(data, files):
        form = AnswerForm(data, files)
        form.request_pk = pk
        return form

    return _task_action(
        request,
        task,
        anchor=f"request-{pk}",
        form_class=answer_form,
        form_name="answer_form",
        call=lambda task, data: services.answer_request(
            request=coordination, user=request.user, answer=data["answer"]
        ),
        message=_("Answer sent."),
    )


@login_required
@require_POST
def close_request(request, code, number, pk):
    task, coordination = _request(request, code, number, pk)
    ensure(can_report(request.user, task) or can_review(request.user))
    return _task_action(
        request,
        task,
        anchor=f"request-{pk}",
        call=lambda task, data: services.close_request(request=coordination, user=request.user),
        message=_("Request closed."),
    )


@login_required
@require_POST
def reopen_request(request, code, number, pk):
    """Ask again: the asking zone says why the answer did not help."""
    task, coordination = _request(request, code, number, pk)
    ensure(can_report(request.user, task))

    def reopen_form(data, files):
        form = ReopenForm(data, files, prefix=f"reopen-{pk}")
        form.request_pk = pk
        return form

    return _task_action(
        request,
        task,
        anchor=f"request-{pk}",
        form_class=reopen_form,
        form_name="reopen_request_form",
        call=lambda task, data: services.reopen_request(request=coordination, user=request.user, **data),
        message=_("Request asked again; the agency has been told."),
    )


def _person(user):
    return user.get_full_name() or user.get_username()


def chase_outcome(zone, reminders):
    """[(message level, text)]: who a chase reached and how, named, for the manager who sent it.
    An officer without an address is not silently skipped: the manager learns who was not
    e-mailed (they see the notice on My work when they next sign in) and can call them."""
    emailed = [r for r in reminders if r.delivered]
    no_address = [r for r in reminders if not r.email]
    refused = [r for r in reminders if r.email and not r.delivered]
    outcome = []
    if emailed:
        outcome.append(
            (
                messages.SUCCESS,
                _("Chase notice to %(zone)s e-mailed to %(people)s.")
                % {
                    "zone": zone.display_name,
                    "people": ", ".join(f"{_person(r.recipient)} <{r.email}>" for r in emailed),
                },
            )
        )
    else:
        outcome.append(
            (
                messages.ERROR,
                _("No officer of %(zone)s could be e-mailed: the chase notice reached nobody by e-mail.")
                % {"zone": zone.display_name},
            )
        )
    if no_address:
        outcome.append(
            (
                messages.WARNING,
                _(
                    "Not e-mailed, no e-mail address: %(people)s. They will see the notice on My work when "
                    "they next sign in; reach them another way if it is urgent."
                )
                % {"people": ", ".join(_person(r.recipient) for r in no_address)},
            )
        )
    if refused:
        outcome.append(
            (
                messages.WARNING,
                _(
                    "Not e-mailed, the mail server did not accept it: %(people)s. They will see the notice "
                    "on My work when they next sign in."
                )
                % {"people": ", ".join(f"{_person(r.recipient)} <{r.email}>" for r in refused)},
            )
        )
    outcome.append((messages.INFO, _("Every notice is recorded in Administration › Reminders.")))
    return outcome


@login_required
@require_POST
def chase_zone(request, code):
    zone = get_object_or_404(visible_zones(request.user), code=code)
    ensure(can_review(request.user))
    form = ChaseForm(request.POST)
    form.fields["period"].queryset = form.fields["period"].queryset.filter(plan_id=zone.plan_id)
    if not form.is_valid():
        messages.error(request, _("Choose a reporting period of this zone's plan."))
    else:
        try:
            sent = services.chase_zone(period=form.cleaned_data["period"], zone=zone, user=request.user)
            for level, text in chase_outcome(zone, sent.reminders):
                messages.add_message(request, level, text)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    target = form.cleaned_data.get("next") if form.is_valid() else ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(zone.get_absolute_url())


class RequestListView(LoginRequiredMixin, ForgivingPaginationMixin, FilterView):
    """Coordination requests for managers, filtered (the overdue table's counts open here)."""

    filterset_class = RequestFilter
    template_name = "measures/request_list.html"
    context_object_name = "requests"
    paginate_by = 50

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            ensure(can_review(request.user))
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.requests_listed(self.request.user)


@login_required
def overdue_requests(request):
    """Managers: overdue requests by agency (agency, open, overdue, oldest), each count opening its rows."""
    ensure(can_review(request.user))
    request_filter = RequestFilter(request.GET or None, queryset=selectors.requests_listed(request.user))
    # The counts' links carry the filters chosen here, and the agency of their row.
    chosen = request.GET.copy()
    for name in ("agency", "state", "overdue", "page"):
        chosen.pop(name, None)
    rows = list(selectors.overdue_by_agency(request_filter.qs))
    return render(
        request,
        "measures/requests_overdue.html",
        {
            "filter": request_filter,
            "rows": rows,
            "chosen": chosen.urlencode(),
            "today": timezone.localdate(),
            "total_open": sum(row["open"] for row in rows),
            "total_overdue": sum(row["overdue"] for row in rows),
        },
    )
