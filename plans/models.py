"""The record of each plan document applied to the database: what changed, from which file, by whom."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zones.models import Plan


class PlanRevision(models.Model):
    """One applied load of a plan document: its first load or a revision (a new version of it).

    `changes` is the change list the loader printed (and a web preview shows); `snapshot` is
    what the document said of each task (by task id), the base the next revision is compared
    with, so a change the document did not make (an approved adjustment, a hand-added agency)
    is never taken for one.
    """

    plan = models.ForeignKey(Plan, models.PROTECT, related_name="revisions", verbose_name=_("plan"))
    source_name = models.CharField(_("source file"), max_length=255)
    source_sha256 = models.CharField(_("SHA-256 of the source file"), max_length=64)
    # The file this revision replaced, when it is known although no revision recorded it: the
    # committed fixture a database was loaded from before revisions were recorded.
    replaces_sha256 = models.CharField(_("SHA-256 of the file it replaced"), max_length=64, blank=True)
    document = models.CharField(_("plan document named in the source"), max_length=200, blank=True)
    applied_at = models.DateTimeField(_("applied at"))
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("applied by"),
    )
    # Who ran it when no user is known (the command line): e.g. "load_plan (root)".
    applied_via = models.CharField(_("applied through"), max_length=120, blank=True)
    tasks_added = models.PositiveIntegerField(_("tasks added"), default=0)
    tasks_changed = models.PositiveIntegerField(_("tasks changed"), default=0)
    tasks_renumbered = models.PositiveIntegerField(_("tasks renumbered"), default=0)
    tasks_withdrawn = models.PositiveIntegerField(_("tasks withdrawn"), default=0)
    agency_changes = models.PositiveIntegerField(_("agency changes"), default=0)
    conflicts = models.PositiveIntegerField(_("conflicts left to settle"), default=0)
    changes = models.JSONField(_("change list"), default=dict, blank=True)
    snapshot = models.JSONField(_("tasks as the document writes them"), default=dict, blank=True)

    class Meta:
        ordering = ["-applied_at", "-pk"]
        get_latest_by = ["applied_at", "pk"]
        verbose_name = _("plan revision")
        verbose_name_plural = _("plan revisions")

    def __str__(self):
        return f"{self.plan.code} · {self.source_name} · {self.applied_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("admin:plans_planrevision_change", args=[self.pk])
