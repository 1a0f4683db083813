"""The upload form of the bulk update; the spreadsheet is read and checked in measures.bulk."""

from django import forms
from django.utils.translation import gettext_lazy as _

from measures.bulk import read_upload
from measures.bulk.files import MAX_BYTES


class BulkUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Filled-in template"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    submit_reports = forms.BooleanField(
        label=_("Also submit the saved reports for review"),
        required=False,
        help_text=_("Only the reports this file changes are submitted."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        self.fields["file"].help_text = _(
            "The template as .xlsx or .csv (UTF-8 or GBK), at most %(size)s MB. The type is checked by content."
        ) % {"size": MAX_BYTES // (1024 * 1024)}

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        self.rows = read_upload(uploaded)
        return uploaded
