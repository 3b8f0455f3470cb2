"""What every import module shares: the context it parses against, how a row finds its
teacher, how answer texts find their options, and the parsed result.

Identity rule (the same for every online export): a row belongs to a teacher found by
**roster ID**, else by **e-mail** (case-insensitive), else by **full name** within the test's
department (case, ё/е, spaces and initials folded; the name must point at exactly one
teacher). Every match not made by ID is listed as a note, so a person can check it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from common.errors import ImportFailed
from common.i18n import mark, tr
from common.roster import Teacher
from scoring.forms import (
    AMBIGUOUS,
    FormItem,
    TestForms,
    normalise_text,
    option_index,
    printed_letters,
)
from scoring.store import AttemptRecord, PendingRecord
from scoring.timeparse import sortable_time

FORMATS = ("omr", "moodle-responses", "moodle-grades", "google-forms", "ms-forms", "csv")
# A file in which more than this share of the rows cannot be mapped is refused whole: it
# belongs to another test, another roster or another form, and a partial import would hide it.
MAX_FAILED_SHARE = 0.5


# -- identity -------------------------------------------------------------------------------


MATCH_WORDS = (mark("ID"), mark("e-mail"), mark("name"))  # shown as tr(how)


@dataclass(frozen=True)
class Identity:
    """What a row says about who answered: any of an ID, e-mails and a full name."""

    id: str | None = None
    emails: tuple[str, ...] = ()
    name: str | None = None

    def shown(self) -> str:
        parts = [p for p in (self.id, *self.emails, self.name) if p]
        return " / ".join(parts) or "(empty)"

    def key(self) -> str:
        """What a reviewer's assignment of this identity is stored under (an alias)."""
        emails = ",".join(sorted(e.strip().casefold() for e in self.emails if e.strip()))
        name = " ".join(name_tokens(self.name or ""))
        return f"id={(self.id or '').strip()}|email={emails}|name={name}"


def name_tokens(name: str) -> tuple[str, ...]:
    """``"Иванова  А.П."`` -> ``("иванова", "а", "п")``: case and ё folded, dots split."""
    text = name.casefold().replace("ё", "е").replace(".", " ").replace(",", " ")
    return tuple(text.split())


def _tokens_fit(written: tuple[str, ...], roster: tuple[str, ...]) -> bool:
    """The written name is the roster name, maybe without the patronymic, with any given
    name or patronymic possibly reduced to its initial."""
    if len(written) < 2 or len(written) > len(roster) or written[0] != roster[0]:
        return False
    return all(
        w == r or (len(w) == 1 and r.startswith(w))
        for w, r in zip(written[1:], roster[1:], strict=False)
    )


@dataclass(frozen=True)
class Match:
    teacher_id: str | None
    how: str  # "ID", "e-mail", "name"; "" when not found
    problem: str = ""


@dataclass
class ImportContext:
    """The test and roster an export is read against.

    ``form`` is the form the user named (``"A"``, ``"B"``, ``"V3"``) or ``None`` to let the
    importer decide (by matching option texts or headers, or version A for letter-only
    exports).
    """

    forms: TestForms
    teachers: Mapping[str, Teacher]
    form: str | None = None
    aliases: Mapping[str, str] = field(default_factory=dict)  # identity key -> teacher

    @property
    def test_id(self) -> str:
        return self.forms.manifest.test.id

    @property
    def department(self) -> str:
        return str(self.forms.manifest.test.department)

    @cached_property
    def by_email(self) -> dict[str, str]:
        by_email = getattr(self.teachers, "by_email", None)
        if callable(by_email):
            return dict(by_email())
        return {t.email.casefold(): t.id for t in self.teachers.values() if t.email}

    @cached_property
    def _names(self) -> list[tuple[tuple[str, ...], str]]:
        department_of = getattr(self.teachers, "department_of", None)
        out = []
        for tid in self.teachers:
            dept = department_of(tid) if callable(department_of) else self.teachers[tid].department
            if str(dept) == self.department:
                out.append((name_tokens(self.teachers[tid].name), tid))
        return out

    def by_name(self, name: str) -> list[str]:
        """Teachers of the test's department whose roster name fits ``name`` (either order
        of surname and given name)."""
        written = name_tokens(name)
        if len(written) < 2:
            return []
        flipped = (written[-1], *written[:-1])
        return sorted(
            {tid for tokens, tid in self._names if _tokens_fit(written, tokens)}
            | {tid for tokens, tid in self._names if _tokens_fit(flipped, tokens)}
        )

    def match(self, who: Identity, alias: str | None = None) -> Match:
        """The teacher a row belongs to: as a reviewer assigned it (``alias``, else the
        identity's key), by ID, then e-mail, then full name."""
        for key in (alias, who.key()):
            if key and key in self.aliases and self.aliases[key] in self.teachers:
                return Match(self.aliases[key], "review")
        if who.id:
            key = who.id.strip()
            if key in self.teachers:
                return Match(key, "ID")
        for email in who.emails:
            found = self.by_email.get(email.strip().casefold())
            if found:
                return Match(found, "e-mail")
        if who.name:
            found_names = self.by_name(who.name)
            if len(found_names) == 1:
                return Match(found_names[0], "name")
            if len(found_names) > 1:
                return Match(
                    None,
                    "",
                    tr(
                        "name {name!r} fits {n_found_names} teachers ({join}), skipped (add the "
                        "ID or e-mail to the export or the roster)",
                        name=who.name,
                        n_found_names=len(found_names),
                        join=", ".join(found_names),
                    ),
                )
        hint = (
            tr("import the roster first")
            if not self.teachers
            else tr("check the ID, e-mail or name")
        )
        return Match(
            None, "", tr("unknown teacher {shown}, skipped ({hint})", shown=who.shown(), hint=hint)
        )

    def match_note(self, where: str, found: Match, who: Identity) -> MatchNote | None:
        """The note of a match not made by ID (``None`` for an ID match)."""
        if found.how in ("ID", "review", "") or found.teacher_id is None:
            return None
        shown = who.name if found.how == "name" else next(iter(who.emails), "")
        return MatchNote(
            where, found.teacher_id, self.teachers[found.teacher_id].name, found.how, shown or ""
        )


@dataclass(frozen=True)
class MatchNote:
    """A row matched to a teacher other than by roster ID, for a person to check."""

    where: str  # "file: row 6"
    teacher_id: str
    name: str
    how: str  # "e-mail" or "name"
    shown: str  # what the row said

    def describe(self) -> str:
        return tr(
            "{where}: matched to {teacher} {name} by {how} ({shown})",
            where=self.where,
            teacher=self.teacher_id,
            name=self.name,
            how=tr(self.how),
            shown=self.shown,
        )


# -- parsed files ---------------------------------------------------------------------------


@dataclass
class ParsedFile:
    format: str
    records: list[AttemptRecord]
    problems: list[str]
    form: str | None = None  # the form chosen for the whole file, when there is one
    notes: list[str] = field(default_factory=list)  # ignored columns, partial marks
    matches: list[MatchNote] = field(default_factory=list)  # rows not matched by ID
    failed_rows: int = 0  # rows that could not be mapped (not counting unfinished attempts)
    pending: list[PendingRecord] = field(default_factory=list)  # for the review


def fingerprint(*parts: object) -> str:
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


MISALIGNED = mark(
    "more cells than the header has columns (a comma or quote out of place?); skipped"
)


def misaligned(parsed: ParsedFile, where: str, row: list[str], width: int) -> bool:
    """The row has cells beyond the header's ``width`` (an unquoted comma shifted it): it is
    listed as a failed row, to be skipped."""
    if not any(row[width:]):
        return False
    parsed.problems.append(f"{where}: {tr(MISALIGNED)}")
    parsed.failed_rows += 1
    return True


def teacher_of_row(ctx: ImportContext, parsed: ParsedFile, where: str, who: Identity) -> str | None:
    """The teacher a row belongs to, or ``None`` with the row listed as a failed problem; a
    match not made by ID is kept in ``parsed.matches``."""
    found = ctx.match(who)
    if found.teacher_id is None:
        parsed.problems.append(f"{where}: {found.problem}")
        parsed.failed_rows += 1
        parsed.pending.append(_unmatched_row(parsed, where, who, found.problem))
        return None
    note = ctx.match_note(where, found, who)
    if note:
        parsed.matches.append(note)
    return found.teacher_id


def _unmatched_row(parsed: ParsedFile, where: str, who: Identity, problem: str) -> PendingRecord:
    """An online row that matched no teacher, for the review: once a reviewer assigns its
    identity, importing the file again brings the row in."""
    file, _, locator = where.rpartition(": ")
    return PendingRecord(
        kind="respondent",
        channel="remote",
        format=parsed.format,
        source_file=file or where,
        source_sha256="",
        locator=locator or where,
        fingerprint=fingerprint("unmatched", file, locator, who.key()),
        reason=problem,
        identity=who.key(),
        record={"shown": who.shown(), "file": file or where},
    )


def refuse_if_most_failed(parsed: ParsedFile, where: str) -> None:
    """:class:`ImportFailed` when most rows of the file could not be mapped."""
    total = parsed.failed_rows + len(parsed.records)
    if parsed.failed_rows and parsed.failed_rows > MAX_FAILED_SHARE * total:
        first = parsed.problems[0] if parsed.problems else ""
        raise ImportFailed(
            tr(
                "{failed_rows} of {total} rows could not be mapped, so nothing was "
                "imported from this file (first: {removeprefix})",
                failed_rows=parsed.failed_rows,
                total=total,
                removeprefix=first.removeprefix(where + ": "),
            ),
            where=where,
            hint=tr("check that the export belongs to this test and that the roster is imported"),
        )


# -- text answers -------------------------------------------------------------------------


@dataclass(frozen=True)
class TextRow:
    """One online attempt with the chosen options' text per printed question."""

    row: int
    teacher_id: str
    taken_at: str | None
    responses: tuple[str, ...]


_NONE = {"", "-", "—", "–"}
MAX_PARTS = 64  # several-choice cells split into more parts than this are not an answer


def split_choices(parts: Sequence[str], index: Mapping[str, int], separator: str) -> list[int]:
    """Every way to read ``parts`` (a cell split at ``separator``) as distinct option texts
    rejoined: ``[]`` when none, the options when exactly one, ``[AMBIGUOUS]`` when several
    (an option text may itself hold the separator, as ``"Шар, конус"`` in Google Forms)."""
    n = len(parts)
    memo: dict[int, list[frozenset[int]]] = {n: [frozenset()]}

    def solve(start: int) -> list[frozenset[int]]:
        if start in memo:
            return memo[start]
        found: list[frozenset[int]] = []
        for end in range(start + 1, n + 1):
            option = index.get(normalise_text(separator.join(parts[start:end])))
            if option is None:
                continue
            if option == AMBIGUOUS:
                found.append(frozenset({AMBIGUOUS}))
                continue
            for rest in solve(end):
                if option not in rest:
                    chosen = rest | {option}
                    if chosen not in found:
                        found.append(chosen)
            if len(found) > 1:
                break  # two readings are enough to know it is ambiguous
        memo[start] = found
        return found

    readings = solve(0)
    if not readings:
        return []
    if len(readings) > 1 or AMBIGUOUS in readings[0]:
        return [AMBIGUOUS]
    return sorted(readings[0])


class TextMatcher:
    """Option text -> printed letters of one form, with the export's separator for several
    choices (Moodle ``"; "``, Google Forms ``", "``, Microsoft Forms ``";"``)."""

    def __init__(self, forms: TestForms, separator: str):
        self.forms = forms
        self.separator = separator
        self._index = [option_index(t) for t in forms.column_tasks]

    def match(self, item: FormItem, text: str) -> tuple[str, str]:
        """(printed letters, state); state ``unmatched`` when the text fits no option, or
        fits them in more than one way."""
        if text.strip() in _NONE:
            return "", "blank"
        index = self._index[item.column]
        cut = self.separator.strip() or self.separator
        parts = [p.strip() for p in text.split(cut)]
        while parts and not parts[-1]:
            parts.pop()  # Microsoft Forms ends a several-choice cell with ";"
        if not parts or len(parts) > MAX_PARTS:
            return "?", "unmatched"
        chosen = split_choices(parts, index, self.separator)
        if not chosen or chosen == [AMBIGUOUS]:
            return "?", "unmatched"
        return printed_letters(item, chosen), "marked" if len(chosen) == 1 else "multiple"

    def count_matches(self, form: str, rows: list[TextRow]) -> int:
        items = self.forms.form(form).items
        hits = 0
        for row in rows:
            for item, text in zip(items, row.responses, strict=False):
                if text.strip() not in _NONE and self.match(item, text)[1] != "unmatched":
                    hits += 1
        return hits


def choose_form(ctx: ImportContext, matcher: TextMatcher, rows: list[TextRow], where: str) -> str:
    """The user's form, or the form whose option texts match most answers (A, B, V1.. on ties)."""
    if ctx.form is not None:
        return ctx.form
    sample = rows[:300]  # enough to tell forms apart; keeps auto-detection cheap
    best, best_hits = "A", -1
    for form in ctx.forms.forms:
        hits = matcher.count_matches(form.name, sample)
        if hits > best_hits:
            best, best_hits = form.name, hits
    if best_hits <= 0 and any(any(t.strip() not in _NONE for t in r.responses) for r in sample):
        raise ImportFailed(
            tr(
                "no answer text matches the options of test {test_id} (versions A, B or "
                "any variant)",
                test_id=ctx.test_id,
            ),
            where=where,
            hint=tr("check that the export belongs to this test"),
        )
    return best


def text_records(
    ctx: ImportContext,
    rows: list[TextRow],
    *,
    fmt: str,
    separator: str,
    source_file: str,
    source_sha256: str,
    where: str,
    form: str | None = None,
) -> tuple[list[AttemptRecord], list[str], str]:
    """Match every response text to an option; unmatched texts are listed and kept as
    ``unmatched`` (scored as wrong, flagged) while the rest of the row is imported.
    ``form`` is the form already known from the headers, if any."""
    matcher = TextMatcher(ctx.forms, separator)
    form_name = form or choose_form(ctx, matcher, rows, where)
    items = ctx.forms.form(form_name).items
    records: list[AttemptRecord] = []
    problems: list[str] = []
    for row in rows:
        if len(row.responses) != len(items):
            problems.append(
                tr(
                    "{where}: row {row}: {n_responses} answers, the test has {n_items} "
                    "questions; skipped",
                    where=where,
                    row=row.row,
                    n_responses=len(row.responses),
                    n_items=len(items),
                )
            )
            continue
        answers: list[str] = []
        states: list[str] = []
        for item, text in zip(items, row.responses, strict=True):
            letters, state = matcher.match(item, text)
            if state == "unmatched":
                problems.append(
                    tr(
                        "{where}: row {row}: question {position}: answer {text!r} matches no "
                        "option; kept as unmatched",
                        where=where,
                        row=row.row,
                        position=item.position,
                        text=text,
                    )
                )
            answers.append(letters)
            states.append(state)
        flags = tuple(
            f"question {item.position}: unmatched answer text"
            for item, s in zip(items, states, strict=True)
            if s == "unmatched"
        )
        records.append(
            AttemptRecord(
                teacher_id=row.teacher_id,
                channel="remote",
                format=fmt,
                source_file=source_file,
                source_sha256=source_sha256,
                locator=f"row {row.row}",
                fingerprint=fingerprint(
                    fmt, row.teacher_id, sortable_time(row.taken_at) or row.taken_at, row.responses
                ),
                form=form_name,
                answers=tuple(answers),
                states=tuple(states),
                flags=flags,
                taken_at=row.taken_at,
            )
        )
    return records, problems, form_name


def text_file(
    path: Path,
    ctx: ImportContext,
    rows: list[TextRow],
    parsed: ParsedFile,
    *,
    separator: str,
    form: str | None = None,
) -> ParsedFile:
    """``parsed`` (the problems and notes met while reading ``rows`` from ``path``) completed
    with the records of :func:`text_records`; refused when most rows could not be mapped."""
    records, more, chosen = text_records(
        ctx,
        rows,
        fmt=parsed.format,
        separator=separator,
        source_file=str(path),
        source_sha256=file_sha256(path.read_bytes()),
        where=str(path),
        form=form,
    )
    parsed.failed_rows += len(rows) - len(records)
    parsed.records = records
    parsed.problems += more
    parsed.form = chosen
    refuse_if_most_failed(parsed, str(path))
    return parsed


def find_column(header: list[str], *names: str) -> int | None:
    """Index of the first column whose normalised header is one of ``names`` (spaces aside:
    Moodle's JSON keys may lose them)."""
    wanted = {n.casefold().replace(" ", "") for n in names}
    for i, h in enumerate(header):
        if h.replace(" ", "") in wanted:
            return i
    return None


def numbered_columns(header: list[str], pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """(column index, question number) of every header matching ``pattern``, by number."""
    out = []
    for i, h in enumerate(header):
        m = pattern.match(h)
        if m:
            out.append((i, int(m.group(1))))
    return sorted(out, key=lambda t: t[1])
