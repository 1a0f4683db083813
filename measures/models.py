"""The plan's main tasks (主要任务): categories, numbered tasks and their supporting agencies."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Prefetch, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from zones.i18n import localized
from zones.models import Agency, Zone

from .choices import EventKind, ReportState, TaskStatus


class TaskCategoryManager(models.Manager):
    def get_by_natural_key(self, zone_code, number):
        return self.get(zone__code=zone_code, number=number)


class TaskCategory(models.Model):
    """A numbered group of tasks such as （一）深化制度创新，提升集成电路产业开放能级."""

    zone = models.ForeignKey(Zone, models.CASCADE, related_name="categories", verbose_name=_("zone"))
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=300)
    title_en = models.CharField(_("English title"), max_length=400, blank=True)
    intro = models.TextField(_("introduction"), blank=True)

    objects = TaskCategoryManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["zone__plan__code", "zone__annex_number", "number"]
        verbose_name = _("task category")
        verbose_name_plural = _("task categories")
        constraints = [
            models.UniqueConstraint(fields=["zone", "number"], name="category_unique_number_per_zone"),
        ]

    def __str__(self):
        return f"{self.zone} （{self.chinese_number}）{self.title}"

    def get_absolute_url(self):
        return reverse("zones:detail", args=[self.zone.code]) + f"#category-{self.number}"

    def natural_key(self):
        return (self.zone.code, self.number)

    natural_key.dependencies = ["zones.zone"]

    @property
    def chinese_number(self):
        from zones.numerals import to_chinese

        return to_chinese(self.number)

    @property
    def display_title(self):
        return localized(self.title, self.title_en)


class TaskQuerySet(models.QuerySet):
    def with_agencies(self):
        """Prefetch supporting agencies in the plan's order (one extra query)."""
        return self.prefetch_related(
            Prefetch(
                "agency_links",
                queryset=TaskAgency.objects.select_related("agency").order_by("position"),
            )
        )

    def for_list(self):
        return self.select_related("zone", "category").with_agencies()

    def supported_by(self, agency):
        return self.filter(agency_links__agency=agency)


class TaskManager(models.Manager.from_queryset(TaskQuerySet)):
    def get_by_natural_key(self, zone_code, number):
        return self.get(zone__code=zone_code, number=number)


class Task(models.Model):
    """A numbered main task of a zone, with its verbatim text and supporting agencies."""

    zone = models.ForeignKey(Zone, models.CASCADE, related_name="tasks", verbose_name=_("zone"))
    category = models.ForeignKey(
        TaskCategory, models.PROTECT, related_name="tasks", verbose_name=_("category")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=300)
    title_en = models.CharField(_("English title"), max_length=400, blank=True)
    text = models.TextField(_("text"), help_text=_("The task's text exactly as the plan writes it."))
    agencies_text = models.CharField(_("supporting agencies as written"), max_length=500, blank=True)
    source_ref = models.CharField(_("source reference"), max_length=80, blank=True)
    source_line = models.PositiveIntegerField(_("source line"), null=True, blank=True)
    supporting_agencies = models.ManyToManyField(
        Agency,
        through="TaskAgency",
        related_name="tasks",
        verbose_name=_("supporting agencies"),
    )

    objects = TaskManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["zone__plan__code", "zone__annex_number", "number"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            models.UniqueConstraint(fields=["zone", "number"], name="task_unique_number_per_zone"),
        ]

    def __str__(self):
        return f"{self.zone} {self.number}. {self.title}"

    def get_absolute_url(self):
        return reverse("measures:task-detail", args=[self.zone.code, self.number])

    def natural_key(self):
        return (self.zone.code, self.number)

    natural_key.dependencies = ["zones.zone", "measures.taskcategory"]

    @property
    def display_title(self):
        return localized(self.title, self.title_en)

    @property
    def ordered_agencies(self):
        """Agencies in the plan's order; served from with_agencies() when prefetched."""
        return [link.agency for link in self.agency_links.all()]


class TaskAgency(models.Model):
    """One supporting agency of a task, at its position in the plan's list."""

    task = models.ForeignKey(Task, models.CASCADE, related_name="agency_links", verbose_name=_("task"))
    agency = models.ForeignKey(Agency, models.PROTECT, related_name="task_links", verbose_name=_("agency"))
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        ordering = ["task", "position"]
        verbose_name = _("supporting agency")
        verbose_name_plural = _("supporting agencies")
        constraints = [
            models.UniqueConstraint(fields=["task", "position"], name="taskagency_unique_position"),
            models.UniqueConstraint(fields=["task", "agency"], name="taskagency_unique_agency"),
        ]

    def __str__(self):
        return f"{self.task} ← {self.agency}"

    def get_absolute_url(self):
        return self.task.get_absolute_url()


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
        return self.name

    def get_absolute_url(self):
        return reverse("admin:measures_reportingperiod_change", args=[self.pk])

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
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("updated by")
    )

    class Meta:
        ordering = ["period", "task"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        constraints = [
            models.UniqueConstraint(fields=["task", "period"], name="report_unique_per_task_period"),
            models.CheckConstraint(condition=Q(percent_complete__lte=100), name="report_percent_at_most_100"),
            models.CheckConstraint(condition=Q(status__in=TaskStatus.values), name="report_status_valid"),
            models.CheckConstraint(condition=Q(state__in=ReportState.values), name="report_state_valid"),
        ]

    def __str__(self):
        return f"{self.task} · {self.period}"

    def get_absolute_url(self):
        return self.task.get_absolute_url() + f"?period={self.period_id}"

    def clean(self):
        supports = self.support_agency_id and self.task_id
        if supports and not self.task.agency_links.filter(agency_id=self.support_agency_id).exists():
            raise ValidationError({"support_agency": _("Choose one of this task's supporting agencies.")})


class ReportEvent(models.Model):
    """One append-only history row per change to a report or its period."""

    report = models.ForeignKey(
        ProgressReport, models.CASCADE, null=True, blank=True, related_name="events", verbose_name=_("report")
    )
    period = models.ForeignKey(
        ReportingPeriod, models.CASCADE, related_name="events", verbose_name=_("period")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"))
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("history entry")
        verbose_name_plural = _("history entries")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="event_kind_valid"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.actor} · {self.at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return self.report.get_absolute_url() if self.report else self.period.get_absolute_url()
