"""Read a CSV or XLSX export into rows of text, the way a spreadsheet user sees them.

CSV: UTF-8 with or without BOM (Windows-1251 as a fallback), delimiter sniffed among
``, ; TAB``. A leading ``'`` that Moodle and Excel put before a cell starting with
``= + - @`` (to stop formula injection) is removed. XLSX: the first sheet, via openpyxl;
whole-number floats print without ``.0``.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from common.errors import ImportFailed

_FORMULA_GUARD = re.compile(r"^'(?=[=+\-@])")


def unguard(cell: str) -> str:
    """``"'-"`` -> ``"-"``, ``"'=2+2"`` -> ``"=2+2"``; other cells unchanged."""
    return _FORMULA_GUARD.sub("", cell) if cell[:1] == "'" else cell


def decode_text(data: bytes, where: str) -> str:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFailed("not a text file in UTF-8 or Windows-1251", where=where)


def read_csv_text(text: str) -> list[list[str]]:
    sample = text[:20_000]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    return [[unguard(c) for c in row] for row in rows]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(path: Path) -> list[list[str]]:
    import openpyxl  # only xlsx imports pay for it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a broken file
        raise ImportFailed(f"cannot read the workbook ({error})", where=str(path)) from None
    try:
        sheet = book.worksheets[0]
        rows = [[unguard(_cell_text(v)) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    return rows


def read_table(path: Path) -> list[list[str]]:
    """All rows of the file; row ``i`` of the list is spreadsheet row ``i + 1``."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows = read_xlsx(path)
    else:
        rows = read_csv_text(decode_text(path.read_bytes(), str(path)))
    # Trailing empty rows are noise from spreadsheet tools.
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if not rows:
        raise ImportFailed("the file is empty", where=str(path))
    width = max(len(r) for r in rows)
    return [[c.strip() for c in r] + [""] * (width - len(r)) for r in rows]


def read_header(path: Path) -> list[str]:
    """The first row only (format detection must not read a 100,000-row file twice)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows = read_xlsx(path)
    else:
        with path.open("rb") as handle:
            head = handle.read(65_536)
        text = decode_text(head, str(path)) if head else ""
        # a multi-byte character may be cut at the end of the block: drop the last line
        lines = text.splitlines()
        rows = read_csv_text("\n".join(lines[:-1] if len(lines) > 1 else lines))
    if not rows:
        raise ImportFailed("the file is empty", where=str(path))
    return [c.strip() for c in rows[0]]


def norm_header(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").split()).casefold()


def parse_number(text: str) -> float | None:
    """``"0,50"`` or ``"0.50"`` -> 0.5; ``"-"`` or text -> None."""
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        return float(cleaned)
    except ValueError:
        return None
