"""Small forms and widgets every app's pages use."""

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.translation import gettext_lazy as _


class FormRenderer(DjangoTemplates):
    """Settings' FORM_RENDERER: every {{ field.as_field_group }} draws core/field.html, the one
    field template of the app."""

    field_template_name = "core/field.html"


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
