"""Stocktake meetings: the list, scheduling one, its pack (page and Word), and the assigned items."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_filters.views import FilterView

from core.access import decides_own_submission
from core.pagination import ForgivingPaginationMixin
from core.views import add_service_errors, ensure, perform_action

from . import docx, selectors, services
from .access import can_hold_stocktakes, can_report_on_item, visible_items, visible_stocktakes
from .choices import ItemEventKind
from .filters import ItemFilter, StocktakeFilter
from .forms import CloseItemForm, ItemForm, ProgressForm, ReopenItemForm, StocktakeForm
from .models import ItemEvidence

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class ManagersOnlyMixin:
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_hold_stocktakes(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class StocktakeListView(LoginRequiredMixin, ManagersOnlyMixin, ForgivingPaginationMixin, FilterView):
    filterset_class = StocktakeFilter
    template_name = "stocktakes/stocktake_list.html"
    context_object_name = "stocktakes"
    paginate_by = 25

    def get_queryset(self):
        return selectors.stocktake_list(self.request.user)


class ItemListView(LoginRequiredMixin, ForgivingPaginationMixin, FilterView):
    filterset_class = ItemFilter
    template_name = "stocktakes/item_list.html"
    context_object_name = "items"
    paginate_by = 25

    def get_queryset(self):
        return (
            visible_items(self.request.user)
            .select_related("zone", "agency", "stocktake")
            .order_by("state", "due", "pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        selectors.with_state(context["items"])
        return context


@login_required
def schedule(request):
    ensure(can_hold_stocktakes(request.user))
    form = StocktakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            stocktake = services.schedule_stocktake(
                user=request.user,
                plan=data["plan"],
                zone=data["zone"],
                agency=data["agency"],
                title=data["title"],
                held_on=data["held_on"],
                notes=data["notes"],
            )
            messages.success(request, _("Meeting scheduled; its pack is below."))
            return redirect(stocktake)
        except ValidationError as error:
            add_service_errors(form, error)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "stocktakes/stocktake_form.html", {"form": form}, status=status)


def _stocktake(request, pk):
    ensure(can_hold_stocktakes(request.user))
    return get_object_or_404(
        visible_stocktakes(request.user).select_related("plan", "zone", "agency", "created_by"), pk=pk
    )


def render_pack(request, stocktake, status=200, **forms):
    context = {
        "pack": selectors.pack(stocktake, page=True),
        "stocktake": stocktake,
        "item_form": ItemForm(stocktake=stocktake),
        **forms,
    }
    return render(request, "stocktakes/stocktake_detail.html", context, status=status)


@login_required
def detail(request, pk):
    return render_pack(request, _stocktake(request, pk))


@login_required
@never_cache
def pack_docx(request, pk):
    stocktake = _stocktake(request, pk)
    content = docx.render(selectors.pack(stocktake))
    filename = f"{_('Stocktake pack')}-{stocktake.held_on.isoformat()}.docx"
    return HttpResponse(
        content,
        content_type=DOCX,
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


@login_required
@require_POST
def assign(request, pk):
    stocktake = _stocktake(request, pk)
    form = ItemForm(request.POST, stocktake=stocktake)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.assign_item(
                stocktake=stocktake,
                user=request.user,
                title=data["title"],
                description=data["description"],
                zone=data["zone"],
                agency=data["agency"],
                due=data["due"],
            )
            messages.success(request, _("Item assigned; the assignee has been told."))
            return redirect(stocktake.get_absolute_url() + "#items")
        except ValidationError as error:
            add_service_errors(form, error)
    return render_pack(request, stocktake, status=400, item_form=form)


def _item(request, pk):
    return get_object_or_404(
        visible_items(request.user).select_related(
            "zone", "agency", "stocktake__plan", "created_by", "closed_by"
        ),
        pk=pk,
    )


def render_item(request, item, status=200, **forms):
    user = request.user
    events = list(item.events.select_related("actor").order_by("at", "pk"))
    reporters = {event.actor_id for event in events if event.kind == ItemEventKind.PROGRESS}
    manager = can_hold_stocktakes(user)
    context = {
        "item": item,
        "overdue": item.is_overdue(selectors.today()),
        "events": events,
        "evidence": list(item.evidence.select_related("added_by").order_by("added_at", "pk")),
        "may_report": can_report_on_item(user, item) and not item.is_closed,
        "may_close": manager and not item.is_closed,
        "own_progress": manager and not item.is_closed and decides_own_submission(user, reporters),
        "may_reopen": manager and item.is_closed,
        "may_read_pack": manager,
        "progress_form": ProgressForm(),
        "close_form": CloseItemForm(),
        "reopen_form": ReopenItemForm(),
        **forms,
    }
    return render(request, "stocktakes/item_detail.html", context, status=status)


@login_required
def item_detail(request, pk):
    return render_item(request, _item(request, pk))


def _act(request, pk, *, allowed, **action):
    item = _item(request, pk)
    ensure(allowed(request.user, item))
    return perform_action(request, item, render_page=render_item, errors_as_messages=False, **action)


@login_required
@require_POST
def report_progress(request, pk):
    return _act(
        request,
        pk,
        allowed=can_report_on_item,
        form_class=ProgressForm,
        form_name="progress_form",
        call=lambda item, data: services.report_progress(
            item=item,
            user=request.user,
            note=data["note"],
            uploaded_file=data["file"],
            link=data["link"],
            description=data["description"],
        ),
        message=_("Progress recorded; the manager has been told."),
    )


@login_required
@require_POST
def close(request, pk):
    return _act(
        request,
        pk,
        allowed=lambda user, item: can_hold_stocktakes(user),
        form_class=CloseItemForm,
        form_name="close_form",
        call=lambda item, data: services.close_item(
            item=item,
            user=request.user,
            note=data["note"],
            confirmed=data["confirmed"],
            uploaded_file=data["file"],
            link=data["link"],
            description=data["description"],
        ),
        message=_("Item closed."),
    )


@login_required
@require_POST
def reopen(request, pk):
    return _act(
        request,
        pk,
        allowed=lambda user, item: can_hold_stocktakes(user),
        form_class=ReopenItemForm,
        form_name="reopen_form",
        call=lambda item, data: services.reopen_item(
            item=item, user=request.user, reason=data["reason"], due=data["due"]
        ),
        message=_("Item reopened; the assignee has been told."),
    )


@login_required
def download_evidence(request, pk):
    evidence = get_object_or_404(ItemEvidence.objects.filter(item__in=visible_items(request.user)), pk=pk)
    if not evidence.file:
        raise Http404
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from storage.")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=evidence.original_name, content_type=evidence.content_type
    )
    # Never let a browser render an uploaded file as a page of this site.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
