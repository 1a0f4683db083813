"""Milestones (任务分解): an officer breaks a task into dated steps and marks them done."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import can_report, require
from measures.choices import EventKind
from measures.history import record
from measures.models import Milestone
from measures.reporting.services import ensure_task_open


def _describe(milestone):
    return {"milestone": milestone.pk, "title": milestone.title, "due": milestone.due.isoformat()}


def _check_due(due, confirm_past):
    """A date in the past is most often a typing slip (and makes the task red at once): it needs
    the officer's confirmation."""
    if due is not None and due < timezone.localdate() and not confirm_past:
        raise ValidationError(
            {
                "due": _(
                    "This date is in the past. Correct it, or tick “the date is in the past on purpose” "
                    "to record it anyway."
                )
            }
        )


@transaction.atomic
def add_milestone(*, task, user, title, due, confirm_past=False):
    require(can_report(user, task))
    ensure_task_open(task)
    _check_due(due, confirm_past)
    now = timezone.now()
    milestone = Milestone(
        task=task, title=title.strip(), due=due, created_by=user, created_at=now, updated_at=now
    )
    milestone.full_clean()
    milestone.save()
    record(kind=EventKind.MILESTONE_ADDED, actor=user, task=task, changes=_describe(milestone))
    return milestone


def _locked(milestone):
    return Milestone.objects.select_for_update().select_related("task").get(pk=milestone.pk)


@transaction.atomic
def update_milestone(*, milestone, user, title, due, confirm_past=False):
    milestone = _locked(milestone)
    require(can_report(user, milestone.task))
    ensure_task_open(milestone.task)
    if due != milestone.due:
        _check_due(due, confirm_past)
    changes = {}
    if milestone.title != title.strip():
        changes["title"] = [milestone.title, title.strip()]
    if milestone.due != due:
        changes["due"] = [milestone.due.isoformat(), due.isoformat() if due else None]
    if not changes:
        return milestone
    milestone.title = title.strip()
    milestone.due = due
    milestone.updated_at = timezone.now()
    milestone.full_clean()
    milestone.save(update_fields=["title", "due", "updated_at"])
    changes["milestone"] = milestone.pk
    record(kind=EventKind.MILESTONE_CHANGED, actor=user, task=milestone.task, changes=changes)
    return milestone


@transaction.atomic
def complete_milestone(*, milestone, user, done_on=None):
    milestone = _locked(milestone)
    require(can_report(user, milestone.task))
    ensure_task_open(milestone.task)
    if milestone.is_done:
        raise ValidationError(_("This milestone is already done."))
    today = timezone.localdate()
    done_on = done_on or today
    if done_on > today:
        raise ValidationError({"done_on": _("A milestone cannot be done on a future date.")})
    milestone.done_on = done_on
    milestone.updated_at = timezone.now()
    milestone.full_clean()
    milestone.save(update_fields=["done_on", "updated_at"])
    changes = {**_describe(milestone), "done_on": done_on.isoformat()}
    record(kind=EventKind.MILESTONE_DONE, actor=user, task=milestone.task, changes=changes)
    return milestone


@transaction.atomic
def reopen_milestone(*, milestone, user):
    milestone = _locked(milestone)
    require(can_report(user, milestone.task))
    ensure_task_open(milestone.task)
    if not milestone.is_done:
        raise ValidationError(_("This milestone is not done."))
    milestone.done_on = None
    milestone.updated_at = timezone.now()
    milestone.save(update_fields=["done_on", "updated_at"])
    record(kind=EventKind.MILESTONE_REOPENED, actor=user, task=milestone.task, changes=_describe(milestone))
    return milestone


@transaction.atomic
def delete_milestone(*, milestone, user):
    """Its zone deletes a milestone while no report cites it (MilestoneQuerySet.with_cited); the
    history row keeps its title and dates."""
    milestone = _locked(milestone)
    require(can_report(user, milestone.task))
    ensure_task_open(milestone.task)
    if Milestone.objects.with_cited().filter(pk=milestone.pk, cited=True).exists():
        raise ValidationError(
            _(
                "A report of this task names this milestone, so it stays. Propose dropping it as a plan adjustment."
            )
        )
    details = _describe(milestone)
    if milestone.done_on:
        details["done_on"] = milestone.done_on.isoformat()
    task = milestone.task
    milestone.delete()
    record(kind=EventKind.MILESTONE_DELETED, actor=user, task=task, changes=details)
