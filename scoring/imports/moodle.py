"""Moodle quiz exports: the *responses* report and the *grades* (overview) report, as Moodle
3.x-5.x writes them in English or Russian (CSV, Excel, ODS or JSON download).

Responses: identity columns (``Last name``/``Surname``/``Фамилия``, ``First name``/``Имя``,
``Email address``, ``ID number``/``Индивидуальный номер`` when the site shows them), the
attempt's ``Status`` (4.2+; ``State`` before; ``Состояние``), ``Started``, ``Completed``
(``-`` while unfinished), ``Duration``, ``Grade/10.00``, then ``Response 1``.. (``Ответ 1``..)
holding the chosen option's **text** (several joined by ``"; "``, ``"-"`` for none), with
optional ``Question N`` and ``Right answer N`` columns. Grades: the same identity and attempt
columns and one ``Q. 1 /0.29`` (``В. 1 /1,00``) column per question, whose mark Moodle
**rescales** to the quiz's maximum grade; the maximum is read from each header. Average rows
(``Overall average``, ``Общее среднее``, group averages) are skipped. A grades export says only
right or wrong, so a right answer is stored as the key and a wrong one as ``incorrect``.

Only finished attempts are imported; every other state is listed. A file without a state
column is refused: without it an attempt in progress would be scored as final.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from common.errors import ImportFailed
from common.i18n import tr
from scoring.imports._table import (
    check_unique,
    header_width,
    norm_header,
    parse_number,
    read_table,
)
from scoring.imports.base import (
    Identity,
    ImportContext,
    ParsedFile,
    TextMatcher,
    TextRow,
    file_sha256,
    find_column,
    fingerprint,
    misaligned,
    numbered_columns,
    refuse_if_most_failed,
    teacher_of_row,
    text_file,
)
from scoring.store import AttemptRecord
from scoring.timeparse import sortable_time

RESPONSE_HEADER = re.compile(r"^(?:response|ответ)\s*(\d+)$")
QUESTION_HEADER = re.compile(r"^(?:question|вопрос)\s*(\d+)$")
RIGHT_ANSWER_HEADER = re.compile(r"^(?:right answer|правильный ответ)\s*:?\s*(\d+)$")
# "Q. 1 /0.29", "В. 1 /1,00": any short abbreviation of "question", a number, a maximum.
GRADE_HEADER = re.compile(r"^\S{1,3}\.\s*(\d+)\s*/\s*(\d+(?:[.,]\d+)?)$")
GRADE_HEADER_NO_MAX = re.compile(r"^\S{1,3}\.\s*(\d+)$")

LAST_NAME_COLUMNS = ("last name", "surname", "фамилия")
FIRST_NAME_COLUMNS = ("first name", "имя")
ID_COLUMNS = (
    "id number",
    "индивидуальный номер",
    "идентификационный номер",
    "id",
    "username",
    "логин",
)
EMAIL_COLUMNS = ("email address", "адрес электронной почты", "email", "электронная почта")
STATE_COLUMNS = ("status", "state", "состояние", "статус")
COMPLETED_COLUMNS = ("completed", "завершено", "тест завершен", "тест завершён")

FINISHED = {"finished", "завершены", "завершено", "завершен", "завершён", "завершенные"}
# Moodle 5.0: answers submitted, automatic grading still queued. The responses are final;
# the marks are not there yet.
SUBMITTED = {"submitted", "отправлено", "отправленные", "отправлены"}
UNFINISHED = {
    "in progress",
    "overdue",
    "never submitted",
    "not yet started",
    "в процессе",
    "просроченные",
    "просрочено",
    "не отправленные",
    "не отправлено",
    "еще не начато",
    "ещё не начато",
    "не начато",
}
AVERAGE_WORDS = ("average", "средн")


def _is_average(row: list[str], identity_columns: list[int]) -> bool:
    """An ``Overall average`` / ``Общее среднее`` / group average row: a label and no
    identity beyond it."""
    label = next((c for c in row if c), "").casefold()
    if not any(w in label for w in AVERAGE_WORDS):
        return False
    filled = [row[i] for i in identity_columns if row[i]]
    return len(filled) <= 1


@dataclass
class _Columns:
    """Identity, state and completion columns shared by both Moodle reports."""

    last: int | None
    first: int | None
    id: int | None
    email: int | None
    state: int | None
    completed: int | None

    @classmethod
    def of(cls, header: list[str], path: Path) -> _Columns:
        cols = cls(
            find_column(header, *LAST_NAME_COLUMNS),
            find_column(header, *FIRST_NAME_COLUMNS),
            find_column(header, *ID_COLUMNS),
            find_column(header, *EMAIL_COLUMNS),
            find_column(header, *STATE_COLUMNS),
            find_column(header, *COMPLETED_COLUMNS),
        )
        if cols.state is None:
            raise ImportFailed(
                tr(
                    "no attempt state column (Status / State / Состояние), so unfinished "
                    "attempts cannot be told from finished ones"
                ),
                where=str(path),
                hint=tr("download the report again with the attempt state shown"),
            )
        if cols.id is None and cols.email is None and cols.last is None:
            raise ImportFailed(
                tr("no ID number, e-mail or name column to match teachers by"),
                where=str(path),
                hint=tr("download the report with the identity fields the site shows"),
            )
        return cols

    @property
    def identity(self) -> list[int]:
        return [c for c in (self.last, self.first, self.id, self.email) if c is not None]

    def who(self, row: list[str]) -> Identity:
        name = " ".join(row[c] for c in (self.last, self.first) if c is not None and row[c])
        return Identity(
            row[self.id] if self.id is not None else None,
            (row[self.email],) if self.email is not None and row[self.email] else (),
            name or None,
        )

    def completed_at(self, row: list[str]) -> str | None:
        text = row[self.completed] if self.completed is not None else ""
        return None if text in ("", "-") else text


def _attempts(
    ctx: ImportContext,
    rows: list[list[str]],
    cols: _Columns,
    path: Path,
    parsed: ParsedFile,
    finished: set[str],
) -> Iterator[tuple[int, list[str], str]]:
    """(row number, row, teacher ID) of every finished attempt of a known teacher after the
    header row; the other rows add a line to ``parsed.problems``, average rows none."""
    assert cols.state is not None
    width = header_width(rows)
    for number, row in enumerate(rows[1:], start=2):
        if not any(row) or _is_average(row, cols.identity):
            continue
        where = f"{path}: row {number}"
        if misaligned(parsed, where, row, width):
            continue
        state = " ".join(row[cols.state].split()).casefold()
        if state not in finished:
            shown = row[cols.state] or tr("empty")
            if state in SUBMITTED:
                parsed.problems.append(
                    tr(
                        "{where}: attempt submitted but not graded yet ({shown}), skipped "
                        "(download the report again when Moodle has graded it)",
                        where=where,
                        shown=shown,
                    )
                )
            elif state in UNFINISHED:
                parsed.problems.append(
                    tr("{where}: attempt not finished ({shown}), skipped", where=where, shown=shown)
                )
            else:
                parsed.problems.append(
                    tr(
                        "{where}: unknown attempt state {shown!r}, skipped",
                        where=where,
                        shown=shown,
                    )
                )
            continue
        teacher = teacher_of_row(ctx, parsed, where, cols.who(row))
        if teacher is not None:
            yield number, row, teacher


def _header(rows: list[list[str]], path: Path, pattern: re.Pattern[str], what: str) -> list[str]:
    header = [norm_header(h) for h in rows[0]]
    columns = [i for i, h in enumerate(header) if pattern.match(h)]
    if not columns:
        raise ImportFailed(tr("no {what} columns", what=what), where=str(path))
    check_unique(header, str(path), [i for i, h in enumerate(header) if h])
    return header


def _check_right_answers(
    ctx: ImportContext,
    header: list[str],
    rows: list[list[str]],
    form: str,
    path: Path,
) -> list[str]:
    """Problems where Moodle's ``Right answer N`` differs from the test's key: the quiz was
    built with another key or from another form, and its scores are not this test's."""
    columns = numbered_columns(header, RIGHT_ANSWER_HEADER)
    if not columns or len(rows) < 2:
        return []
    matcher = TextMatcher(ctx.forms, "; ")
    items = ctx.forms.form(form).items
    problems = []
    for col, number in columns:
        if not 1 <= number <= len(items):
            continue
        item = items[number - 1]
        text = next((r[col] for r in rows[1:] if r[col] not in ("", "-")), "")
        if not text:
            continue
        letters, state = matcher.match(item, text)
        if state != "unmatched" and letters != item.key:
            problems.append(
                tr(
                    "{path}: question {number}: Moodle's right answer {text!r} is {letters}, "
                    "the test's key is {key} (check the quiz or the form)",
                    path=path,
                    number=number,
                    text=text,
                    letters=letters,
                    key=item.key,
                )
            )
    return problems


def parse_responses(path: Path, ctx: ImportContext) -> ParsedFile:
    rows = read_table(path)
    header = _header(rows, path, RESPONSE_HEADER, "'Response 1' / 'Ответ 1'")
    columns = numbered_columns(header, RESPONSE_HEADER)
    cols = _Columns.of(header, path)
    parsed = ParsedFile("moodle-responses", [], [])
    text_rows = [
        TextRow(number, teacher, cols.completed_at(row), tuple(row[i] for i, _ in columns))
        for number, row, teacher in _attempts(ctx, rows, cols, path, parsed, FINISHED | SUBMITTED)
    ]
    parsed = text_file(path, ctx, text_rows, parsed, separator="; ")
    if parsed.form is not None:
        parsed.problems += _check_right_answers(ctx, header, rows, parsed.form, path)
    return parsed


def _grade_columns(header: list[str], path: Path) -> list[tuple[int, int, float]]:
    """(column, question number, maximum mark) of every ``Q. N /max`` column."""
    bare = [h for h in header if GRADE_HEADER_NO_MAX.match(h)]
    if bare:
        raise ImportFailed(
            tr("column {bare!r} gives no maximum mark, so its marks cannot be read", bare=bare[0]),
            where=str(path),
            hint=tr("download the grades report as Moodle writes it ('Q. 1 /0.29')"),
        )
    out = []
    for i, h in enumerate(header):
        m = GRADE_HEADER.match(h)
        if m:
            maximum = float(m.group(2).replace(",", "."))
            if maximum <= 0:
                raise ImportFailed(tr("column {h!r} has a maximum mark of 0", h=h), where=str(path))
            out.append((i, int(m.group(1)), maximum))
    return sorted(out, key=lambda t: t[1])


# Marks are rounded to the quiz's decimals, and so is each header's maximum, so a right
# answer's mark equals its maximum; a hundredth of slack covers a differently rounded pair.
RIGHT_SHARE = 0.99


def parse_grades(path: Path, ctx: ImportContext) -> ParsedFile:
    rows = read_table(path)
    header = _header(rows, path, GRADE_HEADER, "'Q. 1 /0.29' / 'В. 1 /1,00'")
    columns = _grade_columns(header, path)
    cols = _Columns.of(header, path)
    form_name = ctx.form or "A"  # marks carry no option text, so the version must be given
    items = ctx.forms.form(form_name).items
    if len(columns) != len(items):
        raise ImportFailed(
            tr(
                "{n_columns} question columns, test {test_id} has {n_items} questions",
                n_columns=len(columns),
                test_id=ctx.test_id,
                n_items=len(items),
            ),
            where=str(path),
        )
    sha = file_sha256(path.read_bytes())
    parsed = ParsedFile("moodle-grades", [], [], form_name)
    for number, row, teacher in _attempts(ctx, rows, cols, path, parsed, FINISHED):
        answers: list[str] = []
        states: list[str] = []
        flags: list[str] = []
        marks: list[float | None] = []
        for (col, q, maximum), item in zip(columns, items, strict=True):
            cell = row[col]
            mark = parse_number(cell)
            marks.append(mark)
            if cell in ("", "-"):
                answers.append("")
                states.append("blank")
            elif mark is None:
                parsed.problems.append(
                    tr(
                        "{path}: row {number}: question {q}: mark {cell!r} is not a number; kept "
                        "as unmatched",
                        path=path,
                        number=number,
                        q=q,
                        cell=cell,
                    )
                )
                answers.append("?")
                states.append("unmatched")
                flags.append(f"question {q}: mark {cell!r} not read")
            elif mark >= RIGHT_SHARE * maximum:
                answers.append(item.key)
                states.append("marked" if len(item.key) == 1 else "multiple")
            else:
                if mark > 0:
                    parsed.notes.append(
                        tr(
                            "{path}: row {number}: question {q}: partial mark {cell} of "
                            "{maximum:g} in Moodle; wrong by this test's rule (all or nothing)",
                            path=path,
                            number=number,
                            q=q,
                            cell=cell,
                            maximum=maximum,
                        )
                    )
                answers.append("")
                states.append("incorrect")
        taken = cols.completed_at(row)
        parsed.records.append(
            AttemptRecord(
                teacher_id=teacher,
                channel="remote",
                format="moodle-grades",
                source_file=str(path),
                source_sha256=sha,
                locator=f"row {number}",
                fingerprint=fingerprint(
                    "moodle-grades",
                    teacher,
                    sortable_time(taken) or taken,
                    [
                        None if m is None else round(m / mx, 4)
                        for m, (_, _, mx) in zip(marks, columns, strict=True)
                    ],
                ),
                form=form_name,
                answers=tuple(answers),
                states=tuple(states),
                flags=tuple(flags),
                taken_at=taken,
            )
        )
    refuse_if_most_failed(parsed, str(path))
    return parsed
