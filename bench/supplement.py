"""Rows the generator does not make, added to the bench data for the pages that list them.

generate_demo_data writes tasks, reports and evidence; the coordination requests, milestones,
outcomes, major matters, plan adjustments and a stocktake meeting's items that other pages list
are left empty, so those pages would be timed on nothing. `add()` writes a number of each in
proportion to the tasks (REQUESTS_EVERY etc.), through the services as a person would (history rows
and all), as the administrator (or a manager where only managers may), in one transaction. It is
idempotent: a rerun finds the meeting it made (TITLE) and adds nothing. The runner records the
result in the data's marker, so later runs reuse it.

A service refuses a date in the past: what overdue lists need (requests and milestones past their
dates) is written through the services with their clock a month back (days_ago).
"""

import contextlib
import datetime
import time
from unittest import mock

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from measures.choices import AdjustmentKind, MatterUrgency, OutcomeType
from measures.followup.services import coordination, milestones
from measures.management.commands.generate_demo_data import tiny_png
from measures.models import CoordinationRequest, Task, TaskAgency
from measures.outcomes import services as outcomes
from measures.periods import selectors
from measures.services import propose_adjustment, raise_matter
from stocktakes.models import Stocktake
from stocktakes.services import assign_item, schedule_stocktake
from zones.models import Plan

VERSION = 1
TITLE = "基准测试调度会（补充数据）"
# One of each per this many open tasks.
REQUESTS_EVERY = 10
MILESTONES_EVERY = 10
OUTCOMES_EVERY = 20
ITEMS_EVERY = 20
MATTERS_EVERY = 50
ADJUSTMENTS_EVERY = 50


@contextlib.contextmanager
def days_ago(days):
    """The services' clock (timezone.now, and localdate through it) `days` back: what they write
    then is what a person acting that day would have left, history rows and all."""
    if not days:
        yield
        return
    then = timezone.now() - datetime.timedelta(days=days)
    with mock.patch("django.utils.timezone.now", return_value=then):
        yield


def every(tasks, offset, step):
    """Every `step`th task from `offset`, at least one while there are tasks (10 tasks make one of each)."""
    return tasks[offset % len(tasks) :: step] if tasks else []


def existing(plan):
    return Stocktake.objects.filter(plan=plan, title=TITLE).first()


def add(*, plan_code):
    """Add the rows (once); returns what the data now holds of each kind, and the seconds taken."""
    plan = Plan.objects.get(code=plan_code)
    if existing(plan) is not None:
        return {"version": VERSION, "reused": True, **counts(plan)}
    User = get_user_model()
    admin = User.objects.get(username="bench-admin")
    manager = User.objects.get(username="bench-manager")
    period = selectors.current_periods()[plan.pk]
    today = timezone.localdate()
    started = time.perf_counter()
    tasks = list(
        Task.objects.filter(zone__plan=plan, closed_at__isnull=True, withdrawn_at__isnull=True)
        .select_related("zone__plan")
        .order_by("zone__annex_number", "number")
    )
    agencies = {}
    for link in (
        TaskAgency.objects.filter(task__zone__plan=plan).select_related("agency").order_by("position")
    ):
        agencies.setdefault(link.task_id, []).append(link.agency)
    # Task 1 of the first zone keeps its fixed state (ensure_users) for the task page's figures.
    tasks = [t for t in tasks if not (t.number == 1 and t.zone.code == "demo1")]
    took = {}
    mark = time.perf_counter()

    def lap(kind):
        nonlocal mark
        now = time.perf_counter()
        took[kind] = round(now - mark, 2)
        mark = now

    with transaction.atomic():
        for n, task in enumerate(every(tasks, 0, REQUESTS_EVERY)):
            if task.pk not in agencies:
                continue
            # Every other request asked a month ago, to be answered in 15 days: overdue now.
            with days_ago(30 if n % 2 == 0 else 0):
                coordination.ask_agency(
                    task=task,
                    user=admin,
                    agency=agencies[task.pk][n % len(agencies[task.pk])],
                    period=period,
                    question=f"请协助落实第{task.number}项任务所需的配套政策（基准测试）。",
                    reply_by=timezone.localdate() + datetime.timedelta(days=15),
                )
        lap("requests")
        for n, task in enumerate(every(tasks, 5, MILESTONES_EVERY)):
            # Every other milestone added a month ago, due in ten days then: overdue now.
            with days_ago(30 if n % 2 else 0):
                milestones.add_milestone(
                    task=task,
                    user=admin,
                    title=f"完成阶段性工作（基准测试{n}）",
                    due=timezone.localdate() + datetime.timedelta(days=10 if n % 2 else 40),
                )
        lap("milestones")
        png = tiny_png(40, 120, 200)
        for n, task in enumerate(every(tasks, 3, OUTCOMES_EVERY)):
            outcome = outcomes.create_outcome(
                zone=task.zone,
                user=admin,
                title=f"{task.zone.short_name}制度创新成果{n}",
                description="形成可复制推广的制度创新经验。" * 3,
                type=list(OutcomeType)[n % len(OutcomeType)],
                period=period,
                tasks=[task],
            )
            if n % 2 == 0:
                outcomes.add_outcome_file(
                    outcome=outcome,
                    user=admin,
                    uploaded_file=SimpleUploadedFile("evidence.png", png, "image/png"),
                    description="成果佐证材料",
                )
                outcomes.submit_outcome(outcome=outcome, user=admin)
        lap("outcomes")
        for n, task in enumerate(every(tasks, 7, MATTERS_EVERY)):
            raise_matter(
                zone=task.zone,
                user=admin,
                title=f"第{task.number}项任务推进中的重大事项",
                description="需市级层面协调解决。",
                urgency=list(MatterUrgency)[n % len(MatterUrgency)],
                task=task,
            )
        lap("matters")
        for n, task in enumerate(every(tasks, 9, ADJUSTMENTS_EVERY)):
            propose_adjustment(
                task=task,
                user=admin,
                kind=AdjustmentKind.TEXT,
                reason="根据实施情况调整任务表述。",
                text=f"{task.text.strip()}（调整{n}）",
            )
        lap("adjustments")
        meeting = schedule_stocktake(
            user=manager,
            plan=plan,
            title=TITLE,
            held_on=today - datetime.timedelta(days=7),
            notes="听取各区任务推进情况。",
        )
        for n, task in enumerate(every(tasks, 1, ITEMS_EVERY)):
            by = {"zone": task.zone} if n % 2 or task.pk not in agencies else {"agency": agencies[task.pk][0]}
            assign_item(
                stocktake=meeting,
                user=manager,
                title=f"推进第{task.number}项任务（{task.zone.short_name}）",
                due=today + datetime.timedelta(days=14),
                description="会议议定事项。",
                **by,
            )
        lap("items")
    return {
        "version": VERSION,
        "reused": False,
        "seconds": time.perf_counter() - started,
        "seconds_by_kind": took,
        **counts(plan),
    }


def counts(plan):
    from measures.models import InnovationOutcome, MajorMatter, Milestone, PlanAdjustment
    from stocktakes.models import AssignedItem

    return {
        "requests": CoordinationRequest.objects.filter(task__zone__plan=plan).count(),
        "milestones": Milestone.objects.filter(task__zone__plan=plan).count(),
        "outcomes": InnovationOutcome.objects.filter(zone__plan=plan).count(),
        "matters": MajorMatter.objects.filter(zone__plan=plan).count(),
        "adjustments": PlanAdjustment.objects.filter(task__zone__plan=plan).count(),
        "items": AssignedItem.objects.filter(stocktake__plan=plan).count(),
    }
