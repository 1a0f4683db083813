"""Who goes silent (谁在沉默): per officer and per agency, for a plan and a span of periods.

Per officer (everyone responsible for a zone answers for its reports): the share of the reports owed
in their zones that were submitted by the deadline (the dashboard's rule: the date of the last
submission against the deadline), the average days late over the reports submitted late or still
missing (counted to today), the reports of their zones returned for changes, the reports they
submitted themselves, and the escalations (督办) they received. Per agency: coordination requests
received, answered, the median days to an answer, and the escalations about its requests and about
the items a stocktake assigned to it.
A fixed number of queries whatever the rows.
"""

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from core.i18n import localized
from core.roles import Role
from measures.choices import REPORTED_STATES, EventKind
from measures.models import CoordinationRequest, ProgressReport, ReportEvent, Task
from notifications.choices import NoticeKind, Subject
from notifications.models import Escalation, Notification
from zones.models import Agency, Zone


def silence(*, plan, periods, today=None):
    today = today or timezone.localdate()
    # Only periods owed (deadline on or after the plan's tracking start) count, as in every rate.
    periods = owed_periods(plan, periods, today)
    if not periods:
        return {"officers": [], "agencies": [], "periods": []}
    period_ids = [p.pk for p in periods]
    span_start = min(p.start for p in periods)

    by_zone = zone_figures(plan=plan, periods=periods, today=today)
    # The reports each person submitted, counted in the database (the pairs were 480,000 rows at
    # 20,000 tasks and 24 periods).
    submitted_by = Counter(
        dict(
            ReportEvent.objects.filter(
                kind=EventKind.SUBMITTED, period_id__in=period_ids, task__zone__plan=plan
            )
            .order_by()
            .values("actor_id")
            .annotate(n=Count("report_id", distinct=True))
            .values_list("actor_id", "n")
        )
    )
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
            "pk",
            "username",
            "first_name",
            "last_name",
            "profile__zones__id",
            "profile__zones__name",
            "profile__zones__name_en",
        )
        .order_by("username")
    )
    for pk, username, first, last, zone_id, zone_name, zone_name_en in links:
        row = officers[pk]
        row.update(pk=pk, name=f"{last}{first}".strip() or username, username=username)
        row["zones"].append((zone_id, Zone(name=zone_name, name_en=zone_name_en).short_name))
    officer_rows = []
    for row in officers.values():
        zone_ids = [zone_id for zone_id, _name in row["zones"]]
        figures = sum((by_zone[z] for z in zone_ids), ZoneSilence())
        officer_rows.append(
            {
                **row,
                "zone_names": localized("、", ", ").join(name for _id, name in row["zones"]),
                "owed": figures.owed,
                "on_time": figures.on_time,
                "on_time_rate": figures.on_time_rate,
                "average_days_late": figures.average_days_late,
                "returned": figures.returned,
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
    agency_escalations = Counter()
    agency_of = {pk: agency_id for agency_id, row in by_agency.items() for pk in row["ids"]}
    for object_id in Escalation.objects.filter(
        subject=Subject.REQUEST, object_id__in=list(agency_of)
    ).values_list("object_id", flat=True):
        agency_escalations[agency_of[object_id]] += 1
    # Items a stocktake assigned to the agency climb the ladder too: counted by the day they lapsed.
    for agency_id in Escalation.objects.filter(
        plan=plan,
        subject=Subject.ASSIGNED_ITEM,
        agency__isnull=False,
        lapse__gte=span_start,
        lapse__lte=span_end,
    ).values_list("agency_id", flat=True):
        agency_escalations[agency_id] += 1
        by_agency[agency_id]  # an agency chased only for its items still gets its row
    names = {
        pk: localized(name, name_en)
        for pk, name, name_en in Agency.objects.filter(pk__in=list(by_agency)).values_list(
            "pk", "name", "name_en"
        )
    }
    agency_rows = sorted(
        (
            {
                "pk": agency_id,
                "name": names.get(agency_id, "?"),
                "received": row["received"],
                "answered": row["answered"],
                "answer_rate": round(100 * row["answered"] / row["received"]) if row["received"] else None,
                "median_days": round(statistics.median(row["days"]), 1) if row["days"] else None,
                "escalations": agency_escalations[agency_id],
            }
            for agency_id, row in by_agency.items()
        ),
        key=lambda r: (r["answer_rate"] if r["answer_rate"] is not None else 101, r["name"]),
    )
    return {"officers": officer_rows, "agencies": agency_rows, "periods": periods}


@dataclass
class ZoneSilence:
    """A zone's (or several zones') figures over a span of periods: the reports owed, those
    submitted by the deadline, the days late of each report submitted late or still missing
    (counted to today), and the reports returned for changes."""

    owed: int = 0
    on_time: int = 0
    late_reports: int = 0
    late_days: int = 0
    returned: int = 0

    def __add__(self, other):
        return ZoneSilence(*(getattr(self, f) + getattr(other, f) for f in ZoneSilence.__dataclass_fields__))

    @property
    def on_time_rate(self):
        return round(100 * self.on_time / self.owed) if self.owed else None

    @property
    def average_days_late(self):
        return round(self.late_days / self.late_reports, 1) if self.late_reports else 0


def owed_periods(plan, periods, today):
    """Only periods owed (deadline on or after the plan's tracking start) and past their deadline
    count, as in every rate."""
    return [p for p in periods if p.deadline < today and p.deadline >= plan.tracking_start]


def zone_figures(*, plan, periods, today, zone_ids=None):
    """{zone id: ZoneSilence} over `periods` (already owed_periods()), counted in the database:
    three grouped queries whatever the number of reports (none without periods). Reports of
    withdrawn tasks count nowhere; the tasks still reported on (neither closed nor withdrawn)
    owe one report a period, and each such report missing is late by the days since the deadline."""
    found = defaultdict(ZoneSilence)
    if not periods:
        return found
    deadlines = {p.pk: p.deadline for p in periods}
    tasks = Task.objects.filter(zone__plan=plan)
    if zone_ids is not None:
        tasks = tasks.filter(zone_id__in=zone_ids)
    reportable = dict(
        tasks.reportable().order_by().values("zone_id").annotate(n=Count("pk")).values_list("zone_id", "n")
    )
    for zone_id, n in reportable.items():
        found[zone_id].owed = n * len(periods)
    late = Q(submitted_on__gt=F("period__deadline"))
    submitted = (
        ProgressReport.objects.filter(
            period_id__in=list(deadlines),
            task__in=tasks.filter(withdrawn_at__isnull=True),
            state__in=REPORTED_STATES,
        )
        .order_by()
        .values("period_id", zone_id=F("task__zone_id"))
        .annotate(
            on_time=Count("pk", filter=~late),
            late=Count("pk", filter=late),
            late_days=Sum(
                ExpressionWrapper(F("submitted_on") - F("period__deadline"), output_field=DurationField()),
                filter=late,
            ),
            still_reported=Count("pk", filter=Q(task__closed_at__isnull=True)),
        )
    )
    reported = Counter()
    for row in submitted:
        figures = found[row["zone_id"]]
        figures.on_time += row["on_time"]
        figures.late_reports += row["late"]
        figures.late_days += row["late_days"].days if row["late_days"] else 0
        reported[(row["zone_id"], row["period_id"])] = row["still_reported"]
    for zone_id, n in reportable.items():
        for period_id, deadline in deadlines.items():
            missing = n - reported[(zone_id, period_id)]
            found[zone_id].late_reports += missing
            found[zone_id].late_days += missing * (today - deadline).days
    returned = (
        ReportEvent.objects.filter(kind=EventKind.RETURNED, period_id__in=list(deadlines), task__in=tasks)
        .order_by()
        .values("task__zone_id")
        .annotate(n=Count("pk"))
    )
    for row in returned:
        found[row["task__zone_id"]].returned = row["n"]
    return found
