"""What keeps a task moving between reports: milestones, coordination requests and reminders."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from measures.choices import ReminderKind, RequestState
from measures.reporting.models import ProgressReport, ReportingPeriod
from measures.tasks.models import Task
from zones.models import Agency, Zone


class MilestoneQuerySet(models.QuerySet):
    def overdue(self, today=None):
        """The overdue rule, the one definition every page, light, count and export reads: not done,
        due before today, and its task still carried out. A closed-off or withdrawn task's work is
        over, so its leftover milestones are not overdue (and do not turn its light red)."""
        today = today or timezone.localdate()
        return self.filter(
            done_on__isnull=True, due__lt=today, task__closed_at__isnull=True, task__withdrawn_at__isnull=True
        )

    def with_cited(self):
        """Each milestone's `cited`: the rule of which milestones are part of what was reported and
        so can no longer be deleted by their zone: a report of the task names the milestone (its
        title in the report's progress, problems or next steps). One query with the milestones."""
        title = models.OuterRef("title")
        citing = ProgressReport.objects.filter(task=models.OuterRef("task")).filter(
            Q(progress__contains=title) | Q(problems__contains=title) | Q(next_steps__contains=title)
        )
        return self.annotate(cited=models.Exists(citing))

    def overdue_count_of(self, task, today):
        """How many of `task`'s milestones are overdue, as an expression to annotate tasks with; `task`
        is usually OuterRef("pk"). A correlated count rather than a join, so the task rows need no
        GROUP BY."""
        count = (
            self.overdue(today)
            .filter(task=task)
            .order_by()
            .values("task")
            .annotate(count=models.Count("pk"))
            .values("count")
        )
        return Coalesce(models.Subquery(count), 0)


class Milestone(models.Model):
    """A dated step an officer breaks a task into (任务分解)."""

    task = models.ForeignKey(Task, models.CASCADE, related_name="milestones", verbose_name=_("task"))
    title = models.CharField(_("milestone"), max_length=200)
    due = models.DateField(_("due"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["task", "due", "pk"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        indexes = [models.Index(fields=["due", "done_on"], name="milestone_due_done")]

    def __str__(self):
        return f"{self.title} ({self.due:%Y-%m-%d})"

    def get_absolute_url(self):
        return self.task.get_absolute_url() + f"#milestone-{self.pk}"

    @property
    def is_done(self):
        return self.done_on is not None

    def is_overdue(self, today=None):
        """MilestoneQuerySet.overdue for one milestone in hand (its task is read, usually cached)."""
        return (
            not self.is_done
            and self.due < (today or timezone.localdate())
            and self.task.closed_at is None
            and self.task.withdrawn_at is None
        )


def request_overdue(today=None):
    """The overdue rule of coordination requests, the one definition every page, count, meeting
    pack and escalation reads (as a condition, to filter or annotate with): still open (asked, or
    asked again) and its reply-by date passed, on a task still carried out. An answered request
    waits on the zone, not the agency."""
    return Q(
        state=RequestState.OPEN,
        reply_by__lt=today or timezone.localdate(),
        task__closed_at__isnull=True,
        task__withdrawn_at__isnull=True,
    )


class CoordinationRequestQuerySet(models.QuerySet):
    def overdue(self, today=None):
        """The requests overdue by request_overdue."""
        return self.filter(request_overdue(today))

    def with_overdue(self, today=None):
        """Each request with `overdue` (request_overdue) read in the same query."""
        return self.annotate(
            overdue=models.ExpressionWrapper(request_overdue(today), output_field=models.BooleanField())
        )


class CoordinationRequest(models.Model):
    """需协调事项: an officer asks one of the task's supporting agencies for help."""

    task = models.ForeignKey(
        Task, models.CASCADE, related_name="coordination_requests", verbose_name=_("task")
    )
    agency = models.ForeignKey(
        Agency, models.PROTECT, related_name="coordination_requests", verbose_name=_("agency")
    )
    period = models.ForeignKey(
        ReportingPeriod,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="coordination_requests",
        verbose_name=_("period"),
    )
    question = models.TextField(_("what is needed"))
    reply_by = models.DateField(_("reply by"), help_text=_("The date the agency is asked to answer by."))
    state = models.CharField(
        _("state"), max_length=20, choices=RequestState.choices, default=RequestState.OPEN
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("asked by")
    )
    asked_at = models.DateTimeField(_("asked at"))
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The last time the zone asked again after an answer that did not help, and why; every time is
    # also a history row (REQUEST_REOPENED), so these only say what the agency is now waiting on.
    reopened_at = models.DateTimeField(_("asked again at"), null=True, blank=True)
    reopen_note = models.TextField(_("why it is asked again"), blank=True)

    objects = CoordinationRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-asked_at", "-pk"]
        verbose_name = _("coordination request")
        verbose_name_plural = _("coordination requests")
        constraints = [
            models.CheckConstraint(condition=Q(state__in=RequestState.values), name="request_state_valid"),
            models.CheckConstraint(
                condition=Q(state=RequestState.OPEN)
                | Q(answered_at__isnull=False)
                | Q(closed_at__isnull=False),
                name="request_answered_or_closed_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.task} → {self.agency}"

    def get_absolute_url(self):
        return self.task.get_absolute_url() + f"#request-{self.pk}"

    def is_overdue(self, today=None):
        """CoordinationRequestQuerySet.overdue for one request in hand."""
        return (
            self.state == RequestState.OPEN
            and self.reply_by is not None
            and self.reply_by < (today or timezone.localdate())
            and self.task.closed_at is None
            and self.task.withdrawn_at is None
        )

    def clean(self):
        if (
            self.task_id
            and self.agency_id
            and not self.task.agency_links.filter(agency_id=self.agency_id).exists()
        ):
            raise ValidationError({"agency": _("Choose one of this task's supporting agencies.")})


class Reminder(models.Model):
    """A reminder before the deadline or a chase notice (催办) after it, as it was sent."""

    kind = models.CharField(_("kind"), max_length=20, choices=ReminderKind.choices)
    period = models.ForeignKey(
        ReportingPeriod, models.CASCADE, related_name="reminders", verbose_name=_("period")
    )
    zone = models.ForeignKey(Zone, models.CASCADE, related_name="reminders", verbose_name=_("zone"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="reminders", verbose_name=_("recipient")
    )
    email = models.EmailField(_("e-mail address"), blank=True)
    sent_at = models.DateTimeField(_("sent at"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
        help_text=_("Empty when sent by the scheduled send_reminders command."),
    )
    task_count = models.PositiveIntegerField(_("reports outstanding"))
    subject = models.CharField(_("subject"), max_length=200)
    delivered = models.BooleanField(_("delivered"), default=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ReminderKind.values), name="reminder_kind_valid"),
        ]
        indexes = [models.Index(fields=["period", "zone", "kind", "sent_at"], name="reminder_lookup")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.recipient} · {self.sent_at:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("admin:measures_reminder_change", args=[self.pk])
