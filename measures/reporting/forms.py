"""Forms of the officer, manager and liaison pages. They validate input; services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.uploads import accept_attribute, allowed_extensions_label, max_upload_bytes
from measures.choices import Assessment
from measures.models import ProgressReport
from measures.reporting.models import REPORT_FIELDS
from zones.models import Agency

TEXTAREA = {"rows": 4}


class ReportForm(forms.ModelForm):
    wide_fields = ("progress", "problems", "next_steps", "support_needed")
    # The version the form was built from; a save against a newer version is a conflict.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def accepting(self):
        return self.cleaned_data.get("action") == "accept"

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


class AssessmentFields(forms.Form):
    """Verified progress, asked for whenever a report is accepted from a page: the assessed
    completion, a corrected percent (blank: the zone's own) and a short reason."""

    assessment = forms.ChoiceField(
        label=_("Assessed completion"),
        choices=Assessment.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    verified_percent = forms.IntegerField(
        label=_("Verified percent"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Leave blank to keep the zone's percent."),
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1, "inputmode": "numeric"}),
    )
    assessment_reason = forms.CharField(
        label=_("Reason for the assessment"),
        max_length=200,
        required=False,
        help_text=_("Required when you correct the percent."),
    )

    def accepting(self):
        return True

    def clean(self):
        data = super().clean()
        if self.accepting() and not data.get("assessment"):
            self.add_error("assessment", _("Choose the assessed completion before accepting."))
        return data

    def assessment_data(self):
        if not self.accepting():
            return {}
        return {
            "assessment": self.cleaned_data["assessment"],
            "assessment_reason": self.cleaned_data["assessment_reason"],
            "verified_percent": self.cleaned_data["verified_percent"],
        }


class ReviewForm(AssessmentFields):
    ACTIONS = [("comment", _("Comment")), ("return", _("Return for changes")), ("accept", _("Accept"))]
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.RadioSelect, label=_("Decision"))
    note = forms.CharField(
        label=_("Review note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when returning a report or commenting."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def accepting(self):
        return self.cleaned_data.get("action") == "accept"


def _upload_help():
    return _("%(types)s; at most %(size)s MB. The type is checked by content.") % {
        "types": allowed_extensions_label(),
        "size": max_upload_bytes() // (1024 * 1024),
    }


class ReportEvidenceForm(forms.Form):
    """Evidence attached on the report form itself: a file and/or a link with what it shows. The
    same checks as the evidence forms on the task page (core.uploads, measures.evidence.services)."""

    evidence_file = forms.FileField(
        label=_("Attach a file"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": accept_attribute()}),
    )
    evidence_url = forms.CharField(
        label=_("Or a link"),
        required=False,
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    evidence_description = forms.CharField(label=_("What the evidence shows"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence_file"].help_text = _upload_help()

    def clean(self):
        data = super().clean()
        given = data.get("evidence_file") or (data.get("evidence_url") or "").strip()
        if given and not (data.get("evidence_description") or "").strip():
            self.add_error("evidence_description", _("Say what this evidence shows."))
        return data

    def attaches(self):
        return bool(
            self.cleaned_data.get("evidence_file") or (self.cleaned_data.get("evidence_url") or "").strip()
        )

    def evidence(self):
        return {
            "uploaded_file": self.cleaned_data.get("evidence_file"),
            "url": self.cleaned_data.get("evidence_url") or "",
            "description": self.cleaned_data.get("evidence_description") or "",
        }


class CloseOffForm(forms.Form):
    """销号: a confirmation, and evidence unless the final report already has some."""

    # The task page has evidence forms with the same field names: keep their ids apart.
    prefix = "close"

    confirm = forms.BooleanField(
        label=_("I confirm that this task is completed and can be closed off (销号)."),
        error_messages={"required": _("Confirm the close-off by ticking the box.")},
    )
    note = forms.CharField(
        label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    file = forms.FileField(
        label=_("Close-off evidence: a file"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": accept_attribute()}),
    )
    url = forms.CharField(
        label=_("or a link"),
        required=False,
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    description = forms.CharField(label=_("What the evidence shows"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _upload_help()
