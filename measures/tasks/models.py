"""The plan's main tasks (主要任务): categories, numbered tasks and their supporting agencies."""

from collections import defaultdict

from django.conf import settings
from django.db import models
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.access import access_for
from core.i18n import localized
from zones.models import Agency, Zone
from zones.numerals import to_chinese

from ..choices import AgencyRole

# The reason of the history row kept of a task or category loaded in bulk (with no history of its
# own) before its first change: its version as loaded, the one a view as of an earlier day shows.
# Written as a change ("~"); rows written before that are "+" with this reason, in English or in
# the language of the person who approved an adjustment (measures.changes.asof reads both).
LOADED_VERSION = "As loaded from the plan"


class TaskCategoryManager(models.Manager):
    def get_by_natural_key(self, zone_code, number):
        return self.get(zone__code=zone_code, number=number)


class TaskCategory(models.Model):
    """A numbered group of tasks such as （一）深化制度创新，提升集成电路产业开放能级."""

    zone = models.ForeignKey(Zone, models.CASCADE, related_name="categories", verbose_name=_("zone"))
    number = models.PositiveSmallIntegerField(_("number"))
    # How the plan itself numbers the category when that is not a plain sequence: "4.2" for
    # 第四章第二节 of the five-year plan. Empty for the linked-zone plans' （一）（二）.
    code = models.CharField(_("plan numbering"), max_length=20, blank=True)
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

    def get_absolute_url(self, zone_url=None):
        """`zone_url`: the zone's own address when the caller has it (a table of 800 categories
        reverses it once per zone, not once per category)."""
        return (zone_url or reverse("zones:detail", args=[self.zone.code])) + f"#category-{self.number}"

    def natural_key(self):
        return (self.zone.code, self.number)

    natural_key.dependencies = ["zones.zone"]

    @property
    def chinese_number(self):
        return to_chinese(self.number)

    @property
    def display_title(self):
        return localized(self.title, self.title_en)

    @property
    def display_number(self):
        """（一） as the linked-zone plans write it, or the plan's own code such as 4.2."""
        return self.code or f"（{self.chinese_number}）"


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

    def visible_to(self, user, linked_before=None):
        """The tasks `user` may see: the one place task scoping is decided (with core.access).
        `linked_before`: a moment; a liaison's agency's tasks are then those it was linked to
        before it (a view as of a past day, measures.changes.asof)."""
        access = access_for(user)
        if access.sees_everything:
            return self
        condition = Q(pk__in=[])
        if access.seen_zone_ids:
            condition |= Q(zone_id__in=access.seen_zone_ids)
        if access.agency_id and linked_before is not None:
            condition |= AgencyLinkChange.objects.tasks_linked_then(access.agency_id, linked_before)
        elif access.agency_id:
            condition |= Q(pk__in=TaskAgency.objects.filter(agency_id=access.agency_id).values("task_id"))
        return self.filter(condition)

    def open(self):
        return self.filter(closed_at__isnull=True)

    def reportable(self):
        """Tasks still reported on: neither closed off (销号) nor withdrawn (撤销)."""
        return self.filter(closed_at__isnull=True, withdrawn_at__isnull=True)


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
    # The plan's own numbering when it is not the plain sequence, e.g. "4.2.3" (chapter,
    # section, paragraph of the five-year plan); `number` stays the sequence used in URLs.
    code = models.CharField(_("plan numbering"), max_length=20, blank=True)
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
    # 销号: a manager closes off a task once it is completed and its report accepted.
    closed_at = models.DateTimeField(_("closed off at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed off by"),
    )
    close_note = models.TextField(_("close-off note"), blank=True)
    # 撤销: an approved plan adjustment takes the task out of the plan. Kept apart from closed_*,
    # which means the work was completed and accepted; a withdrawn task was never completed.
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )
    withdraw_reason = models.TextField(_("reason for withdrawal"), blank=True)
    # The plan revision that last changed the task's text or number (shown on the task page).
    revised_in = models.ForeignKey(
        "plans.PlanRevision",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last changed by plan revision"),
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
        # The few withdrawn tasks, found without reading the others (the top bar's count of reports
        # awaiting review subtracts theirs: measures.reporting.models.awaiting_review_count).
        indexes = [
            models.Index(
                fields=["withdrawn_at"], condition=Q(withdrawn_at__isnull=False), name="task_withdrawn"
            )
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
    def display_number(self):
        return self.code or str(self.number)

    @property
    def is_closed(self):
        return self.closed_at is not None

    @property
    def is_withdrawn(self):
        return self.withdrawn_at is not None

    @property
    def ordered_agencies(self):
        """Agencies in the plan's order; served from with_agencies() when prefetched."""
        return [link.agency for link in self.agency_links.all()]

    def is_led_by(self, agency_id):
        """Whether the agency leads this task (牵头单位); served from with_agencies() when prefetched."""
        return any(
            link.agency_id == agency_id and link.role == AgencyRole.LEAD for link in self.agency_links.all()
        )


class TaskAgency(models.Model):
    """One supporting agency of a task, at its position in the plan's list."""

    task = models.ForeignKey(Task, models.CASCADE, related_name="agency_links", verbose_name=_("task"))
    agency = models.ForeignKey(Agency, models.PROTECT, related_name="task_links", verbose_name=_("agency"))
    position = models.PositiveSmallIntegerField(_("position"))
    role = models.CharField(
        _("role on the task"), max_length=20, choices=AgencyRole.choices, default=AgencyRole.SUPPORTING
    )

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


class LinkChangeKind(models.TextChoices):
    ADDED = "added", _("Agency added")
    DROPPED = "dropped", _("Agency dropped")
    ROLE = "role", _("Agency's role changed")


class LinkChangeCause(models.TextChoices):
    REVISION = "revision", _("Plan revision")
    ADJUSTMENT = "adjustment", _("Plan adjustment")
    MERGE = "merge", _("Agencies merged")
    EDIT = "edit", _("Edited by an administrator")


class AgencyLinkChangeQuerySet(models.QuerySet):
    def links_then(self, tasks, end):
        """{task id: {agency id: role}} of `tasks` (a queryset or list of ids) as the links stood
        before `end`: today's links with every change recorded at or after `end` undone. The first
        change of a task's link to an agency after `end` says what it was before: not there (added
        after), or there with its role before (dropped or its role changed after). Two queries."""
        links = defaultdict(dict)
        for task_id, agency_id, role in TaskAgency.objects.filter(task__in=tasks).values_list(
            "task_id", "agency_id", "role"
        ):
            links[task_id][agency_id] = role
        undone = set()
        for task_id, agency_id, kind, role_before in (
            self.filter(task__in=tasks, at__gte=end)
            .order_by("at", "pk")
            .values_list("task_id", "agency_id", "kind", "role_before")
        ):
            if (task_id, agency_id) in undone:
                continue
            undone.add((task_id, agency_id))
            if kind == LinkChangeKind.ADDED:
                links[task_id].pop(agency_id, None)
            else:
                links[task_id][agency_id] = role_before or AgencyRole.SUPPORTING
        return links

    def tasks_linked_then(self, agency_id, end):
        """A Q on Task: the tasks linked to the agency before `end` (links_then's rule in SQL)."""
        after = self.filter(agency_id=agency_id, at__gte=end)
        first = after.filter(task_id=models.OuterRef("task_id")).order_by("at", "pk").values("pk")[:1]
        kept_then = (
            after.annotate(first=models.Subquery(first))
            .filter(pk=models.F("first"))
            .exclude(kind=LinkChangeKind.ADDED)
            .values("task_id")
        )
        unchanged = (
            TaskAgency.objects.filter(agency_id=agency_id)
            .exclude(task_id__in=after.values("task_id"))
            .values("task_id")
        )
        return Q(pk__in=unchanged) | Q(pk__in=kept_then)


class AgencyLinkChange(models.Model):
    """One change to which agencies a task names (added, dropped, a role changed), written in the
    same transaction as the change (a plan revision, an adjustment, a merge, the admin), so the
    links can be rebuilt as they stood on a past day (measures.changes.asof). TaskAgency itself
    keeps no history. Positions are not recorded: no count or scope reads them. A merge points the
    rows of the merged agency at the one it was merged into, as it does every other row."""

    task = models.ForeignKey(Task, models.CASCADE, related_name="agency_changes", verbose_name=_("task"))
    agency = models.ForeignKey(Agency, models.PROTECT, related_name="+", verbose_name=_("agency"))
    kind = models.CharField(_("change"), max_length=10, choices=LinkChangeKind.choices)
    role_before = models.CharField(_("role before"), max_length=20, choices=AgencyRole.choices, blank=True)
    role_after = models.CharField(_("role after"), max_length=20, choices=AgencyRole.choices, blank=True)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    cause = models.CharField(_("cause"), max_length=12, choices=LinkChangeCause.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    # Rebuilt, when this record began, from a revision's change list or an adjustment's proposal
    # (plans migration 0002), not written by the change itself.
    derived = models.BooleanField(_("derived from the change list"), default=False)

    objects = AgencyLinkChangeQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("change of a task's agencies")
        verbose_name_plural = _("changes of tasks' agencies")
        indexes = [
            models.Index(fields=["task", "at"], name="linkchange_task_at"),
            models.Index(fields=["agency", "at"], name="linkchange_agency_at"),
        ]

    def __str__(self):
        return f"{self.task} · {self.agency} · {self.get_kind_display()}"


class DataVersion(models.Model):
    """What the task list's kept pages are keyed by (measures.tasks.page_cache): counters that
    database triggers move in the transaction of every write of what the list shows (tasks, their
    reports, milestones and agency links, categories, zones, agencies, periods, plans;
    measures.db_triggers says which row each moves and why). Nothing in Python writes them; the
    list reads their sum."""

    # "zone" with the zone's id, or a table's name with 0.
    scope = models.CharField(max_length=64)
    scope_id = models.BigIntegerField()
    changes = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "scope_id"], name="dataversion_unique_scope"),
        ]

    def __str__(self):
        return f"{self.scope} {self.scope_id}: {self.changes}"
