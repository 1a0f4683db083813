from django import template

from ..models import plain_number

register = template.Library()


@register.filter
def plain(value):
    """A figure as typed, without the column's trailing zeros; a dash when there is none."""
    return "—" if value is None or value == "" else plain_number(value)
