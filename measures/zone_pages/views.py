from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.utils import timezone
from django_filters.views import FilterView

from core.access import access_for
from core.pagination import ForgivingPaginationMixin
from measures.followup.forms import ChaseForm
from measures.scoping import visible_zones
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
    agency, tasks, periods, requests = selectors.agency_detail(request.user, pk)
    zones = visible_zones(request.user).filter(tasks__agency_links__agency=agency).distinct()
    task_filter = AgencyTaskFilter(request.GET or None, queryset=tasks, zones=zones.order_by("annex_number"))
    shown = attach_lights(list(task_filter.qs), periods, timezone.localdate())
    return render(
        request,
        "zones/agency_detail.html",
        {
            "agency": agency,
            "tasks": shown,
            "filter": task_filter,
            "requests": requests,
            "access": access_for(request.user),
        },
    )
