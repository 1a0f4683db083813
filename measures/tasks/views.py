"""The task list and the task page, where officers report and managers review."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.response import TemplateResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django_filters.views import FilterView

from core.access import (
    access_for,
    can_answer,
    can_propose_adjustment,
    can_raise_matter,
    can_report,
    can_review,
    can_review_report,
    decides_own_submission,
    review_capacity,
    signoff_capacity,
)
from core.collection import collection_paused
from core.forms import ReasonForm
from core.pagination import ForgivingPaginationMixin, KeysFirstPaginator
from core.views import perform_action
from measures import services
from measures.choices import EDITABLE_STATES, EventKind
from measures.evidence.forms import EvidenceFileForm, EvidenceLinkForm
from measures.exports.views import CONTENT_TYPES
from measures.followup.forms import AnswerForm, CoordinationForm, MilestoneForm, ReopenForm
from measures.models import ReportingPeriod
from measures.periods import selectors as period_selectors
from measures.periods.forms import PeriodChoiceForm
from measures.reporting.forms import CloseOffForm, ReviewForm
from measures.reporting.models import unsubmitted_listed_for
from measures.reporting.services import AUTHOR_KINDS, SIGNOFF_KINDS
from measures.signoff.forms import SignoffForm
from measures.tasks import export, page_cache, selectors
from measures.tasks.actions import task_url
from measures.tasks.filters import TaskFilter
from zones.numerals import typed_number


class TaskListView(LoginRequiredMixin, ForgivingPaginationMixin, FilterView):
    filterset_class = TaskFilter
    template_name = "measures/task_list.html"
    context_object_name = "tasks"
    paginate_by = 25
    paginator_class = KeysFirstPaginator
    # The list's content (everything but the frame) is kept between requests: measures.tasks.page_cache.
    keeps_content = True

    def get(self, request, *args, **kwargs):
        self.content_key = page_cache.key_for(request) if self.keeps_content else None
        content = page_cache.kept(self.content_key) if self.content_key else None
        if content is not None:
            return self.frame(content, {})
        return super().get(request, *args, **kwargs)

    def render_to_response(self, context, **response_kwargs):
        content = page_cache.draw({k: v for k, v in context.items() if k != "view"}, self.request)
        if self.content_key:
            page_cache.keep(self.content_key, content)
        # The context drawn stays in the frame's for tests to read; the frame draws none of it.
        return self.frame(content, context)

    def frame(self, content, context):
        """The page around the content, drawn for this request: top bar, messages, CSRF token."""
        return TemplateResponse(self.request, self.template_name, {**context, "list_content": content})

    def get_queryset(self):
        # A period chosen (the dashboard's links name theirs) stands for its plan's current one.
        chosen = self.request.GET.get("period", "")
        chosen = typed_number(chosen)
        periods = period_selectors.current_periods(chosen=chosen)
        tasks, self.periods = selectors.task_list(self.request.user, periods=periods)
        return tasks

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["request"] = self.request
        kwargs["periods"] = self.periods
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # A zone's unsubmitted report shows as its report only to its own people, or when asked.
        user = self.request.user
        drafts = context["filter"].drafts_asked()
        selectors.attach_lights(
            context["tasks"], self.periods, selectors.timezone.localdate(), user=user, drafts=drafts
        )
        self.attach_agencies(context["tasks"])
        context["offers_drafts"] = unsubmitted_listed_for(user) is not None
        # A link from the dashboard names its period; the page says which one it is listing.
        chosen = context["filter"].form.cleaned_data.get("period") if context["filter"].is_bound else None
        context["period_shown"] = next(
            (p for p in self.periods.values() if p is not None and chosen is not None and p.pk == chosen),
            None,
        )
        return context

    def attach_agencies(self, tasks):
        selectors.attach_agencies(tasks)


class TaskListExportView(TaskListView):
    """The filtered list as a file: the same filters, periods and lights, every page."""

    paginate_by = None
    formats = {"xlsx": export.as_xlsx, "csv": export.as_csv}
    keeps_content = False

    def attach_agencies(self, tasks):
        # Every task: their agencies are read as names alone (export.agency_names).
        pass

    @collection_paused()
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def render_to_response(self, context, **response_kwargs):
        fmt = self.kwargs["fmt"]
        tasks = context["tasks"]
        content = self.formats[fmt](export.task_rows(tasks, export.agency_names(tasks)))
        filename = f"{_('Tasks')}.{fmt}"
        return HttpResponse(
            content,
            content_type=CONTENT_TYPES[fmt],
            headers={"Content-Disposition": content_disposition_header(True, filename)},
        )


def chosen_period(task, period_id=None):
    """The period asked for in the URL, else the one being reported now."""
    if period_id:
        return get_object_or_404(ReportingPeriod, pk=period_id, plan_id=task.zone.plan_id)
    return period_selectors.current_periods().get(task.zone.plan_id)


def render_task_page(request, task, period, status=200, **forms):
    """The task page; action views re-render it with their bound form when input was bad."""
    if not hasattr(task, "previous_number"):
        # Found through its evidence rather than selectors.visible_task: read it as the page needs.
        task = selectors.visible_task(request.user, task.zone.code, task.number)
    _summarise_errors(request, forms)
    page = selectors.task_page(request.user, task, period)
    return _render(request, task, period, page, status, forms)


def _summarise_errors(request, forms):
    """Say at the top of the page why the action was refused.

    The page is drawn from the current state, so the form that was sent may no longer be on it
    (evidence withdrawn, report submitted, request or task closed meanwhile) and its errors would
    show nowhere; where it is on the page, it may be far below where the browser lands.
    """
    for form in forms.values():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else None
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)


def _render(request, task, period, page, status, forms):
    # A withdrawn task (撤销) takes no more reports, evidence or milestones.
    may_report = can_report(request.user, task) and not task.is_withdrawn
    may_review = can_review(request.user)
    # Reviewing reports also falls to a manager's deputy (measures.signoff), unlike close-off.
    reviewer = review_capacity(request.user)
    signer = signoff_capacity(request.user, task.zone_id)
    report = page["report"]
    # From the history the page reads anyway: who wrote or submitted the shown report, and who
    # signed it off for the zone (a deputy and the person they stood in for alike).
    authors, signers = set(), set()
    for event in page["events"]:
        if report and event.report_id == report.pk and event.kind in AUTHOR_KINDS + SIGNOFF_KINDS:
            people = {event.actor_id, event.on_behalf_of_id} - {None}
            (authors if event.kind in AUTHOR_KINDS else signers).update(people)
    defaults = {
        "review_form": ReviewForm(initial={"version": report.version if report else None}),
        "signoff_form": SignoffForm(initial={"version": report.version if report else None}),
        "file_form": EvidenceFileForm(),
        "link_form": EvidenceLinkForm(),
        "withdraw_form": ReasonForm(),
        "milestone_form": MilestoneForm(),
        "coordination_form": CoordinationForm(task=task),
        "answer_form": AnswerForm(),
        "close_form": CloseOffForm(),
        "reopen_form": ReasonForm(),
    }
    defaults.update(forms)
    reopened = forms.get("reopen_request_form")
    for request_ in page["requests"]:
        request_.may_answer = can_answer(request.user, request_)
        # Refused, the request's ask-again form opens again with what was typed and why.
        if reopened is not None and reopened.request_pk == request_.pk:
            request_.reopen_form = reopened
        else:
            request_.reopen_form = ReopenForm(prefix=f"reopen-{request_.pk}")
    edited = forms.get("milestone_edit_form")
    for milestone in page["milestones"]:
        if edited is not None and edited.milestone_pk == milestone.pk:
            milestone.edit_form = edited
        else:
            initial = {"title": milestone.title, "due": milestone.due}
            milestone.edit_form = MilestoneForm(initial=initial, prefix=f"milestone-{milestone.pk}")
    context = {
        "task": task,
        "zone": task.zone,
        # Annotated by selectors.visible_task, through which every view finds the task.
        "previous_number": task.previous_number,
        "next_number": task.next_number,
        "previous_label": task.previous_code or task.previous_number,
        "next_label": task.next_code or task.next_number,
        "may_report": may_report,
        "may_review": may_review,
        "may_review_report": reviewer is not None,
        "own_report": decides_own_submission(request.user, authors | signers)
        or bool(reviewer and decides_own_submission(reviewer.on_behalf_of, authors | signers)),
        "may_sign_off": signer is not None,
        "own_for_signoff": decides_own_submission(request.user, authors)
        or bool(signer and decides_own_submission(signer.on_behalf_of, authors)),
        "access": access_for(request.user),
        # Plan changes and major matters: links only, decided from the cached access (no query).
        "may_propose": can_propose_adjustment(request.user, task)
        and not (task.is_closed or task.is_withdrawn),
        "may_raise_matter": can_raise_matter(request.user, task.zone),
        "sees_matters": access_for(request.user).sees_everything
        or task.zone_id in access_for(request.user).zone_ids,
        "editable": bool(
            may_report
            and period
            and not period.is_locked
            and period.has_started()
            and not task.is_closed
            and not task.is_withdrawn
            and (report is None or report.state in EDITABLE_STATES)
        ),
        "not_started": bool(period and not period.has_started()),
        # The zone may take its submission back until a reviewer opens it or its leader signs it off.
        "recallable": bool(
            may_report
            and report
            and report.is_recallable
            and period
            and not period.is_locked
            and not task.is_closed
        ),
        # Why the task was last reopened after a close-off, from the history the page reads anyway.
        "last_reopened": None
        if task.is_closed
        else next((e for e in page["events"] if e.kind == EventKind.TASK_REOPENED), None),
        **page,
        **defaults,
    }
    return render(request, "measures/task_detail.html", context, status=status)


@login_required
def task_detail(request, code, number):
    task = selectors.visible_task(request.user, code, number)
    form = PeriodChoiceForm(request.GET)
    periods = period_selectors.plan_periods(task)
    period_id = form.cleaned_data["period"] if form.is_valid() else None
    period = next((p for p in periods if p.pk == period_id), None) if period_id else None
    if period_id and period is None:
        raise Http404
    period = period or period_selectors.current_of(periods)
    page = selectors.task_page(request.user, task, period, periods=periods)
    if page["report"] is not None and can_review_report(request.user):
        # A manager (or a manager's deputy) opening a submitted report is the start of its review: the zone can no longer
        # recall it. Only the first opening writes (one history row).
        services.note_opened_for_review(report=page["report"], user=request.user)
    return _render(request, task, period, page, 200, {})


def task_page_action(request, task, period, *, anchor, **action):
    """An action taken on the task page (core.views.perform_action): back to the `period` it showed
    (None: the current one) at `anchor`; a refused form draws the page again for that period. The
    task page shows a form's errors beside it, so they are not repeated as messages."""
    return perform_action(
        request,
        task,
        success_url=task_url(task, period, anchor),
        render_page=lambda request, task, **forms: render_task_page(
            request, task, period or chosen_period(task), **forms
        ),
        errors_as_messages=False,
        **action,
    )
