from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_filters.views import FilterView

from core.access import access_for, can_answer
from core.pagination import ForgivingPaginationMixin, KeysFirstPaginator
from core.views import ensure, perform_action
from measures import services
from measures.followup.forms import AnswerForm, ChaseForm
from measures.reporting.models import unsubmitted_listed_for
from measures.scoping import visible_agencies, visible_zones
from measures.tasks.filters import AgencyTaskFilter
from measures.tasks.selectors import attach_lights
from measures.zone_pages import selectors
from measures.zone_pages.filters import AgencyListFilter

# Tasks on one page of an agency's page.
AGENCY_TASKS_PER_PAGE = 50


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
    # A page of tasks at a time, as the task list: an agency may support 1,500 tasks of a large plan
    # (a 1 MB page); the task list filtered to the agency holds them all.
    zone_counts = selectors.tasks_by_zone(task_filter.qs)
    paginator = KeysFirstPaginator(task_filter.qs, AGENCY_TASKS_PER_PAGE, allow_empty_first_page=True)
    paginator.count = sum(zone_counts.values())  # counted with the zones' counts, not again
    page = paginator.get_page(request.GET.get("page"))
    shown = attach_lights(
        list(page.object_list),
        periods,
        timezone.localdate(),
        user=request.user,
        drafts=task_filter.drafts_asked(),
    )
    for task in shown:
        task.zone_total = zone_counts.get(task.zone_id, 0)
    return render(
        request,
        "zones/agency_detail.html",
        {
            "agency": agency,
            "tasks": shown,
            "task_count": paginator.count,
            "page_obj": page,
            "is_paginated": page.has_other_pages(),
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
