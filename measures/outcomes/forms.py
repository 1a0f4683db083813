"""Forms of the innovation outcome pages; the services decide, the forms check input."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DatePicker
from measures.choices import OutcomeType
from measures.models import InnovationOutcome, ReportingPeriod, Task
from measures.periods.selectors import current_periods


class OutcomeForm(forms.ModelForm):
    wide_fields = ("description", "tasks")
    # The fields when the form was opened (signed), for the three-way merge of a save over a newer one.
    base = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = InnovationOutcome
        fields = ["zone", "title", "type", "period", "description", "tasks"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "tasks": forms.SelectMultiple(attrs={"size": 8}),
        }
        help_texts = {"tasks": _("The plan tasks this outcome came from (hold Ctrl to choose several).")}

    def __init__(self, *args, zones, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = zones
        self.fields["zone"].label_from_instance = lambda zone: zone.display_name
        self.fields["tasks"].queryset = (
            Task.objects.filter(zone__in=zones)
            .select_related("zone")
            .order_by("zone__annex_number", "number")
        )
        self.fields["tasks"].label_from_instance = lambda task: (
            f"{task.zone.short_name} {task.display_number}. {task.display_title}"
        )
        self.fields["tasks"].required = False
        self.fields["period"].queryset = (
            ReportingPeriod.objects.filter(plan__zones__in=zones).distinct().order_by("-start")
        )
        self.fields["type"].choices = OutcomeType.choices
        self.fields["period"].empty_label = _("(none)")
        if self.instance.pk:
            self.fields["zone"].disabled = True
        else:
            self._set_defaults(list(zones))

    def _set_defaults(self, zones):
        """An officer of one zone has it chosen for them; the period is that zone's plan's
        current one (the rule of current_periods)."""
        if len(zones) == 1:
            self.fields["zone"].empty_label = None
            self.initial.setdefault("zone", zones[0].pk)
        else:
            self.fields["zone"].empty_label = _("(choose)")
        plans = {zone.plan_id for zone in zones}
        if len(plans) == 1:
            period = current_periods().get(plans.pop())
            if period is not None:
                self.initial.setdefault("period", period.pk)

    def _post_clean(self):
        # The service validates the outcome as a whole (it also checks the tasks' zone).
        pass


class EvaluateForm(forms.Form):
    score = forms.DecimalField(label=_("Score (0–100)"), min_value=0, max_value=100, decimal_places=1)
    notes = forms.CharField(label=_("Evaluation notes"), widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ReturnForm(forms.Form):
    note = forms.CharField(label=_("What should the zone change?"), widget=forms.Textarea(attrs={"rows": 3}))


class ReplicationForm(forms.Form):
    where = forms.CharField(label=_("Replicated where"), max_length=300)
    on = forms.DateField(label=_("Replicated on"), widget=DatePicker())
