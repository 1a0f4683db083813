"""What a plan adjustment changes, shown as before and after: a character diff of the text
(Chinese has no spaces to split words at) and row diffs of agencies and milestones."""

import difflib

from measures.choices import AdjustmentKind, AdjustmentState


def proposed_after(adjustment):
    """The task after the change: as recorded once approved, else as the proposal would make it."""
    if adjustment.state == AdjustmentState.APPROVED:
        return adjustment.after
    before, proposal = adjustment.before, adjustment.proposal
    after = dict(before)
    if adjustment.kind == AdjustmentKind.TEXT:
        after["text"] = proposal.get("text", "")
    elif adjustment.kind == AdjustmentKind.AGENCIES:
        after["agencies"] = proposal.get("agencies", [])
    elif adjustment.kind == AdjustmentKind.WITHDRAWAL:
        after["withdrawn"] = True
    elif adjustment.kind == AdjustmentKind.MILESTONES:
        dropped = {d["milestone"] for d in proposal.get("drop", [])}
        moved = {m["milestone"]: m["due"] for m in proposal.get("move", [])}
        milestones = [
            {**m, "due": moved.get(m["id"], m["due"])}
            for m in before.get("milestones", [])
            if m["id"] not in dropped
        ]
        milestones += [
            {"id": None, "title": a["title"], "due": a["due"], "done_on": None}
            for a in proposal.get("add", [])
        ]
        after["milestones"] = sorted(milestones, key=lambda m: m["due"])
    return after


def text_segments(before, after):
    """[(op, text)] with op in equal / delete / insert, character by character."""
    segments = []
    matcher = difflib.SequenceMatcher(None, before or "", after or "", autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(("equal", before[i1:i2]))
            continue
        if op in ("delete", "replace"):
            segments.append(("delete", before[i1:i2]))
        if op in ("insert", "replace"):
            segments.append(("insert", after[j1:j2]))
    return segments


def agency_rows(before, after):
    """[(name, 'kept' | 'added' | 'removed')] in the new order, removed ones last."""
    old = {a["id"] for a in before}
    new = {a["id"] for a in after}
    rows = [(a["name"], "kept" if a["id"] in old else "added") for a in after]
    rows += [(a["name"], "removed") for a in before if a["id"] not in new]
    return rows


def milestone_rows(before, after):
    """[(title, old due, new due, change)] with change in kept / moved / added / dropped."""
    new_by_id = {m["id"]: m for m in after if m["id"] is not None}
    rows = []
    for m in before:
        changed = new_by_id.get(m["id"])
        if changed is None:
            rows.append((m["title"], m["due"], None, "dropped"))
        else:
            rows.append(
                (m["title"], m["due"], changed["due"], "moved" if changed["due"] != m["due"] else "kept")
            )
    rows += [
        (m["title"], None, m["due"], "added")
        for m in after
        if m["id"] is None or m["id"] not in {b["id"] for b in before}
    ]
    return rows


def diff(adjustment):
    before = adjustment.before or {}
    after = proposed_after(adjustment) or {}
    return {
        "before": before,
        "after": after,
        "text": text_segments(before.get("text", ""), after.get("text", ""))
        if adjustment.kind == AdjustmentKind.TEXT
        else None,
        "agencies": agency_rows(before.get("agencies", []), after.get("agencies", []))
        if adjustment.kind == AdjustmentKind.AGENCIES
        else None,
        "milestones": milestone_rows(before.get("milestones", []), after.get("milestones", []))
        if adjustment.kind == AdjustmentKind.MILESTONES
        else None,
    }
