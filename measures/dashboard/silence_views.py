"""`/silence/`: who goes silent, for managers (people are named to managers only)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.access import can_review
from core.views import ensure
from measures.dashboard.silence import owed_periods, silence
from measures.models import ReportingPeriod
from zones.models import Plan

# The periods shown when no first period is chosen: the last four owed (a year of quarters).
DEFAULT_PERIODS = 4


class SilenceForm(forms.Form):
    plan = forms.ModelChoiceField(Plan.objects.none(), required=False, label=_("Plan"), to_field_name="code")
    since = forms.ModelChoiceField(ReportingPeriod.objects.none(), required=False, label=_("From period"))
    until = forms.ModelChoiceField(ReportingPeriod.objects.none(), required=False, label=_("To period"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = Plan.objects.order_by("code")
        self.fields["since"].queryset = self.fields["until"].queryset = (
            ReportingPeriod.objects.select_related("plan").order_by("plan__code", "start")
        )

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since.start > until.start:
            raise forms.ValidationError(_("The first period must not come after the last."))
        plan = data.get("plan")
        for period in (since, until):
            if period and plan and period.plan_id != plan.pk:
                raise forms.ValidationError(_("Choose periods of the chosen plan."))
        return data


@login_required
def silence_page(request):
    ensure(can_review(request.user))
    form = SilenceForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    plan = data.get("plan") or Plan.objects.filter(periods__isnull=False).order_by("code").first()
    context = {"form": form, "plan": plan}
    if plan is not None:
        periods = ReportingPeriod.objects.filter(plan=plan).order_by("start")
        if data.get("since"):
            periods = periods.filter(start__gte=data["since"].start)
        if data.get("until"):
            periods = periods.filter(start__lte=data["until"].start)
        periods = owed_periods(plan, list(periods), timezone.localdate())
        if not data.get("since") and len(periods) > DEFAULT_PERIODS:
            # Without a first period, the last year: every period since the plan began read every
            # report and event of the plan (7 s at 20,000 tasks); a longer span is one choice away.
            periods = periods[-DEFAULT_PERIODS:]
            context["recent_only"] = DEFAULT_PERIODS
        context.update(silence(plan=plan, periods=periods))
    return render(request, "measures/silence.html", context)
