"""The coordination request list's filters; the managers' overdue table reads the same ones."""

import django_filters
from django.utils.translation import gettext_lazy as _

from core.filters import DisplayNamesFilterSet
from measures.choices import RequestState
from measures.models import CoordinationRequest
from zones.models import Agency, Plan, Zone


class RequestFilter(DisplayNamesFilterSet):
    plan = django_filters.ModelChoiceFilter(
        field_name="task__zone__plan",
        queryset=Plan.objects.order_by("code"),
        label=_("Plan"),
        empty_label=_("All plans"),
    )
    zone = django_filters.ModelChoiceFilter(
        field_name="task__zone",
        queryset=Zone.objects.select_related("plan").order_by("plan__code", "annex_number"),
        label=_("Zone"),
        empty_label=_("All zones"),
    )
    agency = django_filters.ModelChoiceFilter(
        queryset=Agency.objects.order_by("name"), label=_("Agency"), empty_label=_("All agencies")
    )
    state = django_filters.ChoiceFilter(
        choices=RequestState.choices, label=_("State"), empty_label=_("Any request state")
    )
    overdue = django_filters.ChoiceFilter(
        choices=[("1", _("Overdue only"))],
        method="by_overdue",
        label=_("Reply-by date"),
        empty_label=_("Any"),
    )

    class Meta:
        model = CoordinationRequest
        fields = ["plan", "zone", "agency", "state", "overdue"]

    def by_overdue(self, queryset, name, value):
        return queryset.overdue() if value == "1" else queryset
