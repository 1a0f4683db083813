"""The review workbench's batch form (one report is decided with reporting.forms.ReviewForm)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from measures.reporting.forms import AssessmentFields
from zones.numerals import typed_number


class ReportIds(forms.Field):
    """Ids of reports ticked in the queue. Which of them may still be accepted is the service's
    to say, report by report (one decided meanwhile is reported, not a reason to refuse the rest)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        ids = []
        for item in value or []:
            number = typed_number(str(item))
            if number is None:
                raise forms.ValidationError(_("Tick the reports in the list to accept them."))
            ids.append(number)
        return list(dict.fromkeys(ids))


class BatchAcceptForm(AssessmentFields):
    """The reports ticked in the queue, accepted with one assessment each (the same for all)."""

    reports = ReportIds(label=_("Reports"), error_messages={"required": _("Tick the reports to accept.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One percent for several reports would overwrite each zone's own: kept as they reported.
        del self.fields["verified_percent"]

    def assessment_data(self):
        return {
            "assessment": self.cleaned_data["assessment"],
            "assessment_reason": self.cleaned_data["assessment_reason"],
        }
