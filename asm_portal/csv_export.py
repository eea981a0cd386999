"""CSV files people open in a spreadsheet: streamed, and safe from formula injection.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (OWASP "CSV injection"): a device name or an asset
tag Apple sends could run `=HYPERLINK(…)` on the administrator's computer. Such cells are
prefixed with a single quote, which spreadsheets show as text and do not evaluate. Every CSV
the portal writes goes through `csv_stream` (the mock Apple service mirrors it for its sheets).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> str:
    """The cell as text, a single quote in front when a spreadsheet would take it as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The rows as CSV lines, each cell neutralised, after a byte-order mark (Excel then reads
    UTF-8); for a StreamingHttpResponse, so any number of rows needs little memory."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow([neutralise_cell(cell) for cell in row])
