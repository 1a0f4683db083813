"""The period report in every format, all rendered from rows.period_rows()."""
