import pytest

from tests.notifications import fake_webhook


@pytest.fixture
def webhook():
    fake = fake_webhook.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def loaded_zone(transactional_db):
    """Transactional tests start from an empty database: load the plan and give back 西青."""
    from io import StringIO

    from django.core.management import call_command

    from tests.conftest import PLAN_FIXTURE
    from zones.models import Zone

    call_command("load_plan", str(PLAN_FIXTURE), stdout=StringIO())
    return Zone.objects.get(code="xiqing")
