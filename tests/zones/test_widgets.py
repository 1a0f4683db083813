"""QuickSelect draws the same <select> as Django's Select, only faster."""

import pytest
from django import forms
from django.test.html import parse_html
from django.utils.safestring import mark_safe

from core.roles import Role
from core.widgets import QuickSelect, ReadyChoices, drawn_choice
from measures.tasks.filters import TaskFilter
from tests.factories import make_user
from zones.models import Zone

CHOICES = [("", "全部"), ("a", "甲 <b>&"), (1, "一"), ("grp", [("x", "X"), ("y", mark_safe("<i>Y</i>"))])]


def both(value, attrs=None, choices=CHOICES, multiple=False):
    stock, quick = (forms.SelectMultiple, QuickSelect) if multiple else (forms.Select, QuickSelect)
    ours = quick(choices=choices)
    ours.allow_multiple_selected = multiple
    if multiple:
        attrs = {**(attrs or {}), "multiple": True}
    return (
        parse_html(stock(choices=choices).render("f", value, attrs)),
        parse_html(ours.render("f", value, attrs)),
    )


@pytest.mark.parametrize("value", [None, "", "a", 1, "1", "y", "missing"])
def test_same_html_as_select(value):
    stock, quick = both(value, attrs={"id": "id_f", "required": True, "class": "wide", "data-x": '"q"'})
    assert quick == stock


def test_only_the_first_duplicate_is_selected_and_several_when_multiple():
    choices = [("a", "A"), ("a", "A again"), ("b", "B")]
    stock, quick = both("a", choices=choices)
    assert quick == stock and str(quick).count("selected") == 1
    stock, quick = both(["a", "b"], choices=choices, multiple=True)
    assert quick == stock and str(quick).count("selected") == 3


@pytest.mark.django_db
def test_task_filter_renders_as_django_would(rf):
    request = rf.get("/tasks/", {"zone": "xiqing", "light": "red", "reported": "late"})
    request.user = make_user(Role.MANAGER)
    form = TaskFilter(request.GET, queryset=None, request=request).form
    selects = [name for name, field in form.fields.items() if isinstance(field, forms.ChoiceField)]
    assert set(selects) == {
        "plan",
        "zone",
        "category",
        "agency",
        "role",
        "light",
        "status",
        "state",
        "reported",
    }
    for name in selects:
        field = form[name]
        assert isinstance(field.field.widget, QuickSelect)
        stock = forms.Select(choices=field.field.choices)
        assert parse_html(field.as_widget()) == parse_html(
            stock.render(field.html_name, field.value(), {"id": field.auto_id})
        )
    assert '<option value="xiqing" selected>' in form["zone"].as_widget()
    assert '<option value="late" selected>' in form["reported"].as_widget()
    assert Zone.objects.get(code="xiqing").name in form["zone"].as_widget()


@pytest.mark.parametrize("value", [None, "", "a", 1, "1", "missing"])
def test_drawn_choices_draw_as_plain_ones(value):
    """Choices kept with their <option> drawn once (core.widgets.drawn_choice, the task list's
    zones, categories and agencies) give the same element, selected or not, escaped once."""
    plain = [("", "全部"), ("a", "甲 <b>&"), (1, "一"), (None, "无")]
    drawn = [plain[0], *(drawn_choice(v, label) for v, label in plain[1:])]
    stock = forms.Select(choices=plain).render("f", value, {"id": "id_f"})
    quick = QuickSelect(choices=ReadyChoices(drawn)).render("f", value, {"id": "id_f"})
    assert parse_html(quick) == parse_html(stock)
    assert "&amp;lt;" not in quick and "甲 &lt;b&gt;&amp;" in quick
