"""Plan adjustments (及时调整试点内容和政策措施): a change to a task proposed by its zone, decided by a manager.

They change only through measures.adjustments.services (major matters are in measures.matters).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from measures.choices import AdjustmentKind, AdjustmentState
from measures.tasks.models import Task


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
