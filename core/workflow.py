"""The versioned submit/review workflow progress reports and indicator values share.

A row of either kind has `state`, `version`, `updated_at` and `submitted_at`; it is edited while
draft or returned, submitted, then accepted or returned by a reviewer. Each app's service locks the
row, checks its period is open and that the version the user saw is still current (each has its own
conflict with what changed), then calls transition(), which moves the state the same way for both."""

from django.core.exceptions import ValidationError
from django.utils import timezone


def transition(*, row, allowed, target, states, refusal, submitted, stamp, record):
    """Move `row` from one of the `allowed` states to `target` (a value of the TextChoices `states`).
    Any other state is refused with `refusal` ("A report that is %(state)s cannot be %(action)s.").
    The version goes up, a submission is timed, `stamp(row, now)` sets what else the kind records
    (who, the review note) and returns those field names; the row is validated and only those fields
    saved, and `record(previous_state)` writes the history row in the caller's transaction."""
    if row.state not in allowed:
        raise ValidationError(
            refusal % {"state": row.get_state_display().lower(), "action": states(target).label.lower()}
        )
    previous = row.state
    now = timezone.now()
    row.state = target
    row.version += 1
    row.updated_at = now
    fields = ["state", "version", "updated_at"]
    if target == submitted:
        row.submitted_at = now
        fields.append("submitted_at")
    fields += stamp(row, now)
    row.full_clean()
    row.save(update_fields=fields)
    record(previous)
    return row
