from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django_filters.views import FilterView

from zones.pagination import ForgivingPaginationMixin

from . import selectors
from .filters import TaskFilter


class TaskListView(LoginRequiredMixin, ForgivingPaginationMixin, FilterView):
    filterset_class = TaskFilter
    template_name = "measures/task_list.html"
    context_object_name = "tasks"
    paginate_by = 25

    def get_queryset(self):
        return selectors.task_list()


@login_required
def task_detail(request, code, number):
    task, previous_number, next_number = selectors.task_detail(code, number)
    return render(
        request,
        "measures/task_detail.html",
        {"task": task, "zone": task.zone, "previous_number": previous_number, "next_number": next_number},
    )
