"""Small builders for test data; each returns a saved object."""

import datetime
import itertools
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from measures.models import Task, TaskAgency, TaskCategory
from zones.models import Agency, Block, Plan, Profile, Zone
from zones.roles import Role, ensure_groups

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
