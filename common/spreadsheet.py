"""Cells that every CSV and XLSX the tool writes passes through: text a spreadsheet would run
as a formula (``=HYPERLINK(...)``, ``+``, ``-``, ``@``, a leading tab or carriage return) gets
a leading apostrophe, so a name or a QR payload can never execute in Excel or LibreOffice."""

from __future__ import annotations

Cell = str | int | float | None
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Cell) -> Cell:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
