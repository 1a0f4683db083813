"""What the dashboard keeps of a locked period: its figures per zone for the chart across periods."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LockedPeriodFigures(models.Model):
    """The chart across periods' sums for one zone in one locked period, counted over every task
    of the zone (dashboard.figures: kept by lock_period, dropped by reopen_period in their
    transactions; a locked period without them is counted once and kept).

    Only a period locked after its last day is kept: then none of its inputs can change (its
    reports are locked, and a close-off or withdrawal made later falls after the period). The
    deadline and end it was counted with are kept too; an edit of either makes it stale."""

    period = models.ForeignKey(
        "measures.ReportingPeriod", on_delete=models.CASCADE, related_name="+", verbose_name=_("period")
    )
    zone = models.ForeignKey("zones.Zone", on_delete=models.CASCADE, related_name="+", verbose_name=_("zone"))
    deadline = models.DateField(_("submission deadline"))
    end = models.DateField(_("end"))
    percent_sum = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    reported = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["period", "zone"], name="locked_figures_once")]
        verbose_name = _("locked period's figures")
        verbose_name_plural = _("locked periods' figures")

    def __str__(self):
        return f"{self.period_id}/{self.zone_id}"
