"""Escalation steps are part of the record: a plan or a zone with steps is not deleted with them,
neither in code nor in the admin, which says which steps stand in the way."""

import pytest
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from notifications.choices import Level, Subject
from notifications.models import Escalation
from tests.factories import make_plan, make_user, make_zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def step():
    zone = make_zone(plan=make_plan())
    return Escalation.objects.create(
        subject=Subject.REPORT,
        object_id=1,
        lapse=timezone.localdate(),
        level=Level.RED,
        plan=zone.plan,
        zone=zone,
        label="逾期未报送的报告",
        url="/",
        days_late=12,
        issued_at=timezone.now(),
    )


def test_deleting_a_zone_or_plan_with_steps_is_refused(step):
    with pytest.raises(ProtectedError):
        step.zone.delete()
    with pytest.raises(ProtectedError):
        step.plan.delete()
    assert Escalation.objects.filter(pk=step.pk).exists()


@pytest.mark.parametrize("model", ["zone", "plan"])
@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "would require deleting the following protected related objects"), ("zh-hans", "受保护")],
)
def test_the_admin_says_which_steps_stand_in_the_way(client, step, model, language, message):
    client.force_login(make_user(Role.ADMINISTRATOR))
    client.cookies["django_language"] = language
    target = getattr(step, model)
    url = reverse(f"admin:zones_{model}_delete", args=[target.pk])
    page = client.get(url).content.decode()
    assert message in page and "逾期未报送的报告" in page
    client.post(url, {"post": "yes"})
    assert type(target).objects.filter(pk=target.pk).exists()
    assert Escalation.objects.filter(pk=step.pk).exists()
    # Without the step, the zone could go (the test could fail).
    step.delete()
    client.post(url, {"post": "yes"})
    assert not type(target).objects.filter(pk=target.pk).exists()
