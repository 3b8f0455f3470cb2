"""Ground truth of simulated sheets: what each person meant on each question, and the
``truth.jsonl`` file that carries it (schema ``SheetTruth``, version 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from common.errors import InputNotFound, ValidationFailed
from common.i18n import tr
from common.validation import describe
from omr.results import QuestionState

TRUTH_SCHEMA_VERSION: Final = 1


TRUTH_FILE = "truth.jsonl"


SheetKind = Literal["anonymous", "personal"]


class TruthQuestion(BaseModel):
    """What the person meant for one question, and what a reader may answer."""

    model_config = ConfigDict(extra="forbid")

    position: int
    state: QuestionState
    letters: str  # intended printed letters; for "ambiguous", the candidate letter
    style: str  # how it was drawn, e.g. "pen", "pencil_half", "tick", "erased_changed"
    must_read: bool  # True: read exactly, a flag is a miss; False: a flag is the right answer
    acceptable: list[str] = Field(default_factory=list)  # unflagged cells that are not errors

    @property
    def cell(self) -> str:
        """The intended answer as a results.csv cell: letters, "" for blank, "?" ambiguous."""
        return "?" if self.state == "ambiguous" else self.letters


class SheetTruth(BaseModel):
    """Ground truth of one simulated sheet page: one line of ``truth.jsonl``."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = TRUTH_SCHEMA_VERSION
    file: str  # relative to the simulation folder, e.g. "sheets/scan-0003.jpg"
    page: int = 1  # page within the file
    test_id: str
    variant: int
    sheet_page: int  # page of the layout
    layout_hash: str
    respondent: str | None  # None when the page carries no ID (later pages of a sheet)
    respondent_source: Literal["grid", "qr"] | None
    profile: str
    seed: int
    index: int
    expect: Literal["read", "refuse_or_flag"]
    degradation: dict[str, float | int | str | bool] = Field(default_factory=dict)
    questions: list[TruthQuestion]
    stray_marks: int = 0
    instrument: str = ""  # the physical profiles' one instrument per sheet (omr.sim.hand)

    @property
    def kind(self) -> SheetKind:
        """Every page of a personalised sheet names its teacher in the QR code."""
        return "personal" if self.respondent_source == "qr" else "anonymous"


class SimulationSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    test_id: str
    profile: str
    seed: int
    count: int  # sheets
    pages: int  # image pages written
    out_dir: str
    truth: str  # path of truth.jsonl
    files: list[str]


def load_truth(path: Path) -> list[SheetTruth]:
    """Read ``truth.jsonl`` (a file or the folder holding it), validating every line."""
    if path.is_dir():
        path = path / TRUTH_FILE
    if not path.is_file():
        raise InputNotFound(
            tr("ground-truth file not found"), where=str(path), hint=tr("run `omr simulate`")
        )
    out = []
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(SheetTruth.model_validate_json(line))
        except ValidationError as error:
            problems += [f"line {number}: {p}" for p in describe(error)]
    if problems:
        raise ValidationFailed(problems, where=str(path))
    return out


def merge_truth(path: Path, new: list[SheetTruth]) -> None:
    """Write ``new`` into the truth file, replacing every older record of the same profiles
    and sheet kinds.

    Images of those older records that this run did not rewrite (a sheet now saved as PNG
    instead of JPEG, a smaller count) are removed, so the folder holds no sheet without truth.
    """
    profiles = {(t.profile, t.kind) for t in new}
    written = {t.file for t in new}
    old = load_truth(path) if path.is_file() else []
    for record in old:
        if (record.profile, record.kind) in profiles and record.file not in written:
            (path.parent / record.file).unlink(missing_ok=True)
    kept = [t for t in old if (t.profile, t.kind) not in profiles]
    lines = [t.model_dump_json() for t in kept + new]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
