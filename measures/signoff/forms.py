"""Forms of sign-off and of naming a deputy. They validate input; services decide."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.forms import DatePicker


class SignoffForm(forms.Form):
    ACTIONS = [("sign_off", _("Sign off (to the managers)")), ("send_back", _("Send back to the officer"))]
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.RadioSelect, label=_("Decision"))
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when sending a report back."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class DeputyForm(forms.Form):
    deputy = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), label=_("Deputy"), empty_label=_("(choose)")
    )
    starts_on = forms.DateField(label=_("From"), widget=DatePicker)
    ends_on = forms.DateField(label=_("Until"), widget=DatePicker, help_text=_("The last day, included."))
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=200, help_text=_("E.g. leave or travel.")
    )

    def __init__(self, *args, principal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deputy"].queryset = (
            get_user_model().objects.filter(is_active=True).exclude(pk=principal.pk).order_by("username")
        )
        self.fields["deputy"].label_from_instance = lambda user: (
            f"{user.get_full_name()} ({user.username})" if user.get_full_name() else user.username
        )
