"""Filters of the managers' review queue."""

import django_filters
from django.utils.translation import gettext_lazy as _

from measures.models import ProgressReport, ReportingPeriod
from zones.models import Zone


class ReviewQueueFilter(django_filters.FilterSet):
    """The managers' queue of submitted reports on /my/, narrowed to one period (so to its
    plan) by the dashboard's 待审核 link, so the list shows what the card counted."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    period = django_filters.ModelChoiceFilter(
        queryset=ReportingPeriod.objects.select_related("plan"), label=_("Period")
    )
    zone = django_filters.ModelChoiceFilter(
        queryset=Zone.objects.all(), field_name="task__zone", to_field_name="code", label=_("Zone")
    )

    class Meta:
        model = ProgressReport
        fields = ["q", "period", "zone"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(task__title__icontains=value)
