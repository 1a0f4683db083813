"""Links to one view for many rows, formed from one reverse() instead of one each.

reverse() walks the URL resolver, converts, quotes and checks every argument against the pattern:
about 50 µs a link, and a list page draws three or four links a row (its task, zone, agencies).
A former reverses the view once with stand-in arguments and then joins the real ones into the
result; an argument that could come out differently from reverse() (anything but the plain
letters, digits, - and _ a slug or a number is made of) goes through reverse() itself.
"""

import re

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

SLUG = "slug"
INT = "int"

# Stand-ins each converter accepts and quoting leaves alone, unlikely to occur in a URL's own text.
_STAND_INS = {SLUG: "ftz-stand-in-{}-x", INT: "9876543210{}"}
_PLAIN = {SLUG: re.compile(r"[-a-zA-Z0-9_]+"), INT: re.compile(r"[0-9]+")}
# (view, kinds, urlconf, script prefix) -> the text between the arguments, or None: formed by
# reverse() each time. The script prefix is the only part of a link that can vary by request
# here (no language prefix in the URLs); both it and the URLconf are part of the key.
_formed = {}


def _parts(viewname, kinds):
    stand_ins = [_STAND_INS[kind].format(n) for n, kind in enumerate(kinds)]
    url = reverse(viewname, args=stand_ins)
    parts = []
    for stand_in in stand_ins:
        if url.count(stand_in) != 1:
            return None
        before, url = url.split(stand_in)
        parts.append(before)
    parts.append(url)
    return tuple(parts)


def url_former(viewname, *kinds):
    """A function of len(kinds) positional arguments that returns reverse(viewname, args=...).
    Each kind is SLUG or INT, the converter of that argument in the view's pattern."""
    key = (viewname, kinds, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    if key not in _formed:
        if len(_formed) > 10_000:
            # The script prefix comes from the server; bounded whatever it sends.
            _formed.clear()
        _formed[key] = _parts(viewname, kinds)
    parts = _formed[key]
    checks = [_PLAIN[kind].fullmatch for kind in kinds]

    def form(*args):
        if parts is None or len(args) != len(kinds):
            return reverse(viewname, args=args)
        texts = [str(arg) for arg in args]
        if not all(check(text) for check, text in zip(checks, texts, strict=True)):
            return reverse(viewname, args=args)
        joined = [parts[0]]
        for text, part in zip(texts, parts[1:], strict=True):
            joined += (text, part)
        return "".join(joined)

    return form
