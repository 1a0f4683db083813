"""Filters of the outcome list."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.filters import DisplayNamesFilterSet
from measures.choices import OutcomeState, OutcomeType
from measures.models import InnovationOutcome, ReportingPeriod
from measures.scoping import visible_zones
from measures.tasks.filters import plans_of
from zones.models import Plan, Zone


class OutcomeFilter(DisplayNamesFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    plan = django_filters.ModelChoiceFilter(
        queryset=Plan.objects.all(),
        field_name="zone__plan",
        to_field_name="code",
        label=_("Plan"),
        empty_label=_("All plans"),
    )
    zone = django_filters.ModelChoiceFilter(
        queryset=Zone.objects.none(), to_field_name="code", label=_("Zone"), empty_label=_("All zones")
    )
    type = django_filters.ChoiceFilter(
        choices=OutcomeType.choices, label=_("Type"), empty_label=_("All types")
    )
    state = django_filters.ChoiceFilter(
        choices=[c for c in OutcomeState.choices if c[0] != OutcomeState.DELETED],
        label=_("State"),
        empty_label=_("All states"),
    )
    period = django_filters.ModelChoiceFilter(
        queryset=ReportingPeriod.objects.none(), label=_("Period"), empty_label=_("All periods")
    )

    class Meta:
        model = InnovationOutcome
        fields = ["q", "plan", "zone", "type", "state", "period"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        zones = visible_zones(user).order_by("plan__code", "annex_number") if user else Zone.objects.none()
        self.form.fields["plan"].queryset = plans_of(zones)
        plan_code = self.data.get("plan") if self.data else None
        if plan_code:
            zones = zones.filter(plan__code=plan_code)
        self.form.fields["zone"].queryset = zones
        self.form.fields["period"].queryset = (
            ReportingPeriod.objects.filter(plan__in=zones.values("plan"))
            .select_related("plan")
            .order_by("plan__code", "-start")
        )
        # Both plans have a 2026年第四季度: the plan's name tells them apart.
        self.form.fields["period"].label_from_instance = lambda period: (
            f"{period.display_name} · {period.plan.display_title}"
        )

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))
