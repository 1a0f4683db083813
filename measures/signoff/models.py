"""Deputies (代理): a zone leader or a manager names someone to act for them over a date range."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class DeputyQuerySet(models.QuerySet):
    def in_force(self, day):
        """The one rule of when a deputy may act: on the days of the range, unless withdrawn."""
        return self.filter(starts_on__lte=day, ends_on__gte=day, withdrawn_at__isnull=True)


class Deputy(models.Model):
    """`deputy` acts for `principal` from `starts_on` to `ends_on` (both included): a leader's
    deputy signs off the leader's zones' reports, a manager's deputy reviews reports; each step is
    recorded as "<deputy> for <principal>". Never deleted: withdrawing it keeps the row."""

    principal = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="deputies", verbose_name=_("stands in for")
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="deputising", verbose_name=_("deputy")
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True, help_text=_("E.g. leave or travel."))
    created_at = models.DateTimeField(_("named at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("named by")
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )

    objects = DeputyQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "pk"]
        verbose_name = _("deputy")
        verbose_name_plural = _("deputies")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="deputy_end_after_start"),
            models.CheckConstraint(condition=~Q(principal=F("deputy")), name="deputy_not_self"),
        ]
        indexes = [models.Index(fields=["deputy", "ends_on"], name="deputy_deputy_ends")]

    def __str__(self):
        return f"{self.deputy} → {self.principal} ({self.starts_on:%Y-%m-%d} – {self.ends_on:%Y-%m-%d})"

    def clean(self):
        errors = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The last day cannot be before the first.")
        if self.principal_id and self.principal_id == self.deputy_id:
            errors["deputy"] = _("Choose someone else: no one is their own deputy.")
        if errors:
            raise ValidationError(errors)

    def in_force_on(self, day):
        return self.withdrawn_at is None and self.starts_on <= day <= self.ends_on
