"""Property-based fuzzing of every API list's query string: whatever a caller sends, the answer is
a list, a 400 naming the bad parameter, or a 404 for a page past the end; never a server error.
Uses the security suite's generators (tests/security/test_fuzz.py)."""

import django_filters
import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from api import filters as api_filters
from api.urls import router
from indicators.models import Dimension
from tests.security.test_fuzz import FUZZ, filter_values, query, rolled_back

from .conftest import token_client

pytestmark = pytest.mark.django_db

LISTS = [(basename, viewset) for _prefix, viewset, basename in router.registry]


def valid_values(w):
    return {
        **filter_values(w),
        "kind": ["linked_zone", "ftz_area", "whole_ftz"],
        "indicator": [w.indicator.code],
        "dimension": [str(pk) for pk in Dimension.objects.values_list("pk", flat=True)],
        "task": [str(w.task.pk)],
        "page_size": ["1", "50", "200", "201", "0", "-1"],
    }


def test_every_api_filterset_is_fuzzed():
    defined = {
        cls
        for cls in vars(api_filters).values()
        if isinstance(cls, type)
        and issubclass(cls, django_filters.FilterSet)
        and cls.__module__ == api_filters.__name__
    }
    fuzzed = {viewset.filterset_class for _basename, viewset in LISTS}
    assert defined <= fuzzed


@pytest.mark.parametrize(("basename", "viewset"), LISTS, ids=[basename for basename, _ in LISTS])
@pytest.mark.parametrize("role", ["officer", "manager"])
@FUZZ
@given(data=st.data())
def test_query_strings_never_cause_a_server_error(world, basename, viewset, role, data):
    client = token_client(getattr(world, role))
    valid = valid_values(world)
    names = [*viewset.filterset_class.base_filters, "page", "page_size"]
    params = data.draw(query({name: valid.get(name, []) for name in names}), label="params")
    with rolled_back():
        response = client.get(reverse(f"api:{basename}-list"), params)
    assert response.status_code in {200, 400, 404}, response.content[:300]
    # A NUL character is refused by the site's middleware before the API, as for the pages.
    nul = any("\x00" in v for vs in params.values() for v in (vs if isinstance(vs, list) else [vs]))
    assert response["Content-Type"] == ("text/html; charset=utf-8" if nul else "application/json")
