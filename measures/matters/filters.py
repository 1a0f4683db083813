"""Filters of the major matter list."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.access import access_for
from core.filters import DisplayNamesFilterSet
from measures.adjustments.filters import _zone_field
from measures.choices import MatterState, MatterUrgency
from measures.models import MajorMatter, Task
from zones.models import Zone


class MatterFilter(DisplayNamesFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    zone = django_filters.ModelChoiceFilter(
        queryset=Zone.objects.none(), to_field_name="code", label=_("Zone"), empty_label=_("All zones")
    )
    urgency = django_filters.ChoiceFilter(
        choices=MatterUrgency.choices, label=_("Urgency"), empty_label=_("Any urgency")
    )
    state = django_filters.ChoiceFilter(
        choices=MatterState.choices, label=_("State"), empty_label=_("All states")
    )
    not_closed = django_filters.BooleanFilter(method="only_not_closed", label=_("Not closed"))
    task = django_filters.ModelChoiceFilter(queryset=Task.objects.all(), widget=forms.HiddenInput)

    class Meta:
        model = MajorMatter
        fields = ["q", "zone", "urgency", "state", "not_closed", "task"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        access = access_for(user) if user else None
        if access is None:
            zones = Zone.objects.none()
        elif access.sees_everything:
            zones = Zone.objects.all()
        else:
            zones = Zone.objects.filter(pk__in=access.zone_ids if access.is_officer else [])
        _zone_field(self, zones)
        self.form.fields["task"].queryset = Task.objects.filter(zone__in=zones)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value) | Q(description__icontains=value) | Q(response__icontains=value)
        )

    def only_not_closed(self, queryset, name, value):
        # Chosen "no": the closed ones, the rest of the list.
        if value is None:
            return queryset
        return queryset.not_closed() if value else queryset.filter(state=MatterState.CLOSED)
