"""Filters of the plan adjustment and major matter lists (kept apart from filters.py, which the
plan switcher work changes at the same time)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.filters import DisplayNamesFilterSet
from measures.choices import AdjustmentKind, AdjustmentState
from measures.models import PlanAdjustment, Task
from measures.scoping import visible_zones
from zones.models import Zone
from zones.numerals import typed_number


def _zone_field(filterset, zones):
    field = filterset.form.fields["zone"]
    field.queryset = zones.order_by("plan__code", "annex_number")


class AdjustmentFilter(DisplayNamesFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    zone = django_filters.ModelChoiceFilter(
        queryset=Zone.objects.none(),
        field_name="task__zone",
        to_field_name="code",
        label=_("Zone"),
        empty_label=_("All zones"),
    )
    kind = django_filters.ChoiceFilter(
        choices=AdjustmentKind.choices, label=_("Change"), empty_label=_("All changes")
    )
    state = django_filters.ChoiceFilter(
        choices=AdjustmentState.choices, label=_("State"), empty_label=_("All states")
    )
    # Set by the task page's link; not offered as a field of its own.
    task = django_filters.ModelChoiceFilter(queryset=Task.objects.all(), widget=forms.HiddenInput)

    class Meta:
        model = PlanAdjustment
        fields = ["q", "zone", "kind", "state", "task"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        _zone_field(self, visible_zones(user) if user else Zone.objects.none())
        if user is not None:
            self.form.fields["task"].queryset = Task.objects.visible_to(user)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = (
            Q(reason__icontains=value) | Q(task__title__icontains=value) | Q(decision_note__icontains=value)
        )
        if (number := typed_number(value)) is not None:
            condition |= Q(task__number=number)
        return queryset.filter(condition)
