"""The API returns what the pages show, no more (issue 14, item 6).

Indicator values of xiqing in each review state, each with an evidence file. A liaison whose
agency supports xiqing tasks sees the zone's scorecard, which shows accepted values only; through
the API and the evidence download they got the drafts too. Managers and the zone's officers see
every state, as on the review queue and the entry form.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.roles import Role
from indicators import services as indicator_services
from indicators.choices import Computation, ValueState
from indicators.models import Dimension, Indicator
from indicators.selectors import visible_values as visible_indicator_values
from tests.factories import make_user
from tests.measures.upload_samples import PDF
from zones.models import Zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def values(world):
    dimension = Dimension.objects.get_or_create(plan=world.zone.plan, name="经济发展", defaults={"order": 2})[
        0
    ]
    reviewer = make_user(Role.MANAGER)
    made = {}
    for number, state in enumerate(ValueState.values, start=1):
        indicator = Indicator.objects.create(
            plan=world.zone.plan,
            dimension=dimension,
            code=f"drafts-{number}",
            name=f"指标{number}",
            unit="%",
            computation=Computation.MANUAL,
        )
        value = indicator_services.save_value(
            indicator=indicator,
            zone=world.zone,
            period=world.period,
            user=world.officer,
            data={"value": str(number), "source": "统计局", "note": ""},
        )
        indicator_services.add_value_evidence(
            value=value, user=world.officer, uploaded_file=SimpleUploadedFile("附件.pdf", PDF)
        )
        if state != ValueState.DRAFT:
            value = indicator_services.submit_value(value=value, user=world.officer)
        if state == ValueState.ACCEPTED:
            value = indicator_services.accept_value(value=value, user=reviewer)
        if state == ValueState.RETURNED:
            value = indicator_services.return_value(value=value, user=reviewer, note="改")
        value.refresh_from_db()
        assert value.state == state
        made[state] = value
    return made


def api_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + Token.objects.get_or_create(user=user)[0].key)
    return client


def users(world):
    return {
        "liaison": (make_user(Role.LIAISON, agency=world.customs), {ValueState.ACCEPTED}),
        "manager": (world.manager, set(ValueState.values)),
        "officer": (world.officer, set(ValueState.values)),
        "foreign": (make_user(Role.OFFICER, zones=[Zone.objects.get(code="wuqing")]), set()),
    }


@pytest.mark.parametrize("who", ["liaison", "manager", "officer", "foreign"])
def test_the_api_lists_the_values_the_pages_show(world, values, who):
    user, states = users(world)[who]
    api = api_for(user)
    rows = api.get(reverse("api:indicator-value-list")).json()["results"]
    listed = {row["state"] for row in rows if row["zone"] == world.zone.code}
    assert listed == states
    for state, value in values.items():
        detail = api.get(reverse("api:indicator-value-detail", args=[value.pk]))
        assert detail.status_code == (200 if state in states else 404)
    assert set(visible_indicator_values(user).values_list("state", flat=True)) == states


@pytest.mark.parametrize("who", ["liaison", "manager", "officer", "foreign"])
def test_evidence_of_a_value_not_shown_is_not_downloadable(client, world, values, who):
    user, states = users(world)[who]
    client.force_login(user)
    for state, value in values.items():
        response = client.get(reverse("indicators:evidence", args=[value.pk]))
        assert response.status_code == (200 if state in states else 404), state


def test_the_scorecard_shows_only_accepted_values_to_a_liaison(client, world, values):
    """What the pages show, which the API now follows."""
    liaison, _states = users(world)["liaison"]
    client.force_login(liaison)
    page = client.get(reverse("indicators:scorecard", args=[world.zone.code])).content.decode()
    assert "指标4" in page or values[ValueState.ACCEPTED].indicator.name in page
    assert reverse("indicators:evidence", args=[values[ValueState.DRAFT].pk]) not in page
