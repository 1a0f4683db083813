"""Reads of sign-off: the queue of a zone leader (or their deputy), and who stands in for whom."""

from django.contrib.auth import get_user_model
from django.utils import timezone

from core.access import access_for
from measures.models import ProgressReport, ReportEvent
from measures.reporting.services import AUTHOR_KINDS
from measures.signoff.models import Deputy


def signoff_queue(user):
    """The reports `user` can sign off now: awaiting sign-off, in the zones they lead or deputise
    for (administrators: every zone), less those they wrote or submitted themselves (four eyes:
    another leader or a deputy signs those), so the count is what they can act on."""
    access = access_for(user)
    reports = ProgressReport.objects.awaiting_signoff()
    if not access.is_admin:
        reports = reports.filter(task__zone_id__in=access.signoff_zone_ids)
    own = ReportEvent.objects.filter(actor=user, kind__in=AUTHOR_KINDS, report__isnull=False)
    return reports.exclude(pk__in=own.values("report_id"))


def signs_off(user):
    """Whether the sign-off queue is part of the user's work (zone leaders and their deputies)."""
    access = access_for(user)
    return bool(access.signoff_zone_ids)


def deputies_in_force_for(principals, today=None):
    """The active people standing in today for any of `principals` (users)."""
    today = today or timezone.localdate()
    rows = Deputy.objects.in_force(today).filter(principal__in=principals, deputy__is_active=True)
    return list(get_user_model().objects.filter(pk__in=rows.values("deputy_id")).order_by("pk"))


def deputyships_of(user):
    """(the deputies `user` named, the people `user` stands in for), newest first (two queries)."""
    named = Deputy.objects.filter(principal=user).select_related("deputy", "withdrawn_by")
    standing_in = Deputy.objects.filter(deputy=user, withdrawn_at__isnull=True).select_related("principal")
    return list(named.order_by("-starts_on", "-pk")), list(standing_in.order_by("-starts_on", "-pk"))
