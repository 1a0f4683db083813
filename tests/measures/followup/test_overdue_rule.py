"""The overdue-milestone rule is Milestone.objects.overdue(today), read by every page, light, count
and export: a milestone is overdue when it is not done, was due before today and its task is still
carried out. A closed-off or withdrawn task's leftover milestones are not overdue."""

import datetime

import pytest
from django.db.models import OuterRef
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.dashboard.selectors import task_groups
from measures.exports.rows import period_rows
from measures.models import Milestone, Task
from measures.tasks.selectors import task_page, with_period_report
from tests.factories import make_period, make_user

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 20)


@pytest.fixture
def setup():
    task = Task.objects.select_related("zone").get(zone__code="xiqing", number=1)
    officer = make_user(Role.OFFICER, zones=[task.zone])
    manager = make_user(Role.MANAGER)
    period = make_period(task.zone.plan, 2026, 4)
    late = services.add_milestone(
        confirm_past=True, task=task, user=officer, title="逾期", due=TODAY - datetime.timedelta(days=2)
    )
    services.add_milestone(
        confirm_past=True, task=task, user=officer, title="未到期", due=TODAY + datetime.timedelta(days=2)
    )
    return task, period, manager, late


def everywhere(task, period, manager):
    """The task's overdue milestones as each read sees them."""
    tasks = Task.objects.filter(pk=task.pk)
    task = Task.objects.select_related("zone").get(pk=task.pk)
    [group] = task_groups(tasks, period, TODAY, by=("zone_id",))
    [row] = [
        row
        for section in period_rows(manager, period, today=TODAY).sections
        for row in section.rows
        if row.task.pk == task.pk
    ]
    return {
        "queryset": Milestone.objects.overdue(TODAY).filter(task=task).count(),
        "instance": sum(m.is_overdue(TODAY) for m in task.milestones.all()),
        "task list": with_period_report(tasks, [period.pk], TODAY).get().overdue_count,
        "task page": sum(m.overdue for m in task_page(manager, task, period, today=TODAY)["milestones"]),
        "dashboard": int(group["overdue"]),
        "period report": row.task.overdue_count,
        "count subquery": Task.objects.filter(pk=task.pk)
        .annotate(n=Milestone.objects.overdue_count_of(OuterRef("pk"), TODAY))
        .get()
        .n,
    }


def test_an_open_task_has_its_late_milestone_overdue_everywhere(setup):
    task, period, manager, late = setup
    assert set(everywhere(task, period, manager).values()) == {1}


@pytest.mark.parametrize("ended", ["closed_at", "withdrawn_at"])
def test_a_closed_off_or_withdrawn_tasks_milestones_are_overdue_nowhere(setup, ended):
    task, period, manager, late = setup
    Task.objects.filter(pk=task.pk).update(**{ended: timezone.now()})
    assert set(everywhere(task, period, manager).values()) == {0}
    assert not Task.objects.get(pk=task.pk).milestones.get(pk=late.pk).is_overdue(TODAY)
