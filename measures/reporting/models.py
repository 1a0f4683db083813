"""Reporting: periods, progress reports and the append-only history of every change."""

from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Func, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.access import CountOf, access_for
from core.i18n import period_name
from core.roles import Role
from measures.choices import (
    AWAITING_SIGNOFF_STATES,
    REPORTED_STATES,
    AgencyRole,
    Assessment,
    EventKind,
    ReportState,
    TaskStatus,
)
from measures.tasks.models import Task, TaskAgency
from zones.models import Agency

# The one rule of which periods owe reports (/my/, dashboard rates, the period report, reminders
# and chases): those whose deadline falls on or after the plan's tracking start. With the default
# start (the day the plan was loaded) the period being reported that day is the first one owed.
OWED = Q(deadline__gte=F("plan__tracking_start"))


class ReportingPeriodQuerySet(models.QuerySet):
    def owed(self):
        return self.filter(OWED)

    def current_for(self, plan, today):
        """The period being reported on `today`: the earliest whose deadline has not passed
        among those already started (Q3 stays current until its October deadline), else the
        latest started one, else the first one."""
        started = self.filter(plan=plan, start__lte=today)
        return (
            started.filter(deadline__gte=today).order_by("deadline", "start").first()
            or started.order_by("-start").first()
            or self.filter(plan=plan).order_by("start").first()
        )

    def previous_of(self, period):
        return self.filter(plan_id=period.plan_id, start__lt=period.start).order_by("-start").first()


class ReportingPeriod(models.Model):
    """A reporting period of a plan (quarterly by default) with its submission deadline."""

    plan = models.ForeignKey("zones.Plan", models.CASCADE, related_name="periods", verbose_name=_("plan"))
    name = models.CharField(_("name"), max_length=60)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    deadline = models.DateField(_("submission deadline"))
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("locked by"),
    )

    objects = ReportingPeriodQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "-start"]
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        constraints = [
            models.UniqueConstraint(fields=["plan", "start"], name="period_unique_start_per_plan"),
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="period_end_after_start"),
            models.CheckConstraint(condition=Q(deadline__gte=F("start")), name="period_deadline_after_start"),
        ]

    def __str__(self):
        return self.display_name

    def get_absolute_url(self):
        return reverse("admin:measures_reportingperiod_change", args=[self.pk])

    @property
    def display_name(self):
        """2026年第四季度, or Q4 2026 in the English UI; a name written otherwise stays as written."""
        return period_name(self.name)

    def clean(self):
        errors = {}
        if self.start and self.end and self.end < self.start:
            errors["end"] = _("The end of a period cannot be before its start.")
        if self.start and self.deadline and self.deadline < self.start:
            errors["deadline"] = _("The deadline cannot be before the start of the period.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_locked(self):
        return self.locked_at is not None

    def has_started(self, today=None):
        """The one rule of which periods can be reported on: those already begun (a report on a
        quarter still to come would be a guess, and would count as reported early)."""
        return self.start <= (today or timezone.localdate())

    @property
    def is_owed(self):
        """OWED for one period already read (with its plan)."""
        return self.deadline >= self.plan.tracking_start

    @property
    def owed_deadline(self):
        """The deadline the lights and counts hold reports to: none for a period not owed."""
        return self.deadline if self.is_owed else None


# What a zone writes in a report: the form's fields, what "start from the previous period" copies,
# what the history compares and what the period report exports.
REPORT_FIELDS = [
    "status",
    "percent_complete",
    "progress",
    "problems",
    "next_steps",
    "support_needed",
    "support_agency",
]


def reports_shown_to(user, prefix=""):
    """The one rule of which reports `user` may read, as a Q on ProgressReport (`prefix` for a
    path to one, e.g. "report__"). An agency liaison reads what zones have submitted or had
    accepted, not their drafts or returned reports, except on tasks their agency leads (牵头),
    which they write themselves; everyone else reads every report of the tasks they see."""
    access = access_for(user)
    # A liaison standing in for a zone leader (measures.signoff) reads what they are to sign off.
    reads_all = (
        access.sees_everything or access.is_officer or Role.LEADER in access.roles or access.deputy_leads
    )
    if not access.is_liaison or reads_all:
        return Q()
    led = TaskAgency.objects.filter(agency_id=access.agency_id, role=AgencyRole.LEAD).values("task_id")
    return Q(**{f"{prefix}state__in": REPORTED_STATES}) | Q(**{f"{prefix}task_id__in": led})


def unsubmitted_listed_for(user, *, drafts=False):
    """The one rule of whose unsubmitted reports (not in REPORTED_STATES: a draft, a returned
    report being edited again, one awaiting the zone leader's sign-off) a list shows as the zone's
    report, its status, percent and text (the task list and its export, the zone and agency pages).
    A zone's own people (officers, leaders, their deputies) see their zone's; a liaison sees what
    reports_shown_to lets them read (the drafts of the tasks their agency leads); managers, and
    whoever reads every zone (sees_everything), see them only when they ask (`drafts`: the task
    list's filter by an unsubmitted state or its "include drafts" choice).

    None: every report read is shown; otherwise the ids of the zones whose unsubmitted reports are
    still shown (the user's own). Lights and counts are not affected: they read the saved report
    by their own rules (light_for, REPORTED_STATES)."""
    access = access_for(user)
    if drafts or not access.sees_everything:
        return None
    return access.seen_zone_ids


def is_listed(report_state, zone_id, own_zones):
    """Whether a report in `report_state` of a task of `zone_id` is shown, for the zones
    unsubmitted_listed_for() gave (None: all)."""
    return own_zones is None or report_state in REPORTED_STATES or zone_id in own_zones


# Who wrote or submitted a report: none of them may accept or return it (four eyes).
AUTHOR_KINDS = (EventKind.CREATED, EventKind.EDITED, EventKind.SUBMITTED)

# The one rule of which reports wait for a manager's review: submitted, of a task still on the
# plan, in a period not locked (a locked period's reports can no longer be decided). The review
# queue, its count and batch accept read it through awaiting_review(); the top bar's badge reads
# awaiting_review_count(), which re-derives it from the trigger-kept SubmittedReportCount (migration
# measures 0019 counts state 'submitted'): a change here must be made there too (test_submitted_counts).
AWAITING_REVIEW = Q(
    state=ReportState.SUBMITTED, task__withdrawn_at__isnull=True, period__locked_at__isnull=True
)


class ProgressReportQuerySet(models.QuerySet):
    def shown_to(self, user):
        return self.filter(reports_shown_to(user))

    def awaiting_signoff(self):
        """The one rule of which reports wait for their zone leader's sign-off (AWAITING_SIGNOFF_STATES):
        submitted by the zone, not yet before the managers; withdrawn tasks are off the plan."""
        return self.filter(state__in=AWAITING_SIGNOFF_STATES, task__withdrawn_at__isnull=True)

    def awaiting_review(self):
        return self.filter(AWAITING_REVIEW)

    def not_authored_by(self, user):
        """Without the reports `user` wrote or submitted, which another manager has to decide."""
        authored = ReportEvent.objects.filter(actor=user, kind__in=AUTHOR_KINDS, report__isnull=False)
        return self.exclude(pk__in=authored.values("report_id"))


def awaiting_review_count(user, authors=None):
    """`ProgressReport.objects.awaiting_review().not_authored_by(user).count()` as an expression
    for one query (the top bar's badge): the submitted reports of the unlocked periods as kept in
    SubmittedReportCount, less those of withdrawn tasks and those `user` wrote or submitted (both
    few, and read through indexes). Counting the reports themselves took 0.6 s on every page of a
    manager at 500,000 reports, 164,270 of them submitted."""
    unlocked = SubmittedReportCount.objects.filter(period__locked_at__isnull=True).order_by()
    stored = Subquery(unlocked.values(total=Func(F("submitted"), function="SUM")))
    submitted = ProgressReport.objects.filter(
        state=ReportState.SUBMITTED, period__locked_at__isnull=True
    ).order_by()
    # Through the withdrawn tasks' ids, so the database starts from those (index task_withdrawn)
    # rather than from the reports.
    withdrawn = submitted.filter(task__in=Task.objects.filter(withdrawn_at__isnull=False).values("pk"))
    # `authors`: whose submissions `user` may not decide, when not only their own (a manager's
    # deputy: measures.review.selectors.deciders).
    by = {"actor_id__in": authors} if authors else {"actor": user}
    authored = ReportEvent.objects.filter(**by, kind__in=AUTHOR_KINDS, report__isnull=False)
    # Disjoint: the authored ones counted here are of tasks still on the plan.
    own = submitted.filter(task__withdrawn_at__isnull=True, pk__in=authored.values("report_id"))
    return (
        Coalesce(stored, Value(0), output_field=models.IntegerField())
        - CountOf(withdrawn.values("pk"))
        - CountOf(own.values("pk"))
    )


class SubmittedReportCount(models.Model):
    """How many of a period's reports are in the submitted state, whatever their task or lock.

    Kept by triggers on the reports table (migration 0019_submitted_report_counts), so it moves in
    the same transaction as every write to a report however it is made (a service, a bulk update,
    the admin, a deletion) and nothing has to remember it. Read only by awaiting_review_count."""

    period = models.OneToOneField(
        "measures.ReportingPeriod",
        models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("period"),
    )
    submitted = models.IntegerField(_("submitted reports"), default=0)

    class Meta:
        verbose_name = _("submitted reports of a period")
        verbose_name_plural = _("submitted reports of periods")

    def __str__(self):
        return f"{self.period_id}: {self.submitted}"


# A submission and its sign-off: the newest of them says whether the report was signed off.
SIGNOFF_KINDS = (EventKind.SUBMITTED, EventKind.SIGNED_OFF)


def signed_off_in(kinds):
    """ProgressReport.is_signed_off from its history's kinds, newest first."""
    return next((kind for kind in kinds if kind in SIGNOFF_KINDS), None) == EventKind.SIGNED_OFF


class ProgressReport(models.Model):
    """What a zone reports on one task for one period; changed only through measures.services."""

    task = models.ForeignKey(Task, models.CASCADE, related_name="reports", verbose_name=_("task"))
    period = models.ForeignKey(
        ReportingPeriod, models.PROTECT, related_name="reports", verbose_name=_("period")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED
    )
    percent_complete = models.PositiveSmallIntegerField(
        _("percent complete"), default=0, validators=[MaxValueValidator(100)]
    )
    progress = models.TextField(_("progress this period"), blank=True)
    problems = models.TextField(_("problems and difficulties"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    support_needed = models.TextField(_("support needed"), blank=True)
    support_agency = models.ForeignKey(
        Agency,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="support_requests",
        verbose_name=_("agency asked for support"),
    )
    state = models.CharField(
        _("state"), max_length=20, choices=ReportState.choices, default=ReportState.DRAFT
    )
    # Bumped on every write; a save carrying an older version is a conflict, never a silent overwrite.
    version = models.PositiveIntegerField(_("version"), default=1)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # The local date of submitted_at, stored so on-time counts compare two date columns in SQL
    # instead of converting every timestamp (which SQLite does row by row in Python).
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True, editable=False)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    # When a manager first opened the submitted report for review; from then on the zone can no
    # longer recall it. Cleared when the report goes back to the zone and is submitted again.
    opened_for_review_at = models.DateTimeField(_("opened for review at"), null=True, blank=True)
    opened_for_review_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened for review by"),
    )
    # Verified progress: what the accepting manager found, beside the zone's own percent_complete
    # (kept as reported). Empty until accepted with an assessment.
    assessment = models.CharField(
        _("assessed completion"), max_length=20, choices=Assessment.choices, blank=True
    )
    verified_percent = models.PositiveSmallIntegerField(
        _("verified percent"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    assessment_reason = models.CharField(_("reason for the assessment"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("updated by")
    )

    objects = ProgressReportQuerySet.as_manager()

    class Meta:
        ordering = ["period", "task"]
        # The period list counts every period's reports by state in one pass over this index.
        indexes = [models.Index(fields=["period", "state"], name="report_period_state")]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        constraints = [
            models.UniqueConstraint(fields=["task", "period"], name="report_unique_per_task_period"),
            models.CheckConstraint(condition=Q(percent_complete__lte=100), name="report_percent_at_most_100"),
            models.CheckConstraint(condition=Q(status__in=TaskStatus.values), name="report_status_valid"),
            models.CheckConstraint(condition=Q(state__in=ReportState.values), name="report_state_valid"),
            models.CheckConstraint(
                condition=Q(assessment="") | Q(assessment__in=Assessment.values),
                name="report_assessment_valid",
            ),
            # Assessed means a verified percent; not assessed means none.
            models.CheckConstraint(
                condition=(Q(assessment="") & Q(verified_percent__isnull=True))
                | (~Q(assessment="") & Q(verified_percent__isnull=False) & Q(verified_percent__lte=100)),
                name="report_assessment_has_percent",
            ),
            # Only an accepting manager assesses, and an accepted report no longer changes.
            models.CheckConstraint(
                condition=Q(assessment="") | Q(state=ReportState.ACCEPTED),
                name="report_assessed_when_accepted",
            ),
            models.CheckConstraint(
                condition=~Q(assessment=Assessment.COMPLETED) | Q(verified_percent=100),
                name="report_assessed_completed_is_100",
            ),
        ]

    def __str__(self):
        return f"{self.task} · {self.period}"

    def get_absolute_url(self):
        return self.task.get_absolute_url() + f"?period={self.period_id}"

    def clean(self):
        errors = {}
        supports = self.support_agency_id and self.task_id
        if supports and not self.task.agency_links.filter(agency_id=self.support_agency_id).exists():
            errors["support_agency"] = _("Choose one of this task's supporting agencies.")
        if self.status == TaskStatus.COMPLETED and self.percent_complete != 100:
            errors["percent_complete"] = _(
                "A completed task is 100 percent complete; correct the status or the percent."
            )
        elif self.status == TaskStatus.NOT_STARTED and self.percent_complete:
            errors["percent_complete"] = _(
                "A task that has not started is 0 percent complete; correct the status or the percent."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def percent_gap(self):
        """Self-reported minus verified percent (positive: the zone claimed more), or None."""
        if self.verified_percent is None:
            return None
        return self.percent_complete - self.verified_percent

    @property
    def submitted_late(self):
        """Last submitted after the period's deadline."""
        return self.submitted_on is not None and self.submitted_on > self.period.deadline

    @property
    def is_recallable(self):
        """The recall rule: its zone may take a submitted report back until someone other than its
        writers has decided on it: a reviewer opening it or, where the plan requires sign-off, the
        zone leader (or their deputy) signing it off. A signed-off report is the leader's word to
        the city, not the officer's to withdraw, whoever holds both roles; a manager returns it if
        it must change, and it then needs a new sign-off. Reads its history (is_signed_off) when
        submitted and not yet opened."""
        # Waiting for the zone leader's sign-off, nobody has decided on it yet.
        if self.state in AWAITING_SIGNOFF_STATES:
            return True
        return (
            self.state == ReportState.SUBMITTED
            and self.opened_for_review_at is None
            and not self.is_signed_off
        )

    @cached_property
    def is_signed_off(self):
        """Its last submission signed off (a sign-off in its history after that submission). Read
        from the history rather than the plan's setting, which an administrator may turn on or off
        while reports wait: a report signed off stays the leader's word, one submitted before the
        plan asked for sign-off was signed off by nobody. One query, unless set from the history a
        page has read (signed_off_in)."""
        return signed_off_in(
            self.events.filter(kind__in=SIGNOFF_KINDS)
            .order_by("-at", "-pk")
            .values_list("kind", flat=True)[:1]
        )

    @property
    def closes_off_task(self):
        """The close-off (销号) rule: a task may be closed off when its latest report says completed
        and has been accepted."""
        return self.state == ReportState.ACCEPTED and self.status == TaskStatus.COMPLETED


class ReportEvent(models.Model):
    """One append-only history row per change to a task's reports, evidence, milestones,
    coordination requests or close-off, or to a period; the task page shows them as a timeline."""

    task = models.ForeignKey(
        Task, models.CASCADE, null=True, blank=True, related_name="events", verbose_name=_("task")
    )
    report = models.ForeignKey(
        ProgressReport, models.CASCADE, null=True, blank=True, related_name="events", verbose_name=_("report")
    )
    outcome = models.ForeignKey(
        "measures.InnovationOutcome",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("outcome"),
    )
    period = models.ForeignKey(
        ReportingPeriod,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("period"),
    )
    # A matter raised on a whole zone has no task; its thread hangs on the matter itself.
    matter = models.ForeignKey(
        "measures.MajorMatter",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("major matter"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("by")
    )
    # A deputy acting for an absent zone leader or manager (measures.signoff): the actor is the
    # deputy, this the person they stood in for; the timeline reads "<deputy> for <principal>".
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("on behalf of"),
    )
    at = models.DateTimeField(_("at"))
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("history entry")
        verbose_name_plural = _("history entries")
        # The kind is checked in Python (its choices; record() calls full_clean): a check constraint
        # over the kinds had to be dropped and re-added, locking the whole history table, each time
        # a kind was added.
        constraints = [
            models.CheckConstraint(
                condition=Q(task__isnull=False)
                | Q(period__isnull=False)
                | Q(outcome__isnull=False)
                | Q(matter__isnull=False),
                name="event_has_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["task", "at"], name="event_task_at"),
            # What a person wrote or submitted (not_authored_by, the top bar's count of reports
            # awaiting review on every manager's page), read from the index alone: through the
            # actor's index the database read each of their history rows to check its kind (6,800
            # rows, about 1 ms, for a manager who had recorded follow-ups but written no report).
            models.Index(fields=["actor", "kind", "report"], name="event_actor_kind_report"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.actor} · {self.at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        if self.outcome_id:
            return self.outcome.get_absolute_url() + "#history"
        if self.matter_id:
            return self.matter.get_absolute_url() + "#thread"
        if self.task_id:
            return self.task.get_absolute_url() + "#history"
        return self.period.get_absolute_url()
