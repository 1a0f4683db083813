"""Filters of the stocktake and assigned-item lists."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.filters import DisplayNamesFilterSet
from zones.models import Agency, Plan, Zone

from .access import visible_stocktakes
from .choices import ItemState
from .models import AssignedItem, Stocktake


class StocktakeFilter(DisplayNamesFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    plan = django_filters.ModelChoiceFilter(
        queryset=Plan.objects.order_by("code"),
        to_field_name="code",
        label=_("Plan"),
        empty_label=_("All plans"),
    )
    zone = django_filters.ModelChoiceFilter(
        queryset=Zone.objects.order_by("plan__code", "annex_number"),
        to_field_name="code",
        label=_("Zone"),
        empty_label=_("All zones"),
    )
    agency = django_filters.ModelChoiceFilter(
        queryset=Agency.objects.order_by("name"), label=_("Agency"), empty_label=_("All agencies")
    )
    held_after = django_filters.DateFilter(field_name="held_on", lookup_expr="gte", label=_("Held from"))
    held_before = django_filters.DateFilter(field_name="held_on", lookup_expr="lte", label=_("Held until"))

    class Meta:
        model = Stocktake
        fields = ["q", "plan", "zone", "agency", "held_after", "held_before"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(notes__icontains=value))


class ItemFilter(DisplayNamesFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    state = django_filters.ChoiceFilter(
        choices=ItemState.choices, label=_("State"), empty_label=_("All states")
    )
    overdue = django_filters.BooleanFilter(method="only_overdue", label=_("Overdue only"))
    zone = django_filters.ModelChoiceFilter(
        queryset=Zone.objects.order_by("plan__code", "annex_number"),
        to_field_name="code",
        label=_("Zone"),
        empty_label=_("All zones"),
    )
    agency = django_filters.ModelChoiceFilter(
        queryset=Agency.objects.order_by("name"), label=_("Agency"), empty_label=_("All agencies")
    )
    # The items of one meeting, from its pack's links to the rest of a zone's or agency's items.
    stocktake = django_filters.ModelChoiceFilter(queryset=Stocktake.objects.all(), widget=forms.HiddenInput)

    class Meta:
        model = AssignedItem
        fields = ["q", "state", "overdue", "zone", "agency", "stocktake"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A meeting's title is the managers' to read, like its pack.
        user = getattr(self.request, "user", None)
        self.filters["stocktake"].queryset = visible_stocktakes(user) if user else Stocktake.objects.none()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def only_overdue(self, queryset, name, value):
        return queryset.overdue(timezone.localdate()) if value else queryset
