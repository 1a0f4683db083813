"""Forms of the officer, manager and liaison pages. They validate input; services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from measures.models import ProgressReport
from measures.reporting.models import REPORT_FIELDS
from zones.models import Agency

TEXTAREA = {"rows": 4}


class ReportForm(forms.ModelForm):
    wide_fields = ("progress", "problems", "next_steps", "support_needed")
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
