"""A locked period's figures for the chart across periods are kept (lock_period) and read back
instead of counted from its reports; they equal the counted ones, and reopening drops them. And
every table of the dashboard adds up to the same totals."""

import datetime

import pytest
from django.urls import reverse

from core.roles import Role
from measures import services
from measures.choices import ReportState, TaskStatus
from measures.models import LockedPeriodFigures, ProgressReport, ReportingPeriod
from tests.factories import make_task, make_user
from tests.helpers import SESSION
from tests.measures.dashboard.test_dashboard import manager, period, reported  # noqa: F401 (fixtures)
from tests.measures.dashboard.test_dashboard_drill import varied  # noqa: F401 (fixture)
from zones.models import Plan, Zone

pytestmark = pytest.mark.django_db


def history(client, shown):
    context = client.get("/", {"plan": shown.plan.code, "period": shown.pk}).context
    return {
        (series["zone"].code, point["period"].pk): (point["average"], point["on_time"], point["score"])
        for series in context["history"]["series"]
        for point in series["points"]
    }


def test_a_locked_period_reads_the_figures_kept_and_they_equal_the_counted(
    client,
    manager,  # noqa: F811
    reported,  # noqa: F811
    django_assert_num_queries,
):
    client.force_login(manager)
    counted = history(client, reported)
    assert counted[("xiqing", reported.pk)] != (None, 0, None)
    services.lock_period(period=reported, user=manager, confirm_waiting=True)
    kept = LockedPeriodFigures.objects.filter(period=reported)
    # One row per zone of the plan, those without reports too.
    assert kept.count() == reported.plan.zones.count()
    assert history(client, reported) == counted
    # Read from what was kept, not from the reports: a report changed behind the services' back
    # (which a locked period refuses) does not show.
    ProgressReport.objects.filter(period=reported).update(percent_complete=0)
    assert history(client, reported) == counted
    # A stale row (the period's deadline edited) is counted again and kept anew.
    kept.update(deadline=reported.deadline.replace(year=2000))
    assert history(client, reported) != counted
    assert not kept.filter(deadline__year=2000).exists()
    services.reopen_period(period=reported, user=manager, reason="更正")
    # Not final any more, and not counted at the changes since: counted again on the next view.
    assert not kept.filter(final=True).exists() and not kept.filter(counted_at__isnull=False).exists()


def test_figures_missing_for_a_locked_period_are_kept_on_first_view(client, manager, reported):  # noqa: F811
    client.force_login(manager)
    services.lock_period(period=reported, user=manager, confirm_waiting=True)
    counted = history(client, reported)
    LockedPeriodFigures.objects.all().delete()
    assert history(client, reported) == counted
    assert LockedPeriodFigures.objects.filter(period=reported).exists()


def test_dashboard_queries_with_a_locked_period(client, manager, reported, django_assert_num_queries):  # noqa: F811
    services.lock_period(period=reported, user=manager, confirm_waiting=True)
    client.force_login(manager)
    client.get("/", {"plan": reported.plan.code, "period": reported.pk})
    # The kept figures are one query instead of the aggregate over the locked period's reports:
    # as many queries as the dashboard of an open period (test_dashboard's count, the plan's first
    # period: no movers to rank).
    with django_assert_num_queries(SESSION + 10):
        client.get("/", {"plan": reported.plan.code, "period": reported.pk})


def test_every_table_adds_up_to_the_same_totals(client, manager, varied):  # noqa: F811
    """With a task closed off, one withdrawn and a milestone overdue (the drill-down's fixture)."""
    shown = varied
    client.force_login(manager)
    query = {"plan": shown.plan.code, "period": shown.pk}
    context = client.get("/", query).context
    total = context["total"]
    zones = [row["tally"] for row in context["zones"]]
    tables = client.get(reverse("measures:dashboard-tables"), query).context
    categories = [row["tally"] for row in tables["categories"]]
    # The page of tables counts the same tasks as the dashboard.
    assert vars(tables["total"]) == vars(total)
    assert total.tasks > total.open > 0
    for tally in [total, *zones, *categories]:
        # Status table, lights table and reporting table (open + closed) of one row agree.
        assert sum(n for _status, n in tally.statuses()) == tally.tasks
        assert sum(n for _light, n in tally.lights()) == tally.tasks
        assert tally.on_time + tally.late + tally.missing + tally.closed == tally.tasks
    # Each table's rows add up to the total row, for every column.
    for rows in (zones, categories):
        assert sum(t.tasks for t in rows) == total.tasks
        assert sum(t.open for t in rows) == total.open
        assert sum(t.closed for t in rows) == total.closed
        for key in ("on_time", "late", "missing", "percent_sum"):
            assert sum(getattr(t, key) for t in rows) == getattr(total, key), key
        for status, n in total.statuses():
            assert sum(t.by_status[status] for t in rows) == n, status
        for light, n in total.lights():
            assert sum(t.by_light[light] for t in rows) == n, light
    # The ranking and the chart across periods are the zone table's own figures.
    for row in context["ranking"]:
        assert row["tally"] is next(z["tally"] for z in context["zones"] if z["zone"] == row["zone"])
    for series in context["history"]["series"]:
        tally = next(z["tally"] for z in context["zones"] if z["zone"] == series["zone"])
        point = next(p for p in series["points"] if p["period"].pk == shown.pk)
        assert (point["average"], point["on_time"], point["open"], point["score"]) == (
            tally.average_percent,
            tally.on_time,
            tally.open,
            tally.score,
        )


def test_the_plan_chosen_is_remembered_across_visits(client, manager, reported):  # noqa: F811
    other = Plan.objects.create(code="aaa-first", title="另一方案")
    ReportingPeriod.objects.create(
        plan=other, name="他期", start=reported.start, end=reported.end, deadline=reported.deadline
    )
    make_task(zone=Zone.objects.create(plan=other, code="aaa-zone", name="甲区", annex_number=1))
    client.force_login(manager)
    # A first visit opens on the plan with reporting to show, not the first by code.
    assert client.get("/").context["plan"] == reported.plan
    assert client.get("/", {"plan": other.code}).context["plan"] == other
    assert client.get("/", {"plan": reported.plan.code}).context["plan"] == reported.plan
    # A later visit without a choice shows the plan chosen, until another is chosen.
    assert client.get("/").context["plan"] == reported.plan
    assert client.get("/", {"plan": other.code}).context["plan"] == other
    assert client.get("/").context["plan"] == other
    # A remembered plan that is gone falls back to the default.
    session = client.session
    session["dashboard_plan"] = "gone"
    session.save()
    assert client.get("/").context["plan"] == reported.plan


def test_a_first_visit_opens_on_the_plan_that_reported_last(client, manager, reported):  # noqa: F811
    """Both plans with reports: the one with the latest period reported in; a draft is not
    reporting; with nothing reported anywhere, the plan with the most zones."""
    other = Plan.objects.create(code="aaa-first", title="另一方案")
    # A period of the other plan that started a day after the reported one.
    day = datetime.timedelta(days=1)
    theirs = ReportingPeriod.objects.create(
        plan=other, name="他期", start=reported.start + day, end=reported.end, deadline=reported.deadline
    )
    task = make_task(zone=Zone.objects.create(plan=other, code="aaa-zone", name="甲区", annex_number=1))
    officer = make_user(Role.OFFICER, zones=[task.zone])
    report = services.save_report(
        task=task, period=theirs, user=officer, data={"status": TaskStatus.ON_TRACK, "percent_complete": 5}
    )
    client.force_login(manager)
    response = client.get("/")
    assert response.context["plan"] == reported.plan
    # The plan choice shows it too, not its first option.
    assert f'<option value="{reported.plan.code}" selected>' in response.content.decode()
    assert (
        f'<option value="{reported.plan.code}" selected>' in client.get("/", {"period": "x"}).content.decode()
    )
    ProgressReport.objects.filter(pk=report.pk).update(state=ReportState.SUBMITTED)
    assert client.get("/").context["plan"] == other
    # Chosen once, it is remembered even though the other plan reported last.
    client.get("/", {"plan": reported.plan.code})
    assert client.get("/").context["plan"] == reported.plan
    # A later period of the first plan with a report submitted: it has the latest reporting.
    ReportingPeriod.objects.filter(pk=reported.pk).update(start=reported.start + 2 * day)
    client.logout()
    client.force_login(manager)
    assert client.get("/").context["plan"] == reported.plan
    ProgressReport.objects.all().delete()
    client.logout()
    client.force_login(manager)
    # Nothing reported anywhere (a fresh install): the plan with more zones to compare, not the
    # one-zone plan that sorts first by code; among equals, the first by code.
    assert reported.plan.zones.count() > 1 and client.get("/").context["plan"] == reported.plan
    for number in range(2, reported.plan.zones.count() + 1):
        zone = Zone.objects.create(
            plan=other, code=f"aaa-zone-{number}", name=f"甲区{number}", annex_number=number
        )
        make_task(zone=zone)
    client.logout()
    client.force_login(manager)
    assert client.get("/").context["plan"] == other
