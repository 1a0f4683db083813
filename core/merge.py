"""Three-way merge of a save made over a newer version: the version the form was opened at (base),
the version saved since (theirs) and what the user sends (mine), field by field.

A field only one side changed takes that side's value; a field both changed to the same value is
no conflict; only a field both changed differently is a conflict, left for the user to choose. So
saving again after someone else's save never overwrites what they changed in fields the user did
not touch. Used wherever a stale save is detected: progress reports, outcomes and indicator values."""

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core import signing

BASE_SALT = "ftz.merge.base"


def comparable(value):
    """One form for what a form sends and what the database holds: an object's id, text without
    \\r or surrounding blanks (a browser sends \\r\\n; the form strips), numbers as Decimals."""
    if value is None:
        return ""
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value)).normalize()
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    try:
        # A number that came back as text from the base (JSON) compares as the number.
        return Decimal(text).normalize() if text and text.lstrip("-").replace(".", "", 1).isdigit() else text
    except InvalidOperation:
        return text


def snapshot(values):
    """The base a form carries: {field: value} as JSON-safe text, signed so it comes back as sent."""
    plain = {name: (value.pk if hasattr(value, "pk") else value) for name, value in values.items()}
    return signing.dumps(json.loads(json.dumps(plain, default=str)), salt=BASE_SALT, compress=True)


def read_snapshot(token):
    """The base back from a form, or None when missing or altered (then no merge is attempted:
    the save is refused as a conflict, as before, and nothing is overwritten)."""
    if not token:
        return None
    try:
        return signing.loads(token, salt=BASE_SALT)
    except signing.BadSignature:
        return None


@dataclass
class Merge:
    data: dict  # what to write: the fields the user changed and the other side did not
    theirs_kept: list = field(default_factory=list)  # fields only the other side changed
    conflicts: list = field(default_factory=list)  # fields both changed differently

    @property
    def clean(self):
        return not self.conflicts


def three_way(*, base, mine, theirs):
    """`base` and `theirs` are {field: value} for every field of `mine`."""
    merge = Merge(data={})
    for name, value in mine.items():
        b, m, t = comparable(base.get(name)), comparable(value), comparable(theirs.get(name))
        if m == t:
            continue
        if m == b:
            merge.theirs_kept.append(name)
        elif t == b:
            merge.data[name] = value
        else:
            merge.conflicts.append(name)
    return merge


def merged_save(*, version, expected_version, base, mine, theirs, conflict):
    """What a save writes when its form was read at `expected_version` and the row is now at
    `version`, as (data, merge): `mine` and None when nothing came in between (or no version was
    given); the three-way merge's data and the Merge when the form's `base` lets it merge cleanly.
    Otherwise raises `conflict(merge)`: merge is None for a stale form without a base, else the
    Merge whose conflicts are left for the user. Reports and indicator values save through it."""
    if expected_version is None or version == expected_version:
        return mine, None
    if base is None:
        raise conflict(None)
    merge = three_way(base=base, mine=mine, theirs=theirs)
    if not merge.clean:
        raise conflict(merge)
    return merge.data, merge
