import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from measures.models import ReportingPeriod
from zones.models import Zone

from .choices import ValueState
from .models import Dimension, IndicatorValue


class ValueFilter(django_filters.FilterSet):
    """The managers' review queue; without a state it shows what waits for review."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    zone = django_filters.ModelChoiceFilter(
        queryset=Zone.objects.none(), to_field_name="code", label=_("Zone"), empty_label=_("All zones")
    )
    dimension = django_filters.ModelChoiceFilter(
        field_name="indicator__dimension",
        queryset=Dimension.objects.none(),
        label=_("Dimension"),
        empty_label=_("All dimensions"),
    )
    state = django_filters.ChoiceFilter(
        choices=ValueState.choices, label=_("State"), empty_label=_("Waiting for review"), method="by_state"
    )
    period = django_filters.ModelChoiceFilter(
        queryset=ReportingPeriod.objects.none(), label=_("Period"), empty_label=_("All periods")
    )

    class Meta:
        model = IndicatorValue
        fields = ["q", "zone", "dimension", "state", "period"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zones = Zone.objects.select_related("plan").order_by("plan__code", "annex_number")
        self.form.fields["zone"].queryset = zones
        self.form.fields["zone"].label_from_instance = lambda zone: zone.display_name
        self.form.fields["dimension"].queryset = Dimension.objects.select_related("plan").order_by(
            "plan__code", "order"
        )
        self.form.fields["dimension"].label_from_instance = lambda d: f"{d.display_name} · {d.plan.code}"
        self.form.fields["period"].queryset = ReportingPeriod.objects.select_related("plan").order_by(
            "plan__code", "-start"
        )
        self.form.fields["period"].label_from_instance = lambda p: f"{p.name} · {p.plan.code}"

    @property
    def qs(self):
        queryset = super().qs
        # An empty state choice never reaches by_state, so the default lives here.
        if not (self.form.is_bound and self.form.is_valid() and self.form.cleaned_data.get("state")):
            queryset = queryset.filter(state=ValueState.SUBMITTED)
        return queryset

    def by_state(self, queryset, name, value):
        return queryset.filter(state=value)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(indicator__name__icontains=value)
            | Q(indicator__code__icontains=value)
            | Q(source__icontains=value)
            | Q(note__icontains=value)
        )
