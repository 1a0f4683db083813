from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_filters.views import FilterView

from core.access import access_for, can_answer
from core.pagination import ForgivingPaginationMixin
from core.views import ensure, perform_action
from measures import services
from measures.followup.forms import AnswerForm, ChaseForm
from measures.reporting.models import unsubmitted_listed_for
from measures.scoping import visible_agencies, visible_zones
from measures.tasks.filters import AgencyTaskFilter
from measures.tasks.selectors import attach_lights
from measures.zone_pages import selectors
from measures.zone_pages.filters import AgencyListFilter


@login_required
def zone_list(request):
    return render(
        request,
        "zones/zone_list.html",
        {"zones": selectors.zone_list(request.user), "can_import": access_for(request.user).is_admin},
    )


@login_required
def zone_detail(request, code):
    zone = selectors.zone_detail(request.user, code)
    access = access_for(request.user)
    chase_form = ChaseForm(initial={"period": zone.period}) if access.is_manager and zone.period else None
    return render(
        request, "zones/zone_detail.html", {"zone": zone, "access": access, "chase_form": chase_form}
    )


class AgencyListView(LoginRequiredMixin, ForgivingPaginationMixin, FilterView):
    filterset_class = AgencyListFilter
    template_name = "zones/agency_list.html"
    context_object_name = "agencies"
    paginate_by = 50

    def get_queryset(self):
        return selectors.agency_list(self.request.user).order_by("-task_count", "name")


@login_required
def agency_detail(request, pk):
    return _render_agency(request, pk)


def _render_agency(request, pk, status=200, answer_form=None):
    agency, tasks, periods, requests = selectors.agency_detail(request.user, pk)
    for item in requests:
        item.may_answer = can_answer(request.user, item)
        # Refused, the request's answer form opens again with what was typed and why.
        if answer_form is not None and answer_form.request_pk == item.pk:
            item.answer_form = answer_form
        else:
            item.answer_form = AnswerForm(prefix=f"answer-{item.pk}")
    zones = visible_zones(request.user).filter(tasks__agency_links__agency=agency).distinct()
    task_filter = AgencyTaskFilter(request.GET or None, queryset=tasks, zones=zones.order_by("annex_number"))
    shown = attach_lights(
        list(task_filter.qs),
        periods,
        timezone.localdate(),
        user=request.user,
        drafts=task_filter.drafts_asked(),
    )
    return render(
        request,
        "zones/agency_detail.html",
        {
            "agency": agency,
            "tasks": shown,
            "filter": task_filter,
            "requests": requests,
            "open_count": sum(1 for item in requests if item.state == "open"),
            "access": access_for(request.user),
            "offers_drafts": unsubmitted_listed_for(request.user) is not None,
        },
        status=status,
    )


@login_required
@require_POST
def answer_request(request, pk, request_pk):
    """A liaison answers a request on the agency page itself, where the requests are listed."""
    agency = get_object_or_404(visible_agencies(request.user), pk=pk)
    coordination = get_object_or_404(selectors.agency_requests(request.user, agency), pk=request_pk)
    ensure(can_answer(request.user, coordination))

    def answer_form(data, files):
        form = AnswerForm(data, files, prefix=f"answer-{request_pk}")
        form.request_pk = request_pk
        return form

    return perform_action(
        request,
        agency,
        form_class=answer_form,
        form_name="answer_form",
        call=lambda agency, data: services.answer_request(
            request=coordination, user=request.user, answer=data["answer"]
        ),
        message=_("Answer sent."),
        success_url=f"{agency.get_absolute_url()}#request-{request_pk}",
        render_page=lambda request, agency, status, answer_form: _render_agency(
            request, agency.pk, status, answer_form
        ),
        errors_as_messages=False,
    )
