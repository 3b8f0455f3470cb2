"""Moodle quiz exports: the *responses* report and the *grades* report (English or Russian).

Responses: identity columns, ``State``/``Состояние``, ``Started on``, ``Completed``, the grade,
then ``Response 1``.. (``Ответ 1``..) holding the chosen option's **text** (several joined by
``"; "``, ``"-"`` for none). Grades: the same identity columns and ``Q. 1 /1.00``
(``В. 1 /1,00``) mark columns; the file ends with an ``Overall average`` row. A grades export
says only right or wrong, so a right answer is stored as the key and a wrong one as
``incorrect`` (no option known).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from common.errors import ImportFailed
from scoring.imports._table import norm_header, parse_number, read_table
from scoring.imports.base import (
    ImportContext,
    ParsedFile,
    TextRow,
    file_sha256,
    find_column,
    fingerprint,
    text_file,
)
from scoring.store import AttemptRecord

RESPONSE_HEADER = re.compile(r"^(?:response|ответ)\s*(\d+)$")
GRADE_HEADER = re.compile(r"^\S{1,3}\.\s*(\d+)\s*/\s*[\d.,]+$")
SUMMARY_ROW = ("overall average", "средняя оценка", "общая средняя оценка", "среднее")

ID_COLUMNS = ("id number", "идентификационный номер", "id", "username", "логин")
EMAIL_COLUMNS = ("email address", "адрес электронной почты", "email", "электронная почта")
STATE_COLUMNS = ("state", "состояние")
COMPLETED_COLUMNS = ("completed", "завершено", "тест завершен", "тест завершён")
FINISHED = {"finished", "завершено", "завершены", "завершен", "завершён", "завершенные"}


def numbered_columns(header: list[str], pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """(column index, question number) of every header matching ``pattern``, by number."""
    out = []
    for i, h in enumerate(header):
        m = pattern.match(h)
        if m:
            out.append((i, int(m.group(1))))
    return sorted(out, key=lambda t: t[1])


def _is_summary(row: list[str]) -> bool:
    first = " ".join(c for c in row[:3] if c).casefold()
    return any(first.startswith(s) for s in SUMMARY_ROW)


class _Rows:
    """Identity, state and completion columns shared by both Moodle reports."""

    def __init__(self, header: list[str]):
        self.id = find_column(header, *ID_COLUMNS)
        self.email = find_column(header, *EMAIL_COLUMNS)
        self.state = find_column(header, *STATE_COLUMNS)
        self.completed = find_column(header, *COMPLETED_COLUMNS)

    def cell(self, row: list[str], index: int | None) -> str | None:
        return row[index] if index is not None else None

    def check(self, ctx: ImportContext, row: list[str], where: str) -> tuple[str | None, str]:
        """(teacher ID or None, problem text or "")."""
        state = self.cell(row, self.state)
        if state is not None and state.casefold() not in FINISHED:
            return None, f"{where}: attempt not finished ({state}), skipped"
        keys = (self.cell(row, self.id), self.cell(row, self.email))
        teacher = ctx.match_teacher(*keys)
        if teacher is None:
            return None, ctx.unknown_teacher(where, *keys)
        return teacher, ""

    def attempts(
        self, ctx: ImportContext, rows: list[list[str]], path: Path, problems: list[str]
    ) -> Iterator[tuple[int, list[str], str]]:
        """(row number, row, teacher ID) of every finished attempt of a known teacher after
        the header row; the other rows add a line to ``problems``, summary rows none."""
        for number, row in enumerate(rows[1:], start=2):
            if _is_summary(row):
                continue
            teacher, problem = self.check(ctx, row, f"{path}: row {number}")
            if teacher is None:
                problems.append(problem)
                continue
            yield number, row, teacher


def parse_responses(path: Path, ctx: ImportContext) -> ParsedFile:
    rows = read_table(path)
    header = [norm_header(h) for h in rows[0]]
    columns = numbered_columns(header, RESPONSE_HEADER)
    if not columns:
        raise ImportFailed("no 'Response 1' / 'Ответ 1' columns", where=str(path))
    ids = _Rows(header)
    if ids.id is None and ids.email is None:
        raise ImportFailed(
            "no ID number or e-mail column to match teachers by",
            where=str(path),
            hint="export with the 'ID number' or 'Email address' identity field",
        )
    text_rows: list[TextRow] = []
    problems: list[str] = []
    for number, row, teacher in ids.attempts(ctx, rows, path, problems):
        text_rows.append(
            TextRow(
                number,
                teacher,
                ids.cell(row, ids.completed) or None,
                tuple(row[i] for i, _ in columns),
            )
        )
    return text_file(path, ctx, text_rows, problems, fmt="moodle-responses", separator="; ")


def parse_grades(path: Path, ctx: ImportContext) -> ParsedFile:
    rows = read_table(path)
    header = [norm_header(h) for h in rows[0]]
    columns = numbered_columns(header, GRADE_HEADER)
    if not columns:
        raise ImportFailed("no 'Q. 1 /1.00' / 'В. 1 /1,00' columns", where=str(path))
    ids = _Rows(header)
    form_name = ctx.form or "A"  # marks carry no option text, so the version must be given
    items = ctx.forms.form(form_name).items
    if len(columns) != len(items):
        raise ImportFailed(
            f"{len(columns)} question columns, test {ctx.test_id} has {len(items)} questions",
            where=str(path),
        )
    sha = file_sha256(path.read_bytes())
    records: list[AttemptRecord] = []
    problems: list[str] = []
    for number, row, teacher in ids.attempts(ctx, rows, path, problems):
        answers: list[str] = []
        states: list[str] = []
        for (col, _), item in zip(columns, items, strict=True):
            mark = parse_number(row[col])
            if mark is None:
                answers.append("")
                states.append("blank")
            elif mark >= item.points - 1e-9:
                answers.append(item.key)
                states.append("marked" if len(item.key) == 1 else "multiple")
            else:
                answers.append("")
                states.append("incorrect")
        taken = ids.cell(row, ids.completed) or None
        marks = tuple(row[c] for c, _ in columns)
        records.append(
            AttemptRecord(
                teacher_id=teacher,
                channel="remote",
                format="moodle-grades",
                source_file=str(path),
                source_sha256=sha,
                locator=f"row {number}",
                fingerprint=fingerprint("moodle-grades", teacher, taken, marks),
                form=form_name,
                answers=tuple(answers),
                states=tuple(states),
                taken_at=taken,
            )
        )
    return ParsedFile("moodle-grades", records, problems, form_name)
