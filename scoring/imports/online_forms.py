"""Google Forms and Microsoft Forms quiz exports (CSV or XLSX, English or Russian headers).

Google Forms: ``Timestamp``, ``Email Address`` (when collected), ``Score`` (``"28 / 30"``),
then one column per question headed by the question's title, in the form's order; several
choices are joined by ``", "`` (an option text may itself hold a comma). Microsoft Forms:
``ID`` (the response number, not the teacher), ``Start time``, ``Completion time``, ``Email``
(``anonymous`` when not collected), ``Name``, ``Total points``, ``Quiz feedback``..., then per
question its answer column followed by ``Points - <title>`` and ``Feedback - <title>``;
several choices are joined by ``";"``.

Question columns are found by **header ≈ task stem** (numbering, case, quotes, dashes and
spaces folded), so identity questions a form adds (ID / ФИО / e-mail / school, en and ru) and
any other extra column can stand anywhere; extras are listed as notes and ignored. Only when
no header looks like any stem are the columns taken in order, and that is noted too.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import ImportFailed
from common.i18n import tr
from scoring.forms import normalise_text
from scoring.imports._table import header_width, norm_header, read_table
from scoring.imports.base import (
    Identity,
    ImportContext,
    ParsedFile,
    TextRow,
    misaligned,
    teacher_of_row,
    text_file,
)

GOOGLE_TIMESTAMP = ("timestamp", "отметка времени")
GOOGLE_EMAIL = ("email address", "адрес электронной почты")
GOOGLE_SCORE = ("score", "баллы", "количество баллов", "оценка")

MS_META = (
    "id",
    "ид",
    "идентификатор",
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
    "время публикации оценок",
    "last modified time",
    "время последнего изменения",
)
MS_PER_QUESTION = re.compile(r"^(?:points|баллы|feedback|отзыв)\s*[-–—:]\s*")
MS_COMPLETED = ("completion time", "время завершения")
MS_EMAIL = ("email", "электронная почта", "адрес электронной почты")
MS_NAME = ("name", "имя")

# Identity questions a form may ask, told by their header.
_EMAIL_Q = re.compile(r"e-?mail|почт")
_ID_Q = re.compile(
    r"табельн|идентификат|индивидуальн\w* номер|личн\w* номер|номер участника|код участника"
    r"|(?:^|\W)(?:id|ид)(?:$|\W)"
)
_NAME_Q = re.compile(r"фио|ф\.\s*и\.\s*о|фамили|full name|(?:^|\W)name(?:$|\W)|(?:^|\W)имя(?:$|\W)")
_SCHOOL_Q = re.compile(
    r"школ|school|образовательн|организаци|учреждени|лице|гимнази|(?:^|\W)оо(?:$|\W)"
)

_NUMBERING = re.compile(r"^(?:(?:вопрос|задание|question|task|q)\s*)?№?\s*\d{1,3}\s*[.):]\s+")
_POINTS_SUFFIX = re.compile(r"\s*[(\[]\s*\d+([.,]\d+)?\s*(балл\w*|points?|pts?)\s*[)\]]\s*$")
FUZZY_RATIO = 0.9


def stem_key(text: str) -> str:
    """A question title or task stem as compared: numbering, points and ``*`` dropped."""
    key = normalise_text(text).rstrip("*").strip()
    key = _NUMBERING.sub("", key)
    return _POINTS_SUFFIX.sub("", key).strip().rstrip(".:?").strip()


def _similar(a: str, b: str) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) >= 15 and (a.startswith(b) or b.startswith(a)):
        return True  # a title cut short, or a stem with a trailing instruction
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= FUZZY_RATIO


@dataclass
class ColumnMap:
    """Which column holds which printed question of ``form`` (``None``: by option texts)."""

    form: str | None
    questions: list[int]
    leftover: list[int]
    notes: list[str] = field(default_factory=list)


def _candidates(ctx: ImportContext, header: str) -> set[tuple[str, int]]:
    key = stem_key(header)
    if not key:
        return set()
    tasks = [
        ((version, k + 1), stem_key(task.stem))
        for version in ("A", "B")
        for k, task in enumerate(ctx.forms.manifest.sources[version].tasks)
    ]
    exact = {ref for ref, stem in tasks if stem == key}
    return exact or {ref for ref, stem in tasks if stem and _similar(key, stem)}


def map_columns(
    ctx: ImportContext, raw_header: list[str], columns: list[int], where: str
) -> ColumnMap:
    """Assign ``columns`` (the candidate question columns) to the printed questions of the
    form they fit best (``--form`` if given); refuse a partial or doubled fit."""
    cands = {c: _candidates(ctx, raw_header[c]) for c in columns}
    forms = [ctx.forms.form(ctx.form)] if ctx.form else list(ctx.forms.forms)
    best: tuple[int, str, dict[int, int], list[int]] | None = None
    for form in forms:
        position_of = {(it.version, it.source_position): it.position for it in form.items}
        assigned: dict[int, int] = {}  # printed position -> column
        doubled: list[int] = []
        for c in columns:
            hits = sorted(position_of[ref] for ref in cands[c] if ref in position_of)
            free = [p for p in hits if p not in assigned]
            if free:
                assigned[free[0]] = c  # equal stems in one form: taken in column order
            elif hits:
                doubled.append(hits[0])
        if best is None or len(assigned) > best[0]:
            best = (len(assigned), form.name, assigned, doubled)
    assert best is not None
    n = ctx.forms.n_positions
    covered, form_name, assigned, doubled = best
    if covered == 0:
        if len(columns) != n:
            raise ImportFailed(
                tr(
                    "no column header matches a task of test {test_id}, and there are "
                    "{n_columns} answer columns for {n} questions",
                    test_id=ctx.test_id,
                    n_columns=len(columns),
                    n=n,
                ),
                where=where,
                hint=tr("head the question columns with the task stems, as in the booklet"),
            )
        return ColumnMap(
            ctx.form,
            list(columns),
            [],
            [
                tr(
                    "{where}: no header matches a task stem; the {n} answer columns are taken "
                    "in order",
                    where=where,
                    n=n,
                )
            ],
        )
    if doubled:
        raise ImportFailed(
            tr(
                "two columns fit question {doubled} of form {form_name}",
                doubled=doubled[0],
                form_name=form_name,
            ),
            where=where,
            hint=tr("remove the repeated column"),
        )
    if covered < n:
        missing = [p for p in range(1, n + 1) if p not in assigned]
        stems = "; ".join(
            repr(ctx.forms.form(form_name).items[p - 1].task.stem[:40]) for p in missing[:3]
        )
        raise ImportFailed(
            tr(
                "no column for question(s) {join} of form {form_name} ({stems})",
                join=", ".join(map(str, missing)),
                form_name=form_name,
                stems=stems,
            ),
            where=where,
            hint=tr("head every question column with its task stem, or name the form with --form"),
        )
    questions = [assigned[p] for p in range(1, n + 1)]
    used = set(questions)
    return ColumnMap(form_name, questions, [c for c in columns if c not in used])


@dataclass
class _IdentityColumns:
    ids: list[int] = field(default_factory=list)
    emails: list[int] = field(default_factory=list)
    names: list[int] = field(default_factory=list)

    def who(self, row: list[str]) -> Identity:
        emails = tuple(row[c] for c in self.emails if row[c] and row[c].casefold() != "anonymous")
        return Identity(
            next((row[c] for c in self.ids if row[c]), None),
            emails,
            next((row[c] for c in self.names if row[c]), None),
        )


def _identity_questions(
    header: list[str], raw: list[str], leftover: list[int], ids: _IdentityColumns, where: str
) -> list[str]:
    """Sort the columns left after the questions into identity questions; note the rest."""
    notes = []
    for c in leftover:
        h = header[c]
        if _EMAIL_Q.search(h):
            ids.emails.append(c)
        elif _ID_Q.search(h):
            ids.ids.append(c)
        elif _NAME_Q.search(h):
            ids.names.append(c)
        elif not _SCHOOL_Q.search(h) and h:
            notes.append(
                tr(
                    "{where}: column {raw!r} is not a task of the test; ignored",
                    where=where,
                    raw=raw[c],
                )
            )
    return notes


def _read(
    path: Path,
    ctx: ImportContext,
    rows: list[list[str]],
    fmt: str,
    meta: set[int],
    ids: _IdentityColumns,
    time_col: int | None,
) -> tuple[list[TextRow], ParsedFile, ColumnMap]:
    header = [norm_header(h) for h in rows[0]]
    where = str(path)
    candidates = [i for i in range(len(header)) if i not in meta and header[i]]
    # Identity questions first when their header says so and no stem resembles it.
    mapping = map_columns(
        ctx,
        rows[0],
        [
            c
            for c in candidates
            if not (_looks_like_identity(header[c]) and not _candidates(ctx, rows[0][c]))
        ],
        where,
    )
    leftover = [c for c in candidates if c not in set(mapping.questions)]
    parsed = ParsedFile(fmt, [], [], notes=list(mapping.notes))
    parsed.notes += _identity_questions(header, rows[0], leftover, ids, where)
    text_rows: list[TextRow] = []
    width = header_width(rows)
    for number, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        line = f"{where}: row {number}"
        if misaligned(parsed, line, row, width):
            continue
        teacher = teacher_of_row(ctx, parsed, line, ids.who(row))
        if teacher is None:
            continue
        taken = row[time_col] if time_col is not None else None
        text_rows.append(
            TextRow(number, teacher, taken or None, tuple(row[c] for c in mapping.questions))
        )
    return text_rows, parsed, mapping


def _looks_like_identity(header: str) -> bool:
    return bool(
        _EMAIL_Q.search(header)
        or _ID_Q.search(header)
        or _NAME_Q.search(header)
        or _SCHOOL_Q.search(header)
    )


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    return next((i for i, h in enumerate(header) if h in names), None)


def parse_google(path: Path, ctx: ImportContext) -> ParsedFile:
    rows = read_table(path)
    header = [norm_header(h) for h in rows[0]]
    time_col = _find(header, GOOGLE_TIMESTAMP)
    if time_col is None:
        raise ImportFailed(tr("not a Google Forms export (no Timestamp column)"), where=str(path))
    email_col = _find(header, GOOGLE_EMAIL)
    score_col = _find(header, GOOGLE_SCORE)
    meta = {c for c in (time_col, email_col, score_col) if c is not None}
    ids = _IdentityColumns(emails=[email_col] if email_col is not None else [])
    text_rows, parsed, mapping = _read(path, ctx, rows, "google-forms", meta, ids, time_col)
    if not (ids.ids or ids.emails or ids.names):
        raise ImportFailed(
            tr("no e-mail, ID or name column to match teachers by"),
            where=str(path),
            hint=tr("collect e-mail addresses in the form, or ask for the ID or ФИО"),
        )
    return text_file(path, ctx, text_rows, parsed, separator=", ", form=mapping.form)


def parse_ms(path: Path, ctx: ImportContext) -> ParsedFile:
    rows = read_table(path)
    header = [norm_header(h) for h in rows[0]]
    time_col = _find(header, MS_COMPLETED)
    email_col = _find(header, MS_EMAIL)
    if time_col is None:
        raise ImportFailed(
            tr("not a Microsoft Forms export (no Completion time column)"), where=str(path)
        )
    meta = {i for i, h in enumerate(header) if h in MS_META or MS_PER_QUESTION.match(h)}
    name_col = _find(header, MS_NAME)
    ids = _IdentityColumns(
        emails=[email_col] if email_col is not None else [],
        names=[name_col] if name_col is not None else [],
    )
    text_rows, parsed, mapping = _read(path, ctx, rows, "ms-forms", meta, ids, time_col)
    return text_file(path, ctx, text_rows, parsed, separator=";", form=mapping.form)
