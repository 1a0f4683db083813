"""A task reported as not started (未启动) once its period's deadline has passed is behind, not
"not yet due": the light rule says so once, and the dashboard's count, the list it opens, the task
list's own badge and the period report all read it from there."""

import datetime
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from core.roles import Role
from measures import services
from measures.choices import Light, TaskStatus
from measures.models import ReportingPeriod, Task
from measures.tasks.lights import light_for, light_reasons
from tests.factories import make_user
from zones.models import Plan, Zone

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 8, 1)


@pytest.mark.parametrize(
    ("deadline", "light"),
    [
        (TODAY + datetime.timedelta(days=30), Light.NONE),  # not due yet
        (TODAY + datetime.timedelta(days=3), Light.NONE),  # reported, so no "deadline near" yellow
        (TODAY, Light.NONE),  # the deadline day itself has not passed
        (TODAY - datetime.timedelta(days=1), Light.YELLOW),
        (None, Light.NONE),  # a period not owed holds no one to a deadline
    ],
)
def test_the_rule(deadline, light):
    facts = {"status": TaskStatus.NOT_STARTED, "state": "accepted", "deadline": deadline, "today": TODAY}
    assert light_for(**facts) == light
    # Its reason says why in both languages; an unsubmitted report past the deadline stays red.
    for language, words in (("en", "not started after the deadline"), ("zh-hans", "未启动")):
        with translation.override(language):
            assert any(words in reason for reason in light_reasons(**facts)) == (light == Light.YELLOW)
    if light == Light.YELLOW:
        assert light_for(**{**facts, "state": "draft"}) == Light.RED


@pytest.fixture
def past(db):
    """A period whose deadline passed yesterday, with xiqing 1 reported (on time) as not started
    and accepted, xiqing 2 on track: nothing of it is not yet due."""
    today = timezone.localdate()
    period = ReportingPeriod.objects.create(
        plan=Plan.objects.get(code="second-batch"),
        name="2026年第二季度",
        start=today - datetime.timedelta(days=100),
        end=today - datetime.timedelta(days=10),
        deadline=today + datetime.timedelta(days=5),
    )
    manager = make_user(Role.MANAGER)
    officer = make_user(Role.OFFICER, zones=[Zone.objects.get(code="xiqing")])
    for number, status in ((1, TaskStatus.NOT_STARTED), (2, TaskStatus.ON_TRACK)):
        data = {"status": status, "percent_complete": 0 if number == 1 else 30, "progress": "推进中。"}
        report = services.save_report(
            task=Task.objects.get(zone__code="xiqing", number=number), period=period, user=officer, data=data
        )
        services.accept_report(report=services.submit_report(report=report, user=officer), user=manager)
    ReportingPeriod.objects.filter(pk=period.pk).update(deadline=today - datetime.timedelta(days=1))
    period.refresh_from_db()
    return period, manager


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_dashboard_list_and_period_report_agree(client, past, language):
    period, manager = past
    client.force_login(manager)
    client.cookies["django_language"] = language
    response = client.get("/", {"plan": period.plan.code, "period": period.pk})
    total = response.context["total"]
    assert total.by_light[Light.NONE] == 0
    assert total.by_light[Light.YELLOW] == 1
    # The yellow count opens the list of exactly that task, whose badge is yellow too.
    links = dict(
        (unescape(url), int(n))
        for url, n in re.findall(r'<a class="drill" href="([^"]+)">(\d+)</a>', response.content.decode())
    )
    yellow = [url for url in links if "light=yellow" in url and "zone=" not in url and "category=" not in url]
    assert yellow and all(links[url] == 1 for url in yellow)
    listed = client.get(yellow[0])
    tasks = list(listed.context["page_obj"])
    assert [(t.zone.code, t.number) for t in tasks] == [("xiqing", 1)]
    assert tasks[0].light == Light.YELLOW
    assert client.get(yellow[0].replace("light=yellow", "light=none")).context["paginator"].count == 0
    # The period report: no row is not yet due, xiqing 1 is yellow.
    html = client.get(reverse("measures:period-report-html", args=[period.pk])).content.decode()
    assert 'data-light="none">0<' in html and 'data-light="yellow">1<' in html
    page = client.get(reverse("measures:period-report-html", args=[period.pk]), {"zone": "xiqing"})
    # Only the lights' summary row names "not yet due" (with 0); no task's badge does.
    assert page.content.decode().count("light light-none") == 1
