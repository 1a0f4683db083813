"""Choosing a reporting period."""

from django import forms


class PeriodChoiceForm(forms.Form):
    """?period=<id> on the task page; anything else falls back to the current period."""

    period = forms.IntegerField(required=False, min_value=1)
