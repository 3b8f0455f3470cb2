"""Plain CSV or XLSX: an ID column (roster ID or e-mail), an optional Variant column, and
one letter column per question headed by its number (``1``, ``Q1``, ``Задание 1``).

Letters are printed letters of the row's form: the Variant column (``3``, ``V3``, ``A``,
``B``), else the form named with ``--form``, else version A. Cyrillic look-alike letters
(А, В, С, Е) are read as Latin; several letters may be written ``AC`` or ``A,C``.
"""

from __future__ import annotations

import re
from pathlib import Path

from common.errors import ImportFailed
from common.i18n import tr
from common.vocabulary import LETTERS, latin_letters
from scoring.imports._table import norm_header, read_table
from scoring.imports.base import (
    Identity,
    ImportContext,
    ParsedFile,
    file_sha256,
    find_column,
    fingerprint,
    numbered_columns,
    refuse_if_most_failed,
    teacher_of_row,
)
from scoring.store import AttemptRecord

ID_COLUMNS = (
    "id",
    "teacher",
    "teacher id",
    "teacher_id",
    "табельный номер",
    "ид",
    "идентификатор",
    "email",
    "e-mail",
    "почта",
)
VARIANT_COLUMNS = ("variant", "вариант", "form", "version", "версия")
QUESTION_HEADER = re.compile(r"^(?:q|question|task|задание|вопрос|в|з)?\s*\.?\s*(\d+)$")


def parse_letters(cell: str, n_options: int) -> tuple[str, str] | None:
    """(letters, state) or None when the cell is not letters of this question."""
    text = latin_letters(cell).replace(",", "").replace(" ", "")
    if text in ("", "-"):
        return "", "blank"
    if text == "?":
        return "?", "ambiguous"
    if any(c not in LETTERS[:n_options] for c in text) or len(set(text)) != len(text):
        return None
    letters = "".join(sorted(text))
    return letters, "marked" if len(letters) == 1 else "multiple"


def _form_of(cell: str, ctx: ImportContext) -> str | None:
    text = latin_letters(cell.strip())
    if text in ("A", "B"):
        return text
    text = text.removeprefix("V").removeprefix("В")
    if text.isdigit() and f"V{int(text)}" in ctx.forms.index:
        return f"V{int(text)}"
    return None


def parse_plain(path: Path, ctx: ImportContext) -> ParsedFile:
    rows = read_table(path)
    header = [norm_header(h) for h in rows[0]]
    id_col = find_column(header, *ID_COLUMNS)
    if id_col is None:
        raise ImportFailed(
            tr("no ID column"), where=str(path), hint=tr("name the teacher column 'ID' or 'Email'")
        )
    variant_col = find_column(header, *VARIANT_COLUMNS)
    columns = numbered_columns(header, QUESTION_HEADER)
    n = ctx.forms.n_positions
    if [q for _, q in columns] != list(range(1, n + 1)):
        raise ImportFailed(
            tr(
                "question columns must be numbered 1..{n} for test {test_id}, found {n_columns}",
                n=n,
                test_id=ctx.test_id,
                n_columns=len(columns),
            ),
            where=str(path),
        )
    sha = file_sha256(path.read_bytes())
    # Cells repeat ("A", "B", ...): parse each distinct (cell, option count) once.
    seen: dict[tuple[str, int], tuple[str, str] | None] = {}
    parsed_file = ParsedFile("csv", [], [], ctx.form)
    problems = parsed_file.problems
    for number, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        where = f"{path}: row {number}"
        who = Identity(row[id_col], (row[id_col],) if "@" in row[id_col] else ())
        teacher = teacher_of_row(ctx, parsed_file, where, who)
        if teacher is None:
            continue
        form = ctx.form or "A"
        if variant_col is not None and row[variant_col]:
            variant = _form_of(row[variant_col], ctx)
            if variant is None:
                problems.append(
                    tr(
                        "{where}: unknown variant {row!r}, skipped",
                        where=where,
                        row=row[variant_col],
                    )
                )
                parsed_file.failed_rows += 1
                continue
            form = variant
        items = ctx.forms.form(form).items
        answers: list[str] = []
        states: list[str] = []
        bad = ""
        for (col, q), item in zip(columns, items, strict=True):
            cell_key = (row[col], len(item.task.options))
            if cell_key not in seen:
                seen[cell_key] = parse_letters(*cell_key)
            parsed = seen[cell_key]
            if parsed is None:
                bad = f"{where}: question {q}: {row[col]!r} is not an option letter, row skipped"
                break
            answers.append(parsed[0])
            states.append(parsed[1])
        if bad:
            problems.append(bad)
            parsed_file.failed_rows += 1
            continue
        parsed_file.records.append(
            AttemptRecord(
                teacher_id=teacher,
                channel="remote",
                format="csv",
                source_file=str(path),
                source_sha256=sha,
                locator=f"row {number}",
                fingerprint=fingerprint("csv", teacher, form, answers),
                form=form,
                answers=tuple(answers),
                states=tuple(states),
            )
        )
    refuse_if_most_failed(parsed_file, str(path))
    return parsed_file
