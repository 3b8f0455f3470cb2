"""The roster: teachers of the cluster, one CSV row each (UTF-8, with or without BOM).

Columns: ``id,name,department,school,email`` (``email`` may be empty). Used by testgen to print
personalised sheets and by scoring to match results to teachers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from common.errors import InputNotFound, ValidationFailed
from common.text import printable
from common.validation import describe
from common.vocabulary import Department

ROSTER_COLUMNS = ("id", "name", "department", "school", "email")


class Teacher(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=12, pattern=r"^\d+$")
    name: str = Field(min_length=1)
    department: Department
    school: str = Field(min_length=1)
    email: str = ""


class RosterRowError(BaseModel):
    row: int  # 1-based line number in the file, header is line 1
    message: str


def _rows(reader: csv.DictReader[str], where: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) of every data row; a row the csv module cannot read (a cell over its field
    limit, a stray NUL) is one validation error naming the line."""
    line = 1
    try:
        for row in reader:
            line = reader.line_num
            yield line, row
    except csv.Error as error:
        raise ValidationFailed(
            [f"row {reader.line_num}: cannot read the CSV ({error})"], where=where
        ) from None


def parse_roster(text: str, *, where: str = "roster") -> tuple[list[Teacher], list[str]]:
    """Parse roster CSV text. Returns the valid teachers and one message per bad row
    (``roster.csv: row 7: department: ...``); the caller decides whether bad rows are fatal."""
    text = text.removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ROSTER_COLUMNS[:4] if c not in header]
    if missing:
        raise ValidationFailed([f"missing column(s): {', '.join(missing)}"], where=where)
    reader.fieldnames = header
    teachers: list[Teacher] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, row in _rows(reader, where):
        data = {k: printable(row.get(k) or "") for k in ROSTER_COLUMNS}
        try:
            teacher = Teacher.model_validate(data)
        except ValidationError as error:
            problems.extend(f"{where}: row {line}: {msg}" for msg in describe(error))
            continue
        if teacher.id in seen:
            problems.append(f"{where}: row {line}: id {teacher.id} repeats row {seen[teacher.id]}")
            continue
        seen[teacher.id] = line
        teachers.append(teacher)
    return teachers, problems


def load_roster(path: Path, *, strict: bool = True) -> tuple[list[Teacher], list[str]]:
    """Read a roster file; with ``strict`` any bad row raises :class:`ValidationFailed`."""
    if not path.is_file():
        raise InputNotFound("roster not found", where=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed(
            ["not UTF-8 text (save the CSV as UTF-8)"], where=str(path)
        ) from None
    teachers, problems = parse_roster(text, where=str(path))
    if strict and problems:
        raise ValidationFailed(problems)
    return teachers, problems
