"""Forms of milestones, coordination requests and chasing a zone."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DatePicker
from measures.models import ReportingPeriod


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=200)
    due = forms.DateField(label=_("Due"), widget=DatePicker())
    # Offered once a past date was refused (measures.followup.services.milestones._check_due).
    confirm_past = forms.BooleanField(label=_("The date is in the past on purpose"), required=False)

    @property
    def asks_past_confirmation(self):
        return self.is_bound and "due" in self.errors


class MilestoneDoneForm(forms.Form):
    done_on = forms.DateField(label=_("Done on"), required=False, widget=DatePicker())


class CoordinationForm(forms.Form):
    """Ask one of the task's supporting agencies; its choices come from the task's agencies as
    already read with the task (TaskQuerySet.with_agencies), so the form costs no query."""

    agency = forms.TypedChoiceField(label=_("Supporting agency"), coerce=int)
    question = forms.CharField(label=_("What is needed"), widget=forms.Textarea(attrs={"rows": 3}))
    reply_by = forms.DateField(
        label=_("Reply by"),
        required=False,
        widget=DatePicker(),
        help_text=_(
            "The date the agency is asked to answer by; left empty, the plan's usual time to answer."
        ),
    )

    def __init__(self, *args, task, **kwargs):
        super().__init__(*args, **kwargs)
        self.agencies = {agency.pk: agency for agency in task.ordered_agencies}
        self.fields["agency"].choices = [
            ("", _("(choose)")),
            *((agency.pk, agency.display_name) for agency in self.agencies.values()),
        ]

    def clean_agency(self):
        return self.agencies[self.cleaned_data["agency"]]


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 3}))


class ReopenForm(forms.Form):
    """Ask again: the answer did not help."""

    note = forms.CharField(
        label=_("What is still needed"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    reply_by = forms.DateField(
        label=_("Reply by"),
        required=False,
        widget=DatePicker(),
        help_text=_("Left empty, the usual time to answer from today."),
    )


class ChaseForm(forms.Form):
    period = forms.ModelChoiceField(queryset=ReportingPeriod.objects.all(), label=_("Period"))
    # Where to return afterwards (the dashboard or the zone page); checked by the view.
    next = forms.CharField(required=False)
