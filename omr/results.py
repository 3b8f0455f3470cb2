"""The OMR result record: one per sheet page read, written as one JSON line to results.jsonl.

This is the seam between ``omr`` and ``scoring``; its fields are documented in docs/formats.md.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from common.i18n import mark, tr

RESULT_SCHEMA_VERSION: Final = 1

QuestionState = Literal["marked", "blank", "multiple", "ambiguous"]
SheetStatus = Literal["ok", "flagged", "refused"]


# The words flags start with or hold, for what reads them (the review sorts flags by them).
QUESTION_FLAG = "unclear mark"  # "q7: unclear mark (C)"
ID_FLAG = "respondent ID"  # "respondent ID digit 3: ambiguous", "respondent ID not filled in"
# Flags about a whole page rather than one question: nothing on such a page is taken as read
# until a person has looked (omr.read writes them; docs/marking.md lists them).
BILEVEL_FLAG = "1-bit scan: pencil may be lost - rescan in greyscale"
LOW_CONTRAST_FLAG = "low contrast"
MANY_BLANK_FLAG = "many answers blank"
WHOLE_PAGE_FLAGS = (BILEVEL_FLAG, LOW_CONTRAST_FLAG, MANY_BLANK_FLAG)


# Flags are data (results.jsonl, the store) and stay in English there; a person is shown them
# in the current language through these shapes.
_FLAG_SHAPES = (
    (
        re.compile(r"q(?P<n>\d+): unclear mark \((?P<letters>[^)]*)\)"),
        mark("q{n}: unclear mark ({letters})"),
    ),
    (
        re.compile(r"respondent ID digit (?P<n>\d+): (?P<state>\w+)"),
        mark("respondent ID digit {n}: {state}"),
    ),
    (re.compile(r"respondent ID not filled in"), mark("respondent ID not filled in")),
    (
        re.compile(re.escape(BILEVEL_FLAG)),
        mark("1-bit scan: pencil may be lost - rescan in greyscale"),
    ),
    (
        re.compile(
            r"low contrast \(paper (?P<paper>\d+), ink (?P<ink>\d+)\): light marks may be lost"
        ),
        mark("low contrast (paper {paper}, ink {ink}): light marks may be lost"),
    ),
    (
        re.compile(
            r"many answers blank \((?P<blank>\d+) of (?P<total>\d+)\): check that no light marks "
            r"were lost"
        ),
        mark("many answers blank ({blank} of {total}): check that no light marks were lost"),
    ),
    (
        re.compile(r"q(?P<n>\d+): writing beside the bubbles - check"),
        mark("q{n}: writing beside the bubbles - check"),
    ),
    (
        re.compile(r"duplicate of (?P<file>.+) p\.(?P<page>\d+) \(same marks\)"),
        mark("duplicate of {file} p.{page} (same marks)"),
    ),
    (
        re.compile(r"conflict: same sheet scanned again with different marks \((?P<others>.*)\)"),
        mark("conflict: same sheet scanned again with different marks ({others})"),
    ),
    (
        re.compile(r"the ID field says (?P<typed>.*), the sheet was made for (?P<made>.*)"),
        mark("the ID field says {typed}, the sheet was made for {made}"),
    ),
)
STATE_WORDS = (mark("blank"), mark("marked"), mark("ambiguous"), mark("multiple"))


def describe_flag(flag: str) -> str:
    """``flag`` in the current language (as stored when its shape is not known)."""
    for pattern, template in _FLAG_SHAPES:
        found = pattern.fullmatch(flag)
        if found:
            fields = found.groupdict()
            if "state" in fields:
                fields["state"] = tr(fields["state"])
            return tr(template, **fields)
    return flag


def is_whole_page(flag: str) -> bool:
    return flag.startswith(WHOLE_PAGE_FLAGS)


def is_page_flag(flag: str) -> bool:
    """A flag a person settles by looking at the page (a whole-page flag, writing beside a
    question, a rescan that differs), not a question's or the ID's own doubt."""
    return is_whole_page(flag) or not (QUESTION_FLAG in flag or flag.startswith(ID_FLAG))


class SourceRef(BaseModel):
    """Where a sheet came from: the file, the 1-based page within it, its content hash."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str
    page: int = 1
    sha256: str  # of the page's content: the file's bytes, or for multi-page files the page's


class QuestionRead(BaseModel):
    """One question: fill value of every printed option (0 = paper white, 1 = ink black)."""

    model_config = ConfigDict(extra="forbid")

    position: int
    state: QuestionState
    letters: str  # printed letters marked; "" when blank; all candidates when multiple
    fills: list[float]
    doubtful: str = ""  # letters the reader could not call marked or blank
    confidence: float | None = None  # 0..1, the reader's margin from its thresholds


class SheetResult(BaseModel):
    """One sheet page as read. ``status`` is ``ok`` only when nothing is in doubt."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = RESULT_SCHEMA_VERSION
    source: SourceRef
    channel: Literal["scan", "electronic"] = "scan"
    status: SheetStatus
    reason: str = ""  # why refused, for a person to act on
    flags: list[str] = Field(default_factory=list)
    test_id: str | None = None
    variant: int | None = None
    sheet_page: int | None = None
    layout_hash: str | None = None
    respondent: str | None = None
    respondent_source: Literal["qr", "grid", "form"] | None = None
    questions: list[QuestionRead] = Field(default_factory=list)
    registration_residual: float | None = None  # RMS marker-corner error after the fit, in pt
    paper_white: float | None = None
    ink_black: float | None = None
    bilevel: bool = False  # read from a 1-bit (black-and-white) page
    duplicate_of: SourceRef | None = None
    # pictures for the review, relative to the results folder: "page" (the annotated page),
    # "q7" (a question's bubble row), "id" (the ID grid), "comment" (a poll sheet's comment
    # box); written by the coordinator
    evidence: dict[str, str] = Field(default_factory=dict)
    comment: str | None = None  # a poll e-sheet's typed comment
    software: str = ""

    @property
    def whole_page_flagged(self) -> bool:
        """A flag that puts every answer of the page in doubt (a 1-bit pencil scan, say)."""
        return any(is_whole_page(f) for f in self.flags)

    def answers(self) -> dict[int, str]:
        """Printed position -> marked letters (``"?"`` for ambiguous)."""
        return {q.position: ("?" if q.state == "ambiguous" else q.letters) for q in self.questions}
