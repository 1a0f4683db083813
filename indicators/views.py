"""Indicator pages: the zone scorecard, the officers' entry form and the managers' review queue."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_filters.views import FilterView

from core.access import can_review
from core.merge import read_snapshot, snapshot
from core.pagination import ForgivingPaginationMixin
from core.uploads import safe_display_name
from core.views import add_service_errors, ensure
from measures.models import ReportingPeriod
from measures.scoping import visible_zones
from zones.models import Plan

from . import selectors, services
from .choices import Computation, ValueState
from .filters import ValueFilter
from .forms import AcrossZonesForm, ReviewForm, ValueFormSet
from .models import Indicator, IndicatorEvent, IndicatorValue


def _zone(request, code):
    return get_object_or_404(visible_zones(request.user).select_related("plan"), code=code)


@login_required
def scorecard(request, code):
    zone = _zone(request, code)
    card = selectors.scorecard(zone=zone)
    current = ReportingPeriod.objects.current_for(zone.plan, timezone.localdate())
    context = {
        "zone": zone,
        "card": card,
        "chart": selectors.chart_data(card),
        "current_period": current,
        "may_enter": services.can_enter(request.user, zone),
        "may_review": can_review(request.user),
        "has_manual": any(row.indicator.is_manual for row in card["rows"]),
    }
    return render(request, "indicators/scorecard.html", context)


def _entry_rows(zone, period):
    indicators = list(
        Indicator.objects.filter(plan=zone.plan, computation=Computation.MANUAL)
        .select_related("dimension")
        .order_by("dimension__order", "order", "code")
    )
    values = {
        value.indicator_id: value
        for value in IndicatorValue.objects.filter(zone=zone, period=period, indicator__in=indicators)
    }
    return indicators, values


def _initial(indicators, values):
    rows = []
    for indicator in indicators:
        value = values.get(indicator.pk)
        row = {"indicator": indicator.pk, "base": snapshot(services.value_values(value))}
        if value is not None:
            row.update(version=value.version, value=value.display_value, source=value.source, note=value.note)
        rows.append(row)
    return rows


@login_required
def enter_values(request, code, period_id):
    zone = _zone(request, code)
    period = get_object_or_404(ReportingPeriod, pk=period_id, plan_id=zone.plan_id)
    ensure(services.can_enter(request.user, zone))
    indicators, values = _entry_rows(zone, period)
    initial = _initial(indicators, values)
    status = 200
    if request.method == "POST":
        formset = ValueFormSet(request.POST, request.FILES, initial=initial)
        status = _handle_entry(request, zone, period, indicators, values, formset)
        if status is None:
            return redirect("indicators:enter", zone.code, period.pk)
        indicators, values = _entry_rows(zone, period)
    else:
        formset = ValueFormSet(initial=initial)
    previous = selectors.previous_accepted(zone=zone, period=period, indicators=indicators)
    rows = [
        {
            "indicator": indicator,
            "value": values.get(indicator.pk),
            "form": form,
            "previous": previous.get(indicator.pk),
        }
        for indicator, form in zip(indicators, formset.forms, strict=False)
    ]
    for row in rows:
        if row["value"] is not None and row["value"].evidence_file:
            row["form"].show_attached(
                url=reverse("indicators:evidence", args=[row["value"].pk]), name=row["value"].evidence_name
            )
    editable = any(row["value"] is None or row["value"].is_editable for row in rows)
    periods = ReportingPeriod.objects.filter(plan_id=zone.plan_id, start__lte=timezone.localdate()).order_by(
        "-start"
    )
    context = {
        "zone": zone,
        "period": period,
        "periods": periods,
        "formset": formset,
        "rows": rows,
        "editable": editable,
    }
    return render(request, "indicators/enter.html", context, status=status)


def _handle_entry(request, zone, period, indicators, values, formset):
    """None when everything went through; otherwise the status to show the form again with."""
    by_id = {indicator.pk: indicator for indicator in indicators}
    if not formset.is_valid():
        return 400
    if [form.cleaned_data["indicator"] for form in formset.forms] != list(by_id):
        formset._non_form_errors = formset.error_class(
            [_("The list of indicators changed while you were typing; check the rows and save again.")]
        )
        return 409
    submitting = request.POST.get("action") == "submit"
    # Files are checked before anything is written: a refused file leaves every row as it was,
    # so pressing "submit" never ends in a half-saved draft the user did not ask for.
    refused = _refused_evidence(by_id, formset)
    if refused:
        _mark_row_errors(request.user, zone, period, by_id, values, formset)
        messages.error(
            request,
            _(
                "Nothing was saved or submitted: %(problems)s Your typed values are kept below; choose a correct "
                "file (or none) for that row and press the button again."
            )
            % {"problems": " ".join(refused)},
        )
        return 400
    try:
        saved = _save_rows(request.user, zone, period, by_id, values, formset)
        for _form, value in saved:
            merged = getattr(value, "merged", None)
            if merged is not None and merged.theirs_kept:
                messages.info(
                    request,
                    _(
                        "Someone else saved %(indicator)s while you were editing it. Their changes to "
                        "%(fields)s are kept; yours were saved alongside."
                    )
                    % {
                        "indicator": value.indicator.display_name,
                        "fields": _field_labels(merged.theirs_kept),
                    },
                )
    except services.ValueConflict as conflict:
        _keep_typed_values(formset, conflict)
        return 409
    except _RowError:
        messages.error(request, _("Nothing was saved or submitted: correct the rows marked below."))
        return 400
    if not _attach_evidence(request.user, saved, formset):
        messages.warning(
            request,
            _(
                "The values were saved as a draft, but an evidence file could not be stored, so nothing was "
                "submitted. Attach the file again on the row marked below."
            ),
        )
        return 400
    if submitting:
        if not _submit_rows(request.user, saved):
            messages.warning(
                request,
                _(
                    "The values were saved as a draft, but nothing was submitted: correct the rows marked "
                    "below and submit again."
                ),
            )
            return 400
        messages.success(request, _("Values submitted for review."))
    else:
        messages.success(request, _("Values saved as a draft."))
    return None


def _mark_row_errors(user, zone, period, by_id, values, formset):
    """Put every row's own errors (a negative total...) on the page in the same round as a refused
    file: the rows are saved and then rolled back, so nothing is written."""
    try:
        with transaction.atomic():
            _save_rows(user, zone, period, by_id, values, formset)
            transaction.set_rollback(True)
    except (_RowError, services.ValueConflict):
        pass


def _refused_evidence(by_id, formset):
    """Check every attached file's content; each refusal goes on its row and into the list returned."""
    problems = []
    for form in formset.forms:
        upload = form.cleaned_data.get("evidence")
        if not upload:
            continue
        try:
            services.check_evidence(uploaded_file=upload)
        except ValidationError as error:
            form.add_error("evidence", error.messages)
            problems.append(
                _("the evidence file “%(file)s” for %(indicator)s was refused: %(reason)s")
                % {
                    "file": safe_display_name(upload.name or ""),
                    "indicator": by_id[form.cleaned_data["indicator"]].display_name,
                    "reason": " ".join(error.messages),
                }
            )
    return problems


def _submit_rows(user, saved):
    """All editable rows are submitted together or not at all."""
    failed = False
    with transaction.atomic():
        for form, value in saved:
            if value.state not in services.EDITABLE_STATES:
                continue
            try:
                services.submit_value(value=value, user=user)
            except ValidationError as error:
                add_service_errors(form, error)
                failed = True
        if failed:
            transaction.set_rollback(True)
    return not failed


class _RowError(Exception):
    pass


def _save_rows(user, zone, period, by_id, values, formset):
    """Save every row in one transaction, so a bad row leaves all of them as they were."""
    saved = []
    with transaction.atomic():
        failed = False
        for form in formset.forms:
            data = form.cleaned_data
            indicator = by_id[data["indicator"]]
            existing = values.get(indicator.pk)
            if existing is not None and not existing.is_editable:
                continue
            if form.is_blank:
                if existing is not None:
                    form.add_error("value", _("A saved value cannot be removed; enter it again."))
                    failed = True
                continue
            try:
                value = services.save_value(
                    indicator=indicator,
                    zone=zone,
                    period=period,
                    user=user,
                    data={field: data[field] for field in services.VALUE_FIELDS},
                    # A row that had no value when the page was opened was at version 0: a value
                    # saved by someone else since is a conflict (merged), not overwritten.
                    expected_version=(data.get("version") or 0) if existing is not None else None,
                    base=read_snapshot(data.get("base")),
                )
            except ValidationError as error:
                add_service_errors(form, error)
                failed = True
                continue
            saved.append((form, value))
        if failed:
            transaction.set_rollback(True)
            raise _RowError
    return saved


def _field_labels(fields):
    from .forms import ValueForm

    return ", ".join(str(ValueForm.base_fields[field].label) for field in fields)


def _keep_typed_values(formset, conflict):
    """Show the conflict and let the next save go through over the newer version, typed values kept.
    With a merge, the fields only the other person changed show their values and only the fields
    both changed are named, with theirs, for the user to choose (keep theirs by typing it)."""
    current = conflict.value
    data = formset.data.copy()
    for form in formset.forms:
        if form.cleaned_data.get("indicator") == current.indicator_id:
            data[form.add_prefix("version")] = current.version
            if conflict.merge is None:
                form.add_error(
                    None,
                    _(
                        "Someone else saved this value (now %(value)s, from “%(source)s”) after you opened the "
                        "page. Your typed figures are kept below; save again to replace theirs."
                    )
                    % {"value": current.value, "source": current.source},
                )
            else:
                theirs = services.value_values(current)
                for field in conflict.merge.theirs_kept:
                    data[form.add_prefix(field)] = theirs[field]
                data[form.add_prefix("base")] = snapshot(theirs)
                form.add_error(
                    None,
                    _(
                        "Someone else saved this value after you opened the page, and you both changed "
                        "%(fields)s. Theirs: %(theirs)s. Yours are kept below; save again to keep yours, or "
                        "type theirs. Nothing has been saved yet."
                    )
                    % {
                        "fields": _field_labels(conflict.merge.conflicts),
                        "theirs": "; ".join(
                            f"{_field_labels([field])} “{theirs[field]}”"
                            for field in conflict.merge.conflicts
                        ),
                    },
                )
            form.data = data
    formset.data = data


def _attach_evidence(user, saved, formset):
    ok = True
    for form, value in saved:
        upload = form.cleaned_data.get("evidence")
        if not upload:
            continue
        try:
            services.add_value_evidence(value=value, user=user, uploaded_file=upload)
        except ValidationError as error:
            form.add_error("evidence", error.messages)
            ok = False
    return ok


def _value(request, pk):
    return get_object_or_404(
        selectors.visible_values(request.user).select_related("indicator", "zone", "period"), pk=pk
    )


@login_required
def download_evidence(request, pk):
    value = _value(request, pk)
    if not value.evidence_file:
        raise Http404
    try:
        handle = value.evidence_file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from storage.")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=value.evidence_name, content_type=value.evidence_type
    )
    # Never let a browser render an uploaded file as a page of this site.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


class ReviewQueueView(LoginRequiredMixin, ForgivingPaginationMixin, FilterView):
    filterset_class = ValueFilter
    template_name = "indicators/review_queue.html"
    context_object_name = "values"
    paginate_by = 25

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            ensure(can_review(request.user))
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        # Four eyes: rows this manager entered, changed or submitted are marked, not offered.
        authored = IndicatorEvent.objects.filter(
            value=OuterRef("pk"), actor=self.request.user, kind__in=services.AUTHOR_KINDS
        )
        return selectors.with_previous(selectors.review_queue()).annotate(
            own_submission=ExpressionWrapper(
                Q(entered_by=self.request.user) | Q(Exists(authored)), output_field=BooleanField()
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["submitted"] = ValueState.SUBMITTED
        return context


@login_required
@require_POST
def review_value(request, pk):
    value = _value(request, pk)
    ensure(can_review(request.user))
    form = ReviewForm(request.POST)
    back = (
        reverse("indicators:review") + "?" + request.GET.urlencode()
        if request.GET
        else reverse("indicators:review")
    )
    if not form.is_valid():
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
        return redirect(back)
    data = form.cleaned_data
    action = services.accept_value if data["action"] == "accept" else services.return_value
    try:
        action(value=value, user=request.user, note=data["note"], expected_version=data["version"])
    except services.ValueConflict:
        messages.error(
            request, _("The value changed after you opened the queue; look at it again before deciding.")
        )
        return redirect(back)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    done = _("Accepted") if data["action"] == "accept" else _("Returned to the zone")
    messages.success(
        request, f"{done}: {value.indicator.name} · {value.zone.display_name} · {value.period.display_name}"
    )
    return redirect(back)


@login_required
def across_zones(request):
    """Zones × indicators for a plan and period: each zone the user may see, each indicator's latest
    value up to the period, the target and the status."""
    plans = list(Plan.objects.filter(indicators__isnull=False).distinct().order_by("-code"))
    if not plans:
        plans = list(Plan.objects.order_by("-code"))
    code = request.GET.get("plan") or (plans[0].code if plans else None)
    plan = next((plan for plan in plans if plan.code == code), None)
    if plan is None:
        raise Http404
    periods = list(ReportingPeriod.objects.filter(plan=plan).order_by("-start"))
    form = AcrossZonesForm(request.GET or None, plans=plans, periods=periods)
    if request.GET and not form.is_valid():
        raise Http404
    chosen = form.cleaned_data.get("period") if form.is_bound else None
    period = (
        next((p for p in periods if p.pk == chosen), None)
        if chosen
        else ReportingPeriod.objects.current_for(plan, timezone.localdate())
    )
    table = selectors.across_zones(user=request.user, plan=plan, period=period) if period else None
    context = {
        "form": form,
        "plan": plan,
        "period": period,
        "table": table,
        "may_review": can_review(request.user),
        "enter_zone_ids": {
            zone.pk for zone in (table["zones"] if table else []) if services.can_enter(request.user, zone)
        },
    }
    return render(request, "indicators/across_zones.html", context)
