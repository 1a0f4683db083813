"""core.compiled: a query built once with stand-ins runs with each call's values."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from core.compiled import run_compiled
from core.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def users_joined_since(pk, day):
    return get_user_model().objects.filter(pk=pk, date_joined__date__gte=day).values("username")


def test_each_call_gets_its_own_values_in_place_of_the_stand_ins():
    first, second = make_user(Role.OFFICER), make_user(Role.MANAGER)
    stand_ins = {"pk": -7017, "day": datetime.date(1900, 1, 2)}
    for user in (first, second):
        columns, rows = run_compiled(
            "test-joined",
            users_joined_since,
            using="default",
            stand_ins=stand_ins,
            values={"pk": user.pk, "day": datetime.date(2000, 1, 1)},
        )
        assert (columns, rows) == (["username"], [(user.username,)])
    _columns, rows = run_compiled(
        "test-joined",
        users_joined_since,
        using="default",
        stand_ins=stand_ins,
        values={"pk": first.pk, "day": datetime.date(2999, 1, 1)},
    )
    assert rows == []


def test_a_query_that_no_longer_takes_a_stand_in_is_refused():
    with pytest.raises(RuntimeError, match="day"):
        run_compiled(
            "test-frozen-day",
            lambda pk, day: get_user_model().objects.filter(pk=pk).values("username"),
            using="default",
            stand_ins={"pk": -7017, "day": datetime.date(1900, 1, 2)},
            values={"pk": 1, "day": datetime.date(2000, 1, 1)},
        )
