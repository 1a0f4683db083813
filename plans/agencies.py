"""Renaming and merging agencies (机构改革) without losing a link: tasks, requests, reports, liaisons."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from measures.models import TaskAgency
from measures.services import links_of, record_link_changes
from measures.tasks.models import LinkChangeCause
from zones.models import Agency, AgencyAlias


@transaction.atomic
def rename_agency(*, agency, name, user=None):
    """The same body under a new name: the row keeps its id and links; the old name becomes an alias."""
    name = (name or "").strip()
    old = agency.name
    if not name or name == old:
        raise ValidationError({"name": _("Give the agency's new name.")})
    other = Agency.objects.resolve(name)
    if other is not None and other.pk != agency.pk:
        raise ValidationError(
            {
                "name": _("%(name)s is already the agency %(other)s; merge them instead.")
                % {"name": name, "other": other}
            }
        )
    AgencyAlias.objects.filter(alias=name, agency=agency).delete()
    agency.name = name
    agency.full_clean()
    agency._history_user = user
    agency._change_reason = f"Renamed from {old}"
    agency.save(update_fields=["name"])
    alias = AgencyAlias(agency=agency, alias=old)
    alias.full_clean()
    alias.save()
    return agency


@transaction.atomic
def merge_agencies(*, target, others, user=None):
    """Fold `others` into `target`: every row that points at one of them points at `target`, and their
    names become aliases of it. A task linked to both keeps one link, at the earlier position."""
    others = [agency for agency in others if agency.pk != target.pk]
    if not others:
        raise ValidationError(
            _("Choose at least one other agency to merge into %(target)s.") % {"target": target}
        )
    ids = [agency.pk for agency in others]
    relinked = set(TaskAgency.objects.filter(agency_id__in=ids).values_list("task_id", flat=True))
    links_before = links_of(relinked)
    for link in TaskAgency.objects.filter(agency_id__in=ids).order_by("position"):
        kept = TaskAgency.objects.filter(task_id=link.task_id, agency=target).first()
        if kept is None:
            link.agency = target
            link.save(update_fields=["agency"])
        else:
            if link.position < kept.position:
                position = link.position
                link.delete()
                kept.position = position
                kept.save(update_fields=["position"])
            else:
                link.delete()
    # Recorded as the merged agency dropped and `target` added; the rows below then point the
    # record's merged agency at `target`, so a view as of an earlier day reads `target` there.
    record_link_changes(
        before=links_before,
        after=links_of(relinked),
        cause=LinkChangeCause.MERGE,
        by=user,
        reason=f"Merged {', '.join(agency.name for agency in others)} into {target.name}",
    )
    # Aliases, liaisons, coordination requests, reports' support agency: whatever points at an agency.
    # Hidden relations (related_name="+": notices, robot channels, escalation steps) included, or the
    # cascade would delete them with the merged agency.
    relations = [
        field
        for field in Agency._meta.get_fields(include_hidden=True)
        if field.auto_created and not field.concrete and field.one_to_many
    ]
    for relation in relations:
        if relation.related_model is not TaskAgency:
            relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": ids}).update(
                **{relation.field.name: target}
            )
    for agency in others:
        AgencyAlias.objects.get_or_create(alias=agency.name, defaults={"agency": target})
    for agency in others:
        agency._history_user = user
        agency._change_reason = f"Merged into {target.name}"
        agency.delete()
    return target
