"""Small builders for test data; each returns a saved object."""

import datetime
import itertools
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from core.roles import Role, ensure_groups
from measures.models import ReportingPeriod, Task, TaskAgency, TaskCategory
from measures.periods.services import quarter_bounds
from zones.models import Agency, Block, Plan, Profile, Zone

_seq = itertools.count(1)


def make_plan(**fields):
    n = next(_seq)
    fields.setdefault("code", f"plan-{n}")
    fields.setdefault("title", f"测试方案{n}")
    # Owing every period, like the session's plan (tests/conftest.py).
    fields.setdefault("tracking_start", datetime.date(2000, 1, 1))
    return Plan.objects.create(**fields)


def make_zone(plan=None, **fields):
    n = next(_seq)
    plan = plan or make_plan()
    fields.setdefault("annex_number", plan.zones.count() + 1)
    fields.setdefault("code", f"zone{n}")
    fields.setdefault("name", f"测试{n}经开区")
    fields.setdefault("area_km2", Decimal("10.00"))
    return Zone.objects.create(plan=plan, **fields)


def make_block(zone, **fields):
    fields.setdefault("number", zone.blocks.count() + 1)
    fields.setdefault("area_km2", Decimal("5.00"))
    return Block.objects.create(zone=zone, **fields)


def make_agency(**fields):
    n = next(_seq)
    fields.setdefault("name", f"测试单位{n}")
    return Agency.objects.create(**fields)


def make_category(zone, **fields):
    fields.setdefault("number", zone.categories.count() + 1)
    fields.setdefault("title", "测试类别")
    return TaskCategory.objects.create(zone=zone, **fields)


def make_task(zone=None, category=None, agencies=(), **fields):
    zone = zone or (category.zone if category else make_zone())
    category = category or make_category(zone)
    fields.setdefault("number", zone.tasks.count() + 1)
    fields.setdefault("title", f"测试任务{fields['number']}")
    fields.setdefault("text", fields["title"] + "。任务正文。")
    task = Task.objects.create(zone=zone, category=category, **fields)
    for position, agency in enumerate(agencies, start=1):
        TaskAgency.objects.create(task=task, agency=agency, position=position)
    return task


def make_user(role=None, zones=(), agency=None, **fields):
    ensure_groups()
    n = next(_seq)
    fields.setdefault("username", f"user{n}")
    if role == Role.ADMINISTRATOR:
        fields.update(is_staff=True, is_superuser=True)
    user = get_user_model().objects.create_user(password="pw-for-tests-1", **fields)
    if role is not None:
        user.groups.add(Group.objects.get(name=role.group_name))
    profile = Profile.objects.create(user=user, agency=agency)
    profile.zones.set(zones)
    return user


def make_period(plan=None, year=None, quarter=None, *, day=None, shift=0, grace=15, deadline=None, **fields):
    """A reporting period of `plan` (the loaded second-batch plan by default).

    A calendar quarter: `year` and `quarter`, or the one holding `day` (today), moved `shift` quarters,
    due `grace` days after it ends. With `deadline` instead: a quarter-long span ending 15 days before it.
    """
    plan = plan or Plan.objects.get(code="second-batch")
    if deadline is not None:
        start, end = deadline - datetime.timedelta(days=105), deadline - datetime.timedelta(days=15)
        fields.setdefault("name", f"截至{deadline:%m月%d日}的季度")
    else:
        if year is None:
            day = day or timezone.localdate()
            year, quarter = day.year, (day.month - 1) // 3 + 1
        index = year * 4 + quarter - 1 + shift
        year, quarter = index // 4, index % 4 + 1
        start, end = quarter_bounds(year, quarter)
        deadline = end + datetime.timedelta(days=grace)
        fields.setdefault("name", f"{year}Q{quarter}")
    return ReportingPeriod.objects.create(plan=plan, start=start, end=end, deadline=deadline, **fields)


# Evidence a close-off (销号) is given in tests whose subject is something else.
CLOSE_OFF_LINK = "https://example.gov.cn/close-off"


def give_evidence(*, user, report=None, outcome=None, url="https://example.gov.cn/evidence"):
    """A link as evidence on a report or an outcome, written directly: for tests whose subject is a
    later step (submitting an outcome and closing off a task need evidence)."""
    from measures.choices import EvidenceKind
    from measures.models import Evidence

    return Evidence.objects.create(
        report=report,
        outcome=outcome,
        kind=EvidenceKind.LINK,
        description="证明材料",
        url=url,
        added_by=user,
        added_at=timezone.now(),
    )


def submit_outcome_with_evidence(*, outcome, user):
    """services.submit_outcome after giving the outcome the evidence submitting needs."""
    from measures import services

    give_evidence(user=user, outcome=outcome)
    return services.submit_outcome(outcome=outcome, user=user)


def report_data(**fields):
    """A progress report's form data, every field given (on track, 40 %), `fields` over it: what the
    review workbench's and the my page's tests write."""
    from measures.choices import TaskStatus

    return {
        "status": TaskStatus.ON_TRACK,
        "percent_complete": 40,
        "progress": "按计划推进",
        "problems": "",
        "next_steps": "",
        "support_needed": "",
        "support_agency": None,
        **fields,
    }


def save_report_as(task, period, user, **fields):
    """services.save_report of report_data(**fields) by `user`: a draft."""
    from measures import services

    return services.save_report(task=task, period=period, user=user, data=report_data(**fields))


def submit_report_as(task, period, user, **fields):
    """save_report_as, then submitted by the same user."""
    from measures import services

    return services.submit_report(report=save_report_as(task, period, user, **fields), user=user)
