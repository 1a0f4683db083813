"""Fill the database with believable reporting data, for demos or for trying pages at scale.

Without --zones/--tasks it reports on the loaded plan's real tasks; with them it first builds
a synthetic plan of that size. Rows are bulk-inserted (not through the services) because a
demo of 500,000 reports would otherwise take hours; each submitted report still gets its
history rows so timelines are not empty.

Accepted reports carry the managers' assessed completion (verified progress) more often than not,
a few of them with a lower verified percent and the reason, so the verification gap has figures;
the apps above measures add their own rows (measures.demo: a stocktake meeting with two items).

--complete gives every task a report in every period (the current one included), which is
how `make bench` reaches 500,000 reports; --evidence adds that many evidence rows, of which
the files point at a few small real files (correct size and SHA-256) so downloads work.
"""

import datetime
import hashlib
import random
import struct
import zlib

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from core.uploads import stored_name
from measures import demo
from measures.choices import Assessment, EventKind, EvidenceKind, ReportState, TaskStatus
from measures.models import (
    Evidence,
    ProgressReport,
    ReportEvent,
    ReportingPeriod,
    Task,
    TaskAgency,
    TaskCategory,
)
from measures.periods.services import quarter_bounds
from zones.models import Agency, Plan, Zone

PROGRESS = [
    "完成方案编制并报审",
    "召开专题推进会两次",
    "与支持单位对接政策细则",
    "首批企业完成试点申报",
    "形成阶段性工作总结",
]
PROBLEMS = ["配套政策尚待市级部门明确", "试点企业数量不足", "跨部门数据共享机制尚未建立"]
NEXT_STEPS = ["推动政策细则出台", "扩大试点范围", "总结经验并申报制度创新成果"]
EVIDENCE_DESCRIPTIONS = ["会议纪要", "政策文件", "现场照片", "试点企业名单", "工作台账"]
WITHDRAW_REASONS = ["上传错误文件", "已由新版本替代"]
ASSESSMENT_REASONS = ["佐证材料不足以支撑填报进度", "部分节点尚未完成验收", "试点范围小于方案要求"]
# Of the accepted reports: how many carry an assessment, and of those how many a lower verified percent.
ASSESSED, CORRECTED = 0.7, 0.25
BATCH = 5000


class Command(BaseCommand):
    help = "Generate demo reporting data (periods, reports, history); optionally a synthetic plan at scale."

    def add_arguments(self, parser):
        parser.add_argument("--plan", default="second-batch", help="code of the plan to report on")
        parser.add_argument("--zones", type=int, help="build a synthetic plan with this many zones")
        parser.add_argument("--tasks", type=int, help="…and this many tasks in total")
        parser.add_argument(
            "--periods", type=int, default=4, help="quarters of data, ending with the current one"
        )
        parser.add_argument(
            "--complete",
            action="store_true",
            help="report every task in every period, the current one included (tasks × periods reports)",
        )
        parser.add_argument(
            "--evidence", type=int, default=0, help="add this many evidence items to the generated reports"
        )
        parser.add_argument(
            "--evidence-files",
            type=int,
            default=100,
            help="distinct small real files (PNG) that file evidence points at",
        )
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, plan, zones, tasks, periods, complete, evidence, evidence_files, seed, **options):
        if (zones is None) != (tasks is None):
            raise CommandError("Give --zones and --tasks together.")
        if periods < 1 or (zones is not None and (zones < 1 or tasks < zones)):
            raise CommandError("--periods must be at least 1 and --tasks at least --zones.")
        if evidence < 0 or (evidence and evidence_files < 1):
            raise CommandError("--evidence cannot be negative and needs at least one --evidence-files.")
        rng = random.Random(seed)
        user = self._demo_user()
        # Files are written before the transaction: a rollback leaves at most a few small
        # unreferenced files, never rows that point at missing files.
        samples = self._sample_files(min(evidence_files, evidence), rng) if evidence else []
        with transaction.atomic():
            target = self._synthetic_plan(zones, tasks, rng) if zones else self._plan(plan)
            quarters = self._periods(target, periods)
            reports, events = self._reports(target, quarters, user, rng, complete=complete)
            items = self._evidence(target, quarters, user, rng, evidence, samples) if evidence else 0
            added = [
                generate(plan=target, user=user, periods=quarters, today=timezone.localdate())
                for _name, generate in demo.extras()
            ]
        summary = f"{target.code}: {len(quarters)} periods, {reports} reports, {events} history rows"
        if evidence:
            summary += f", {items} evidence items ({len(samples)} distinct files)"
        summary += "".join(f", {line}" for line in added if line)
        self.stdout.write(self.style.SUCCESS(summary + " generated."))

    def _plan(self, code):
        plan = Plan.objects.filter(code=code).first()
        if plan is None:
            known = ", ".join(Plan.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"Unknown plan {code!r}. Known plans: {known}.")
        return plan

    def _demo_user(self):
        user, _ = get_user_model().objects.get_or_create(username="demo-data", defaults={"is_active": False})
        return user

    def _synthetic_plan(self, zone_count, task_count, rng):
        plan, _ = Plan.objects.get_or_create(
            code="demo-scale", defaults={"title": "规模测试方案（生成数据）"}
        )
        if plan.zones.exists():
            raise CommandError("The demo-scale plan already exists; delete it in administration first.")
        agencies = [Agency.objects.get_or_create(name=f"测试支持单位{n}")[0] for n in range(1, 41)]
        zones = Zone.objects.bulk_create(
            Zone(plan=plan, annex_number=n, code=f"demo{n}", name=f"测试{n}经开区", area_km2=10)
            for n in range(1, zone_count + 1)
        )
        categories = TaskCategory.objects.bulk_create(
            TaskCategory(zone=zone, number=c, title=f"测试任务类别{c}") for zone in zones for c in range(1, 5)
        )
        by_zone = {}
        for category in categories:
            by_zone.setdefault(category.zone_id, []).append(category)
        new_tasks, supporting = [], []
        for index in range(task_count):
            zone = zones[index % zone_count]
            number = index // zone_count + 1
            category = by_zone[zone.pk][number % 4]
            chosen = rng.sample(agencies, 3)
            supporting.append(chosen)
            new_tasks.append(
                Task(
                    zone=zone,
                    category=category,
                    number=number,
                    title=f"测试任务{number}",
                    text=f"测试任务{number}。",
                    # As the plan prints it, so exports show the agencies the way real tasks do.
                    agencies_text="（支持单位：" + "、".join(a.name for a in chosen) + "）",
                )
            )
        created = Task.objects.bulk_create(new_tasks, batch_size=2000)
        TaskAgency.objects.bulk_create(
            (
                TaskAgency(task=task, agency=agency, position=position)
                for task, chosen in zip(created, supporting, strict=True)
                for position, agency in enumerate(chosen, start=1)
            ),
            batch_size=BATCH,
        )
        return plan

    def _periods(self, plan, count):
        today = timezone.localdate()
        year, quarter = today.year, (today.month - 1) // 3 + 1
        quarters = []
        for _ in range(count):
            quarters.append((year, quarter))
            year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
        periods = []
        for year, quarter in reversed(quarters):
            start, end = quarter_bounds(year, quarter)
            period, _ = ReportingPeriod.objects.get_or_create(
                plan=plan,
                start=start,
                defaults={
                    "name": f"{year}年第{'一二三四'[quarter - 1]}季度",
                    "end": end,
                    "deadline": end + datetime.timedelta(days=15),
                },
            )
            periods.append(period)
        # The demo history is meant to be read as reports that were owed.
        first_deadline = min(period.deadline for period in periods)
        if plan.tracking_start > first_deadline:
            Plan.objects.filter(pk=plan.pk).update(tracking_start=first_deadline)
            plan.tracking_start = first_deadline
        return periods

    def _reports(self, plan, periods, user, rng, *, complete):
        """Insert period by period, so 500,000 reports never sit in memory at once."""
        tasks = list(Task.objects.filter(zone__plan=plan).values_list("pk", flat=True))
        existing = set(ProgressReport.objects.filter(period__in=periods).values_list("task_id", "period_id"))
        today = timezone.localdate()
        percent = {task: 0 for task in tasks}
        report_count = event_count = 0
        for index, period in enumerate(periods):
            current = index == len(periods) - 1 and period.deadline >= today
            reports = []
            for task in tasks:
                if (task, period.pk) in existing or (current and not complete and rng.random() < 0.45):
                    continue
                reports.append(self._report(task, period, percent, current, today, user, rng))
            created = ProgressReport.objects.bulk_create(reports, batch_size=BATCH)
            events = ReportEvent.objects.bulk_create(
                (
                    ReportEvent(
                        task_id=report.task_id,
                        report=report,
                        period=report.period,
                        kind=EventKind.SUBMITTED,
                        actor=user,
                        at=report.submitted_at,
                        changes={"state": [ReportState.DRAFT, ReportState.SUBMITTED]},
                        note="生成的演示数据",
                    )
                    for report in created
                    if report.submitted_at is not None
                ),
                batch_size=BATCH,
            )
            report_count += len(created)
            event_count += len(events)
        return report_count, event_count

    def _report(self, task, period, percent, current, today, user, rng):
        percent[task] = min(100, percent[task] + rng.choice([0, 10, 15, 20, 25, 30]))
        status = self._status(percent[task], rng)
        state = (
            ReportState.DRAFT
            if current and rng.random() < 0.3
            else rng.choice([ReportState.ACCEPTED, ReportState.ACCEPTED, ReportState.SUBMITTED])
        )
        late = rng.random() < 0.15
        submitted_on = period.deadline + datetime.timedelta(
            days=rng.randint(1, 10) if late else -rng.randint(0, 10)
        )
        submitted_at = timezone.make_aware(
            datetime.datetime.combine(min(submitted_on, today), datetime.time(10))
        )
        assessed = state == ReportState.ACCEPTED and rng.random() < ASSESSED
        return ProgressReport(
            task_id=task,
            period=period,
            status=status,
            percent_complete=percent[task],
            # Two or three sentences, about the length officers write, so pages and exports
            # carry realistic text rather than a few characters.
            progress="；".join(rng.sample(PROGRESS, rng.randint(2, 3))) + "。",
            problems=rng.choice(PROBLEMS) if status in (TaskStatus.DELAYED, TaskStatus.BLOCKED) else "",
            next_steps=rng.choice(NEXT_STEPS),
            state=state,
            submitted_at=None if state == ReportState.DRAFT else submitted_at,
            submitted_on=None if state == ReportState.DRAFT else timezone.localdate(submitted_at),
            reviewed_at=submitted_at if state == ReportState.ACCEPTED else None,
            updated_at=submitted_at,
            updated_by=user,
            **(self._assessment(percent[task], rng) if assessed else {}),
        )

    @staticmethod
    def _assessment(percent, rng):
        """A manager's assessed completion of a report at `percent`, by the accept service's rules
        (measures.reporting.services.assessment_values): 已完成 only at 100, and a verified percent
        that differs from the zone's has its reason."""
        verified = percent
        if percent and rng.random() < CORRECTED:
            verified = max(0, percent - rng.choice([5, 10, 15, 20]))
        if verified == 100:
            assessment = Assessment.COMPLETED
        elif verified != percent and rng.random() < 0.2:
            assessment = Assessment.NO_EVIDENCE
        elif verified >= 70:
            assessment = Assessment.LARGELY
        elif verified >= 30:
            assessment = Assessment.PARTLY
        else:
            assessment = Assessment.NOT_COMPLETED
        reason = rng.choice(ASSESSMENT_REASONS) if verified != percent else ""
        return {"assessment": assessment, "verified_percent": verified, "assessment_reason": reason}

    def _sample_files(self, count, rng):
        """`count` distinct tiny PNG images saved to the evidence storage: (name, size, sha256)."""
        samples = []
        for n in range(count):
            # The index in two channels keeps the files (and their hashes) distinct.
            content = tiny_png(n % 256, n // 256 % 256, rng.randrange(256))
            name = default_storage.save(stored_name(extension="png"), ContentFile(content))
            samples.append((name, len(content), hashlib.sha256(content).hexdigest()))
        return samples

    def _evidence(self, plan, periods, user, rng, count, samples):
        """`count` evidence rows over the plan's reports: two in three files, one in three links,
        one in fifty withdrawn. Files cycle over `samples`, so every row matches a real file."""
        reports = list(
            ProgressReport.objects.filter(task__zone__plan=plan, period__in=periods).values_list(
                "pk", "updated_at"
            )
        )
        if not reports:
            return 0
        created = 0
        for start in range(0, count, BATCH):
            batch = []
            for index in range(start, min(start + BATCH, count)):
                report_id, updated_at = reports[rng.randrange(len(reports))]
                added_at = updated_at - datetime.timedelta(hours=rng.randint(1, 72))
                item = Evidence(
                    report_id=report_id,
                    description=rng.choice(EVIDENCE_DESCRIPTIONS),
                    added_by=user,
                    added_at=added_at,
                )
                if index % 3 == 2:
                    item.kind = EvidenceKind.LINK
                    item.url = f"https://www.example.gov.cn/ftz/evidence/{index}"
                else:
                    name, size, sha256 = samples[index % len(samples)]
                    item.kind = EvidenceKind.FILE
                    item.file, item.size, item.sha256 = name, size, sha256
                    item.original_name = f"证明材料{index}.png"
                    item.content_type = "image/png"
                if rng.random() < 0.02:
                    item.withdrawn_at = added_at + datetime.timedelta(hours=1)
                    item.withdrawn_by = user
                    item.withdraw_reason = rng.choice(WITHDRAW_REASONS)
                batch.append(item)
            created += len(Evidence.objects.bulk_create(batch))
        return created

    @staticmethod
    def _status(percent, rng):
        if percent >= 100:
            return TaskStatus.COMPLETED
        if percent == 0:
            return TaskStatus.NOT_STARTED
        return rng.choices(
            [TaskStatus.ON_TRACK, TaskStatus.DELAYED, TaskStatus.BLOCKED], weights=[80, 15, 5]
        )[0]


def tiny_png(red, green, blue, size=8):
    """A valid `size`×`size` PNG of one colour, built by hand so no imaging library is needed."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes([red, green, blue]) * size
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * size))
        + chunk(b"IEND", b"")
    )
