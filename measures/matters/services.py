"""Major matters (重大事项请示报告): open → responded → closed. Raising one e-mails every manager
with an address once the transaction has committed, so nobody is told of a matter that was
rolled back."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.access import can_raise_matter, can_review, ensure_four_eyes, require
from core.roles import Role
from measures.choices import EventKind, MatterState, MatterUrgency
from measures.history import one_line, record
from measures.models import MajorMatter

log = logging.getLogger(__name__)
URGENCY_PREFIX = {
    MatterUrgency.NORMAL: "",
    MatterUrgency.URGENT: "【紧急】",
    MatterUrgency.CRITICAL: "【特急】",
}


def managers_to_notify():
    """Active managers and administrators with an e-mail address."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name=Role.MANAGER.group_name) | Q(is_superuser=True))
        .exclude(email="")
        .distinct()
        .order_by("username")
    )


def _locked(matter):
    # Only the matter's row: PostgreSQL cannot lock the nullable side (task) of an outer join.
    return (
        MajorMatter.objects.select_for_update(of=("self",)).select_related("zone", "task").get(pk=matter.pk)
    )


@transaction.atomic
def raise_matter(*, zone, user, title, description, urgency=MatterUrgency.NORMAL, task=None):
    require(can_raise_matter(user, zone))
    if task is not None and task.zone_id != zone.pk:
        raise ValidationError({"task": _("Choose a task of the matter's own zone.")})
    matter = MajorMatter(
        zone=zone,
        task=task,
        urgency=urgency,
        # A title is one line: a pasted line break would also break the managers' e-mail subject.
        title=one_line(title),
        description=(description or "").strip(),
        raised_by=user,
        raised_at=timezone.now(),
    )
    matter.full_clean()
    matter.save()
    record(
        kind=EventKind.MATTER_RAISED,
        actor=user,
        task=task,
        matter=matter,
        changes={"matter": matter.pk, "urgency": urgency, "title": matter.title},
        note=matter.description,
    )
    transaction.on_commit(lambda: notify_managers(matter.pk))
    return matter


def notify_managers(matter_pk):
    """E-mail every manager about a newly raised matter and note how many were told."""
    matter = MajorMatter.objects.select_related("zone", "task", "raised_by").get(pk=matter_pk)
    context = {
        "matter": matter,
        "raised_by": matter.raised_by.get_full_name() or matter.raised_by.username,
        "site_url": settings.FTZ_SITE_URL.rstrip("/"),
    }
    # Managers read these in Chinese whatever language the officer's page was in.
    with translation.override(settings.FTZ_NOTICE_LANGUAGE):
        context["urgency"] = matter.get_urgency_display()
        subject = _("%(prefix)s【重大事项】%(zone)s: %(title)s") % {
            "prefix": URGENCY_PREFIX[matter.urgency],
            "zone": matter.zone.name,
            "title": matter.title,
        }
        # Matters saved before titles were kept to one line may still hold a line break.
        subject = one_line(subject)
        body = render_to_string("measures/email/matter.txt", context)
    delivered = 0
    for manager in managers_to_notify():
        try:
            send_mail(subject, body, None, [manager.email])
            delivered += 1
        except OSError:
            # An outage must not hide the matter: the badge still shows it to every manager.
            log.exception("major matter %s could not be sent to %s", matter.pk, manager.email)
    MajorMatter.objects.filter(pk=matter.pk).update(notified_at=timezone.now(), notified_count=delivered)
    return delivered


@transaction.atomic
def respond_to_matter(*, matter, user, response):
    """A manager answers; answering again adds to the thread and replaces the latest answer."""
    matter = _locked(matter)
    require(can_review(user))
    ensure_four_eyes(user, {matter.raised_by_id})
    if not (response or "").strip():
        raise ValidationError({"response": _("Write the response.")})
    if matter.state == MatterState.CLOSED:
        raise ValidationError(_("This matter has been closed."))
    previous = matter.state
    matter.state = MatterState.RESPONDED
    matter.response = response.strip()
    matter.responded_by = user
    matter.responded_at = timezone.now()
    matter.full_clean()
    matter.save(update_fields=["state", "response", "responded_by", "responded_at"])
    record(
        kind=EventKind.MATTER_RESPONDED,
        actor=user,
        task=matter.task,
        matter=matter,
        changes={"matter": matter.pk, "state": [previous, matter.state]},
        note=matter.response,
    )
    return matter


def can_close_matter(user, matter):
    return can_review(user) or can_raise_matter(user, matter.zone)


@transaction.atomic
def close_matter(*, matter, user, note=""):
    matter = _locked(matter)
    require(can_close_matter(user, matter))
    if matter.state == MatterState.CLOSED:
        raise ValidationError(_("This matter is already closed."))
    # An officer closing a matter nobody has answered yet says why (solved meanwhile, ...).
    if matter.state == MatterState.OPEN and not can_review(user) and not (note or "").strip():
        raise ValidationError({"note": _("Say why the matter is closed before it has been answered.")})
    previous = matter.state
    matter.state = MatterState.CLOSED
    matter.closed_by = user
    matter.closed_at = timezone.now()
    matter.full_clean()
    matter.save(update_fields=["state", "closed_by", "closed_at"])
    record(
        kind=EventKind.MATTER_CLOSED,
        actor=user,
        task=matter.task,
        matter=matter,
        changes={"matter": matter.pk, "state": [previous, matter.state]},
        note=(note or "").strip(),
    )
    return matter
