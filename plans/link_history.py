"""The history of tasks' agency links before it was recorded (measures.AgencyLinkChange), derived
once from what was already stored: each plan revision's change list (agencies added and dropped,
roles changed, by name) and each approved adjustment of agencies (the task's agencies before and
after it). Nothing recorded is changed; the rows written are marked `derived`.

Called by plans migration 0002 with the migration's models, and by its test with today's. Not
derivable: links edited in the admin or merged before the record began (a merge moves the links
of an agency that no longer exists to the one that does, which is what a past view shows anyway)."""

from collections import defaultdict

SUPPORTING = "supporting"


def derive_link_changes(apps, schema_editor=None):
    from measures.tasks.services import link_changes

    PlanRevision = apps.get_model("plans", "PlanRevision")
    PlanAdjustment = apps.get_model("measures", "PlanAdjustment")
    AgencyLinkChange = apps.get_model("measures", "AgencyLinkChange")
    Agency = apps.get_model("zones", "Agency")
    AgencyAlias = apps.get_model("zones", "AgencyAlias")
    Task = apps.get_model("measures", "Task")

    by_name = dict(AgencyAlias.objects.values_list("alias", "agency_id"))
    by_name.update(Agency.objects.values_list("name", "pk"))
    known = set(by_name.values())
    tasks = set(Task.objects.values_list("pk", flat=True))

    def agency_of(name=None, pk=None):
        # The agency as it is now: a renamed or merged one by its old name, kept as an alias.
        if pk in known:
            return pk
        if name in by_name:
            return by_name[name]
        if isinstance(name, str) and name.isdigit() and int(name) in known:
            return int(name)
        return None

    events = []  # (at, order, task id, before {agency: role}, after, fields)
    roles_seen = defaultdict(dict)  # task id: {agency id: role} as the last revision's document had it
    for revision in PlanRevision.objects.order_by("applied_at", "pk"):
        fields = {
            "at": revision.applied_at,
            "cause": "revision",
            "by_id": revision.applied_by_id,
            "reason": f"Plan revision #{revision.pk}: {revision.source_name}"[:255],
        }
        snapshot = revision.snapshot or {}
        for change in (revision.changes or {}).get("tasks", []):
            task_id = change.get("task_id")
            if task_id not in tasks or "added" in change.get("kinds", []):
                continue
            roles_then = {
                int(key): role for key, role in (snapshot.get(str(task_id), {}).get("roles") or {}).items()
            }
            before, after = {}, {}
            for name in change.get("agencies_dropped") or []:
                agency = agency_of(name)
                if agency is not None:
                    before[agency] = roles_seen[task_id].get(agency, SUPPORTING)
            for name in change.get("agencies_added") or []:
                agency = agency_of(name)
                if agency is not None:
                    after[agency] = roles_then.get(agency, SUPPORTING)
            for name, old, new in change.get("roles_changed") or []:
                agency = agency_of(name)
                if agency is not None and agency not in before and agency not in after:
                    before[agency], after[agency] = old, new
            if before or after:
                events.append((revision.applied_at, 0, task_id, before, after, fields))
        for key, document in snapshot.items():
            if key.isdigit():
                roles_seen[int(key)].update(
                    {int(agency): role for agency, role in (document.get("roles") or {}).items()}
                )
    adjustments = PlanAdjustment.objects.filter(kind="agencies", state="approved", decided_at__isnull=False)
    for adjustment in adjustments.order_by("decided_at", "pk"):
        if adjustment.task_id not in tasks:
            continue
        was = [agency_of(a.get("name"), a.get("id")) for a in (adjustment.before or {}).get("agencies", [])]
        now = [agency_of(a.get("name"), a.get("id")) for a in (adjustment.after or {}).get("agencies", [])]
        before = {a: SUPPORTING for a in was if a is not None and a not in now}
        after = {a: SUPPORTING for a in now if a is not None and a not in was}
        if before or after:
            fields = {
                "at": adjustment.decided_at,
                "cause": "adjustment",
                "by_id": adjustment.decided_by_id,
                "reason": f"Plan adjustment #{adjustment.pk}",
            }
            events.append((adjustment.decided_at, 1, adjustment.task_id, before, after, fields))
    # A change the code recorded itself (this migration run again after going back) is not derived twice.
    recorded = set(AgencyLinkChange.objects.filter(derived=False).values_list("task_id", "at"))
    rows = []
    for at, _order, task_id, before, after, fields in sorted(events, key=lambda e: (e[0], e[1], e[2])):
        if (task_id, at) in recorded:
            continue
        rows.extend(
            link_changes({task_id: before}, {task_id: after}, model=AgencyLinkChange, derived=True, **fields)
        )
    AgencyLinkChange.objects.bulk_create(rows, batch_size=500)
    return rows


def forget_derived_link_changes(apps, schema_editor=None):
    apps.get_model("measures", "AgencyLinkChange").objects.filter(derived=True).delete()
