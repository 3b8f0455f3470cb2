"""What every import module shares: the context it parses against and its result."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import ImportFailed
from common.roster import Teacher
from scoring.forms import FormItem, TestForms, normalise_text, option_index, printed_letters
from scoring.store import AttemptRecord, Roster

FORMATS = ("omr", "moodle-responses", "moodle-grades", "google-forms", "ms-forms", "csv")


@dataclass
class ImportContext:
    """The test and roster an export is read against.

    ``form`` is the form the user named (``"A"``, ``"B"``, ``"V3"``) or ``None`` to let the
    importer decide (by matching option texts, or version A for letter-only exports).
    """

    forms: TestForms
    teachers: Mapping[str, Teacher]
    form: str | None = None
    by_email: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        if isinstance(self.teachers, Roster):
            self.by_email = self.teachers.by_email()
        else:
            self.by_email = {t.email.casefold(): t.id for t in self.teachers.values() if t.email}

    @property
    def test_id(self) -> str:
        return self.forms.manifest.test.id

    def match_teacher(self, *keys: str | None) -> str | None:
        """The roster ID of the first key that is a known ID or e-mail."""
        for key in keys:
            if not key:
                continue
            key = key.strip()
            if key in self.teachers:
                return key
            found = self.by_email.get(key.casefold())
            if found:
                return found
        return None

    def unknown_teacher(self, where: str, *keys: str | None) -> str:
        shown = " / ".join(k for k in keys if k) or "(empty)"
        hint = "import the roster first" if not self.teachers else "check the ID or e-mail"
        return f"{where}: unknown teacher {shown}, skipped ({hint})"


@dataclass
class ParsedFile:
    format: str
    records: list[AttemptRecord]
    problems: list[str]
    form: str | None = None  # the form chosen for the whole file, when there is one


def fingerprint(*parts: object) -> str:
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- text answers -------------------------------------------------------------------------


@dataclass(frozen=True)
class TextRow:
    """One online attempt with the chosen options' text per printed question."""

    row: int
    teacher_id: str
    taken_at: str | None
    responses: tuple[str, ...]


_NONE = {"", "-", "—"}


class TextMatcher:
    """Option text -> printed letters of one form, with the export's separator for several
    choices (Moodle ``"; "``, Google Forms ``", "``, Microsoft Forms ``";"``)."""

    def __init__(self, forms: TestForms, separator: str):
        self.forms = forms
        self.separator = separator.strip() or separator
        self._index = [option_index(t) for t in forms.column_tasks]

    def match(self, item: FormItem, text: str) -> tuple[str, str]:
        """(printed letters, state); state ``unmatched`` when some text fits no option."""
        if text.strip() in _NONE:
            return "", "blank"
        index = self._index[item.column]
        whole = index.get(normalise_text(text))
        if whole is not None:
            return printed_letters(item, [whole]), "marked"
        parts = [p for p in (s.strip() for s in text.split(self.separator)) if p]
        found = [index.get(normalise_text(p)) for p in parts]
        if not parts or any(f is None for f in found):
            return "?", "unmatched"
        chosen = sorted({f for f in found if f is not None})
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
            f"no answer text matches the options of test {ctx.test_id} (versions A, B or any "
            "variant)",
            where=where,
            hint="check that the export belongs to this test",
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
) -> tuple[list[AttemptRecord], list[str], str]:
    """Match every response text to an option; unmatched texts are listed and kept as
    ``unmatched`` (scored as wrong, flagged) while the rest of the row is imported."""
    matcher = TextMatcher(ctx.forms, separator)
    form_name = choose_form(ctx, matcher, rows, where)
    items = ctx.forms.form(form_name).items
    records: list[AttemptRecord] = []
    problems: list[str] = []
    for row in rows:
        if len(row.responses) != len(items):
            problems.append(
                f"{where}: row {row.row}: {len(row.responses)} answers, the test has "
                f"{len(items)} questions; skipped"
            )
            continue
        answers: list[str] = []
        states: list[str] = []
        for item, text in zip(items, row.responses, strict=True):
            letters, state = matcher.match(item, text)
            if state == "unmatched":
                problems.append(
                    f"{where}: row {row.row}: question {item.position}: answer {text!r} matches "
                    "no option; kept as unmatched"
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
                fingerprint=fingerprint(fmt, row.teacher_id, row.taken_at, row.responses),
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
    problems: list[str],
    *,
    fmt: str,
    separator: str,
) -> ParsedFile:
    """The :class:`ParsedFile` of an export of option texts: :func:`text_records` over the
    ``rows`` read from ``path``, after the ``problems`` met while reading them."""
    records, more, form = text_records(
        ctx,
        rows,
        fmt=fmt,
        separator=separator,
        source_file=str(path),
        source_sha256=file_sha256(path.read_bytes()),
        where=str(path),
    )
    return ParsedFile(fmt, records, problems + more, form)


def find_column(header: list[str], *names: str) -> int | None:
    """Index of the first column whose normalised header is one of ``names``."""
    wanted = {n.casefold() for n in names}
    for i, h in enumerate(header):
        if h in wanted:
            return i
    return None
