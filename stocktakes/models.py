"""Stocktake meetings (调度会) and the items assigned at them (交办事项).

They change only through stocktakes.services (the demo data aside: stocktakes/demo.py); each change
writes one ItemEvent in the same transaction.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from measures.choices import EvidenceKind
from zones.models import Agency, Plan, Zone

from .choices import ItemEventKind, ItemState, Scope

# The named rule of "due soon": an open item due within this many days is announced once.
DUE_SOON_DAYS = 3


class Stocktake(models.Model):
    """调度会: a meeting a manager holds on a plan, one of its zones or one agency."""

    plan = models.ForeignKey(Plan, models.PROTECT, related_name="stocktakes", verbose_name=_("plan"))
    zone = models.ForeignKey(
        Zone, models.PROTECT, null=True, blank=True, related_name="stocktakes", verbose_name=_("zone")
    )
    agency = models.ForeignKey(
        Agency, models.PROTECT, null=True, blank=True, related_name="stocktakes", verbose_name=_("agency")
    )
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("meeting date"))
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("scheduled by")
    )
    created_at = models.DateTimeField(_("scheduled at"))

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("stocktake meeting")
        verbose_name_plural = _("stocktake meetings")
        constraints = [
            models.CheckConstraint(
                condition=Q(zone__isnull=True) | Q(agency__isnull=True), name="stocktake_one_scope"
            )
        ]

    def __str__(self):
        return f"{self.title} ({self.held_on})"

    def get_absolute_url(self):
        return reverse("stocktakes:detail", args=[self.pk])

    @property
    def scope(self):
        if self.zone_id:
            return Scope.ZONE
        return Scope.AGENCY if self.agency_id else Scope.PLAN

    @property
    def scope_label(self):
        if self.zone_id:
            return self.zone.display_name
        return self.agency.name if self.agency_id else self.plan.title

    def previous(self):
        """The meeting held before this one on the same plan, zone or agency: its items open the pack."""
        return (
            Stocktake.objects.filter(plan_id=self.plan_id, zone_id=self.zone_id, agency_id=self.agency_id)
            .filter(Q(held_on__lt=self.held_on) | Q(held_on=self.held_on, pk__lt=self.pk))
            .order_by("-held_on", "-pk")
            .first()
        )


class ItemQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(state=ItemState.CLOSED)

    def overdue(self, today):
        """The one overdue rule: not closed and its due date has passed."""
        return self.open().filter(due__lt=today)

    def due_soon(self, today):
        return self.open().filter(due__gte=today, due__lte=today + datetime.timedelta(days=DUE_SOON_DAYS))


class AssignedItem(models.Model):
    """交办事项: what a meeting asks of a zone or an agency, by when."""

    stocktake = models.ForeignKey(
        Stocktake, models.PROTECT, related_name="items", verbose_name=_("stocktake meeting")
    )
    title = models.CharField(_("what"), max_length=300)
    description = models.TextField(_("details"), blank=True)
    zone = models.ForeignKey(
        Zone, models.PROTECT, null=True, blank=True, related_name="assigned_items", verbose_name=_("zone")
    )
    agency = models.ForeignKey(
        Agency,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_items",
        verbose_name=_("agency"),
    )
    due = models.DateField(_("due date"))
    state = models.CharField(_("state"), max_length=20, choices=ItemState.choices, default=ItemState.ASSIGNED)
    progress = models.TextField(_("latest progress"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("assigned by")
    )
    created_at = models.DateTimeField(_("assigned at"))
    progress_at = models.DateTimeField(_("progress reported at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["due", "pk"]
        verbose_name = _("assigned item")
        verbose_name_plural = _("assigned items")
        constraints = [
            models.CheckConstraint(
                condition=(Q(zone__isnull=False) & Q(agency__isnull=True))
                | (Q(zone__isnull=True) & Q(agency__isnull=False)),
                name="assigned_item_one_assignee",
            ),
            models.CheckConstraint(condition=Q(state__in=ItemState.values), name="assigned_item_state_valid"),
            models.CheckConstraint(
                condition=~Q(state="closed") | Q(closed_at__isnull=False),
                name="assigned_item_closed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["state", "due"], name="assigned_item_state_due")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("stocktakes:item", args=[self.pk])

    @property
    def assignee(self):
        return self.zone or self.agency

    @property
    def assignee_name(self):
        return self.zone.display_name if self.zone_id else self.agency.name

    @property
    def is_closed(self):
        return self.state == ItemState.CLOSED

    def is_overdue(self, today):
        return not self.is_closed and self.due < today


class ItemEvent(models.Model):
    """One append-only history row per step of an assigned item."""

    item = models.ForeignKey(AssignedItem, models.CASCADE, related_name="events", verbose_name=_("item"))
    kind = models.CharField(_("kind"), max_length=20, choices=ItemEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("by")
    )
    # Whom an assignee's progress or a manager's close was recorded on behalf of is the actor; the
    # state before and after and any evidence go in `changes`.
    at = models.DateTimeField(_("at"))
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("assigned item history entry")
        verbose_name_plural = _("assigned item history entries")

    def __str__(self):
        return f"{self.item_id} {self.kind} {self.at:%Y-%m-%d}"


class ItemEvidence(models.Model):
    """A file (checked by content, as report evidence) or a link attached to an item; never deleted."""

    item = models.ForeignKey(AssignedItem, models.CASCADE, related_name="evidence", verbose_name=_("item"))
    event = models.ForeignKey(
        ItemEvent, models.PROTECT, related_name="evidence", verbose_name=_("recorded with")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=EvidenceKind.choices)
    description = models.CharField(_("description"), max_length=300)
    file = models.FileField(_("file"), blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("added by")
    )
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        ordering = ["added_at", "pk"]
        verbose_name = _("assigned item evidence")
        verbose_name_plural = _("assigned item evidence")

    def __str__(self):
        return self.original_name or self.url

    def get_download_url(self):
        return reverse("stocktakes:evidence-download", args=[self.pk]) if self.file else self.url
