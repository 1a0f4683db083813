"""Forms of the period report: which period and which zone(s). Choices are only what the user may see."""

from django import forms
from django.utils.translation import gettext_lazy as _

from measures.models import ReportingPeriod
from measures.periods import selectors
from measures.scoping import visible_zones
from zones.models import Zone


def _zone_field(queryset):
    field = forms.ModelChoiceField(
        queryset=queryset, required=False, to_field_name="code", label=_("Zone"), empty_label=_("All zones")
    )
    field.label_from_instance = lambda zone: zone.display_name
    return field


def _accepted_field():
    return forms.BooleanField(
        required=False,
        label=_("Accepted reports only"),
        help_text=_("Count a report once a manager has accepted it, not when it is only submitted."),
    )


class PeriodReportForm(forms.Form):
    """?period=<id>&zone=<code> on the report page; the period defaults to the current one."""

    period = forms.ModelChoiceField(
        queryset=ReportingPeriod.objects.none(), label=_("Period"), empty_label=_("(choose)")
    )
    zone = _zone_field(Zone.objects.none())
    accepted = _accepted_field()

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        zones = visible_zones(user).order_by("plan__code", "annex_number")
        self.fields["zone"].queryset = zones
        self.fields["period"].queryset = (
            ReportingPeriod.objects.filter(plan__in=zones.values("plan"))
            .select_related("plan")
            .order_by("plan__code", "-start")
        )
        # Both plans have a 2026年第四季度: the plan's name tells them apart.
        self.fields["period"].label_from_instance = lambda period: (
            f"{period.display_name} · {period.plan.display_title}"
        )
        if not self.is_bound:
            self.initial.setdefault("period", self.current_period())

    def current_period(self):
        """The period being reported now, in the first plan the user sees."""
        current = selectors.current_periods()
        return next((p for p in self.fields["period"].queryset if current.get(p.plan_id) == p), None)

    def clean(self):
        data = super().clean()
        period, zone = data.get("period"), data.get("zone")
        if period and zone and zone.plan_id != period.plan_id:
            self.add_error("zone", _("This zone is not part of the period's plan."))
        return data

    def selection(self):
        """(period, zone or None) chosen or defaulted; (None, None) when the input is bad."""
        if not self.is_bound:
            return self.initial.get("period"), None
        if self.is_valid():
            return self.cleaned_data["period"], self.cleaned_data["zone"]
        return None, None

    @property
    def accepted_only(self):
        return self.is_bound and self.is_valid() and self.cleaned_data["accepted"]


class ReportScopeForm(forms.Form):
    """?zone=<code> on the report itself: one of the user's zones in the period's plan, or all;
    &accepted=1 counts accepted reports only."""

    zone = _zone_field(Zone.objects.none())
    accepted = _accepted_field()

    def __init__(self, *args, user, period, linked_before=None, **kwargs):
        super().__init__(*args, **kwargs)
        # As of a past day (linked_before: its end), a liaison's zones of then.
        zones = visible_zones(user, linked_before=linked_before)
        self.fields["zone"].queryset = zones.filter(plan_id=period.plan_id)
