"""One CSV writer for the portal's exports: formula cells neutralised (OWASP CSV injection)."""

from __future__ import annotations

import pytest

from asm_portal.csv_export import csv_stream, neutralise_cell


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_get_a_quote(value: str) -> None:
    assert neutralise_cell(value) == f"'{value}"


@pytest.mark.parametrize("value", ["DMPQ000000", "a=b", "", "2026-12-07 10:00", " =x"])
def test_other_cells_are_unchanged(value: str) -> None:
    assert neutralise_cell(value) == value


def test_the_stream_starts_with_a_byte_order_mark_and_neutralises_each_cell() -> None:
    lines = list(csv_stream([["Name", "Tag"], ["=cmd", None]]))
    assert lines == ["\ufeff", "Name,Tag\r\n", "'=cmd,\r\n"]
