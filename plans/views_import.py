"""The web import of a plan (/plans/import/): upload, preview beside the source, confirm or cancel.

Administrators only. The preview is kept server-side (zones.models.PlanUpload) between the steps,
so confirming never re-uploads the file; it expires."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.access import access_for, require
from zones.models import PlanUpload

from . import plan_upload
from .forms_import import REVISION, AgencyChoiceForm, PairingForm, PlanUploadForm
from .layouts import LAYOUT_NAMES
from .parser_messages import localize

ROLE_LABELS = {"lead": "牵头", "responsible": "责任", "cooperating": "配合", "supporting": "支持"}


def change_labels():
    return {
        "added": _("added"),
        "text": _("text changed"),
        "renumbered": _("renumbered"),
        "withdrawn": _("not in the revision: withdrawn (撤销)"),
        "agencies": _("agencies changed"),
        "roles": _("roles changed"),
        "reordered": _("agencies reordered"),
        "agency renamed": _("agency renamed"),
        "conflict": _("conflict: kept as adjusted"),
        "uncertain": _("same task?"),
        "withdrawn earlier": _("withdrawn by an earlier revision"),
    }


def change_notes():
    """What each kind of change means for what people recorded, in the reader's language."""
    return {
        "withdrawn": _("Kept with its reports, milestones and requests; it no longer counts as owed."),
        "conflict": _(
            "An approved adjustment had changed this too: the adjusted version is kept; settle it with a plan "
            "adjustment."
        ),
        "withdrawn earlier": _("In the plan again: reinstate it by hand if that is meant."),
    }


def removed_labels():
    return {"page number": _("page number"), "running header": _("running header")}


def _admin_only(request):
    require(access_for(request.user).is_admin)


def _own_pending(request, token):
    try:
        return plan_upload.pending_uploads().get(token=token, created_by=request.user)
    except (PlanUpload.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


@never_cache
@login_required
def plan_import(request):
    _admin_only(request)
    form = PlanUploadForm(request.POST or None, request.FILES or None)
    refused = None
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        revision_of = form.cleaned_data["plan"] if form.cleaned_data["mode"] == REVISION else None
        try:
            upload = plan_upload.start_upload(
                user=request.user,
                name=uploaded.name,
                data=uploaded.read(),
                plan_code=form.cleaned_data["code"] or "",
                revision_of=revision_of,
            )
        except plan_upload.ImportRefused as exc:
            refused = exc
        else:
            return redirect("plans:plan-import-preview", token=upload.token)
    recent = PlanUpload.objects.filter(applied_at__isnull=False).select_related("applied_by", "revision_of")[
        :10
    ]
    return render(
        request,
        "zones/plan_import.html",
        {"form": form, "refused": refused, "recent": recent, "layouts": LAYOUT_NAMES.values()},
        status=400 if refused else 200,
    )


def _structure(records):
    """Zones → categories → tasks (with agencies and roles) from the fixture records."""
    zones, categories, tasks = {}, {}, {}
    for record in records:
        fields = record["fields"]
        model = record["model"]
        if model == "zones.zone":
            zones[fields["code"]] = {**fields, "categories": [], "blocks": []}
        elif model == "zones.block":
            zones[fields["zone"][0]]["blocks"].append(fields)
        elif model == "measures.taskcategory":
            category = {**fields, "tasks": []}
            categories[(fields["zone"][0], fields["number"])] = category
            zones[fields["zone"][0]]["categories"].append(category)
        elif model == "measures.task":
            task = {**fields, "agencies": []}
            tasks[(fields["zone"][0], fields["number"])] = task
            categories[tuple(fields["category"])]["tasks"].append(task)
        elif model == "measures.taskagency":
            role = fields.get("role", "supporting")
            tasks[tuple(fields["task"])]["agencies"].append(
                {"name": fields["agency"][0], "role": role, "role_label": ROLE_LABELS.get(role, role)}
            )
    for zone in zones.values():
        zone["task_count"] = sum(len(category["tasks"]) for category in zone["categories"])
    return list(zones.values())


def _changes(prepared, pairing_form):
    labels, notes = change_labels(), change_notes()
    rows = []
    for change in prepared.changes:
        rows.append(
            {
                **change,
                "labels": [labels.get(kind, kind) for kind in change["kinds"]],
                "notes": [notes[kind] for kind in change["kinds"] if kind in notes],
                "roles": [
                    (name, ROLE_LABELS.get(old, old), ROLE_LABELS.get(new, new))
                    for name, old, new in change.get("roles_changed", [])
                ],
                "pairing": pairing_form.field_for(change) if "uncertain" in change["kinds"] else None,
            }
        )
    return rows


def _forms(upload, data=None):
    return (
        AgencyChoiceForm(data, unknown=upload.payload["unknown_agencies"]),
        PairingForm(
            data, uncertain=plan_upload.uncertain_pairings(plan_upload.Prepared.from_payload(upload.payload))
        ),
    )


def _preview_context(upload, agency_form, pairing_form, refused=None):
    payload = upload.payload
    prepared = plan_upload.Prepared.from_payload(payload)
    pages = prepared.pages
    lines = [
        {"number": index, "text": text, "page": pages[index - 1] if pages else None}
        for index, text in enumerate(prepared.lines, start=1)
    ]
    return {
        "upload": upload,
        "prepared": prepared,
        "zones": _structure(prepared.records),
        "source_lines": lines,
        "agency_form": agency_form,
        "task_count": sum(1 for r in prepared.records if r["model"] == "measures.task"),
        "changes": _changes(prepared, pairing_form),
        "pairing_form": pairing_form,
        "removed": [(line, text, removed_labels().get(why, why)) for line, text, why in prepared.removed],
        "warnings": [(line, localize(message)) for line, message in prepared.warnings],
        "refused": refused,
    }


@never_cache
@login_required
def plan_import_preview(request, token):
    _admin_only(request)
    upload = _own_pending(request, token)
    return render(request, "zones/plan_import_preview.html", _preview_context(upload, *_forms(upload)))


@require_POST
@login_required
def plan_import_confirm(request, token):
    _admin_only(request)
    upload = _own_pending(request, token)
    form, pairing_form = _forms(upload, request.POST)
    if form.is_valid() and pairing_form.is_valid():
        try:
            applied = plan_upload.confirm_upload(
                user=request.user,
                upload=upload,
                agency_choices=form.choices(),
                matches=pairing_form.matches(),
            )
        except plan_upload.ImportRefused as exc:
            return render(
                request,
                "zones/plan_import_preview.html",
                _preview_context(upload, form, pairing_form, exc),
                status=409,
            )
        messages.success(
            request,
            _("The plan “%(title)s” was imported from %(file)s: %(tasks)d tasks.")
            % {
                "title": applied.payload["title"],
                "file": applied.file_name,
                "tasks": applied.summary["tasks"],
            },
        )
        return redirect(reverse("zones:list") + f"#plan-{applied.plan_code}")
    return render(
        request, "zones/plan_import_preview.html", _preview_context(upload, form, pairing_form), status=400
    )


@require_POST
@login_required
def plan_import_cancel(request, token):
    _admin_only(request)
    upload = _own_pending(request, token)
    plan_upload.cancel_upload(upload=upload)
    messages.info(request, _("The import was cancelled; nothing was changed."))
    return redirect("plans:plan-import")
