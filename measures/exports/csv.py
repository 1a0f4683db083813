"""The zone sheets' rows as one CSV, zone first; UTF-8 with a BOM so Excel reads the Chinese."""

import csv
from io import StringIO

from django.utils.translation import gettext as _

from measures.exports.rows import columns, row_labels
from measures.exports.text import writable

BOM = "\ufeff"
# A spreadsheet runs a cell starting with one of these as a formula; a leading apostrophe
# keeps text typed into a report as text (OWASP's advice for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(value):
    value = writable(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def render(report):
    """The CSV as bytes."""
    buffer = StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_("Zone"), *(str(label) for _key, label, _width in columns())])
    labels = row_labels()
    for section in report.sections:
        zone = _safe(section.zone.name)
        for row in section.rows:
            writer.writerow([zone, *(_safe(value) for value in row.cells(labels))])
    return buffer.getvalue().encode("utf-8")
