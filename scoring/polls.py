"""Opinion polls: responses in (rating sheets read by ``omr scan``, filled e-sheets, Google
Forms / Microsoft Forms exports with linear-scale questions, Moodle feedback downloads), the
rows a person must settle, and the Table 3 summary (parameters x departments).

An anonymous poll stores no teacher ID and no e-mail or name: only the department the
respondent chose (or ``None``), the ratings, where the answer came from (file and row or
page) and, for paper, the crops of doubtful rows and of the comment box.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pydantic import BaseModel

from common.errors import ImportFailed, InputNotFound, ToolError
from common.i18n import tr
from common.roster import department_code
from common.vocabulary import LETTERS, Department, latin_letters
from omr.results import SheetResult
from scoring.forms import normalise_text
from scoring.imports._table import norm_header, read_table
from scoring.imports.base import fingerprint
from scoring.ingest import FileImport, ImportReport
from scoring.store import PollResponseRecord, Store, StoredPollResponse
from testgen.manifest import PollManifest, PollRow

POLL_REPORT_SCHEMA_VERSION: Final = 1
MIN_SHOWN = 5  # a department with fewer respondents is shown only in the total
Progress = Callable[[str, str, int], None]

_LEADING_NUMBER = re.compile(r"^\s*(?:\((\d+(?:\.\d+)*)\)|(\d+(?:\.\d+)*))[.)]?\s*")
_DEPARTMENT_HEADER = re.compile(r"кафедр|department|отделени|направлени|предмет|subject")
_COMMENT_HEADER = re.compile(r"коммент|comment|предложени|suggest|пожелани")
_INTEGER = re.compile(r"^\s*(\d+)")
_ONLINE_FORMATS = {
    "google-forms": ("timestamp", "отметка времени"),
    "ms-forms": ("completion time", "время завершения"),
    "moodle-feedback": ("response number", "номер ответа", "date", "дата", "user full name",
                        "полное имя пользователя"),
}  # fmt: skip
_ID_HEADERS = ("id", "teacher id", "номер участника", "табельный номер", "индивидуальный номер")
_EMAIL_HEADERS = ("email", "email address", "e-mail", "адрес электронной почты",
                  "электронная почта")  # fmt: skip


# -- import ---------------------------------------------------------------------------------


def _department_of(text: str) -> str | None:
    code = department_code(text.strip())
    return code if code in {d.value for d in Department} else None


def _sheet_response(
    manifest: PollManifest, record: SheetResult, folder: Path, teachers: dict[str, str]
) -> tuple[PollResponseRecord, list[str]]:
    """One read sheet -> a response; the rows in doubt are listed for the review."""
    rated = manifest.rated
    by_position = {q.position: q for q in record.questions}
    ratings: list[int | None] = []
    letters: list[str] = []
    doubtful: list[int] = []
    for row in rated:
        assert row.position is not None
        q = by_position.get(row.position)
        state = q.state if q is not None else "blank"
        text = q.letters if q is not None else ""
        letters.append(text if state != "ambiguous" else "?" + text)
        if state == "marked" and len(text) == 1:
            ratings.append(manifest.score(text))
        else:
            ratings.append(None)
            if state in ("ambiguous", "multiple"):
                doubtful.append(row.position)
    department = None
    notes: list[str] = []
    where = f"{record.source.file} p.{record.source.page}"
    if manifest.department_position is not None:
        q = by_position.get(manifest.department_position)
        if q is not None and q.state == "marked" and len(q.letters) == 1:
            department = manifest.departments[LETTERS.index(q.letters)].value
        elif q is not None and q.state in ("ambiguous", "multiple"):
            doubtful.append(manifest.department_position)
    teacher = None
    if not manifest.poll.anonymous:
        teacher = record.respondent if record.respondent in teachers else None
        if teacher is None:
            notes.append(
                tr(
                    "{where}: respondent {who!r} is not in the roster; kept without a name",
                    where=where,
                    who=record.respondent or "",
                )
            )
        department = teachers.get(teacher or "")
    evidence = {k: str((folder / v).resolve()) for k, v in record.evidence.items()}
    response = PollResponseRecord(
        fingerprint=fingerprint("sheet", record.source.sha256, record.source.page),
        channel=record.channel,
        format="omr",
        source_file=record.source.file,
        locator=f"page {record.source.page}",
        department=department,
        teacher_id=teacher,
        ratings=ratings,
        letters=letters,
        doubtful=doubtful,
        evidence=evidence,
        comment=record.comment,
    )
    return response, notes


def _omr_file(
    manifest: PollManifest, path: Path, teachers: dict[str, str]
) -> tuple[list[PollResponseRecord], list[str]]:
    responses: list[PollResponseRecord] = []
    problems: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}: line {number}"
        try:
            record = SheetResult.model_validate_json(line)
        except ValueError:
            problems.append(tr("{where}: not a sheet result, skipped", where=where))
            continue
        if record.status == "refused":
            problems.append(
                tr(
                    "{where}: {file} p.{page} was refused ({reason}); rescan it",
                    where=where,
                    file=record.source.file,
                    page=record.source.page,
                    reason=record.reason,
                )
            )
            continue
        if record.test_id != manifest.poll.id:
            problems.append(
                tr(
                    "{where}: a sheet of {other}, not of poll {poll}; skipped",
                    where=where,
                    other=record.test_id,
                    poll=manifest.poll.id,
                )
            )
            continue
        if record.duplicate_of is not None:
            continue
        response, notes = _sheet_response(manifest, record, path.parent, teachers)
        responses.append(response)
        problems += notes
    return responses, problems


def _match_row(row: PollRow, header: str) -> bool:
    # a questionnaire's rate question heads each row "<question>-><row text>"
    if "->" in header and _match_row(row, header.rsplit("->", 1)[1]):
        return True
    found = _LEADING_NUMBER.match(header)
    if found and (found.group(1) or found.group(2)) == row.number:
        return True
    text = normalise_text(_LEADING_NUMBER.sub("", header))
    return bool(text) and text == normalise_text(row.text)


def _rating(cell: str, manifest: PollManifest) -> int | str | None:
    """A cell's rating; ``None`` when empty; the text itself when it is no rating."""
    if not cell.strip():
        return None
    found = _INTEGER.match(cell)
    if found is None:
        return cell
    value = int(found.group(1))
    if not manifest.poll.scale_min <= value <= manifest.poll.scale_max:
        return cell
    return value


def _table_file(
    manifest: PollManifest, path: Path, teachers: dict[str, str], emails: dict[str, str]
) -> tuple[str, list[PollResponseRecord], list[str]]:
    rows = read_table(path)
    header = rows[0]
    folded = [norm_header(h) for h in header]
    fmt = next(
        (name for name, marks in _ONLINE_FORMATS.items() if set(marks) & set(folded)), "table"
    )
    columns: dict[int, int] = {}  # rated position -> column
    for row in manifest.rated:
        assert row.position is not None
        for c, h in enumerate(header):
            if c not in columns.values() and _match_row(row, h):
                columns[row.position] = c
                break
    missing = [r.number for r in manifest.rated if r.position not in columns]
    if len(missing) == len(manifest.rated):
        raise ImportFailed(
            tr("no column header names a parameter of poll {poll}", poll=manifest.poll.id),
            where=str(path),
            hint=tr("head each column with the parameter's number or text, as on the sheet"),
        )
    department_col = next(
        (c for c, h in enumerate(folded) if _DEPARTMENT_HEADER.search(h) and c not in
         columns.values()), None)  # fmt: skip
    comment_col = next(
        (c for c, h in enumerate(folded) if _COMMENT_HEADER.search(h) and c not in
         columns.values()), None)  # fmt: skip
    id_col = next((c for c, h in enumerate(folded) if h in _ID_HEADERS), None)
    email_col = next((c for c, h in enumerate(folded) if h in _EMAIL_HEADERS), None)
    problems = []
    if missing:
        problems.append(
            tr(
                "{path}: no column for parameter(s) {numbers}; they count as not answered",
                path=path,
                numbers=", ".join(missing),
            )
        )
    if manifest.poll.anonymous and department_col is None:
        problems.append(
            tr("{path}: no department column; these answers count in the total only", path=path)
        )
    responses = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        where = f"{path}: row {number}"
        ratings: list[int | None] = []
        letters: list[str] = []
        for row in manifest.rated:
            col = columns.get(row.position or 0)
            value = _rating(cells[col], manifest) if col is not None else None
            if isinstance(value, str):
                problems.append(
                    tr(
                        "{where}: parameter {number}: {value!r} is not a rating {low}-{high}; "
                        "not counted",
                        where=where,
                        number=row.number,
                        value=value,
                        low=manifest.poll.scale_min,
                        high=manifest.poll.scale_max,
                    )
                )
                value = None
            ratings.append(value)
            letters.append(LETTERS[value - manifest.poll.scale_min] if value is not None else "")
        if all(r is None for r in ratings):
            problems.append(tr("{where}: no rating given; skipped", where=where))
            continue
        department = None
        teacher = None
        if manifest.poll.anonymous:
            if department_col is not None:
                department = _department_of(cells[department_col])
                if department is None and cells[department_col].strip():
                    problems.append(
                        tr(
                            "{where}: department {value!r} is not one of the cluster's; counted "
                            "in the total only",
                            where=where,
                            value=cells[department_col],
                        )
                    )
        else:
            key = cells[id_col].strip() if id_col is not None else ""
            if key not in teachers and email_col is not None:
                key = emails.get(cells[email_col].strip().casefold(), key)
            teacher = key if key in teachers else None
            department = teachers.get(teacher or "")
            if teacher is None:
                problems.append(
                    tr(
                        "{where}: the respondent is not in the roster; kept without a name",
                        where=where,
                    )
                )
        # identity cells never enter the fingerprint of an anonymous answer
        kept = [cells[c] for c in sorted(columns.values())]
        if department_col is not None:
            kept.append(cells[department_col])
        stamp = cells[0] if fmt != "table" else str(number)
        responses.append(
            PollResponseRecord(
                fingerprint=fingerprint("table", fmt, stamp, kept, teacher),
                channel="online",
                format=fmt,
                source_file=str(path),
                locator=f"row {number}",
                department=department,
                teacher_id=teacher,
                ratings=ratings,
                letters=letters,
                doubtful=[],
                comment=(cells[comment_col].strip() or None) if comment_col is not None else None,
            )
        )
    return fmt, responses, problems


def import_poll_files(
    store: Store, paths: list[Path], manifest: PollManifest, progress: Progress | None = None
) -> ImportReport:
    """Import poll answers: ``omr scan`` results (paper and e-sheets) and online exports.
    Each file in its own transaction; a file that cannot be read is refused with its reason
    and the others are imported."""
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise InputNotFound(tr("file not found"), where=str(missing[0]))
    store.register_poll(manifest)
    roster = store.teachers()
    teachers = {tid: roster.department_of(tid) for tid in roster}
    emails = roster.by_email()
    report = ImportReport(manifest.poll.id, "live")
    for path in paths:
        if progress is not None:
            progress("file", str(path), 0)
        try:
            if path.suffix.lower() == ".jsonl":
                fmt = "omr"
                responses, problems = _omr_file(manifest, path, teachers)
            else:
                fmt, responses, problems = _table_file(manifest, path, teachers, emails)
        except ToolError as error:
            report.files.append(FileImport(str(path), "?", None, 0, 0, [], refused=str(error)))
            continue
        with store.write() as con:
            new, unchanged = store.insert_poll_responses(con, manifest.poll.id, responses)
        report.files.append(FileImport(str(path), fmt, None, new, unchanged, problems))
    return report


# -- review ---------------------------------------------------------------------------------


class PollItem(BaseModel):
    """A row of a response a person must settle (crossing into the review page as JSON)."""

    schema_version: int = 1
    key: str  # "poll:<response id>:<position>"
    response_id: int
    position: int
    label: str  # "3.1 Поддержка администрации школы", or the department row's word
    reading: str  # what the reader saw: "AB", "?C"
    options: str  # the option letters
    labels: list[str]  # what each option stands for: "1".."10", or department names
    source: str
    pictures: list[str]


def poll_items(store: Store, manifest: PollManifest) -> list[PollItem]:
    rated = {r.position: r for r in manifest.rated}
    span = manifest.poll.scale_max - manifest.poll.scale_min + 1
    scale = [str(manifest.poll.scale_min + k) for k in range(span)]
    out = []
    for response in store.poll_responses(manifest.poll.id):
        for position in response.doubtful:
            if position == manifest.department_position:
                label = tr("department")
                options = LETTERS[: len(manifest.departments)]
                labels = [d.value for d in manifest.departments]
                reading = ""
            else:
                row = rated[position]
                label = f"{row.number} {row.text}"
                options, labels = LETTERS[:span], scale
                reading = response.letters[position - 1]
            crop = response.evidence.get(f"q{position}")
            out.append(
                PollItem(
                    key=f"poll:{response.id}:{position}",
                    response_id=response.id,
                    position=position,
                    label=label,
                    reading=reading,
                    options=options,
                    labels=labels,
                    source=f"{response.source_file} {response.locator}",
                    pictures=[p for p in (crop, response.evidence.get("page")) if p],
                )
            )
    return out


def settle_poll_item(
    store: Store, manifest: PollManifest, key: str, value: str, who: str, why: str = ""
) -> str:
    """Settle a doubtful row with the rating meant (the scale value, or its letter), the
    department (code or letter), or ``-`` for none. Returns what was recorded."""
    items = {i.key: i for i in poll_items(store, manifest)}
    item = items.get(key)
    if item is None:
        raise ToolError(
            tr("no review item {key!r} in poll {poll}", key=key, poll=manifest.poll.id),
            hint=tr("reload the queue"),
        )
    if not who.strip():
        raise ToolError(tr("a decision needs the reviewer's name"))
    text = value.strip()
    response = next(r for r in store.poll_responses(manifest.poll.id) if r.id == item.response_id)
    doubtful = [p for p in response.doubtful if p != item.position]
    changes: dict[str, object] = {"doubtful": doubtful}
    if text in ("-", ""):
        after = "-"
        if item.position != manifest.department_position:
            ratings = list(response.ratings)
            ratings[item.position - 1] = None
            changes["ratings"] = ratings
    elif item.position == manifest.department_position:
        letter = latin_letters(text)
        code = (
            manifest.departments[LETTERS.index(letter)].value
            if len(letter) == 1 and letter in item.options
            else _department_of(text)
        )
        if code is None:
            raise ToolError(
                tr("{value!r} is not a department of the poll", value=value),
                where=key,
                hint=tr("use one of {names}", names=", ".join(item.labels)),
            )
        changes["department"] = code
        after = code
    else:
        letter = latin_letters(text)
        if text in item.labels:
            rating = int(text)
        elif len(letter) == 1 and letter in item.options:
            rating = manifest.score(letter)
        else:
            raise ToolError(
                tr("{value!r} is not a rating {low}-{high}", value=value,
                   low=item.labels[0], high=item.labels[-1]),
                where=key,
            )  # fmt: skip
        ratings = list(response.ratings)
        ratings[item.position - 1] = rating
        changes["ratings"] = ratings
        after = str(rating)
    with store.write() as con:
        store.settle_poll_row(
            con, manifest.poll.id, key, item.response_id, changes, item.reading, after, who, why
        )
    return after


# -- Table 3 --------------------------------------------------------------------------------


class Cell(BaseModel):
    mean: float | None  # one decimal in the report; None: nobody rated it
    n: int  # ratings behind the mean


class PollTable(BaseModel):
    """Table 3 of the cluster's report: rows x departments (+ total), N respondents per
    department, mean rating per cell, and the overall level (mean of the parameter means over
    the scale's maximum, in %). Departments under :data:`MIN_SHOWN` respondents are folded
    into the total unless asked for (``hidden``)."""

    schema_version: int = POLL_REPORT_SCHEMA_VERSION
    poll_id: str
    title: str
    year: int
    scale_max: int
    departments: list[str]  # shown columns, in the cluster's order
    hidden: list[str]  # departments with answers that are shown only in the total
    respondents: dict[str, int]  # department (and "total") -> responses
    rows: list[PollRow]
    cells: dict[str, dict[str, Cell]]  # row number -> department or "total" -> cell
    level: dict[str, float | None]  # department or "total" -> overall level in %
    open_items: int  # rows still waiting in the review
    previous: PollTable | None = None  # an earlier year's poll, for comparison


def _mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def poll_table(store: Store, poll_id: str, *, show_small: bool = False) -> PollTable:
    manifest = store.poll_manifest(poll_id)
    responses = store.poll_responses(poll_id)
    by_department: dict[str, list[StoredPollResponse]] = {}
    for r in responses:
        if r.department:
            by_department.setdefault(r.department, []).append(r)
    order = [d.value for d in Department]
    present = [d for d in order if d in by_department]
    shown = [d for d in present if show_small or len(by_department[d]) >= MIN_SHOWN]
    hidden = [d for d in present if d not in shown]
    groups = {d: by_department[d] for d in shown} | {"total": responses}
    cells: dict[str, dict[str, Cell]] = {}
    for row in manifest.rated:
        assert row.position is not None
        k = row.position - 1
        cells[row.number] = {}
        for name, members in groups.items():
            values = [v for r in members if (v := r.ratings[k]) is not None]
            mean = _mean(values)
            cells[row.number][name] = Cell(mean=mean, n=len(values))
    level: dict[str, float | None] = {}
    for name in groups:
        means = [m for row in cells.values() if (m := row[name].mean) is not None]
        average = sum(means) / len(means) if means else None
        level[name] = (
            round(100 * average / manifest.poll.scale_max, 1) if average is not None else None
        )
    return PollTable(
        poll_id=poll_id,
        title=manifest.poll.title,
        year=manifest.poll.year,
        scale_max=manifest.poll.scale_max,
        departments=shown,
        hidden=hidden,
        respondents={name: len(members) for name, members in groups.items()},
        rows=manifest.rows,
        cells=cells,
        level=level,
        open_items=len(poll_items(store, manifest)),
    )


def poll_table_compared(
    store: Store, poll_id: str, *, show_small: bool = False, compare: str | None = None
) -> PollTable:
    """:func:`poll_table` with ``previous`` set: the poll ``compare``, else the latest earlier
    year's poll that rates some of the same parameters (none when there is no such poll)."""
    table = poll_table(store, poll_id, show_small=show_small)
    earlier = compare or earlier_poll(store, table)
    if earlier is not None:
        table.previous = poll_table(store, earlier, show_small=show_small)
    return table


def earlier_poll(store: Store, table: PollTable) -> str | None:
    """The latest poll of an earlier year that rates some of the same parameters."""
    numbers = {r.number for r in table.rows if r.rated}
    best: tuple[int, str] | None = None
    for poll_id, year in store.polls():
        if year >= table.year or poll_id == table.poll_id:
            continue
        other = {r.number for r in store.poll_manifest(poll_id).rated}
        if numbers & other and (best is None or year > best[0]):
            best = (year, poll_id)
    return best[1] if best else None


def one_decimal(value: float | None) -> str:
    """A mean as the report prints it: one decimal (half away from zero), or a dash."""
    if value is None or math.isnan(value):
        return "–"
    return f"{math.floor(value * 10 + 0.5) / 10:.1f}"


@dataclass
class PollSummary:
    """What ``scoring status`` says of a poll."""

    poll_id: str
    responses: int
    by_department: dict[str, int] = field(default_factory=dict)
    unknown_department: int = 0
    open_items: int = 0


def poll_status(store: Store, poll_id: str) -> PollSummary:
    manifest = store.poll_manifest(poll_id)
    responses = store.poll_responses(poll_id)
    summary = PollSummary(poll_id, len(responses), open_items=len(poll_items(store, manifest)))
    for r in responses:
        if r.department:
            summary.by_department[r.department] = summary.by_department.get(r.department, 0) + 1
        else:
            summary.unknown_department += 1
    return summary
