"""CSV files the mock Apple service writes, safe from formula injection.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (OWASP "CSV injection"): a name in a roster an MDM
server sent, or a serial number in an API call, could run `=HYPERLINK(…)` on the computer of
whoever opens the sign-in sheets or an activity log. Such cells get a single quote in front,
which spreadsheets show as text and do not evaluate.

A small copy of the portal's `asm_portal.csv_export.neutralise_cell`: the mock stands apart and
imports nothing of the portal (docs/development.md), so the two must be kept alike by hand;
`tests/mock_apple/test_csv_cells.py` checks that they agree.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> str:
    """The cell as text, a single quote in front when a spreadsheet would take it as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_text(rows: Iterable[Iterable[object]], *, lineterminator: str = "\r\n") -> str:
    """The rows as CSV text, each cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=lineterminator)
    for row in rows:
        writer.writerow([neutralise_cell(cell) for cell in row])
    return out.getvalue()
