"""Verified progress beside self-reported, and who goes silent, as of a past date: rebuilt from the
reports and history rows of the day (measures.changes.asof), they equal what the pages showed on
that day, whatever was accepted, returned or submitted after it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from measures import services
from measures.choices import Assessment, TaskStatus
from measures.exports.rows import period_rows
from measures.exports.views import silence_by_zone
from measures.models import ProgressReport, ReportEvent, Task
from measures.review.selectors import verification_gaps
from tests.helpers import SESSION
from tests.measures.changes.conftest import WRITTEN, D, as_of_query_counts, task_before_the_day, write

pytestmark = pytest.mark.django_db

# E: five days after the period's deadline (D + 5), so its reports are owed and who goes silent
# counts them; everything after E is written today (D + 30).
E = D + datetime.timedelta(days=10)
BEFORE_E = timezone.make_aware(datetime.datetime.combine(E - datetime.timedelta(days=1), datetime.time(10)))


def date_before_e():
    """The rows written since the fixture's, dated the day before E (no clock library)."""
    ReportEvent.objects.filter(at__gt=WRITTEN).update(at=BEFORE_E)
    ProgressReport.objects.filter(submitted_at__gt=WRITTEN).update(
        submitted_at=BEFORE_E, submitted_on=BEFORE_E.date()
    )


def accept(report, user, assessment, verified, reason=""):
    return services.accept_report(
        report=report, user=user, assessment=assessment, verified_percent=verified, assessment_reason=reason
    )


def written_before_e(world):
    """By E: two of 西青's reports accepted with an assessment, one submitted and waiting, one
    returned; 武清's draft submitted late (after the deadline) and returned."""
    task, officer, reviewer, now = world["task"], world["officer"], world["reviewer"], world["now"]
    accept(ProgressReport.objects.get(task=task[1], period=now), reviewer, Assessment.LARGELY, 40, "佐证偏少")
    accept(ProgressReport.objects.get(task=task[2], period=now), reviewer, Assessment.PARTLY, 20, "审批未完")
    write(task[8], now, officer, TaskStatus.ON_TRACK, 60)
    returned = write(task[5], now, officer, TaskStatus.ON_TRACK, 45)
    services.return_report(report=returned, user=reviewer, note="请补充佐证")
    draft = ProgressReport.objects.get(task__zone=world["wuqing"], task__number=1, period=now)
    services.return_report(
        report=services.submit_report(report=draft, user=officer), user=reviewer, note="补"
    )
    date_before_e()


def change_after_e(world):
    """After E: the waiting report accepted with an assessment far below its percent, the returned
    one resubmitted and accepted, new submissions in both zones, and another return."""
    task, officer, reviewer, now = world["task"], world["officer"], world["reviewer"], world["now"]
    accept(
        ProgressReport.objects.get(task=task[8], period=now),
        reviewer,
        Assessment.NOT_COMPLETED,
        10,
        "未见成果",
    )
    resubmitted = write(task[5], now, officer, TaskStatus.ON_TRACK, 50)
    accept(resubmitted, reviewer, Assessment.COMPLETED, 100, "现场核实已完成")
    write(task[9], now, officer, TaskStatus.ON_TRACK, 30)
    services.return_report(
        report=write(task[10], now, officer, TaskStatus.ON_TRACK, 25), user=reviewer, note="不完整"
    )
    write(Task.objects.get(zone=world["wuqing"], number=1), now, officer, TaskStatus.ON_TRACK, 30)
    write(Task.objects.get(zone=world["wuqing"], number=2), now, officer, TaskStatus.ON_TRACK, 35)


def gap_figures(gaps):
    return [
        (
            row["zone"].code,
            row["assessed"],
            *(
                round(float(row[key]), 6) if row.get(key) is not None else None
                for key in ("reported", "verified", "gap", "overstated")
            ),
        )
        for row in gaps
    ]


def silence_figures(rows):
    return [
        (
            zone.code,
            f.owed,
            f.on_time,
            f.on_time_rate,
            f.late_reports,
            f.late_days,
            f.average_days_late,
            f.returned,
        )
        for zone, f in rows
    ]


def live(world):
    """The sections as the pages count them with today = E."""
    manager, now = world["manager"], world["now"]
    report = period_rows(manager, now, today=E)
    zones = [section.zone for section in report.sections]
    return gap_figures(verification_gaps(now, zones)), silence_figures(silence_by_zone(manager, report))


def pages(client, world):
    """(dashboard's gaps, one zone's report's gaps and silence, the summary's) as of E."""
    client.force_login(world["manager"])
    now = world["now"]
    day = {"as_of": E.isoformat()}
    dashboard = client.get("/", {"period": now.pk, **day})
    url = reverse("measures:period-report-html", args=[now.pk])
    zone = client.get(url, {"zone": "xiqing", **day})
    summary = client.get(url, day)
    for response in (dashboard, zone, summary):
        assert response.status_code == 200
        assert 'id="verification-gap"' in response.content.decode()
    assert 'id="silence"' in zone.content.decode() and 'id="silence"' in summary.content.decode()
    return (
        gap_figures(dashboard.context["gaps"]),
        (gap_figures(zone.context["gaps"]), silence_figures(zone.context["silence"])),
        (gap_figures(summary.context["gaps"]), silence_figures(summary.context["silence"])),
    )


def xiqing_only(figures):
    return [row for row in figures if row[0] == "xiqing"]


def test_verified_progress_and_silence_as_of_the_day_equal_what_they_showed(client, world):
    written_before_e(world)
    gaps_on_e, silence_on_e = live(world)
    by_zone = {row[0]: row for row in gaps_on_e}
    # On E: 西青 had two reports accepted with an assessment (50 and 35 reported, 40 and 20 verified).
    assert by_zone["xiqing"][1:] == ("xiqing", 2, 42.5, 30.0, 12.5, 2)[1:]
    silent = {row[0]: row for row in silence_on_e}
    assert silent["xiqing"][-1] == 1 and silent["wuqing"][-1] == 1
    change_after_e(world)
    # Today's figures moved on (so a rebuild reading today's rows would fail)...
    gaps_today, silence_today = live(world)
    assert gaps_today != gaps_on_e and silence_today != silence_on_e
    # ...and every page as of E shows E's.
    dashboard, zone, summary = pages(client, world)
    assert dashboard == gaps_on_e
    assert zone == (xiqing_only(gaps_on_e), xiqing_only(silence_on_e))
    assert summary == (gaps_on_e, silence_on_e)


def test_the_sections_cost_a_constant_number_of_queries(client, world):
    written_before_e(world)
    change_after_e(world)
    counts = as_of_query_counts(client, world, E)
    # The dashboard's gaps come from its rebuild, without a query of their own (the same count
    # as test_as_of pins for a day before the deadline).
    assert counts[0] == SESSION + 16
    officer, reviewer, now = world["officer"], world["reviewer"], world["now"]
    for n in range(5):
        task = task_before_the_day(world["xiqing"])
        report = write(task, now, officer, TaskStatus.ON_TRACK, 30 + n)
        if n % 2:
            accept(report, reviewer, Assessment.PARTLY, 10, "少")
        else:
            services.return_report(report=report, user=reviewer, note="补")
    date_before_e()
    assert as_of_query_counts(client, world, E) == counts


def test_the_silence_page_says_why_it_has_no_past_date(client, world):
    client.force_login(world["manager"])
    html = client.get(reverse("measures:silence"), {"as_of": E.isoformat()}).content.decode()
    assert 'id="no-past-date"' in html and "无历史记录" in html
