"""Score what a reader read against the simulator's ground truth.

The figure that matters is **silent errors**: a question read as something the person did not
mean, and not flagged. A flag is never an error (a person looks at it), but flags cost review
time, so they are counted too. Rules per question (``truth`` is a :class:`TruthQuestion`):

- the sheet was refused: the question is not read (counted at sheet level);
- the reader flagged it (state ``ambiguous`` or any doubtful letter), or flagged the whole
  page (a 1-bit pencil scan, low contrast, implausibly many blanks): *flagged*;
- else its cell (letters, ``""`` blank, ``?`` ambiguous) equals the intended cell: *correct*;
- else the cell is one of ``truth.acceptable`` (e.g. a tick read as blank): *accepted*;
- else: a **silent error**.

The respondent ID read from the grid counts the same way: wrong on an unflagged sheet is a
silent error. A sheet is *exact* when it is not refused, nothing on it is flagged and every
question and the ID equal the intended ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path, PurePath

from pydantic import BaseModel, ConfigDict, Field

from common.errors import ImageError
from omr.imageio import decode_image, read_bytes, sniff
from omr.pdf import pdf_page_bilevel, render_pdf_page
from omr.read import read_page
from omr.results import QuestionRead, SheetResult, SourceRef
from omr.sim.truth import SheetTruth
from testgen.manifest import SheetPackage

ACCURACY_SCHEMA_VERSION = 1
MAX_LISTED_ERRORS = 50


class SilentError(BaseModel):
    """One wrong, unflagged reading: where it is and what the person meant."""

    model_config = ConfigDict(extra="forbid")

    file: str
    page: int
    profile: str
    question: int | None  # None: the respondent ID
    style: str
    expected: str
    got: str


class AccuracyFigures(BaseModel):
    """Counts for one profile (or all); percentages are of the questions on read sheets."""

    model_config = ConfigDict(extra="forbid")

    sheets: int = 0
    missing: int = 0  # truth without any result
    refused: int = 0
    flagged_sheets: int = 0
    exact_sheets: int = 0
    bubbles_read: int = 0
    questions: int = 0  # on sheets that were read (not refused, not missing)
    correct: int = 0
    accepted: int = 0
    flagged: int = 0
    flagged_must_read: int = 0  # flags on marks a reader should have read
    silent_errors: int = 0
    silent_id_errors: int = 0

    @property
    def flagged_pct(self) -> float:
        return 100.0 * self.flagged / self.questions if self.questions else 0.0

    @property
    def exact_pct(self) -> float:
        return 100.0 * self.exact_sheets / self.sheets if self.sheets else 0.0

    @property
    def correct_pct(self) -> float:
        return 100.0 * self.correct / self.questions if self.questions else 0.0

    def add(self, other: AccuracyFigures) -> None:
        for name in type(self).model_fields:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class AccuracyReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = ACCURACY_SCHEMA_VERSION
    total: AccuracyFigures
    profiles: dict[str, AccuracyFigures]
    errors: list[SilentError] = Field(default_factory=list)  # the first MAX_LISTED_ERRORS
    # profile -> how it was drawn (TruthQuestion.style, "id") -> outcome -> count; outcomes
    # are correct, accepted, flagged, silent_error. Shows which kinds of mark cost the flags.
    styles: dict[str, dict[str, dict[str, int]]] = Field(default_factory=dict)
    # profile -> instrument of the sheet (physical profiles; "" for stamped marks) -> figures
    instruments: dict[str, dict[str, AccuracyFigures]] = Field(default_factory=dict)


def answer_cell(question: QuestionRead) -> str:
    """A read question as a results.csv cell: letters, ``""`` blank, ``"?"`` ambiguous."""
    return "?" if question.state == "ambiguous" else question.letters


def is_flagged(question: QuestionRead) -> bool:
    return question.state == "ambiguous" or bool(question.doubtful)


def _key(file: str, page: int) -> tuple[str, int]:
    # Results name files as given on the command line; the truth names them relative to the
    # simulation folder, where names are unique.
    return PurePath(file).name, page


def score_sheet(
    result: SheetResult | None,
    truth: SheetTruth,
    styles: dict[str, dict[str, int]] | None = None,
) -> tuple[AccuracyFigures, list[SilentError]]:
    """Figures and silent errors of one sheet page; ``styles`` collects outcomes per style."""
    figures = AccuracyFigures(sheets=1)
    errors: list[SilentError] = []
    tally = styles if styles is not None else {}

    def count(style: str, outcome: str) -> None:
        per = tally.setdefault(style, {})
        per[outcome] = per.get(outcome, 0) + 1

    if result is None:
        figures.missing = 1
        return figures, errors
    if result.status == "refused":
        figures.refused = 1
        return figures, errors
    figures.flagged_sheets = int(result.status == "flagged")
    read = {q.position: q for q in result.questions}
    whole = result.whole_page_flagged
    exact = result.status == "ok"
    for expected in truth.questions:
        figures.questions += 1
        got = read.get(expected.position)
        if got is None:
            # A question the reader did not report is as bad as a wrong one: nobody sees it.
            figures.silent_errors += 1
            errors.append(_error(truth, expected.position, expected.style, expected.cell, "(none)"))
            count(expected.style, "silent_error")
            exact = False
            continue
        figures.bubbles_read += len(got.fills)
        cell = answer_cell(got)
        if whole or is_flagged(got):
            figures.flagged += 1
            figures.flagged_must_read += int(expected.must_read)
            count(expected.style, "flagged")
            exact = False
        elif cell == expected.cell:
            figures.correct += 1
            count(expected.style, "correct")
        elif cell in expected.acceptable:
            figures.accepted += 1
            count(expected.style, "accepted")
            exact = False
        else:
            figures.silent_errors += 1
            errors.append(_error(truth, expected.position, expected.style, expected.cell, cell))
            count(expected.style, "silent_error")
            exact = False
    if truth.respondent is not None and result.respondent != truth.respondent:
        exact = False
        if result.status == "ok":
            figures.silent_id_errors += 1
            errors.append(_error(truth, None, "id", truth.respondent, result.respondent or ""))
            count("id", "silent_error")
        else:
            count("id", "flagged")
    elif truth.respondent is not None:
        count("id", "correct")
    figures.exact_sheets = int(exact)
    return figures, errors


def _error(
    truth: SheetTruth, question: int | None, style: str, expected: str, got: str
) -> SilentError:
    return SilentError(
        file=truth.file,
        page=truth.page,
        profile=truth.profile,
        question=question,
        style=style,
        expected=expected,
        got=got,
    )


def compare(results: Iterable[SheetResult], truth: Iterable[SheetTruth]) -> AccuracyReport:
    """Score ``results`` against ``truth``, per profile and in total."""
    by_key = {_key(r.source.file, r.source.page): r for r in results}
    total = AccuracyFigures()
    profiles: dict[str, AccuracyFigures] = {}
    errors: list[SilentError] = []
    styles: dict[str, dict[str, dict[str, int]]] = {}
    instruments: dict[str, dict[str, AccuracyFigures]] = {}
    for t in truth:
        tally = styles.setdefault(t.profile, {})
        figures, sheet_errors = score_sheet(by_key.get(_key(t.file, t.page)), t, tally)
        total.add(figures)
        profiles.setdefault(t.profile, AccuracyFigures()).add(figures)
        per = instruments.setdefault(t.profile, {})
        per.setdefault(t.instrument or "stamped", AccuracyFigures()).add(figures)
        errors += sheet_errors[: max(0, MAX_LISTED_ERRORS - len(errors))]
    return AccuracyReport(
        total=total, profiles=profiles, errors=errors, styles=styles, instruments=instruments
    )


def read_one(
    path: Path, page: int, manifest: SheetPackage, key: bytes | None = None
) -> SheetResult:
    """Read one simulated page with the reader's library (no annotation: only figures)."""
    where = f"{path} p.{page}"
    data = read_bytes(path)
    source = SourceRef(file=str(path), page=page, sha256=hashlib.sha256(data).hexdigest())
    bilevel = None
    try:
        if sniff(data[:16]) == "pdf":
            image = render_pdf_page(data, page, where)
            bilevel = pdf_page_bilevel(data, page, where)
        else:
            image = decode_image(data, page, where)
    except ImageError as error:
        return SheetResult(source=source, status="refused", reason=error.message)
    return read_page(
        image, manifest, source, want_annotation=False, key=key, bilevel=bilevel
    ).result


def _read_chunk(
    args: tuple[list[tuple[str, int]], SheetPackage, bytes | None],
) -> list[SheetResult]:
    items, manifest, key = args
    return [read_one(Path(file), page, manifest, key) for file, page in items]


def read_simulated(
    folder: Path,
    truth: list[SheetTruth],
    manifest: SheetPackage,
    *,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    key: bytes | None = None,
) -> list[SheetResult]:
    """Read every page that ``truth`` names in ``folder``; ``workers`` > 1 uses processes.
    ``key``: the package's identity key, for signed packages."""
    items = [(str(folder / t.file), t.page) for t in truth]
    if workers <= 1:
        out = []
        for done, (file, page) in enumerate(items, start=1):
            out.append(read_one(Path(file), page, manifest, key))
            if progress is not None:
                progress(done, len(items))
        return out
    size = 8
    chunks = [(items[i : i + size], manifest, key) for i in range(0, len(items), size)]
    results: list[SheetResult] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for chunk in pool.map(_read_chunk, chunks):
            results += chunk
            if progress is not None:
                progress(len(results), len(items))
    return results
