"""selectors.with_period_report: each task once, with its report of the periods asked for (not an
earlier one's), and none of it where the reader may not read that report (reporting.reports_shown_to)."""

import pytest
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import AgencyRole, ReportState, TaskStatus
from measures.models import Task
from measures.tasks.selectors import with_period_report
from tests.factories import make_agency, make_period, make_task, make_user
from zones.models import Zone

pytestmark = pytest.mark.django_db


def save(task, period, user, percent, submit=False):
    data = {"status": TaskStatus.ON_TRACK, "percent_complete": percent, "progress": "进展"}
    report = services.save_report(task=task, period=period, user=user, data=data)
    return services.submit_report(report=report, user=user) if submit else report


def read(tasks, periods, user=None):
    rows = with_period_report(
        Task.objects.filter(pk__in=[task.pk for task in tasks]).order_by("number"),
        [period.pk for period in periods],
        timezone.localdate(),
        user=user,
    )
    return {
        row.number: (row.report_status, row.report_state, row.report_percent, row.report_period_id)
        for row in rows
    } | {"rows": len(rows)}


def test_each_task_once_with_the_report_of_the_period_asked_for():
    xiqing = Zone.objects.get(code="xiqing")
    officer = make_user(Role.OFFICER, zones=[xiqing])
    earlier, current = make_period(shift=-1), make_period()
    lead = make_agency(name="牵头局")
    tasks = [make_task(zone=xiqing, number=n, agencies=[lead]) for n in (91, 92, 93)]
    for task in tasks[:2]:
        task.agency_links.update(role=AgencyRole.LEAD)
    save(tasks[0], earlier, officer, 10, submit=True)
    save(tasks[0], current, officer, 41)
    save(tasks[1], earlier, officer, 20, submit=True)
    save(tasks[2], current, officer, 63, submit=True)

    draft, none = (TaskStatus.ON_TRACK, ReportState.DRAFT, 41, current.pk), (None, None, None, None)
    submitted = (TaskStatus.ON_TRACK, ReportState.SUBMITTED, 63, current.pk)
    assert read(tasks, [current]) == {91: draft, 92: none, 93: submitted, "rows": 3}
    assert read(tasks, [earlier])[91] == (TaskStatus.ON_TRACK, ReportState.SUBMITTED, 10, earlier.pk)
    assert read(tasks, []) == {91: none, 92: none, 93: none, "rows": 3}
    # A liaison reads submitted reports, and the drafts of the tasks their agency leads only.
    assert read(tasks, [current], make_user(Role.LIAISON, agency=lead))[91] == draft
    other = make_user(Role.LIAISON, agency=make_agency(name="配合局"))
    assert read(tasks, [current], other) == {91: none, 92: none, 93: submitted, "rows": 3}
