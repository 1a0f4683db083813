"""Form widgets the lists share."""

from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.choices import BaseChoiceIterator
from django.utils.safestring import SafeData, SafeString, mark_safe


class QuickSelect(forms.Select):
    """A <select> whose options are written in Python instead of through a template each.

    Django renders every <option> through its own template include, after building a dict of
    context for it; the task list's filters have about 250 options at 200 zones (zones,
    categories, agencies), and drawing them took 40 % of the page's time, more than its queries
    and rows. The same element, attributes, options and selection as Select (Django's own
    rendering is compared in tests/zones/test_widgets.py), without the whitespace between tags."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        parts = [f'<select name="{escape(str(name))}"{flatatt(self.build_attrs(self.attrs, attrs))}>']
        found = False

        def option(option_value, label):
            nonlocal found
            option_value = "" if option_value is None else str(option_value)
            # As Select: only the first matching option is selected unless several may be.
            selected = option_value in chosen and (self.allow_multiple_selected or not found)
            found = found or selected
            if not selected and type(label) is DrawnLabel:
                return label.option
            return f'<option value="{escape(str(option_value))}"{" selected" if selected else ""}>{label if isinstance(label, SafeData) else escape(str(label))}</option>'

        for option_value, label in self.choices:
            if isinstance(label, (list, tuple)):
                parts.append(f'<optgroup label="{escape(str(option_value))}">')
                parts.extend(option(v, sub_label) for v, sub_label in label)
                parts.append("</optgroup>")
            else:
                parts.append(option(option_value, label))
        parts.append("</select>")
        return mark_safe("".join(parts))


class ReadyChoices(BaseChoiceIterator):
    """(value, label) pairs in their final form, for a field whose choices are a callable: Django
    normalises a plain list again, pair by pair, each time the choices are iterated (to check the
    value sent, to draw the widget), about as long as drawing the <option>s; an iterator it takes
    as it is. Labels given as SafeString are drawn as they are (QuickSelect), so a list kept from
    request to request can hold them escaped once."""

    def __init__(self, pairs):
        self.pairs = pairs

    def __iter__(self):
        return iter(self.pairs)

    def __len__(self):
        return len(self.pairs)


class DrawnLabel(SafeString):
    """An option's label, escaped, that carries its whole <option> element as QuickSelect draws it
    unselected: a choice list kept from request to request (drawn_choice) is then drawn by joining
    them, not by formatting and escaping each of its 1,000 options again."""


def drawn_choice(value, label):
    """A (value, label) choice whose label is a DrawnLabel."""
    escaped = escape(str(label))
    drawn = DrawnLabel(escaped)
    drawn.option = f'<option value="{escape("" if value is None else str(value))}">{escaped}</option>'
    return value, drawn
