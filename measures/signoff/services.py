"""Sign-off by the zone before the city sees a report (主体责任), and naming deputies.

A plan that requires it (Plan.requires_signoff) sends a submitted report to its zone leader first
(ReportState.AWAITING_SIGNOFF); the leader, or their deputy while the deputyship is in force, signs
it off (it then waits for the managers' review as SUBMITTED) or sends it back with a note (RETURNED:
the officer edits and resubmits). Each step is one history row with who, when, the note and, for a
deputy, whom they stood in for."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import (
    OWN_SUBMISSION,
    access_for,
    can_report,
    decides_own_submission,
    require,
    signoff_capacity,
)
from core.roles import Role
from measures.choices import AWAITING_SIGNOFF_STATES, EventKind, ReportState
from measures.reporting.services import forward_support_request, report_authors, transition_report
from measures.signoff.models import Deputy

# The roles whose holders may name a deputy, and so whose powers a deputy borrows.
DEPUTISED_ROLES = frozenset({Role.LEADER, Role.MANAGER})


def _ensure_not_own(user, capacity, report):
    """Four eyes at the zone's level: no one signs off (or sends back) what they wrote or submitted,
    nor does a deputy for the person who did."""
    authors = report_authors(report)
    if decides_own_submission(user, authors) or decides_own_submission(capacity.on_behalf_of, authors):
        raise ValidationError(
            _(
                "This report was written or submitted by the person signing it off: another zone leader "
                "or a deputy has to sign it off (four eyes)."
            ),
            code=OWN_SUBMISSION,
        )


def _signer(user, report):
    capacity = signoff_capacity(user, report.task.zone_id)
    require(capacity is not None)
    _ensure_not_own(user, capacity, report)
    return capacity


@transaction.atomic
def sign_off_report(*, report, user, note="", expected_version=None):
    """The zone leader (or their deputy) signs off: the report reaches the managers' review, and
    counts as reported from now (submitted_at and the deadline's day are stamped here)."""
    capacity = _signer(user, report)
    report = transition_report(
        report=report,
        user=user,
        allowed=AWAITING_SIGNOFF_STATES,
        target=ReportState.SUBMITTED,
        kind=EventKind.SIGNED_OFF,
        note=note.strip(),
        expected_version=expected_version,
        on_behalf_of=capacity.on_behalf_of,
    )
    # Support asked of an agency reaches it once the zone stands behind the report, asked by the
    # officer who submitted it (the agency answers them; a leader writes no coordination request).
    submission = report.events.filter(kind=EventKind.SUBMITTED).select_related("actor").order_by("-at", "-pk")
    asker = submission.first().actor
    if can_report(asker, report.task):
        forward_support_request(report, asker)
    return report


@transaction.atomic
def send_back_report(*, report, user, note, expected_version=None):
    """The zone leader (or their deputy) sends the report back to the officer with a note; the
    officer edits and resubmits it, and it comes back for sign-off."""
    capacity = _signer(user, report)
    if not note.strip():
        raise ValidationError({"note": _("Say what needs to change when sending a report back.")})
    return transition_report(
        report=report,
        user=user,
        allowed=AWAITING_SIGNOFF_STATES,
        target=ReportState.RETURNED,
        kind=EventKind.SENT_BACK,
        note=note.strip(),
        expected_version=expected_version,
        on_behalf_of=capacity.on_behalf_of,
    )


def may_name_deputy(user, principal):
    """A zone leader or manager names their own deputy; administrators name anyone's."""
    if access_for(user).is_admin:
        return True
    return user.pk == principal.pk and bool(access_for(principal).roles & DEPUTISED_ROLES)


def deputy_problems(*, principal, deputy, starts_on, ends_on, user, reason="", today=None, lock=False):
    """{field or None: [messages]} of what stops `user` naming `deputy` for `principal` over the
    range, and the unsaved row; the admin's form asks it before saving, name_deputy again under
    a lock. One deputy at a time: ranges of one principal may not overlap (which deputy acted
    would be ambiguous)."""
    today = today or timezone.localdate()
    errors = {}
    if not access_for(principal).roles & DEPUTISED_ROLES:
        errors["principal"] = [_("Only a zone leader or a manager names a deputy.")]
    if deputy is not None and not deputy.is_active:
        errors["deputy"] = [_("This account is no longer active; choose someone else.")]
    if ends_on is not None and ends_on < today and not access_for(user).is_admin:
        errors["ends_on"] = [_("The range has already ended; a deputy is named for today or later.")]
    row = Deputy(
        principal=principal,
        deputy=deputy,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason.strip(),
        created_at=timezone.now(),
        created_by=user,
    )
    try:
        row.full_clean()
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, messages)
    if errors:
        return errors, row
    mine = Deputy.objects.filter(principal=principal, withdrawn_at__isnull=True)
    if lock:
        # Two saves at once cannot both pass the overlap check.
        mine = mine.select_for_update()
    clash = mine.filter(starts_on__lte=ends_on, ends_on__gte=starts_on).select_related("deputy").first()
    if clash is not None:
        errors[None] = [
            _("%(name)s is already your deputy from %(start)s to %(end)s; withdraw that first.")
            % {
                "name": clash.deputy.get_full_name() or clash.deputy.username,
                "start": clash.starts_on.isoformat(),
                "end": clash.ends_on.isoformat(),
            }
        ]
    return errors, row


@transaction.atomic
def name_deputy(*, principal, deputy, starts_on, ends_on, user, reason="", today=None):
    """`deputy` acts for `principal` from `starts_on` to `ends_on`, both included."""
    require(may_name_deputy(user, principal))
    errors, row = deputy_problems(
        principal=principal,
        deputy=deputy,
        starts_on=starts_on,
        ends_on=ends_on,
        user=user,
        reason=reason,
        today=today,
        lock=True,
    )
    if errors:
        if list(errors) == [None]:
            raise ValidationError(errors[None])
        raise ValidationError({field or "__all__": messages for field, messages in errors.items()})
    row.save()
    return row


@transaction.atomic
def withdraw_deputy(*, deputyship, user):
    """End a deputyship early (or cancel one not begun): the row stays, marked withdrawn, so what
    the deputy signed meanwhile still says whom they stood in for."""
    row = Deputy.objects.select_for_update().select_related("principal").get(pk=deputyship.pk)
    require(may_name_deputy(user, row.principal))
    if row.withdrawn_at is not None:
        raise ValidationError(_("This deputy has already been withdrawn."))
    row.withdrawn_at = timezone.now()
    row.withdrawn_by = user
    row.full_clean()
    row.save(update_fields=["withdrawn_at", "withdrawn_by"])
    return row


def deputy_range_default(today):
    """The form's suggestion: from today for a week."""
    return today, today + datetime.timedelta(days=6)
