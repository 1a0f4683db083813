"""The demo's stocktake meeting (generate_demo_data, through measures.demo): one meeting of the whole
plan with two assigned items, one for a zone and one for the agency named in the most tasks, so the
meeting pack, the item lists and the assignees' my pages have something on them.

Written directly, not through stocktakes.services, as generate_demo_data writes its reports: the
demo's author is the inactive demo-data user, who holds no role, and the demo sends no notices. Each
row is full_clean()ed and each item gets its ASSIGNED history row, as the service writes it."""

import datetime

from django.db.models import Count
from django.utils import timezone

from zones.models import Agency

from .choices import ItemEventKind
from .models import AssignedItem, ItemEvent, Stocktake

TITLE = "演示调度会（生成数据）"
NOTES = "听取各区本季度任务推进情况，研究滞后任务的推进措施。"
# (title, description, days from today to the due date): one already overdue, one still to come.
ITEMS = [
    ("报送滞后任务整改台账", "列明滞后原因、整改措施和完成时限。", -3),
    ("协调出台配套政策细则", "会同相关区明确政策细则的出台时间。", 14),
]


def generate(*, plan, user, periods, today):
    if Stocktake.objects.filter(plan=plan, title=TITLE).exists():
        return ""
    zone = plan.zones.order_by("annex_number").first()
    agency = (
        Agency.objects.filter(task_links__task__zone__plan=plan)
        .annotate(named_in=Count("task_links"))
        .order_by("-named_in", "pk")
        .first()
    )
    if zone is None or agency is None:
        return ""
    now = timezone.now()
    meeting = Stocktake(
        plan=plan,
        title=TITLE,
        held_on=today - datetime.timedelta(days=7),
        notes=NOTES,
        created_by=user,
        created_at=now,
    )
    meeting.full_clean()
    meeting.save()
    for (title, description, days), assignee in zip(ITEMS, ({"zone": zone}, {"agency": agency}), strict=True):
        item = AssignedItem(
            stocktake=meeting,
            title=title,
            description=description,
            due=today + datetime.timedelta(days=days),
            created_by=user,
            created_at=now,
            **assignee,
        )
        item.full_clean()
        item.save()
        event = ItemEvent(
            item=item,
            kind=ItemEventKind.ASSIGNED,
            actor=user,
            at=now,
            changes={"to": item.assignee_name, "due": item.due.isoformat()},
            note=item.description,
        )
        event.full_clean()
        event.save()
    return f"1 stocktake meeting with {len(ITEMS)} assigned items"
