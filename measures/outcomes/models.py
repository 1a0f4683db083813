"""Reform and innovation outcomes (改革创新经验和成果) the zones submit, evaluate and replicate."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from measures.choices import OutcomeState, OutcomeType
from measures.reporting.models import ReportingPeriod
from measures.tasks.models import Task
from zones.models import Zone


class InnovationOutcome(models.Model):
    """One outcome a zone reports; its steps go through measures.outcomes.services."""

    zone = models.ForeignKey(Zone, models.PROTECT, related_name="outcomes", verbose_name=_("zone"))
    tasks = models.ManyToManyField(Task, blank=True, related_name="outcomes", verbose_name=_("linked tasks"))
    period = models.ForeignKey(
        ReportingPeriod,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="outcomes",
        verbose_name=_("period"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    type = models.CharField(_("type"), max_length=20, choices=OutcomeType.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=OutcomeState.choices, default=OutcomeState.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"))
    updated_at = models.DateTimeField(_("updated at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    score = models.DecimalField(
        _("score"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    evaluation = models.TextField(_("evaluation notes"), blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("evaluated by"),
    )
    evaluated_at = models.DateTimeField(_("evaluated at"), null=True, blank=True)
    decision_note = models.TextField(_("recommendation or reason"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    replicated_where = models.CharField(_("replicated where"), max_length=300, blank=True)
    replicated_on = models.DateField(_("replicated on"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("innovation outcome")
        verbose_name_plural = _("innovation outcomes")
        constraints = [
            models.CheckConstraint(condition=Q(type__in=OutcomeType.values), name="outcome_type_valid"),
            models.CheckConstraint(condition=Q(state__in=OutcomeState.values), name="outcome_state_valid"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100), name="outcome_score_0_100"
            ),
            models.CheckConstraint(
                condition=~Q(state=OutcomeState.REPLICATED)
                | (~Q(replicated_where="") & Q(replicated_on__isnull=False)),
                name="outcome_replication_has_where_and_when",
            ),
        ]
        indexes = [models.Index(fields=["zone", "state", "type"], name="outcome_zone_state_type")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("measures:outcome-detail", args=[self.pk])
