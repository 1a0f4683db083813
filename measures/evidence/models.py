"""Evidence attached to a progress report: files checked by content, or links. Never deleted."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from measures.choices import EvidenceKind
from measures.reporting.models import ProgressReport


class EvidenceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(withdrawn_at__isnull=True)


class Evidence(models.Model):
    """A file (stored under a server-generated name outside the static tree) or a link."""

    # Evidence backs either a progress report or an innovation outcome, never both.
    report = models.ForeignKey(
        ProgressReport,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence",
        verbose_name=_("report"),
    )
    outcome = models.ForeignKey(
        "measures.InnovationOutcome",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence",
        verbose_name=_("outcome"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=EvidenceKind.choices)
    description = models.CharField(_("description"), max_length=300)
    file = models.FileField(_("file"), max_length=200, blank=True)
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("added by")
    )
    added_at = models.DateTimeField(_("added at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )
    withdraw_reason = models.TextField(_("reason for withdrawal"), blank=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["report", "added_at", "pk"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=EvidenceKind.FILE) & ~Q(file="") & Q(url="") & ~Q(sha256="")
                    | Q(kind=EvidenceKind.LINK) & ~Q(url="") & Q(file="")
                ),
                name="evidence_file_or_link",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdraw_reason=""),
                name="evidence_withdrawal_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(report__isnull=False, outcome__isnull=True)
                | Q(report__isnull=True, outcome__isnull=False),
                name="evidence_backs_report_or_outcome",
            ),
        ]

    def __str__(self):
        return self.original_name or self.url

    def get_absolute_url(self):
        if self.outcome_id:
            return self.outcome.get_absolute_url() + f"#evidence-{self.pk}"
        return self.report.task.get_absolute_url() + f"#evidence-{self.pk}"

    def get_download_url(self):
        return reverse("measures:evidence-download", args=[self.pk])

    @property
    def is_withdrawn(self):
        return self.withdrawn_at is not None
