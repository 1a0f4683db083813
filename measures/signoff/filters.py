"""Filters of the zone leader's sign-off queue."""

import django_filters
from django.utils.translation import gettext_lazy as _

from core.filters import DisplayNamesFilterSet
from measures.models import ProgressReport, ReportingPeriod
from zones.models import Zone


class SignoffQueueFilter(DisplayNamesFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    period = django_filters.ModelChoiceFilter(
        queryset=ReportingPeriod.objects.select_related("plan"), label=_("Period"), empty_label=_("(any)")
    )
    zone = django_filters.ModelChoiceFilter(
        queryset=Zone.objects.all(),
        field_name="task__zone",
        to_field_name="code",
        label=_("Zone"),
        empty_label=_("(any)"),
    )

    class Meta:
        model = ProgressReport
        fields = ["q", "period", "zone"]

    def __init__(self, *args, zones=None, **kwargs):
        super().__init__(*args, **kwargs)
        if zones is not None:
            self.filters["zone"].queryset = zones

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(task__title__icontains=value)
