"""Forms that attach evidence."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.uploads import accept_attribute, allowed_extensions_label, max_upload_bytes


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
