"""Bulk update from a spreadsheet: officers download a period's template, fill it in, upload it back.

`columns` fixes the file format, `files` writes and reads .xlsx/.csv, `rows` checks the rows and
saves them through measures.services.
"""

from measures.bulk.files import CSV_TYPE, XLSX_TYPE, read_upload, write_csv, write_xlsx
from measures.bulk.rows import apply_changes, check_rows, check_upload, reportable_tasks, template_rows

__all__ = [
    "CSV_TYPE",
    "XLSX_TYPE",
    "apply_changes",
    "check_rows",
    "check_upload",
    "read_upload",
    "reportable_tasks",
    "template_rows",
    "write_csv",
    "write_xlsx",
]
