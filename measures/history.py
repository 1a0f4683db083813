"""The history row every service writes in the same transaction as its change."""

from django.utils import timezone

from measures.models import ReportEvent


def record(
    *,
    kind,
    actor,
    task=None,
    report=None,
    period=None,
    outcome=None,
    matter=None,
    changes=None,
    note="",
    on_behalf_of=None,
):
    if report is not None:
        task = task or report.task
        period = period or report.period
    event = ReportEvent(
        task=task,
        report=report,
        outcome=outcome,
        matter=matter,
        period=period,
        kind=kind,
        actor=actor,
        # A user or a user's id (a Capacity carries the id).
        on_behalf_of_id=getattr(on_behalf_of, "pk", on_behalf_of),
        at=timezone.now(),
        changes=changes or {},
        note=note,
    )
    event.full_clean()
    event.save()
    # The people the change concerns are told in the same transaction (measures.notices).
    from measures.notices import on_event

    on_event(event)
    return event


def one_line(text):
    """`text` with every run of whitespace (line breaks included) as one space: for titles and
    e-mail subjects, where a line break is refused (Django's BadHeaderError) or means nothing."""
    return " ".join((text or "").split())
