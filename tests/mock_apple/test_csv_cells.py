"""The mock's CSV cells are neutralised as the portal's are (OWASP CSV injection)."""

from __future__ import annotations

import pytest

from asm_portal import csv_export
from mock_apple import csv_cells


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://evil.example")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain", "", None, 42],
)
def test_the_mock_neutralises_cells_as_the_portal_does(value: object) -> None:
    assert csv_cells.neutralise_cell(value) == csv_export.neutralise_cell(value)
    assert csv_cells.FORMULA_STARTS == csv_export.FORMULA_STARTS


def test_formula_cells_get_a_quote_and_others_stay() -> None:
    text = csv_cells.csv_text([["=1+1", "Ora", "-x"]], lineterminator="\n")
    assert text == "'=1+1,Ora,'-x\n"
