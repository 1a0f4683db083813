from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django_filters.views import FilterView

from . import selectors
from .filters import AgencyFilter
from .pagination import ForgivingPaginationMixin


@login_required
def home(request):
    return redirect("zones:list")


@login_required
def zone_list(request):
    return render(request, "zones/zone_list.html", {"zones": selectors.zone_list()})


@login_required
def zone_detail(request, code):
    return render(request, "zones/zone_detail.html", {"zone": selectors.zone_detail(code)})


class AgencyListView(LoginRequiredMixin, ForgivingPaginationMixin, FilterView):
    filterset_class = AgencyFilter
    template_name = "zones/agency_list.html"
    context_object_name = "agencies"
    paginate_by = 50

    def get_queryset(self):
        return selectors.agency_list().order_by("-task_count", "name")


@login_required
def agency_detail(request, pk):
    agency, tasks = selectors.agency_detail(pk)
    return render(request, "zones/agency_detail.html", {"agency": agency, "tasks": tasks})
