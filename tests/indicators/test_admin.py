"""The admin: dimensions and indicators are edited there; values are only looked at."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.roles import Role
from indicators import services
from indicators.choices import Computation
from tests.factories import make_user
from tests.indicators.conftest import VALUE

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, ind):
    client.force_login(make_user(Role.ADMINISTRATOR))
    return client


def test_every_indicator_page_opens(admin_client, ind):
    value = services.save_value(
        indicator=ind.indicator, zone=ind.zone, period=ind.period, user=ind.officer, data=VALUE
    )
    for name, args in [
        ("indicators_dimension_changelist", []),
        ("indicators_dimension_change", [ind.indicator.dimension_id]),
        ("indicators_indicator_changelist", []),
        ("indicators_indicator_change", [ind.indicator.pk]),
        ("indicators_indicatorvalue_changelist", []),
        ("indicators_indicatorvalue_change", [value.pk]),
    ]:
        assert admin_client.get(reverse(f"admin:{name}", args=args)).status_code == 200, name


def test_values_cannot_be_added_changed_or_deleted_in_the_admin(admin_client, ind):
    value = services.save_value(
        indicator=ind.indicator, zone=ind.zone, period=ind.period, user=ind.officer, data=VALUE
    )
    assert admin_client.get(reverse("admin:indicators_indicatorvalue_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:indicators_indicatorvalue_change", args=[value.pk]), {"value": "1"}
    )
    assert response.status_code == 403
    assert (
        admin_client.post(reverse("admin:indicators_indicatorvalue_delete", args=[value.pk])).status_code
        == 403
    )


def test_an_indicator_with_entered_values_stays_entered(ind):
    services.save_value(
        indicator=ind.indicator, zone=ind.zone, period=ind.period, user=ind.officer, data=VALUE
    )
    ind.indicator.computation = Computation.OUTCOME_COUNT
    with pytest.raises(ValidationError) as caught:
        ind.indicator.full_clean()
    assert "computation" in caught.value.error_dict
