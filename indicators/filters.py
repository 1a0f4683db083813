import django_filters
from django.db.models import Q
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from measures.models import ReportingPeriod
from zones.models import Zone

from .choices import ValueState
from .models import Dimension, IndicatorValue

# How people name the plans in conversation; another plan falls back to its title.
PLAN_SHORT_NAMES = {"second-batch": _("Second batch"), "ftz-14th-fyp": _("14th Five-Year Plan")}


def plan_short_name(plan):
    return PLAN_SHORT_NAMES.get(plan.code, plan.display_title)


class PlanLabelledChoices(ModelChoiceIterator):
    """Options named "<name> · <plan's short name>" when they span several plans (two of every
    2026年第四季度 otherwise), plain names when there is one; still the one query of the choices."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        objects = list(self.queryset)
        several = len({obj.plan_id for obj in objects}) > 1
        for obj in objects:
            label = self.field.label_from_instance(obj)
            if several:
                label = f"{label} · {plan_short_name(obj.plan)}"
            yield (self.field.prepare_value(obj), label)


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
        # The iterator is set before the queryset: assigning a queryset hands the widget its choices.
        self.form.fields["dimension"].iterator = PlanLabelledChoices
        self.form.fields["dimension"].label_from_instance = lambda d: d.display_name
        self.form.fields["dimension"].queryset = Dimension.objects.select_related("plan").order_by(
            "plan__code", "order"
        )
        self.form.fields["period"].iterator = PlanLabelledChoices
        self.form.fields["period"].queryset = ReportingPeriod.objects.select_related("plan").order_by(
            "plan__code", "-start"
        )

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
