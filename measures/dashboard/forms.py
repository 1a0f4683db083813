"""The dashboard's plan and period choice."""

from django import forms
from django.utils.translation import gettext_lazy as _

from measures.models import ReportingPeriod
from measures.periods.selectors import current_of


class DashboardForm(forms.Form):
    """Which plan and period the dashboard shows; defaults to the current period of `default`
    (the view passes the plan with reporting to show), else of the first plan.

    Plain choice fields over lists read once, so rendering the form costs no further queries."""

    plan = forms.ChoiceField(required=False, label=_("Plan"))
    period = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Period"))

    def __init__(self, *args, plans, default=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.plans = list(plans)
        self.fields["plan"].choices = [(plan.code, plan.display_title) for plan in self.plans]
        code = self.data.get("plan") if self.is_bound else None
        fallback = default if default is not None else (self.plans[0] if self.plans else None)
        self.plan = next((p for p in self.plans if p.code == code), fallback)
        if self.plan is not None and code != self.plan.code:
            # The choice shows the plan the page shows, not the first option.
            if self.is_bound:
                self.data = self.data.copy()
                self.data["plan"] = self.plan.code
            else:
                self.initial["plan"] = self.plan.code
        self.periods = (
            list(ReportingPeriod.objects.filter(plan=self.plan).order_by("-start")) if self.plan else []
        )
        for period in self.periods:
            # The plan already read, for is_owed without a query per period.
            period.plan = self.plan
        self.fields["period"].choices = [("", _("Current period"))] + [
            (p.pk, p.display_name) for p in self.periods
        ]

    def chosen(self):
        """(plan, period); a bad choice falls back to the defaults rather than an error page."""
        if self.plan is None:
            return None, None
        period_id = self.cleaned_data.get("period") if self.is_bound and self.is_valid() else None
        period = next((p for p in self.periods if p.pk == period_id), None)
        return self.plan, period or current_of(self.periods)
