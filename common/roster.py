"""The roster: teachers of the cluster, one CSV row each (UTF-8, with or without BOM).

Columns: ``id,name,department,school,email`` (``email`` may be empty). Used by testgen to print
personalised sheets and by scoring to match results to teachers.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from common.errors import InputNotFound, ValidationFailed
from common.i18n import tr
from common.text import printable
from common.validation import describe
from common.vocabulary import DEPARTMENT_TITLES, Department

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


# Column titles a team may use, in English or Russian -> the roster's own column.
COLUMN_ALIASES: dict[str, str] = {
    "id": "id",
    "ид": "id",
    "табельный номер": "id",
    "идентификатор": "id",
    "name": "name",
    "фио": "name",
    "ф.и.о.": "name",
    "department": "department",
    "кафедра": "department",
    "предмет": "department",
    "school": "school",
    "школа": "school",
    "оо": "school",
    "образовательная организация": "school",
    "email": "email",
    "e-mail": "email",
    "почта": "email",
    "электронная почта": "email",
    "адрес электронной почты": "email",
}
# Department as a Russian team writes it -> its code.
DEPARTMENT_NAMES: dict[str, str] = {
    **{title.casefold(): code for code, title in DEPARTMENT_TITLES.items()},
    "русский": "russian",
    "английский": "english",
    "история": "history-social",
    "обществознание": "history-social",
    "история и обществоведение": "history-social",
}


def department_code(text: str) -> str:
    """``"Математика"`` -> ``"mathematics"``; a code or anything else is returned as it is."""
    key = " ".join(text.split()).casefold().replace("ё", "е")
    return DEPARTMENT_NAMES.get(key, text)


def parse_rows(rows: list[list[str]], *, where: str = "roster") -> tuple[list[Teacher], list[str]]:
    """Teachers of a table whose first row is the header (English or Russian titles), and one
    message per bad row naming its row and column."""
    if not rows:
        raise ValidationFailed([tr("the roster is empty")], where=where)
    header = [COLUMN_ALIASES.get(" ".join(h.split()).casefold(), h.strip().casefold())
              for h in rows[0]]  # fmt: skip
    missing = [c for c in ROSTER_COLUMNS[:4] if c not in header]
    if missing:
        found = ", ".join(h for h in rows[0] if h.strip()) or "nothing"
        raise ValidationFailed(
            [
                tr(
                    "missing column(s): {join} (the header row has: {found})",
                    join=", ".join(missing),
                    found=found,
                )
            ],
            where=where,
            hint=tr("columns id, name, department, school, email (or ФИО, кафедра, школа ...)"),
        )
    teachers: list[Teacher] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        row = dict(zip(header, cells, strict=False))
        data = {k: printable(row.get(k) or "") for k in ROSTER_COLUMNS}
        data["department"] = department_code(data["department"])
        try:
            teacher = Teacher.model_validate(data)
        except ValidationError as error:
            problems.extend(f"{where}: row {line}: {msg}" for msg in describe(error))
            continue
        if teacher.id in seen:
            problems.append(
                tr(
                    "{where}: row {line}: id {id} repeats row {seen}",
                    where=where,
                    line=line,
                    id=teacher.id,
                    seen=seen[teacher.id],
                )
            )
            continue
        seen[teacher.id] = line
        teachers.append(teacher)
    return teachers, problems


def _csv_rows(text: str, where: str) -> list[list[str]]:
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    # Russian Excel writes ";" (the comma is the decimal sign there); some tools write tabs
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        rows.extend(reader)
    except csv.Error as error:
        raise ValidationFailed(
            [
                tr(
                    "row {line_num}: cannot read the CSV ({error})",
                    line_num=reader.line_num,
                    error=error,
                )
            ],
            where=where,
        ) from None
    return rows


def parse_roster(text: str, *, where: str = "roster") -> tuple[list[Teacher], list[str]]:
    """Parse roster CSV text (``,``, ``;`` or tab separated). Returns the valid teachers and one
    message per bad row (``roster.csv: row 7: department: ...``); the caller decides whether
    bad rows are fatal."""
    return parse_rows(_csv_rows(text, where), where=where)


def _xlsx_rows(path: Path) -> list[list[str]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            return [
                [
                    ""
                    if v is None
                    else str(int(v))
                    if isinstance(v, float) and v.is_integer()
                    else str(v)
                    for v in row
                ]
                for row in book.worksheets[0].iter_rows(values_only=True)
            ]
        finally:
            book.close()
    except Exception as error:  # openpyxl raises many types for a broken file
        raise ValidationFailed(
            [tr("cannot read the workbook ({error})", error=error)], where=str(path)
        ) from None


def load_roster(path: Path, *, strict: bool = True) -> tuple[list[Teacher], list[str]]:
    """Read a roster file (CSV in UTF-8 or Windows-1251, or XLSX); with ``strict`` any bad
    row raises :class:`ValidationFailed`."""
    if not path.is_file():
        raise InputNotFound(tr("roster not found"), where=str(path))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        teachers, problems = parse_rows(_xlsx_rows(path), where=str(path))
    else:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1251")
            except UnicodeDecodeError:
                raise ValidationFailed(
                    [tr("not a text file in UTF-8 or Windows-1251 (save the CSV as UTF-8)")],
                    where=str(path),
                ) from None
        teachers, problems = parse_roster(text, where=str(path))
    if strict and problems:
        raise ValidationFailed(problems)
    return teachers, problems
