"""The review workbench: every report waiting for a manager, one report at a time with what to
compare it with, decided from the keyboard, and several accepted at once."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.access import can_review_report, decides_own_submission, review_capacity
from core.views import add_service_errors, ensure, is_own_submission_refusal
from measures import services
from measures.models import ProgressReport, Task
from measures.reporting.forms import ReviewForm
from measures.reporting.services import ReportConflict, report_deciders_barred
from measures.review import selectors
from measures.review.filters import WorkbenchFilter
from measures.review.forms import BatchAcceptForm
from measures.review.services import accept_reports

PAGE_SIZE = 25


def _filters(request, today):
    """The queue's FilterSet from the query string (carried from the queue to each report), and
    the reports it leaves: none for a value it cannot read (the form says which)."""
    filterset = WorkbenchFilter(request.GET or None, queryset=selectors.waiting_reports(), today=today)
    valid = not filterset.is_bound or filterset.is_valid()
    return filterset, filterset.qs if valid else filterset.queryset.none()


def _query(request):
    """The filters' query string, without the page: what every link of the workbench carries."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _with_query(url, query):
    return f"{url}?{query}" if query else url


def queue_url(query):
    return _with_query(reverse("measures:review-queue"), query)


def report_url(report, query):
    return _with_query(reverse("measures:review-report", args=[report.pk]), query)


@login_required
def review_queue(request):
    ensure(can_review_report(request.user))
    today = timezone.localdate()
    filterset, queryset = _filters(request, today)
    paginator = Paginator(selectors.queue_queryset(queryset, request.user, today), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = _query(request)
    rows = list(selectors.decorate(page.object_list, today))
    for row in rows:
        row.review_url = report_url(row, query)
    return render(
        request,
        "measures/review_queue.html",
        {
            "filter": filterset,
            "rows": rows,
            "page_obj": page,
            "is_paginated": page.has_other_pages(),
            "total": selectors.waiting_count(),
            "query": query,
            "batch_form": BatchAcceptForm(),
            "first_url": rows[0].review_url if rows else "",
        },
    )


def _scoped_report(request, pk):
    """The report, if its task is visible to the user (else 404), with what the page draws."""
    visible = Task.objects.visible_to(request.user).values("pk")
    return get_object_or_404(
        ProgressReport.objects.select_related(
            "task__zone__plan",
            "task__category",
            "period__plan",
            "period__locked_by",
            "updated_by",
            "support_agency",
        ),
        pk=pk,
        task__in=visible,
    )


@login_required
def review_report(request, pk):
    report = _scoped_report(request, pk)
    ensure(can_review_report(request.user))
    today = timezone.localdate()
    query = _query(request)
    _filterset, queue = _filters(request, today)
    form = None
    if request.method == "POST":
        form = ReviewForm(request.POST)
        if form.is_valid():
            decided = _decide(request, report, form)
            if decided == "comment":
                return redirect(report_url(report, query))
            if decided:
                return _to_next(request, queue, report, query)
    if request.method == "GET":
        # A reviewer reading it for review: from now on the zone can no longer recall it.
        services.note_opened_for_review(report=report, user=request.user)
    # Four eyes for the reviewer and, for a manager's deputy, for the manager they stand in for.
    barred = report_deciders_barred(report)
    principal = review_capacity(request.user).on_behalf_of
    own = decides_own_submission(request.user, barred) or decides_own_submission(principal, barred)
    waiting = ProgressReport.objects.awaiting_review().filter(pk=report.pk).exists()
    if form is None:
        form = ReviewForm(initial={"version": report.version})
    following = selectors.next_in_queue(queue, request.user, report)
    return render(
        request,
        "measures/review_report.html",
        {
            "report": report,
            "task": report.task,
            "zone": report.task.zone,
            "period": report.period,
            "form": form,
            "own": own,
            "waiting": waiting,
            "decidable": waiting and not own,
            "left": queue.exclude(pk=report.pk).count(),
            "next_url": report_url(following, query) if following else "",
            "queue_url": queue_url(query),
            "query": query,
            **selectors.review_page(report, today),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _decide(request, report, form):
    """Call the service the decision names; the action's name when done, None when refused (the
    reason is on the form or in a message)."""
    data = form.cleaned_data
    action, note, version = data["action"], data["note"], data["version"]
    try:
        if action == "accept":
            services.accept_report(
                report=report,
                user=request.user,
                note=note,
                expected_version=version,
                **form.assessment_data(),
            )
            messages.success(request, _("Report accepted."))
        elif action == "return":
            services.return_report(report=report, user=request.user, note=note, expected_version=version)
            messages.success(request, _("Report returned to the zone with your note."))
        else:
            services.comment_on_report(report=report, user=request.user, note=note)
            messages.success(request, _("Comment added."))
        return action
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
        else:
            add_service_errors(form, error)
    report.refresh_from_db()
    return None


def _to_next(request, queue, report, query):
    following = selectors.next_in_queue(queue, request.user, report)
    if following is None:
        messages.info(request, _("No other report in this queue waits for your review."))
        return redirect(queue_url(query))
    return redirect(report_url(following, query))


@login_required
@require_POST
def batch_accept(request):
    ensure(can_review_report(request.user))
    query = _query(request)
    form = BatchAcceptForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(queue_url(query))
    result = accept_reports(
        report_ids=form.cleaned_data["reports"], user=request.user, **form.assessment_data()
    )
    if result.accepted:
        count = len(result.accepted)
        messages.success(
            request,
            ngettext("%(count)s report accepted.", "%(count)s reports accepted.", count) % {"count": count},
        )
    if result.own:
        count = len(result.own)
        messages.warning(
            request,
            ngettext(
                "%(count)s report skipped: you wrote or submitted it yourself, so another manager has to "
                "decide on it (four eyes).",
                "%(count)s reports skipped: you wrote or submitted them yourself, so another manager has to "
                "decide on them (four eyes).",
                count,
            )
            % {"count": count},
        )
    for report, reason in result.refused:
        name = f"{report.task.zone.short_name} {report.task.display_number} · {report.period.name}"
        messages.error(
            request,
            _("%(report)s was not accepted: %(reason)s")
            % {"report": name, "reason": reason or _("it no longer waits for review.")},
        )
    return redirect(queue_url(query))
