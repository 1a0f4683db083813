"""Choosing a reporting period; locking one."""

from django import forms
from django.utils.translation import gettext_lazy as _


class PeriodChoiceForm(forms.Form):
    """?period=<id> on the task page; anything else falls back to the current period."""

    period = forms.IntegerField(required=False, min_value=1)


class LockForm(forms.Form):
    """Locking a period; `confirm_waiting` says the manager knows reports still wait for review."""

    confirm_waiting = forms.BooleanField(
        required=False, label=_("Lock it anyway: the waiting reports can then no longer be reviewed")
    )
