from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.uploads import accept_attribute, allowed_extensions_label, max_upload_bytes

from .models import DECIMAL


class ValueForm(forms.Form):
    """One row of the entry page: a manual indicator's value for the zone and period."""

    wide_fields = ("note",)

    indicator = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # The row's fields at that version (signed), for the three-way merge of a save over a newer one.
    base = forms.CharField(widget=forms.HiddenInput, required=False)
    value = forms.DecimalField(label=_("Value"), required=False, **DECIMAL)
    source = forms.CharField(label=_("Source of the figure"), max_length=300, required=False)
    evidence = forms.FileField(
        label=_("Evidence file"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": accept_attribute()}),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].help_text = _(
            "%(types)s; at most %(size)s MB. The type is checked by content."
        ) % {
            "types": allowed_extensions_label(),
            "size": max_upload_bytes() // (1024 * 1024),
        }

    def show_attached(self, *, url, name):
        """The file already attached to the value, linked after the evidence field's help text."""
        field = self.fields["evidence"]
        field.help_text = format_html(
            '{} · {} <a href="{}">{}</a>', field.help_text, _("Attached:"), url, name
        )

    @property
    def is_blank(self):
        data = self.cleaned_data
        return (
            data.get("value") is None
            and not data.get("source")
            and not data.get("note")
            and not data.get("evidence")
        )

    def clean(self):
        data = super().clean()
        if data.get("value") is None and (data.get("source") or data.get("note") or data.get("evidence")):
            self.add_error("value", _("Enter the value, or clear the row to leave this indicator out."))
        return data


ValueFormSet = forms.formset_factory(ValueForm, extra=0, max_num=500, validate_max=True)


class ReviewForm(forms.Form):
    ACTIONS = [("accept", _("Accept")), ("return", _("Return for changes"))]

    action = forms.ChoiceField(label=_("Decision"), choices=ACTIONS)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean(self):
        data = super().clean()
        if data.get("action") == "return" and not (data.get("note") or "").strip():
            self.add_error("note", _("Say what needs to change when returning a value."))
        return data


class AcrossZonesForm(forms.Form):
    """The plan and period of the zones × indicators table; both optional (the view picks the
    first plan and its current period)."""

    plan = forms.ChoiceField(label=_("Plan"), required=False)
    period = forms.TypedChoiceField(label=_("Period"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, plans, periods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [(plan.code, plan.title) for plan in plans]
        self.fields["period"].choices = [("", _("(current period)"))] + [
            (period.pk, period.display_name) for period in periods
        ]
