"""The onboarding form: one screen for a new user's name, role and zones or agency."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.filters import show_display_names
from core.roles import Role

from .models import Agency, Zone
from .services import scope_errors


class OnboardForm(forms.Form):
    name = forms.CharField(
        label=_("Name (姓名)"),
        max_length=150,
        help_text=_("Family name first, in one field, as written in Chinese, e.g. 张伟."),
    )
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        help_text=_("What the person signs in with: letters, digits and @ . + - _ only."),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        help_text=_("Where notices and reminders go; without one they wait on My work."),
    )
    role = forms.ChoiceField(
        label=pgettext_lazy("user", "Role"), choices=[("", _("(choose)")), *Role.choices]
    )
    zones = forms.ModelMultipleChoiceField(
        label=_("Zones"),
        queryset=Zone.objects.select_related("plan").order_by("plan__code", "annex_number"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For zone officers and zone leaders."),
    )
    agency = forms.ModelChoiceField(
        label=_("Supporting agency"),
        queryset=Agency.objects.order_by("name"),
        required=False,
        empty_label=_("(none)"),
        help_text=_("For agency liaisons."),
    )
    wide_fields = ("zones",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        show_display_names(self.fields)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        User = get_user_model()
        User.username_validator(username)
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This user name is taken; choose another."))
        return username

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role"):
            for field, message in scope_errors(
                Role(cleaned["role"]), cleaned.get("zones") or [], cleaned.get("agency")
            ).items():
                self.add_error(field, message)
        return cleaned
