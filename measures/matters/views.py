"""Major matters (重大事项请示报告): the list, the form, and the page with its thread."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_filters.views import FilterView

from core.access import access_for, can_review, decides_own_submission
from core.pagination import ForgivingPaginationMixin
from core.views import add_service_errors, ensure, perform_action
from measures import services
from measures.choices import MatterState
from measures.matters.filters import MatterFilter
from measures.matters.forms import CloseMatterForm, MatterForm, MatterStartForm, RespondForm
from measures.matters.services import can_close_matter
from measures.models import ReportEvent
from measures.scoping import visible_matters, visible_zones


class MatterListView(LoginRequiredMixin, ForgivingPaginationMixin, FilterView):
    filterset_class = MatterFilter
    template_name = "measures/matter_list.html"
    context_object_name = "matters"
    paginate_by = 25

    def get_queryset(self):
        return (
            visible_matters(self.request.user)
            .select_related("zone", "task", "raised_by")
            .order_by("-raised_at", "-pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        access = access_for(self.request.user)
        context["may_raise"] = access.is_admin or access.is_officer
        return context


def _own_zones(user):
    access = access_for(user)
    zones = visible_zones(user).order_by("plan__code", "annex_number")
    return zones if access.is_admin else zones.filter(pk__in=access.zone_ids if access.is_officer else [])


@login_required
def raise_matter(request):
    zones = _own_zones(request.user)
    ensure(zones.exists())
    initial = {}
    if request.method == "GET":
        # From a task or zone page: start with that task or zone chosen.
        start = MatterStartForm(request.GET, zones=zones)
        if start.is_valid():
            task = start.cleaned_data["task"]
            initial = {"task": task, "zone": task.zone if task else start.cleaned_data["zone"]}
    form = MatterForm(request.POST or None, zones=zones, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            matter = services.raise_matter(
                zone=data["zone"],
                task=data["task"],
                user=request.user,
                urgency=data["urgency"],
                title=data["title"],
                description=data["description"],
            )
            messages.success(request, _("The matter has been reported to the managers."))
            return redirect(matter)
        except ValidationError as error:
            add_service_errors(form, error)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "measures/matter_form.html", {"form": form}, status=status)


def _matter(request, pk):
    return get_object_or_404(
        visible_matters(request.user).select_related(
            "zone", "task__zone", "raised_by", "responded_by", "closed_by"
        ),
        pk=pk,
    )


def render_matter(request, matter, status=200, **forms):
    context = {
        "matter": matter,
        "thread": ReportEvent.objects.filter(matter=matter).select_related("actor").order_by("at", "pk"),
        "may_respond": can_review(request.user)
        and matter.state != MatterState.CLOSED
        and not decides_own_submission(request.user, {matter.raised_by_id}),
        "may_close": can_close_matter(request.user, matter) and matter.state != MatterState.CLOSED,
        "respond_form": RespondForm(),
        "close_form": CloseMatterForm(),
        **forms,
    }
    return render(request, "measures/matter_detail.html", context, status=status)


@login_required
def matter_detail(request, pk):
    return render_matter(request, _matter(request, pk))


def _act(request, pk, *, allowed, **action):
    matter = _matter(request, pk)
    ensure(allowed(request.user, matter))
    return perform_action(request, matter, render_page=render_matter, **action)


@login_required
@require_POST
def respond(request, pk):
    return _act(
        request,
        pk,
        allowed=lambda user, matter: can_review(user),
        form_class=RespondForm,
        form_name="respond_form",
        call=lambda matter, data: services.respond_to_matter(
            matter=matter, user=request.user, response=data["response"]
        ),
        message=_("Response recorded."),
    )


@login_required
@require_POST
def close(request, pk):
    return _act(
        request,
        pk,
        allowed=can_close_matter,
        form_class=CloseMatterForm,
        form_name="close_form",
        call=lambda matter, data: services.close_matter(matter=matter, user=request.user, note=data["note"]),
        message=_("Matter closed."),
    )
