"""What the dashboard keeps of a period: its figures per zone for the chart across periods."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LockedPeriodFigures(models.Model):
    """The chart across periods' sums for one zone in one period, counted over every task of the
    zone (dashboard.figures), so that a page need not count them again from the reports.

    A period locked after its last day is kept `final`: none of its inputs can change (its reports
    are locked, and a close-off or withdrawal made later falls after the period); lock_period keeps
    it, reopen_period drops it, a locked period without it is counted once and kept.

    Any other period's figures hold while nothing they are counted from has changed: database
    triggers (migration 0021) add one to `changes` on every insert, deletion or change of a report
    of the zone's tasks in the period (its state, percent, submission date, period or task) and on
    every close-off, withdrawal or move of one of the zone's tasks, whatever code made it; the
    figures were counted when `changes` was `counted_at` (read before the count, so a write made
    during it makes them stale). The name is from when only locked periods were kept.

    The deadline and end they were counted with are kept too; an edit of either makes them stale."""

    period = models.ForeignKey(
        "measures.ReportingPeriod", on_delete=models.CASCADE, related_name="+", verbose_name=_("period")
    )
    zone = models.ForeignKey("zones.Zone", on_delete=models.CASCADE, related_name="+", verbose_name=_("zone"))
    deadline = models.DateField(_("submission deadline"), null=True)
    end = models.DateField(_("end"), null=True)
    percent_sum = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    reported = models.PositiveIntegerField(default=0)
    # Written by the triggers only: the services never set it, so a count cannot overwrite a write.
    changes = models.PositiveBigIntegerField(default=0)
    counted_at = models.PositiveBigIntegerField(null=True, blank=True)
    final = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["period", "zone"], name="locked_figures_once")]
        verbose_name = _("locked period's figures")
        verbose_name_plural = _("locked periods' figures")

    def __str__(self):
        return f"{self.period_id}/{self.zone_id}"
