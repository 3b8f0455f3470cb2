"""Read a CSV, XLSX, ODS or Moodle JSON export into rows of text, as a spreadsheet user sees
them.

CSV: UTF-8 with or without BOM, UTF-16 with BOM (Excel's "Unicode text"), Windows-1251 as a
fallback; delimiter sniffed among ``, ; TAB``. A leading ``'`` that Moodle and Excel put
before a cell starting with ``= + - @`` (to stop formula injection) is removed. XLSX: the
first sheet, via openpyxl (shared or inline strings); whole-number floats print without
``.0``. ODS: the first table of ``content.xml``. JSON: Moodle's ``[[{header: value}, ...]]``
download, refused when its keys lost the non-Latin letters of the headers (Moodle drops them,
so Russian headers collide).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from common.errors import ImportFailed
from common.i18n import tr

_FORMULA_GUARD = re.compile(r"^'(?=[=+\-@])")
HEADER_BYTES = 65_536
# What one table may unpack to: far above any real export (100,000 rows of 60 questions is
# about 60 MB of XML), far below what a zip bomb would need to hurt.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_REPEAT = 1_000  # an ODS cell or row "repeated" more than this is padding, not data
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".ods")


def unguard(cell: str) -> str:
    """``"'-"`` -> ``"-"``, ``"'=2+2"`` -> ``"=2+2"``; other cells unchanged."""
    return _FORMULA_GUARD.sub("", cell) if cell[:1] == "'" else cell


def _encoding_of(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8-sig"


def decode_text(data: bytes, where: str, *, final: bool = True) -> str:
    """Text of a file's bytes. With ``final=False`` the bytes are the start of a longer file:
    a character cut at the end of the block is left out instead of failing the decode."""
    encoding = _encoding_of(data[:4])
    try:
        return codecs.getincrementaldecoder(encoding)().decode(data, final=final)
    except UnicodeDecodeError:
        pass
    if encoding == "utf-8-sig":
        try:
            return data.decode("cp1251")
        except UnicodeDecodeError:
            pass
    raise ImportFailed(
        tr("not a text file in UTF-8, UTF-16 or Windows-1251"),
        where=where,
        hint=tr("save it from the spreadsheet as CSV UTF-8"),
    )


def read_csv_text(text: str, where: str) -> list[list[str]]:
    sample = text[:20_000]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append([unguard(c) for c in row])
    except csv.Error as error:
        raise ImportFailed(
            tr(
                "row {line_num}: cannot read the CSV ({error})",
                line_num=reader.line_num,
                error=error,
            ),
            where=where,
        ) from None
    return rows


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_unpacked_size(path: Path, archive: zipfile.ZipFile) -> None:
    total = sum(info.file_size for info in archive.infolist())
    if total > MAX_UNPACKED_BYTES:
        raise ImportFailed(
            tr(
                "the workbook unpacks to {value} MB, more than the {value2} MB an export can hold",
                value=total // 2**20,
                value2=MAX_UNPACKED_BYTES // 2**20,
            ),
            where=str(path),
        )


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise ImportFailed(
            tr("cannot read the workbook ({error})", error=error), where=str(path)
        ) from None
    _check_unpacked_size(path, archive)
    return archive


def read_xlsx(path: Path) -> list[list[str]]:
    import openpyxl  # only xlsx imports pay for it

    _open_zip(path).close()
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a broken file
        raise ImportFailed(
            tr("cannot read the workbook ({error})", error=error), where=str(path)
        ) from None
    try:
        sheet = book.worksheets[0]
        rows = [[unguard(_cell_text(v)) for v in row] for row in sheet.iter_rows(values_only=True)]
    except Exception as error:
        raise ImportFailed(
            tr("cannot read the workbook ({error})", error=error), where=str(path)
        ) from None
    finally:
        book.close()
    return rows


_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_ODS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def _ods_paragraph(element: ElementTree.Element) -> str:
    """The text of one ``text:p``, with ``text:s`` (spaces), tabs and line breaks."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == f"{_ODS_TEXT}s":
            parts.append(" " * int(child.get(f"{_ODS_TEXT}c", "1")))
        elif child.tag == f"{_ODS_TEXT}tab":
            parts.append("\t")
        elif child.tag == f"{_ODS_TEXT}line-break":
            parts.append("\n")
        else:
            parts.append(_ods_paragraph(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _ods_cell(cell: ElementTree.Element) -> str:
    paragraphs = [_ods_paragraph(p) for p in cell.iter(f"{_ODS_TEXT}p")]
    if paragraphs:
        return "\n".join(paragraphs)
    return cell.get(f"{_ODS_OFFICE}value", "")


def read_ods(path: Path) -> list[list[str]]:
    """The first table of an OpenDocument spreadsheet."""
    with _open_zip(path) as archive:
        try:
            content = archive.open("content.xml")
        except KeyError:
            raise ImportFailed(tr("not an OpenDocument spreadsheet"), where=str(path)) from None
        rows: list[list[str]] = []
        try:
            for _, element in ElementTree.iterparse(content, events=("end",)):
                if element.tag == f"{_ODS_TABLE}table":
                    break  # the first table only
                if element.tag != f"{_ODS_TABLE}table-row":
                    continue
                row: list[str] = []
                for cell in element:
                    if cell.tag not in (
                        f"{_ODS_TABLE}table-cell",
                        f"{_ODS_TABLE}covered-table-cell",
                    ):
                        continue
                    text = unguard(_ods_cell(cell))
                    repeat = int(cell.get(f"{_ODS_TABLE}number-columns-repeated", "1"))
                    row.extend([text] * (min(repeat, MAX_REPEAT) if text else min(repeat, 1)))
                while row and not row[-1]:
                    row.pop()
                repeat = int(element.get(f"{_ODS_TABLE}number-rows-repeated", "1"))
                rows.extend([row] * (min(repeat, MAX_REPEAT) if row else 1))
                element.clear()
        except (ElementTree.ParseError, ValueError) as error:
            raise ImportFailed(
                tr("cannot read the spreadsheet ({error})", error=error), where=str(path)
            ) from None
    return rows


_LATIN_LETTER = re.compile(r"[a-z]", re.IGNORECASE)


def read_moodle_json(path: Path) -> list[list[str]]:
    """Moodle's JSON download: a list of sheets, each a list of ``{column: value}``."""
    where = str(path)
    try:
        data = json.loads(decode_text(path.read_bytes(), where))
    except json.JSONDecodeError as error:
        raise ImportFailed(tr("not a JSON file ({error})", error=error), where=where) from None
    if not (isinstance(data, list) and data and isinstance(data[0], list)):
        raise ImportFailed(
            tr("not a Moodle JSON download (expected a list of sheets)"),
            where=where,
            hint=tr("download the report as CSV or Excel"),
        )
    records = data[0]
    if not records or not all(isinstance(r, dict) for r in records):
        raise ImportFailed(tr("the file is empty"), where=where)
    header: list[str] = []
    for record in records:
        header.extend(k for k in record if k not in header)
    # Moodle keeps only Latin letters, digits and a few signs of each header in its JSON keys;
    # a Russian site's "Ответ 1" and "Вопрос 1" both become " 1", so the columns are lost.
    if any(not _LATIN_LETTER.search(k) for k in header):
        raise ImportFailed(
            tr(
                "the JSON download lost the column names (Moodle drops non-Latin letters from them)"
            ),
            where=where,
            hint=tr("download the report as CSV or Excel"),
        )
    return [header] + [[_cell_text(r.get(k)) for k in header] for r in records]


def read_rows(path: Path) -> list[list[str]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path)
    if suffix == ".ods":
        return read_ods(path)
    if suffix == ".xls":
        raise ImportFailed(
            tr("old Excel .xls workbooks cannot be read"),
            where=str(path),
            hint=tr("save it as .xlsx or CSV UTF-8"),
        )
    if suffix == ".json":
        return read_moodle_json(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportFailed(
            tr("cannot read the file ({strerror})", strerror=error.strerror), where=str(path)
        ) from None
    return read_csv_text(decode_text(data, str(path)), str(path))


def read_table(path: Path) -> list[list[str]]:
    """All rows of the file; row ``i`` of the list is spreadsheet row ``i + 1``."""
    rows = read_rows(path)
    # Trailing empty rows are noise from spreadsheet tools.
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if not rows:
        raise ImportFailed(tr("the file is empty"), where=str(path))
    width = max(len(r) for r in rows)
    return [[c.strip() for c in r] + [""] * (width - len(r)) for r in rows]


def read_header(path: Path) -> list[str]:
    """The first row only (format detection must not read a 100,000-row file twice)."""
    if path.suffix.lower() in (*SPREADSHEET_SUFFIXES, ".json", ".xls"):
        rows = read_rows(path)
    else:
        with path.open("rb") as handle:
            head = handle.read(HEADER_BYTES)
            complete = len(head) < HEADER_BYTES or not handle.read(1)
        text = decode_text(head, str(path), final=complete) if head else ""
        lines = text.splitlines()
        if not complete and len(lines) > 1:
            lines = lines[:-1]  # the last line may be cut short
        rows = read_csv_text("\n".join(lines), str(path))
    if not rows:
        raise ImportFailed(tr("the file is empty"), where=str(path))
    return [c.strip() for c in rows[0]]


def header_width(rows: list[list[str]]) -> int:
    """Columns up to the header's last titled one."""
    header = rows[0]
    return max((i + 1 for i, h in enumerate(header) if h), default=0)


def norm_header(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").split()).casefold()


def check_unique(header: list[str], where: str, columns: list[int]) -> None:
    """Refuse a file in which two of ``columns`` carry the same header."""
    seen: set[str] = set()
    for i in columns:
        if header[i] in seen:
            raise ImportFailed(
                tr("two columns are headed {header!r}", header=header[i]),
                where=where,
                hint=tr("download the export again; a column must not be repeated"),
            )
        seen.add(header[i])


def parse_number(text: str) -> float | None:
    """``"0,50"`` or ``"0.50"`` -> 0.5; ``"-"`` or text -> None."""
    cleaned = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
    try:
        return float(cleaned)
    except ValueError:
        return None
