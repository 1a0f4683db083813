"""Forms of the stocktake pages; the services decide, the forms check input."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.filters import show_display_names
from core.uploads import accept_attribute
from zones.models import Agency, Plan, Zone

from .models import Stocktake


class DateInput(forms.DateInput):
    input_type = "date"


class StocktakeForm(forms.ModelForm):
    wide_fields = ("title", "notes")

    class Meta:
        model = Stocktake
        fields = ["title", "held_on", "plan", "zone", "agency", "notes"]
        widgets = {"held_on": DateInput(), "notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "zone": _("For a meeting on one zone; leave empty for the whole plan."),
            "agency": _("For a meeting with one agency; leave empty otherwise."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        show_display_names(self.fields)
        self.fields["plan"].queryset = Plan.objects.order_by("code")
        self.fields["plan"].empty_label = _("(choose)")
        self.fields["zone"].queryset = Zone.objects.select_related("plan").order_by(
            "plan__code", "annex_number"
        )
        self.fields["zone"].empty_label = _("(none)")
        self.fields["agency"].queryset = Agency.objects.order_by("name")
        self.fields["agency"].empty_label = _("(none)")

    def _post_clean(self):
        # The service validates the meeting as a whole.
        pass


class ItemForm(forms.Form):
    title = forms.CharField(label=_("What"), max_length=300)
    zone = forms.ModelChoiceField(queryset=Zone.objects.none(), required=False, label=_("To the zone"))
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(), required=False, label=_("Or to the agency")
    )
    due = forms.DateField(label=_("Due date"), widget=DateInput())
    description = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, stocktake=None, **kwargs):
        super().__init__(*args, **kwargs)
        show_display_names(self.fields)
        zones = Zone.objects.order_by("annex_number")
        if stocktake is not None:
            zones = zones.filter(plan_id=stocktake.plan_id)
        self.fields["zone"].queryset = zones
        self.fields["zone"].empty_label = _("(none)")
        self.fields["agency"].queryset = Agency.objects.order_by("name")
        self.fields["agency"].empty_label = _("(none)")
        if stocktake is not None and stocktake.zone_id and not self.is_bound:
            self.initial.setdefault("zone", stocktake.zone_id)
        if stocktake is not None and stocktake.agency_id and not self.is_bound:
            self.initial.setdefault("agency", stocktake.agency_id)

    def clean(self):
        data = super().clean()
        if not self.errors and (data.get("zone") is None) == (data.get("agency") is None):
            raise forms.ValidationError(_("Assign the item to one zone or one agency."))
        return data


class EvidenceFields(forms.Form):
    file = forms.FileField(label=_("Evidence file"), required=False)
    link = forms.CharField(label=_("Or a link"), required=False, max_length=500)
    description = forms.CharField(label=_("What the evidence shows"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = accept_attribute()


class ProgressForm(EvidenceFields):
    note = forms.CharField(
        label=pgettext_lazy("assigned item", "Progress"), widget=forms.Textarea(attrs={"rows": 4})
    )
    field_order = ["note", "file", "link", "description"]


class CloseItemForm(EvidenceFields):
    note = forms.CharField(label=_("How it was carried out"), widget=forms.Textarea(attrs={"rows": 3}))
    confirmed = forms.BooleanField(label=_("I confirm the item has been carried out (办结)."), required=False)
    field_order = ["note", "file", "link", "description", "confirmed"]


class ReopenItemForm(forms.Form):
    reason = forms.CharField(label=_("Why reopen it"), widget=forms.Textarea(attrs={"rows": 2}))
    due = forms.DateField(label=_("New due date"), required=False, widget=DateInput())
