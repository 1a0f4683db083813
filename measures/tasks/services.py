"""Writes of a task's agency links' history: every change to which agencies a task names, recorded
in the same transaction as the change (plans.revision, plans.agencies, adjustments, the admin)."""

from django.db import transaction
from django.utils import timezone

from measures.tasks.models import AgencyLinkChange, LinkChangeKind, TaskAgency


def links_of(task_ids):
    """{task id: {agency id: role}} of today's links: the before and after of record_link_changes.
    One query."""
    task_ids = list(task_ids)
    links = {task_id: {} for task_id in task_ids}
    for task_id, agency_id, role in TaskAgency.objects.filter(task_id__in=task_ids).values_list(
        "task_id", "agency_id", "role"
    ):
        links[task_id][agency_id] = role
    return links


def link_changes(before, after, model=AgencyLinkChange, **fields):
    """The `model` rows (unsaved) that turn `before` into `after` ({task id: {agency id: role}});
    `fields`: at, cause, by, reason, derived. A task's dropped links come before its added ones,
    so a link a merge moved onto the same agency reads as there before."""
    rows = []
    for task_id in sorted(set(before) | set(after)):
        old, new = before.get(task_id, {}), after.get(task_id, {})
        for agency_id, role in old.items():
            if agency_id not in new:
                rows.append(
                    model(
                        task_id=task_id,
                        agency_id=agency_id,
                        kind=LinkChangeKind.DROPPED,
                        role_before=role,
                        **fields,
                    )
                )
        for agency_id, role in new.items():
            if agency_id not in old:
                rows.append(
                    model(
                        task_id=task_id,
                        agency_id=agency_id,
                        kind=LinkChangeKind.ADDED,
                        role_after=role,
                        **fields,
                    )
                )
            elif old[agency_id] != role:
                rows.append(
                    model(
                        task_id=task_id,
                        agency_id=agency_id,
                        kind=LinkChangeKind.ROLE,
                        role_before=old[agency_id],
                        role_after=role,
                        **fields,
                    )
                )
    return rows


@transaction.atomic
def record_link_changes(*, before, after, cause, by=None, reason="", at=None):
    """Record what changed between `before` and `after` (links_of, read before and after the
    change, in the caller's transaction). Returns the rows written."""
    rows = link_changes(before, after, at=at or timezone.now(), cause=cause, by=by, reason=reason[:255])
    for row in rows:
        # The task and agency ids come from rows just read: checking each again is a query apiece.
        row.full_clean(exclude=["task", "agency", "by"])
    return AgencyLinkChange.objects.bulk_create(rows)
