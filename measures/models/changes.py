"""Plan changes (及时调整试点内容和政策措施) and major matters (重大事项请示报告).

Both change only through measures.services.changes and measures.services.matters.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zones.models import Zone

from ..choices import AdjustmentKind, AdjustmentState, MatterState, MatterUrgency
from .plan import Task


class PlanAdjustment(models.Model):
    """A proposed change to one task; approval applies it and keeps the task before and after."""

    task = models.ForeignKey(Task, models.CASCADE, related_name="adjustments", verbose_name=_("task"))
    kind = models.CharField(_("kind"), max_length=20, choices=AdjustmentKind.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=AdjustmentState.choices, default=AdjustmentState.PROPOSED
    )
    reason = models.TextField(_("reason"))
    # What the change asks for, by kind: {"text"}, {"agencies": [ids]},
    # {"add": [{title, due}], "move": [{milestone, due}], "drop": [ids]} or {} for a withdrawal.
    proposal = models.JSONField(_("proposed change"), default=dict, blank=True)
    # The task as it was when proposed (what the proposer saw) and right after approval.
    before = models.JSONField(_("task before"), default=dict, blank=True)
    after = models.JSONField(_("task after"), default=dict, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    proposed_at = models.DateTimeField(_("proposed at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        verbose_name = _("plan adjustment")
        verbose_name_plural = _("plan adjustments")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AdjustmentKind.values), name="adjustment_kind_valid"),
            models.CheckConstraint(
                condition=Q(state__in=AdjustmentState.values), name="adjustment_state_valid"
            ),
            # One open proposal per task and kind: a second would be decided against a stale text.
            models.UniqueConstraint(
                fields=["task", "kind"],
                condition=Q(state="proposed"),
                name="adjustment_one_open_per_task_kind",
                violation_error_message=_(
                    "This task already has an open proposal of this kind; decide or cancel it first."
                ),
            ),
            models.CheckConstraint(
                condition=Q(state="proposed") | Q(decided_at__isnull=False),
                name="adjustment_decided_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.task} · {self.get_kind_display()}"

    def get_absolute_url(self):
        return reverse("measures:adjustment-detail", args=[self.pk])

    @property
    def is_open(self):
        return self.state == AdjustmentState.PROPOSED


class MatterQuerySet(models.QuerySet):
    def unanswered(self):
        return self.filter(state=MatterState.OPEN)


class MajorMatter(models.Model):
    """重大事项请示报告: an officer raises a matter with managers, on a task or on a whole zone."""

    zone = models.ForeignKey(Zone, models.PROTECT, related_name="matters", verbose_name=_("zone"))
    task = models.ForeignKey(
        Task, models.PROTECT, null=True, blank=True, related_name="matters", verbose_name=_("task")
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=MatterUrgency.choices, default=MatterUrgency.NORMAL
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    state = models.CharField(_("state"), max_length=20, choices=MatterState.choices, default=MatterState.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("raised by")
    )
    raised_at = models.DateTimeField(_("raised at"))
    response = models.TextField(_("response"), blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responded by"),
    )
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Written after commit, when the managers' e-mail has gone out (or failed to).
    notified_at = models.DateTimeField(_("managers notified at"), null=True, blank=True)
    notified_count = models.PositiveSmallIntegerField(_("managers notified"), default=0)

    objects = MatterQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = _("major matter")
        verbose_name_plural = _("major matters")
        constraints = [
            models.CheckConstraint(condition=Q(state__in=MatterState.values), name="matter_state_valid"),
            models.CheckConstraint(
                condition=Q(urgency__in=MatterUrgency.values), name="matter_urgency_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state="responded") | Q(responded_at__isnull=False),
                name="matter_responded_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="closed") | Q(closed_at__isnull=False), name="matter_closed_has_time"
            ),
        ]
        indexes = [models.Index(fields=["state", "raised_at"], name="matter_state_raised")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("measures:matter-detail", args=[self.pk])
