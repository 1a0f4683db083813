"""?as_of=YYYY-MM-DD on the dashboard and the period report."""

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _


class AsOfForm(forms.Form):
    """A past day to show a page as of; empty or refused means today's figures, with the reason
    shown beside the field (a mistyped or future date is never an error page)."""

    as_of = forms.DateField(
        required=False,
        label=_("As of"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Show the page as it stood at the end of this day, rebuilt from the history."),
        error_messages={"invalid": _("Enter the date as YYYY-MM-DD, e.g. 2026-03-31.")},
    )

    def clean_as_of(self):
        day = self.cleaned_data.get("as_of")
        today = timezone.localdate()
        if day is not None and day > today:
            raise forms.ValidationError(
                _("%(day)s is in the future; choose today (%(today)s) or an earlier day.")
                % {"day": day.isoformat(), "today": date_format(today)}
            )
        if day == today:
            # Today's page is the live one.
            return None
        return day

    def day(self):
        """The day asked for, or None (none asked, today, or refused)."""
        if not self.is_bound or not self.data.get("as_of") or not self.is_valid():
            return None
        return self.cleaned_data["as_of"]

    def refused(self):
        return self.is_bound and bool(self.data.get("as_of")) and not self.is_valid()

    def errors_text(self):
        return " ".join(str(e) for e in self.errors.get("as_of", []))
