"""Major matters (重大事项请示报告): raised by a zone, answered by the leadership.

They change only through measures.matters.services.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from measures.choices import MatterState, MatterUrgency
from measures.tasks.models import Task
from zones.models import Zone


class MatterQuerySet(models.QuerySet):
    def unanswered(self):
        return self.filter(state=MatterState.OPEN)

    def not_closed(self):
        """Open or responded: still on the table (a stocktake pack's open matters)."""
        return self.exclude(state=MatterState.CLOSED)


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
