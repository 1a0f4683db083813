"""Forms of the officer, manager and liaison pages. They validate input; services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zones.models import Agency

from .models import ProgressReport, ReportingPeriod
from .selectors import current_of
from .services import REPORT_FIELDS
from .uploads import accept_attribute, allowed_extensions_label, max_upload_bytes

TEXTAREA = {"rows": 4}


class ReportForm(forms.ModelForm):
    # The version the form was built from; a save against a newer version is a conflict.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # The field values at that version (signed), for the three-way merge of a save over a newer one.
    base = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ProgressReport
        fields = REPORT_FIELDS
        widgets = {
            "percent_complete": forms.NumberInput(
                attrs={"min": 0, "max": 100, "step": 1, "inputmode": "numeric"}
            ),
            "progress": forms.Textarea(attrs=TEXTAREA),
            "problems": forms.Textarea(attrs=TEXTAREA),
            "next_steps": forms.Textarea(attrs=TEXTAREA),
            "support_needed": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "percent_complete": _("0 to 100."),
            "problems": _("Required when the task is delayed or blocked."),
            "support_needed": _("What you need from a supporting agency, if anything."),
        }

    def __init__(self, *args, task, **kwargs):
        super().__init__(*args, **kwargs)
        self.task = task
        self.fields["support_agency"].queryset = Agency.objects.filter(task_links__task=task).order_by(
            "task_links__position"
        )
        self.fields["support_agency"].label_from_instance = lambda agency: agency.display_name
        self.fields["support_agency"].empty_label = _("— none —")

    def report_data(self):
        return {field: self.cleaned_data[field] for field in REPORT_FIELDS}


class ReviewForm(forms.Form):
    ACTIONS = [("comment", _("Comment")), ("return", _("Return for changes")), ("accept", _("Accept"))]
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.RadioSelect, label=_("Decision"))
    note = forms.CharField(
        label=_("Review note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when returning a report or commenting."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class EvidenceFileForm(forms.Form):
    file = forms.FileField(
        label=_("File"), widget=forms.ClearableFileInput(attrs={"accept": accept_attribute()})
    )
    description = forms.CharField(label=_("Description"), max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "%(types)s; at most %(size)s MB. The type is checked by content."
        ) % {
            "types": allowed_extensions_label(),
            "size": max_upload_bytes() // (1024 * 1024),
        }


class EvidenceLinkForm(forms.Form):
    url = forms.CharField(
        label=_("Link"), max_length=500, widget=forms.URLInput(attrs={"placeholder": "https://"})
    )
    description = forms.CharField(label=_("Description"), max_length=300)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DatePicker(forms.DateInput):
    """The browser's date picker. It reads and writes ISO dates whatever the page's language,
    so a value is rendered as 2026-12-15 rather than in the locale's 2026/12/15, which the
    picker would show as empty."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=200)
    due = forms.DateField(label=_("Due"), widget=DatePicker())


class CoordinationForm(forms.Form):
    """Ask one of the task's supporting agencies; its choices come from the task's agencies as
    already read with the task (TaskQuerySet.with_agencies), so the form costs no query."""

    agency = forms.TypedChoiceField(label=_("Supporting agency"), coerce=int)
    question = forms.CharField(label=_("What is needed"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, task, **kwargs):
        super().__init__(*args, **kwargs)
        self.agencies = {agency.pk: agency for agency in task.ordered_agencies}
        self.fields["agency"].choices = [
            ("", "---------"),
            *((agency.pk, agency.display_name) for agency in self.agencies.values()),
        ]

    def clean_agency(self):
        return self.agencies[self.cleaned_data["agency"]]


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 3}))


class ChaseForm(forms.Form):
    period = forms.ModelChoiceField(queryset=ReportingPeriod.objects.all(), label=_("Period"))
    # Where to return afterwards (the dashboard or the zone page); checked by the view.
    next = forms.CharField(required=False)


class PeriodChoiceForm(forms.Form):
    """?period=<id> on the task page; anything else falls back to the current period."""

    period = forms.IntegerField(required=False, min_value=1)


class DashboardForm(forms.Form):
    """Which plan and period the dashboard shows; defaults to the first plan's current period.

    Plain choice fields over lists read once, so rendering the form costs no further queries."""

    plan = forms.ChoiceField(required=False, label=_("Plan"))
    period = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Period"))

    def __init__(self, *args, plans, **kwargs):
        super().__init__(*args, **kwargs)
        self.plans = list(plans)
        self.fields["plan"].choices = [(plan.code, plan.title) for plan in self.plans]
        code = self.data.get("plan") if self.is_bound else None
        self.plan = next((p for p in self.plans if p.code == code), self.plans[0] if self.plans else None)
        self.periods = (
            list(ReportingPeriod.objects.filter(plan=self.plan).order_by("-start")) if self.plan else []
        )
        for period in self.periods:
            # The plan already read, for is_owed without a query per period.
            period.plan = self.plan
        self.fields["period"].choices = [("", _("Current period"))] + [(p.pk, p.name) for p in self.periods]

    def chosen(self):
        """(plan, period); a bad choice falls back to the defaults rather than an error page."""
        if self.plan is None:
            return None, None
        period_id = self.cleaned_data.get("period") if self.is_bound and self.is_valid() else None
        period = next((p for p in self.periods if p.pk == period_id), None)
        return self.plan, period or current_of(self.periods)
