"""Writing the template as .xlsx or .csv, and reading an uploaded one back into rows.

An upload is judged by its content: the extension only says which reader to try, and a file whose
bytes do not match it is refused with a message saying so.
"""

import csv
import io
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from measures.bulk.columns import HEADERS, PERCENT, STATUS, STATUS_LABELS, TEXT_WIDTH, TITLE, VERSION, WIDTHS
from measures.exports.text import writable
from measures.exports.xlsx import GREY_WRAP, HEADER, WRAP, Sheet, data_validation, workbook_bytes

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
# A sheet can hold rows with nothing in them; past this many we stop rather than walk a million.
MAX_SHEET_ROWS = 10_000
# Declared uncompressed size of the workbook; a template of every task is well under 1 MB.
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
MAX_ZIP_MEMBERS = 1000

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and .doc) container
# Spreadsheet programs run a CSV cell starting with these as a formula; a leading apostrophe
# keeps it text, and is taken off again on import so the file round-trips.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


@dataclass(frozen=True)
class SheetRow:
    number: int  # as the spreadsheet program numbers it: the header is row 1
    cells: dict


# Writing ---------------------------------------------------------------------------------


def write_xlsx(rows, *, sheet_title):
    """The template as a workbook, written by the period report's SpreadsheetML writer: through
    openpyxl's cell objects the template of 20,000 tasks took about 25 s."""
    sheet = Sheet(
        _sheet_title(sheet_title), [WIDTHS.get(header, TEXT_WIDTH) for header in HEADERS], freeze="A2"
    )
    sheet.append(HEADERS, HEADER)
    # A text starting with "=" is what the officer wrote, not a formula: the writer keeps all text as text.
    grey = {HEADERS.index(TITLE), HEADERS.index(VERSION)}
    styles = [GREY_WRAP if n in grey else WRAP for n in range(len(HEADERS))]
    for values in rows:
        sheet.append(list(values), styles)
    last_row = max(len(rows) + 1, 2)
    status, percent = (get_column_letter(HEADERS.index(header) + 1) for header in (STATUS, PERCENT))
    sheet.validations = [
        data_validation(
            f"{status}2:{status}{last_row}",
            '"{}"'.format(",".join(STATUS_LABELS.values())),
            type="list",
            error=_("Choose one of the listed statuses."),
        ),
        data_validation(
            f"{percent}2:{percent}{last_row}",
            "0",
            formula2="100",
            type="whole",
            operator="between",
            error=_("Enter a whole number from 0 to 100."),
        ),
    ]
    return workbook_bytes([sheet])


def _sheet_title(name):
    # Excel refuses these characters in a sheet name and allows at most 31 characters.
    cleaned = "".join(" " if ch in "[]:*?/\\\n" else ch for ch in writable(name)).strip(" '")
    return cleaned[:31] or "Sheet1"


def write_csv(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for values in rows:
        values = [writable(value) for value in values]
        writer.writerow(
            ["'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v for v in values]
        )
    # The BOM is how Excel knows a CSV is UTF-8 rather than the machine's code page.
    return buffer.getvalue().encode("utf-8-sig")


# Reading ---------------------------------------------------------------------------------


def read_upload(uploaded_file):
    """The data rows of an uploaded template (blank rows left out); ValidationError if unusable."""
    if uploaded_file.size > MAX_BYTES:
        raise _too_large()
    data = uploaded_file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _too_large()
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    extension = (uploaded_file.name or "").rpartition(".")[2].lower()
    if extension == "xlsx":
        rows = _xlsx_rows(data)
    elif extension == "csv":
        rows = _csv_rows(data)
    else:
        raise ValidationError(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."), code="bad_type")
    return _data_rows(rows)


def _too_large():
    return ValidationError(
        _("The file is larger than %(limit)s MB, the most that can be uploaded.")
        % {"limit": MAX_BYTES // (1024 * 1024)},
        code="too_large",
    )


def _not_a(extension):
    message = _("The file is named .%(extension)s but its content is not a spreadsheet of that type.")
    return ValidationError(message % {"extension": extension}, code="type_mismatch")


def _xlsx_rows(data):
    if data.startswith(_OLE):
        raise ValidationError(
            _(
                "This is an old-style Excel file (.xls). Save it as an Excel workbook (.xlsx) and upload that."
            ),
            code="xls",
        )
    if not data.startswith(_ZIP):
        raise _not_a("xlsx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError):
        raise _not_a("xlsx") from None
    names = {member.filename for member in members}
    if "xl/workbook.xml" not in names:
        raise _not_a("xlsx")
    if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
        raise ValidationError(_("The workbook unpacks to far more data than a template holds."), code="bomb")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a damaged workbook fails in many library-specific ways; all mean the same
        raise _unreadable() from None
    try:
        sheet = workbook.worksheets[0]
        # Some writers record a wrong sheet size; read what is really there.
        sheet.reset_dimensions()
        return _bounded(sheet.iter_rows(max_col=len(HEADERS) + 1, values_only=True))
    except ValidationError:
        raise
    except Exception:
        raise _unreadable() from None
    finally:
        workbook.close()


def _unreadable():
    return ValidationError(_("The workbook could not be read. Open it in Excel, save it again and retry."))


def _csv_rows(data):
    if data.startswith((_ZIP, _OLE)) or b"\x00" in data:
        raise _not_a("csv")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(_("The CSV file is neither UTF-8 nor GB18030 (GBK) text."), code="encoding")
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        return [[_unescape(value) for value in record] for record in _bounded(reader)]
    except csv.Error:
        raise ValidationError(_("The CSV file is not valid CSV."), code="bad_csv") from None


def _bounded(rows):
    """The rows read whole, but never more than a template could sensibly have."""
    result = []
    for row in rows:
        if len(result) > MAX_SHEET_ROWS:
            raise _too_many()
        result.append(row)
    return result


def _too_many():
    return ValidationError(_("The file has more than %(count)s rows.") % {"count": MAX_ROWS}, code="too_many")


def _unescape(value):
    if value.startswith("'") and value[1:2] and value[1:2] in _FORMULA_START:
        return value[1:]
    return value


def _data_rows(rows):
    rows = iter(rows)
    header = [_cell_text(value) for value in next(rows, [])]
    while header and not header[-1]:
        header.pop()
    if header != HEADERS:
        raise ValidationError(
            _("The first row is not the template's header. It must be exactly: %(headers)s.")
            % {"headers": ", ".join(HEADERS)},
            code="bad_header",
        )
    result = []
    for number, values in enumerate(rows, start=2):
        if len(result) >= MAX_ROWS:
            raise _too_many()
        values = list(values)[: len(HEADERS)]
        if not any(_cell_text(value) for value in values):
            continue
        values += [None] * (len(HEADERS) - len(values))
        result.append(SheetRow(number, dict(zip(HEADERS, values, strict=True))))
    return result


def _cell_text(value):
    return "" if value is None else str(value).strip()
