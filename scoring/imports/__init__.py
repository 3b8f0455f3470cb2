"""One module per export format; :func:`parse_file` picks the parser, :func:`detect_format`
guesses the format from the file's name and header row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from common.errors import ImportFailed
from common.i18n import tr
from scoring.imports._table import norm_header, read_header
from scoring.imports.base import FORMATS, ImportContext, ParsedFile
from scoring.imports.moodle import (
    GRADE_HEADER,
    RESPONSE_HEADER,
    parse_grades,
    parse_responses,
)
from scoring.imports.omr import parse_omr
from scoring.imports.online_forms import GOOGLE_TIMESTAMP, MS_COMPLETED, parse_google, parse_ms
from scoring.imports.plain import ID_COLUMNS, QUESTION_HEADER, parse_plain

PARSERS: dict[str, Callable[[Path, ImportContext], ParsedFile]] = {
    "omr": parse_omr,
    "moodle-responses": parse_responses,
    "moodle-grades": parse_grades,
    "google-forms": parse_google,
    "ms-forms": parse_ms,
    "csv": parse_plain,
}


def _json_kind(path: Path) -> str:
    """``omr`` for omr's JSON-lines results, ``table`` for a JSON table (Moodle's download)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as error:
        raise ImportFailed(
            tr("cannot read the file ({strerror})", strerror=error.strerror), where=str(path)
        ) from None
    if head.startswith(b"["):
        return "table"
    return "omr"


def detect_format(path: Path) -> str:
    """The format of ``path`` from its extension and header row; :class:`ImportFailed` when
    it looks like none of them."""
    suffix = path.suffix.lower()
    if suffix == ".jsonl" or (suffix == ".json" and _json_kind(path) == "omr"):
        return "omr"
    header = [norm_header(h) for h in read_header(path)]
    if any(RESPONSE_HEADER.match(h) for h in header):
        return "moodle-responses"
    if any(GRADE_HEADER.match(h) for h in header):
        return "moodle-grades"
    if set(GOOGLE_TIMESTAMP) & set(header):
        return "google-forms"
    if set(MS_COMPLETED) & set(header):
        return "ms-forms"
    if set(ID_COLUMNS) & set(header) and any(QUESTION_HEADER.match(h) for h in header):
        return "csv"
    if suffix == ".json":
        raise ImportFailed(
            tr("a JSON file that is neither omr results nor a Moodle report"),
            where=str(path),
            hint=tr("download the report as CSV or Excel"),
        )
    raise ImportFailed(
        tr("cannot tell the export format from the header row"),
        where=str(path),
        hint=tr("name it with --format ({join})", join=", ".join(FORMATS)),
    )


def parse_file(path: Path, fmt: str, ctx: ImportContext) -> ParsedFile:
    """Parse ``path`` as ``fmt`` (``"auto"`` to detect)."""
    if fmt == "auto":
        fmt = detect_format(path)
    return PARSERS[fmt](path, ctx)


__all__ = ["FORMATS", "PARSERS", "ImportContext", "ParsedFile", "detect_format", "parse_file"]
