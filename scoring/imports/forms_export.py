"""Google Forms and Microsoft Forms quiz exports (CSV or XLSX, English or Russian headers).

Google Forms: ``Timestamp``, ``Email Address``, ``Score`` (``"21 / 30"``), optional identity
questions, then one column per question headed by the question text, in order; several
choices are joined by ``", "``. Microsoft Forms: ``ID`` (the response number, not the
teacher), ``Start time``, ``Completion time``, ``Email``, ``Name``, ``Total points``..., then
per question its answer column followed by ``Points - <question>`` and ``Feedback -
<question>``; several choices are joined by ``";"``.
"""

from __future__ import annotations

from pathlib import Path

from common.errors import ImportFailed
from scoring.imports._table import norm_header, read_table
from scoring.imports.base import (
    ImportContext,
    ParsedFile,
    TextRow,
    find_column,
    text_file,
)

GOOGLE_TIMESTAMP = ("timestamp", "отметка времени")
GOOGLE_EMAIL = ("email address", "адрес электронной почты", "email", "электронная почта")
GOOGLE_SCORE = ("score", "баллы", "количество баллов")
# Identity questions a form may ask before the test questions.
ID_QUESTIONS = (
    "id",
    "teacher id",
    "табельный номер",
    "идентификатор",
    "ид",
    "ваш id",
    "номер участника",
)
NAME_QUESTIONS = ("name", "full name", "фио", "имя", "ф.и.о.", "ваше фио")

MS_META = (
    "id",
    "ид",
    "start time",
    "время начала",
    "completion time",
    "время завершения",
    "email",
    "электронная почта",
    "адрес электронной почты",
    "name",
    "имя",
    "total points",
    "всего баллов",
    "quiz feedback",
    "отзыв о тесте",
    "grade posted time",
    "время публикации оценки",
    "last modified time",
    "время последнего изменения",
)
MS_SUFFIX_PREFIXES = ("points -", "points –", "feedback -", "feedback –", "баллы", "отзыв")
MS_COMPLETED = ("completion time", "время завершения")
MS_EMAIL = ("email", "электронная почта", "адрес электронной почты")


def _question_columns(header: list[str], skip: set[int]) -> list[int]:
    return [i for i in range(len(header)) if i not in skip]


def _rows(
    path: Path,
    ctx: ImportContext,
    rows: list[list[str]],
    question_cols: list[int],
    id_col: int | None,
    email_col: int | None,
    time_col: int | None,
) -> tuple[list[TextRow], list[str]]:
    out: list[TextRow] = []
    problems: list[str] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        keys = (
            row[id_col] if id_col is not None else None,
            row[email_col] if email_col is not None else None,
        )
        teacher = ctx.match_teacher(*keys)
        if teacher is None:
            problems.append(ctx.unknown_teacher(f"{path}: row {number}", *keys))
            continue
        taken = row[time_col] if time_col is not None else None
        out.append(TextRow(number, teacher, taken or None, tuple(row[i] for i in question_cols)))
    return out, problems


def parse_google(path: Path, ctx: ImportContext) -> ParsedFile:
    rows = read_table(path)
    header = [norm_header(h) for h in rows[0]]
    time_col = find_column(header, *GOOGLE_TIMESTAMP)
    email_col = find_column(header, *GOOGLE_EMAIL)
    id_col = find_column(header, *ID_QUESTIONS)
    if time_col is None or (email_col is None and id_col is None):
        raise ImportFailed(
            "not a Google Forms export (needs Timestamp and Email Address columns)",
            where=str(path),
        )
    skip = {
        c
        for c in (time_col, email_col, id_col, find_column(header, *GOOGLE_SCORE))
        if c is not None
    }
    skip |= {i for i, h in enumerate(header) if h in NAME_QUESTIONS}
    text_rows, problems = _rows(
        path, ctx, rows, _question_columns(header, skip), id_col, email_col, time_col
    )
    return text_file(path, ctx, text_rows, problems, fmt="google-forms", separator=", ")


def parse_ms(path: Path, ctx: ImportContext) -> ParsedFile:
    rows = read_table(path)
    header = [norm_header(h) for h in rows[0]]
    email_col = find_column(header, *MS_EMAIL)
    time_col = find_column(header, *MS_COMPLETED)
    if email_col is None or time_col is None:
        raise ImportFailed(
            "not a Microsoft Forms export (needs Completion time and Email columns)",
            where=str(path),
        )
    skip = {i for i, h in enumerate(header) if h in MS_META}
    skip |= {i for i, h in enumerate(header) if h.startswith(MS_SUFFIX_PREFIXES)}
    text_rows, problems = _rows(
        path, ctx, rows, _question_columns(header, skip), None, email_col, time_col
    )
    return text_file(path, ctx, text_rows, problems, fmt="ms-forms", separator=";")
