"""Who goes silent (谁在沉默): per officer and per agency, for a plan and a span of periods.

Per officer (everyone responsible for a zone answers for its reports): the share of the reports owed
in their zones that were submitted by the deadline (the dashboard's rule: the date of the last
submission against the deadline), the average days late over the reports submitted late or still
missing (counted to today), the reports of their zones returned for changes, the reports they
submitted themselves, and the escalations (督办) they received. Per agency: coordination requests
received, answered, the median days to an answer, and the escalations about its requests.
A fixed number of queries whatever the rows.
"""

import statistics
from collections import Counter, defaultdict

from django.contrib.auth import get_user_model
from django.utils import timezone

from core.roles import Role
from measures.choices import REPORTED_STATES, EventKind
from measures.models import CoordinationRequest, ProgressReport, ReportEvent, Task
from notifications.choices import NoticeKind, Subject
from notifications.models import Escalation, Notification
from zones.models import Agency


def silence(*, plan, periods, today=None):
    today = today or timezone.localdate()
    # Only periods owed (deadline on or after the plan's tracking start) count, as in every rate.
    periods = [p for p in periods if p.deadline < today and p.deadline >= plan.tracking_start]
    if not periods:
        return {"officers": [], "agencies": [], "periods": []}
    period_ids = [p.pk for p in periods]
    deadlines = {p.pk: p.deadline for p in periods}
    span_start = min(p.start for p in periods)

    on_time, late_days = Counter(), defaultdict(list)
    submitted_keys = set()
    reports = ProgressReport.objects.filter(
        period_id__in=period_ids,
        task__zone__plan=plan,
        state__in=REPORTED_STATES,
        task__withdrawn_at__isnull=True,
    ).values_list("task_id", "task__zone_id", "period_id", "submitted_on")
    for task_id, zone_id, period_id, submitted_on in reports.iterator(chunk_size=5000):
        submitted_keys.add((task_id, period_id))
        late = (submitted_on - deadlines[period_id]).days
        if late <= 0:
            on_time[zone_id] += 1
        else:
            late_days[zone_id].append(late)
    # Reports still missing are late by every day since the deadline.
    owed = Counter()
    tasks = Task.objects.filter(zone__plan=plan).reportable().values_list("pk", "zone_id").order_by()
    for task_id, zone_id in tasks.iterator(chunk_size=5000):
        for period in periods:
            owed[zone_id] += 1
            if (task_id, period.pk) not in submitted_keys:
                late_days[zone_id].append((today - period.deadline).days)
    returned = Counter(
        ReportEvent.objects.filter(kind=EventKind.RETURNED, period_id__in=period_ids, task__zone__plan=plan)
        .values_list("task__zone_id", flat=True)
        .order_by()
    )
    submitted_by = Counter()
    for actor_id, _report in (
        ReportEvent.objects.filter(kind=EventKind.SUBMITTED, period_id__in=period_ids, task__zone__plan=plan)
        .values_list("actor_id", "report_id")
        .distinct()
        .order_by()
    ):
        submitted_by[actor_id] += 1
    escalations = Counter(
        Notification.objects.filter(kind=NoticeKind.ESCALATION, created_at__date__gte=span_start)
        .values_list("recipient_id", flat=True)
        .order_by()
    )

    officers = defaultdict(lambda: {"zones": []})
    links = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.OFFICER.group_name, profile__zones__plan=plan)
        .values_list(
            "pk", "username", "first_name", "last_name", "profile__zones__id", "profile__zones__name"
        )
        .order_by("username")
    )
    for pk, username, first, last, zone_id, zone_name in links:
        row = officers[pk]
        row.update(pk=pk, name=f"{last}{first}".strip() or username, username=username)
        row["zones"].append((zone_id, zone_name))
    officer_rows = []
    for row in officers.values():
        zone_ids = [zone_id for zone_id, _name in row["zones"]]
        due = sum(owed[z] for z in zone_ids)
        lates = [d for z in zone_ids for d in late_days[z]]
        officer_rows.append(
            {
                **row,
                "zone_names": "、".join(name for _id, name in row["zones"]),
                "owed": due,
                "on_time": sum(on_time[z] for z in zone_ids),
                "on_time_rate": round(100 * sum(on_time[z] for z in zone_ids) / due) if due else None,
                "average_days_late": round(statistics.fmean(lates), 1) if lates else 0,
                "returned": sum(returned[z] for z in zone_ids),
                "submitted": submitted_by[row["pk"]],
                "escalations": escalations[row["pk"]],
            }
        )
    officer_rows.sort(key=lambda r: (r["on_time_rate"] if r["on_time_rate"] is not None else 101, r["name"]))

    span_end = max(p.end for p in periods)
    requests = CoordinationRequest.objects.filter(
        task__zone__plan=plan, asked_at__date__gte=span_start, asked_at__date__lte=span_end
    ).values_list("pk", "agency_id", "asked_at", "answered_at")
    by_agency = defaultdict(lambda: {"received": 0, "answered": 0, "days": [], "ids": []})
    for pk, agency_id, asked_at, answered_at in requests:
        row = by_agency[agency_id]
        row["received"] += 1
        row["ids"].append(pk)
        if answered_at is not None:
            row["answered"] += 1
            row["days"].append((answered_at - asked_at).total_seconds() / 86400)
    request_escalations = Counter()
    agency_of = {pk: agency_id for agency_id, row in by_agency.items() for pk in row["ids"]}
    for object_id in Escalation.objects.filter(
        subject=Subject.REQUEST, object_id__in=list(agency_of)
    ).values_list("object_id", flat=True):
        request_escalations[agency_of[object_id]] += 1
    names = dict(Agency.objects.filter(pk__in=list(by_agency)).values_list("pk", "name"))
    agency_rows = sorted(
        (
            {
                "pk": agency_id,
                "name": names.get(agency_id, "?"),
                "received": row["received"],
                "answered": row["answered"],
                "answer_rate": round(100 * row["answered"] / row["received"]) if row["received"] else None,
                "median_days": round(statistics.median(row["days"]), 1) if row["days"] else None,
                "escalations": request_escalations[agency_id],
            }
            for agency_id, row in by_agency.items()
        ),
        key=lambda r: (r["answer_rate"] if r["answer_rate"] is not None else 101, r["name"]),
    )
    return {"officers": officer_rows, "agencies": agency_rows, "periods": periods}
