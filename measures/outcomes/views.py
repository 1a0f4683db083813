"""The register of innovation outcomes: list, record, evaluate, recommend, replicate."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_filters.views import FilterView

from core.access import access_for, can_record_outcome, can_review, decides_own_submission
from core.forms import ReasonForm
from core.merge import read_snapshot, snapshot
from core.pagination import ForgivingPaginationMixin
from core.views import add_service_errors, ensure, is_own_submission_refusal, perform_action
from measures import services
from measures.choices import OUTCOME_EVIDENCE_OPEN_STATES, EventKind, OutcomeState
from measures.evidence.forms import EvidenceFileForm
from measures.exports.outcome_list import LISTED_STATES, as_docx, as_xlsx, list_title, outcome_rows
from measures.models import Evidence, ReportEvent, ReportingPeriod, Task
from measures.outcomes.filters import OutcomeFilter
from measures.outcomes.forms import (
    DecisionForm,
    DeclineForm,
    EvaluateForm,
    OutcomeForm,
    ReplicationForm,
    ReturnForm,
)
from measures.outcomes.services import (
    STATE_ERROR,
    OutcomeConflict,
    may_delete_outcome,
    outcome_authors,
    outcome_values,
)
from measures.scoping import visible_outcomes, visible_zones


class OutcomeListView(LoginRequiredMixin, ForgivingPaginationMixin, FilterView):
    filterset_class = OutcomeFilter
    template_name = "measures/outcome_list.html"
    context_object_name = "outcomes"
    paginate_by = 25

    def get_queryset(self):
        return (
            visible_outcomes(self.request.user)
            .select_related("zone", "period")
            .order_by("-created_at", "-pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_record"] = bool(_own_zones(self.request.user))
        return context


def _own_zones(user):
    access = access_for(user)
    zones = visible_zones(user).order_by("plan__code", "annex_number")
    return zones if access.is_admin else zones.filter(pk__in=access.zone_ids if access.is_officer else [])


def _outcome(request, pk):
    return get_object_or_404(visible_outcomes(request.user).select_related("zone", "period"), pk=pk)


def _form_data(form):
    data = {field: form.cleaned_data[field] for field in ("title", "description", "type", "period")}
    return data, list(form.cleaned_data["tasks"])


@login_required
def create_outcome(request):
    zones = _own_zones(request.user)
    ensure(zones.exists())
    form = OutcomeForm(request.POST or None, zones=zones)
    if request.method == "POST" and form.is_valid():
        data, tasks = _form_data(form)
        try:
            outcome = services.create_outcome(
                zone=form.cleaned_data["zone"], user=request.user, tasks=tasks, **data
            )
            messages.success(request, _("Outcome saved as a draft. Attach evidence, then submit it."))
            return redirect(outcome)
        except ValidationError as error:
            add_service_errors(form, error)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "measures/outcome_form.html", {"form": form}, status=status)


def _outcome_label(field):
    return str(capfirst(OutcomeForm.base_fields[field].label))


def _outcome_shown(outcome, field):
    if field == "type":
        return outcome.get_type_display()
    if field == "period":
        return outcome.period.name if outcome.period else "—"
    if field == "tasks":
        return "、".join(task.display_number for task in outcome.tasks.order_by("number")) or "—"
    return getattr(outcome, field) or "—"


def _outcome_form_after_conflict(request, error):
    """The form over the newer save: the user's typing stays, fields only the other person
    changed show theirs, and only the fields both changed are named, with theirs, to choose."""
    current = error.outcome
    theirs = outcome_values(current)
    data = request.POST.copy()
    for field in error.merge.theirs_kept:
        if field == "tasks":
            data.setlist("tasks", [pk for pk in theirs["tasks"].split(",") if pk])
        else:
            data[field] = "" if theirs[field] is None else theirs[field]
    data["base"] = snapshot(theirs)
    form = OutcomeForm(data, instance=current, zones=_own_zones(request.user))
    form.is_valid()
    form.add_error(
        None,
        _(
            "Someone else saved this outcome after you opened it, and you both changed %(fields)s. Theirs: "
            "%(theirs)s. Yours are kept below; save again to keep yours, or type theirs. Nothing has been "
            "saved yet."
        )
        % {
            "fields": ", ".join(_outcome_label(field) for field in error.merge.conflicts),
            "theirs": "; ".join(
                f"{_outcome_label(field)} “{_outcome_shown(current, field)}”"
                for field in error.merge.conflicts
            ),
        },
    )
    return form


@login_required
def edit_outcome(request, pk):
    outcome = _outcome(request, pk)
    ensure(can_record_outcome(request.user, outcome.zone))
    if outcome.state != OutcomeState.DRAFT:
        # The role allows it; the state does not: say so on the outcome page, not as a 403.
        messages.error(
            request,
            _("This outcome is %(state)s; only a draft can be edited.")
            % {"state": outcome.get_state_display().lower()},
        )
        return redirect(outcome)
    initial = {"base": snapshot(outcome_values(outcome))} if request.method != "POST" else None
    form = OutcomeForm(
        request.POST or None, instance=outcome, zones=_own_zones(request.user), initial=initial
    )
    conflict = False
    if request.method == "POST" and form.is_valid():
        data, tasks = _form_data(form)
        try:
            saved = services.update_outcome(
                outcome=outcome,
                user=request.user,
                data=data,
                tasks=tasks,
                base=read_snapshot(form.cleaned_data["base"]),
            )
            merged = getattr(saved, "merged", None)
            if merged is not None and merged.theirs_kept:
                messages.info(
                    request,
                    _(
                        "Someone else saved this outcome while you were editing it. Their changes to "
                        "%(fields)s are kept; yours were saved alongside."
                    )
                    % {"fields": ", ".join(_outcome_label(field) for field in merged.theirs_kept)},
                )
            return redirect(outcome)
        except OutcomeConflict as error:
            form = _outcome_form_after_conflict(request, error)
            conflict = True
        except ValidationError as error:
            add_service_errors(form, error)
    status = 409 if conflict else (400 if form.is_bound and form.errors else 200)
    return render(request, "measures/outcome_form.html", {"form": form, "outcome": outcome}, status=status)


def _return_event(outcome, events):
    """The manager's latest 退回修改 while the outcome is back in draft: every resubmission
    leaves draft, so the newest return is the one still to be answered. Read from the history
    the page lists anyway, so it costs no query."""
    if outcome.state != OutcomeState.DRAFT:
        return None
    return next((event for event in events if event.kind == EventKind.OUTCOME_RETURNED), None)


def render_outcome(request, outcome, status=200, **forms):
    events = list(ReportEvent.objects.filter(outcome=outcome).select_related("actor").order_by("-at", "-pk"))
    context = {
        "outcome": outcome,
        # An outcome is seen by its zone; its linked tasks only as far as the user sees them.
        "tasks": outcome.tasks.visible_to(request.user).select_related("zone").order_by("number"),
        "evidence": outcome.evidence.select_related("added_by").order_by("added_at", "pk"),
        "events": events,
        "returned": _return_event(outcome, events),
        "may_record": can_record_outcome(request.user, outcome.zone),
        "may_add_evidence": can_record_outcome(request.user, outcome.zone)
        and outcome.state in OUTCOME_EVIDENCE_OPEN_STATES,
        "may_delete": may_delete_outcome(request.user, outcome),
        "may_review": can_review(request.user),
        "decides_own": decides_own_submission(request.user, outcome_authors(outcome)),
        "evaluate_form": EvaluateForm(initial={"score": outcome.score, "notes": outcome.evaluation}),
        "decision_form": DecisionForm(),
        "decline_form": DeclineForm(),
        "return_form": ReturnForm(),
        "replication_form": ReplicationForm(),
        "file_form": EvidenceFileForm(),
        "withdraw_form": ReasonForm(),
        **forms,
    }
    return render(request, "measures/outcome_detail.html", context, status=status)


@login_required
def outcome_detail(request, pk):
    return render_outcome(request, _outcome(request, pk))


def _is_state_refusal(error):
    """A step the outcome's state does not allow, or a decision on one's own outcome: an error
    message on the outcome page, not on a form."""
    state_error = not hasattr(error, "error_dict") and any(e.code == STATE_ERROR for e in error.error_list)
    return state_error or is_own_submission_refusal(error)


def _act(request, pk, *, allowed, **action):
    outcome = _outcome(request, pk)
    ensure(allowed(request.user, outcome))
    # The outcome page shows a form's own errors beside it, so they are not repeated as messages.
    return perform_action(
        request,
        outcome,
        render_page=render_outcome,
        is_refusal=_is_state_refusal,
        errors_as_messages=False,
        **action,
    )


def _reviewer(user, outcome):
    return can_review(user)


def _recorder(user, outcome):
    return can_record_outcome(user, outcome.zone)


@login_required
@require_POST
def submit(request, pk):
    return _act(
        request,
        pk,
        allowed=_recorder,
        form_class=None,
        form_name="",
        call=lambda outcome, data: services.submit_outcome(outcome=outcome, user=request.user),
        message=_("Outcome submitted."),
    )


@login_required
@require_POST
def evaluate(request, pk):
    return _act(
        request,
        pk,
        allowed=_reviewer,
        form_class=EvaluateForm,
        form_name="evaluate_form",
        call=lambda outcome, data: services.evaluate_outcome(
            outcome=outcome, user=request.user, score=data["score"], notes=data["notes"]
        ),
        message=_("Evaluation recorded."),
    )


@login_required
@require_POST
def return_for_changes(request, pk):
    return _act(
        request,
        pk,
        allowed=_reviewer,
        form_class=ReturnForm,
        form_name="return_form",
        call=lambda outcome, data: services.return_outcome(
            outcome=outcome, user=request.user, note=data["note"]
        ),
        message=_("Outcome returned to the zone for changes."),
    )


@login_required
@require_POST
def recommend(request, pk):
    return _act(
        request,
        pk,
        allowed=_reviewer,
        form_class=DecisionForm,
        form_name="decision_form",
        call=lambda outcome, data: services.recommend_outcome(
            outcome=outcome, user=request.user, note=data["note"]
        ),
        message=_("Recommended for citywide replication."),
    )


@login_required
@require_POST
def decline(request, pk):
    return _act(
        request,
        pk,
        allowed=_reviewer,
        form_class=DeclineForm,
        form_name="decline_form",
        call=lambda outcome, data: services.decline_outcome(
            outcome=outcome, user=request.user, reason=data["reason"]
        ),
        message=_("Marked as not recommended."),
    )


@login_required
@require_POST
def replicate(request, pk):
    return _act(
        request,
        pk,
        allowed=_reviewer,
        form_class=ReplicationForm,
        form_name="replication_form",
        call=lambda outcome, data: services.record_replication(
            outcome=outcome, user=request.user, where=data["where"], on=data["on"]
        ),
        message=_("Replication recorded."),
    )


@login_required
@require_POST
def add_file(request, pk):
    return _act(
        request,
        pk,
        allowed=_recorder,
        form_class=EvidenceFileForm,
        form_name="file_form",
        call=lambda outcome, data: services.add_outcome_file(
            outcome=outcome, user=request.user, uploaded_file=data["file"], description=data["description"]
        ),
        message=_("File added to the outcome."),
    )


@login_required
@require_POST
def delete(request, pk):
    outcome = _outcome(request, pk)
    # Only its author deletes it (403 for anyone else); a draft no longer is one is said on the page.
    ensure(can_record_outcome(request.user, outcome.zone) and outcome.created_by_id == request.user.pk)
    try:
        services.delete_outcome(outcome=outcome, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(outcome)
    messages.success(request, _("Draft outcome deleted; its history is kept."))
    return redirect("measures:outcome-list")


@login_required
@require_POST
def withdraw_evidence(request, pk, evidence_pk):
    outcome = _outcome(request, pk)
    evidence = get_object_or_404(Evidence, pk=evidence_pk, outcome=outcome)
    ensure(can_record_outcome(request.user, outcome.zone))

    def reason_form(data, files):
        form = ReasonForm(data)
        # Drawn again with errors, the page opens this item's withdraw box.
        form.evidence_pk = evidence.pk
        return form

    return perform_action(
        request,
        outcome,
        render_page=render_outcome,
        form_class=reason_form,
        form_name="withdraw_form",
        call=lambda outcome, data: services.withdraw_outcome_evidence(
            evidence=evidence, user=request.user, reason=data["reason"]
        ),
        message=_("Evidence withdrawn; it stays in the history."),
        success_url=outcome.get_absolute_url() + "#evidence",
        refused_url=outcome.get_absolute_url(),
        is_refusal=_is_state_refusal,
        errors_as_messages=False,
    )


def _submission_list(request, period_id):
    period = get_object_or_404(ReportingPeriod, pk=period_id)
    outcomes = (
        visible_outcomes(request.user)
        .filter(period=period, state__in=LISTED_STATES)
        .select_related("zone")
        .prefetch_related(Prefetch("tasks", queryset=Task.objects.visible_to(request.user)))
        .order_by("zone__annex_number", "submitted_at", "pk")
    )
    return period, outcome_rows(outcomes)


def _download(content, filename, content_type):
    return HttpResponse(
        content,
        content_type=content_type,
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


@login_required
def submission_list_xlsx(request, period_id):
    period, rows = _submission_list(request, period_id)
    return _download(
        as_xlsx(period, rows),
        f"{list_title(period)}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@login_required
def submission_list_docx(request, period_id):
    period, rows = _submission_list(request, period_id)
    return _download(
        as_docx(period, rows),
        f"{list_title(period)}.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
