"""The list's links formed from one reverse() (core.links) and the top bar's {% link %}s are what
reverse() and {% url %} give, under any script prefix; an argument that is not a plain slug or
number still goes through reverse()."""

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from core.links import INT, SLUG, url_former


@pytest.fixture
def prefix():
    yield set_script_prefix
    set_script_prefix("/")


@pytest.mark.parametrize("script_prefix", ["/", "/ftz/", "/子目录/"])
def test_formed_links_equal_reverse(prefix, script_prefix):
    prefix(script_prefix)
    task_url = url_former("measures:task-detail", SLUG, INT)
    zone_url = url_former("zones:detail", SLUG)
    agency_url = url_former("zones:agency-detail", INT)
    for code, number in [("xiqing", 1), ("binhai-new_2", 1234567), ("A9", "12"), ("z", 0)]:
        assert task_url(code, number) == reverse("measures:task-detail", args=[code, number])
        assert zone_url(code) == reverse("zones:detail", args=[code])
        assert agency_url(number) == reverse("zones:agency-detail", args=[number])
    assert task_url("xiqing", 3).startswith(reverse("measures:task-list").split("tasks/")[0])


def test_what_reverse_would_refuse_is_still_refused():
    task_url = url_former("measures:task-detail", SLUG, INT)
    for code, number in [("西青", 1), ("a/b", 1), ("xiqing", -1), ("xiqing", "1a")]:
        with pytest.raises(NoReverseMatch):
            reverse("measures:task-detail", args=[code, number])
        with pytest.raises(NoReverseMatch):
            task_url(code, number)


def test_a_changed_urlconf_is_a_different_former(settings):
    task_url = url_former("measures:task-detail", SLUG, INT)
    settings.ROOT_URLCONF = "bench.urls"
    assert url_former("measures:task-detail", SLUG, INT)("xiqing", 1) == reverse(
        "measures:task-detail", args=["xiqing", 1]
    )
    assert task_url("xiqing", 1) == reverse("measures:task-detail", args=["xiqing", 1])


LINK_NAMES = ["home", "zones:list", "measures:task-list", "admin:index", "set_language", "logout"]


@pytest.mark.parametrize("script_prefix", ["/", "/ftz/"])
def test_the_link_tag_draws_what_the_url_tag_draws(prefix, script_prefix):
    from django.template import Context, Template

    prefix(script_prefix)
    for name in LINK_NAMES:
        source = "{% url '" + name + "' %}|{% url '" + name + "' as u %}{{ u }}"
        expected = Template(source).render(Context({}))
        assert expected.startswith(script_prefix)
        assert Template("{% load links %}" + source.replace("url", "link")).render(Context({})) == expected
    missing = "{% load links %}[{% link 'no-such-view' as u %}{{ u }}]"
    assert Template(missing).render(Context({})) == "[]"


def test_the_link_tag_refuses_arguments():
    from django.template import Template, TemplateSyntaxError

    for source in ["{% link 'zones:detail' 'x' %}", "{% link name %}", "{% link 'home'|lower %}"]:
        with pytest.raises(TemplateSyntaxError):
            Template("{% load links %}" + source)
