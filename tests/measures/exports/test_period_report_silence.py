"""The period report shows each zone's figures of the Who goes silent page to managers."""

import pytest
from django.urls import reverse

from core.roles import Role
from tests.factories import make_user
from tests.measures.dashboard.test_dashboard import manager, period, reported  # noqa: F401 (fixtures)
from zones.models import Zone

pytestmark = pytest.mark.django_db


def test_the_report_shows_each_zones_silence_figures_to_managers(client, manager, reported):  # noqa: F811
    """The figures of the Who goes silent page, per zone, for the report's period."""
    from measures.dashboard.silence import silence

    # Tracked from before the period, so its reports were owed.
    reported.plan.tracking_start = reported.start
    reported.plan.save(update_fields=["tracking_start"])
    client.force_login(manager)
    html = client.get(reverse("measures:period-report-html", args=[reported.pk])).content.decode()
    assert 'id="silence-zones"' in html
    zone_page = client.get(reverse("measures:period-report-html", args=[reported.pk]), {"zone": "xiqing"})
    rows = dict(zone_page.context["silence"])
    xiqing = rows[Zone.objects.get(code="xiqing")]
    # The page's officer of xiqing alone answers for the same reports.
    officers = silence(plan=reported.plan, periods=[reported])["officers"]
    officer = next(o for o in officers if o["zone_names"] == "西青经开区")
    assert (xiqing.owed, xiqing.on_time, xiqing.average_days_late, xiqing.returned) == (
        officer["owed"],
        officer["on_time"],
        officer["average_days_late"],
        officer["returned"],
    )
    assert xiqing.owed == 12 and xiqing.on_time == 3 and xiqing.average_days_late > 0
    # Not for an officer: people and zones are compared for managers only.
    client.force_login(make_user(Role.OFFICER, zones=[Zone.objects.get(code="xiqing")]))
    officer_page = client.get(reverse("measures:period-report-html", args=[reported.pk]), {"zone": "xiqing"})
    assert 'id="silence' not in officer_page.content.decode()
