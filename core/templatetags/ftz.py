from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def km2(value):
    """An area as the plan writes it: 7.8 not 7.80, 20 not 20.00."""
    if value in (None, ""):
        return "—"
    text = format(Decimal(value).normalize(), "f")
    return text


@register.filter
def signed_km2(value):
    if value in (None, ""):
        return "—"
    text = km2(abs(value))
    return ("+" if value > 0 else "−") + text
