"""Fill answer sheets the way people do, degrade them, and write the ground truth.

The sheets are the real ones of a test package: ``sheet-vNN.pdf`` rasterised with pypdfium2
(drawn from the manifest's layout with :func:`testgen.sheet.render_sheets` when the package
holds only ``manifest.json``). Marks are drawn at the manifest's bubble coordinates on an ink
layer: pen, soft and light pencil (with graphite grain), partial fills, ticks, crosses,
erasures with residue, dots, stray marks outside the bubbles, several marks per question and
blanks. Each question's ground truth says what the person *meant* (``marked``, ``blank``,
``multiple``, ``ambiguous`` and the letters), whether a reader must read it exactly
(``must_read``) or may flag it, and which other unflagged answers are not errors
(``acceptable``; e.g. a tick may be read as blank, since the sheet says ticks do not count).

Personalised sheets (``kind="personal"``) are the listed teachers' own pages of the package's
``sheets-personal.pdf`` (pages and variant from ``personal-sheets.csv``): no ID grid, the
teacher ID in the QR code.

Every sheet draws from its own generator seeded with ``(seed, profile, index)``, so a sheet
is the same whatever the count, and the same seed gives byte-identical files.
"""

from __future__ import annotations

import csv
import itertools
import tempfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import cv2
import numpy as np
import pypdfium2 as pdfium
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from common.errors import InputNotFound, OutputError, ValidationFailed
from common.files import ensure_writable_folder
from common.validation import describe
from omr.degrade import BASE_DPI, PROFILES, degrade, encode
from omr.results import QuestionState
from testgen.manifest import (
    Bubble,
    Manifest,
    SheetLayout,
    SheetPage,
    load_manifest,
    parse_qr,
)
from testgen.sheet import render_sheets
from testgen.spec import LETTERS

TRUTH_SCHEMA_VERSION: Final = 1
TRUTH_FILE = "truth.jsonl"
IMAGES_DIR = "sheets"  # images go in a subfolder, so `omr scan DIR/sheets` sees only images
PERSONAL_PDF = "sheets-personal.pdf"  # written by `testgen build --roster`
PERSONAL_CSV = "personal-sheets.csv"
Progress = Callable[[int, int], None]
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


# --- fill styles -------------------------------------------------------------------------

# (style, weight) of a question's answer. Must-read styles are what a reader has to get right
# every time; they alone make up the clean profile. Erasures are may-flag: the rule is
# that erasure residue reads as blank *or ambiguous*.
_MUST_READ_STYLES: list[tuple[str, float]] = [
    ("blank", 0.10),
    ("pen", 0.37),
    ("pencil_soft", 0.20),
    ("pencil_light", 0.10),
    ("pencil_half", 0.05),
    ("partial", 0.09),
    ("multiple", 0.04),
    ("dot", 0.03),
]
# Legitimately doubtful, at rates a real session sees: about 1.8 % of questions in the scan,
# photo and harsh profiles. A reader may flag these but never read another letter.
_MAY_FLAG_STYLES: list[tuple[str, float]] = [
    ("erased_changed", 0.007),
    ("erased_blank", 0.003),
    ("tick", 0.002),
    ("cross", 0.002),
    ("heavy_erasure", 0.002),
    ("ambiguous", 0.002),
]
_ID_STYLES = ("pen", "pencil_soft", "pencil_light", "partial")


@dataclass(frozen=True)
class _Plan:
    """What to draw for one question: style per printed option index."""

    truth: TruthQuestion
    marks: list[tuple[int, str]]  # (option index, mark kind)


def _choose_style(rng: np.random.Generator, realistic: bool) -> str:
    styles = _MUST_READ_STYLES + (_MAY_FLAG_STYLES if realistic else [])
    weights = np.array([w for _, w in styles])
    return styles[int(rng.choice(len(styles), p=weights / weights.sum()))][0]


def plan_question(
    position: int,
    options: str,
    rng: np.random.Generator,
    *,
    realistic: bool,
    harsh: bool,
    preferred: int | None = None,
) -> _Plan:
    """Pick how a person answers one question; the truth follows from the drawing.

    ``preferred`` is the option the person means to choose (else a random one).
    """
    style = _choose_style(rng, realistic)
    n = len(options)
    pick = int(rng.integers(n))
    if preferred is not None:
        pick = preferred
    other = int((pick + 1 + rng.integers(n - 1)) % n) if n > 1 else pick
    letter = options[pick]
    must = not harsh

    def truth(
        state: QuestionState, letters: str, must_read: bool, acceptable: list[str]
    ) -> TruthQuestion:
        return TruthQuestion(
            position=position,
            state=state,
            letters=letters,
            style=style,
            must_read=must_read and must,
            acceptable=acceptable,
        )

    if style == "blank":
        return _Plan(truth("blank", "", True, []), [])
    if style in ("pen", "pencil_soft", "pencil_light", "pencil_half", "partial"):
        return _Plan(truth("marked", letter, True, []), [(pick, style)])
    if style == "multiple":
        kinds = [str(rng.choice(["pen", "pencil_soft"])) for _ in range(2)]
        letters = "".join(sorted(options[pick] + options[other]))
        return _Plan(truth("multiple", letters, True, []), [(pick, kinds[0]), (other, kinds[1])])
    if style == "dot":
        return _Plan(truth("blank", "", True, []), [(pick, "dot")])
    if style == "erased_changed":
        kind = str(rng.choice(["pen", "pencil_soft"]))
        marks = [(pick, kind), (other, "erased_light")]
        return _Plan(truth("marked", letter, False, [letter]), marks)
    if style == "erased_blank":
        return _Plan(truth("blank", "", False, [""]), [(pick, "erased_light")])
    if style in ("tick", "cross"):
        # The sheet says ticks and crosses do not count: blank is an acceptable reading too.
        return _Plan(truth("marked", letter, False, [letter, ""]), [(pick, style)])
    if style == "heavy_erasure":
        kind = str(rng.choice(["pen", "pencil_soft"]))
        return _Plan(
            truth("marked", letter, False, [letter]), [(pick, kind), (other, "erased_heavy")]
        )
    if style == "ambiguous":
        return _Plan(truth("ambiguous", letter, False, ["", letter]), [(pick, "faint")])
    raise AssertionError(style)


def _patch_size(r: float) -> int:
    return int(np.ceil(r * 1.6)) * 2 + 1


def _disc(rng: np.random.Generator, r: float, k: tuple[float, float], wobble: float) -> np.ndarray:
    """A hand-drawn filled disc on a square patch centred on the bubble: (S, S) float32 0..1."""
    size = _patch_size(r)
    c = size // 2
    radius = r * rng.uniform(*k)
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    # A few low harmonics make the outline look drawn, not stamped.
    harmonics = sum(
        rng.uniform(-wobble, wobble) * np.cos(h * angles + rng.uniform(0, 2 * np.pi))
        for h in (2, 3, 5)
    )
    rr = radius * (1 + harmonics)
    off = rng.uniform(-0.1, 0.1, 2) * r
    pts = np.stack([c + off[0] + rr * np.cos(angles), c + off[1] + rr * np.sin(angles)], axis=1)
    mask = np.zeros((size, size), np.uint8)
    cv2.fillPoly(mask, [np.rint(pts * 8).astype(np.int32)], 255, cv2.LINE_AA, shift=3)
    return mask.astype(np.float32) / 255.0


def _grain(rng: np.random.Generator, shape: tuple[int, ...], amount: float) -> np.ndarray:
    """Graphite grain with mean 1: pencil never covers paper evenly."""
    noise = cv2.GaussianBlur(rng.random(shape).astype(np.float32), (0, 0), 0.8)
    noise = (noise - noise.mean()) / max(float(noise.std()), 1e-6)
    return np.clip(1.0 + amount * noise, 0.0, 1.6)


def _stroke(size: int, pts: np.ndarray, thickness: float) -> np.ndarray:
    mask = np.zeros((size, size), np.uint8)
    cv2.polylines(
        mask,
        [np.rint(pts * 8).astype(np.int32)],
        False,
        255,
        max(1, round(thickness)),
        cv2.LINE_AA,
        3,
    )
    return mask.astype(np.float32) / 255.0


def draw_mark(kind: str, r: float, rng: np.random.Generator) -> np.ndarray:
    """Darkness patch (0 paper .. 1 black) of one mark, (S, S) float32, centred on the bubble.

    ``r`` is the bubble radius in pixels.
    """
    size = _patch_size(r)
    c = size // 2
    if kind == "pen":
        return _disc(rng, r, (0.88, 1.1), 0.05) * rng.uniform(0.82, 0.95)
    if kind == "pencil_soft":
        d = rng.uniform(0.6, 0.8)
        disc = _disc(rng, r, (0.85, 1.08), 0.06)
        return np.clip(disc * d * _grain(rng, disc.shape, 0.25), 0, 1)
    if kind == "pencil_light":
        d = rng.uniform(0.42, 0.55)
        disc = _disc(rng, r, (0.85, 1.05), 0.06)
        return np.clip(disc * d * _grain(rng, disc.shape, 0.3), 0, 1)
    if kind == "pencil_half":
        # Half the bubble (50-65 % of its area) at 40-50 % darkness: the rule says it
        # must count.
        d = rng.uniform(0.4, 0.5)
        disc = _disc(rng, r, (0.95, 1.02), 0.03)
        ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) - c
        a = rng.uniform(0, 2 * np.pi)
        along = xs * np.cos(a) + ys * np.sin(a)
        # For a unit disc, the part beyond -0.0..-0.25 r covers 50..65 % of the area.
        cut = -rng.uniform(0.0, 0.25) * r
        return np.clip(disc * (along > cut) * d * _grain(rng, disc.shape, 0.3), 0, 1)
    if kind == "partial":
        # A quick scribble that leaves gaps: 70-90 % covered.
        disc = _disc(rng, r, (0.8, 0.95), 0.05)
        for _ in range(int(rng.integers(2, 5))):
            hole = np.zeros_like(disc)
            p = c + rng.uniform(-0.6, 0.6, 2) * r
            cv2.circle(hole, (int(p[0]), int(p[1])), int(r * rng.uniform(0.12, 0.22)), 1.0, -1)
            disc *= 1 - hole
        return disc * rng.uniform(0.8, 0.95)
    if kind == "dot":
        dot = np.zeros((size, size), np.float32)
        p = c + rng.uniform(-0.3, 0.3, 2) * r
        cv2.circle(dot, (int(p[0]), int(p[1])), max(1, int(r * rng.uniform(0.12, 0.2))), 1.0, -1)
        return dot * rng.uniform(0.8, 0.95)
    if kind in ("tick", "cross"):
        t = r * rng.uniform(0.15, 0.22)
        jitter = rng.uniform(-0.12, 0.12, (3, 2)) * r
        if kind == "tick":
            pts = np.array([[-0.6, 0.0], [-0.1, 0.6], [0.9, -0.9]]) * r + jitter + c
            return _stroke(size, pts, t) * rng.uniform(0.82, 0.95)
        one = np.array([[-0.8, -0.8], [0.8, 0.8]]) * r + jitter[:2] + c
        two = np.array([[0.8, -0.8], [-0.8, 0.8]]) * r + jitter[1:] + c
        return np.maximum(_stroke(size, one, t), _stroke(size, two, t)) * rng.uniform(0.82, 0.95)
    if kind in ("erased_light", "erased_heavy"):
        residue = rng.uniform(0.05, 0.1) if kind == "erased_light" else rng.uniform(0.2, 0.32)
        disc = _disc(rng, r, (0.9, 1.1), 0.06)
        smudge = cv2.GaussianBlur(disc, (0, 0), r * 0.2)
        return np.clip(smudge * residue * _grain(rng, disc.shape, 0.4), 0, 1)
    if kind == "faint":
        # A hesitant light pencil touch over part of the bubble: truly in doubt.
        d = rng.uniform(0.2, 0.3)
        disc = _disc(rng, r, (0.6, 0.8), 0.1)
        return np.clip(disc * d * _grain(rng, disc.shape, 0.3), 0, 1)
    raise ValueError(f"unknown mark kind {kind!r}")


def _stamp(ink: np.ndarray, patch: np.ndarray, cx: float, cy: float) -> None:
    """Combine a centred patch into the page's ink layer (overlapping ink does not add up)."""
    size = patch.shape[0]
    x0, y0 = round(cx) - size // 2, round(cy) - size // 2
    h, w = ink.shape
    xa, ya = max(x0, 0), max(y0, 0)
    xb, yb = min(x0 + size, w), min(y0 + size, h)
    if xa >= xb or ya >= yb:
        return
    region = ink[ya:yb, xa:xb]
    np.maximum(region, patch[ya - y0 : yb - y0, xa - x0 : xb - x0], out=region)


def _stray_marks(
    ink: np.ndarray,
    page: SheetPage,
    scale: float,
    rng: np.random.Generator,
    count: int,
) -> int:
    """Scribbles and lines away from every bubble, marker and the QR code; returns how many."""
    h, w = ink.shape
    centres = np.array([[b.x, b.y] for b in page.bubbles]) * scale
    radius = max(b.r for b in page.bubbles) * scale
    keep_out = [(m.x, m.y, m.x + m.size, m.y + m.size) for m in page.markers]
    keep_out.append((page.qr.x, page.qr.y, page.qr.x + page.qr.width, page.qr.y + page.qr.height))
    drawn = 0
    for _ in range(count):
        for _attempt in range(40):
            start = rng.uniform([0.05 * w, 0.12 * h], [0.95 * w, 0.95 * h])
            steps = rng.normal(0, 1, (int(rng.integers(2, 6)), 2)) * radius * 1.5
            pts = np.vstack([start, start + np.cumsum(steps, axis=0)])
            dense = np.concatenate([np.linspace(a, b, 12) for a, b in itertools.pairwise(pts)])
            near = np.min(np.hypot(*(dense[:, None, :] - centres[None, :, :]).transpose(2, 0, 1)))
            inside = any(
                (x0 * scale - 20 <= p[0] <= x1 * scale + 20)
                and (y0 * scale - 20 <= p[1] <= y1 * scale + 20)
                for x0, y0, x1, y1 in keep_out
                for p in dense
            )
            on_page = bool(np.all((dense > 5) & (dense < [w - 5, h - 5])))
            if near > radius * 2.0 and not inside and on_page:
                layer = np.zeros_like(ink)
                cv2.polylines(
                    layer,
                    [np.rint(pts).astype(np.int32)],
                    False,
                    float(rng.uniform(0.5, 0.9)),
                    max(1, int(radius * rng.uniform(0.08, 0.18))),
                    cv2.LINE_AA,
                )
                np.maximum(ink, layer, out=ink)
                drawn += 1
                break
    return drawn


def _write_digits(
    ink: np.ndarray, page: SheetPage, scale: float, digits: str, rng: np.random.Generator
) -> None:
    """Handwrite the ID digits in the boxes above the grid, as the sheet asks."""
    for b in page.bubbles:
        if b.kind != "id" or b.value != 0 or b.digit is None:
            continue
        # The box spans 23..9 pt above the "0" row (testgen.sheet); the baseline sits near
        # its bottom, the digit roughly centred.
        x = (b.x - 3.5) * scale + rng.uniform(-3, 3)
        y = (b.y - 11.5) * scale + rng.uniform(-3, 3)
        # putText draws on 8-bit images only: draw on a local patch, then merge.
        x0, y0 = int(x) - 10, int(y) - int(16 * scale)
        patch = np.zeros((int(22 * scale), int(16 * scale)), np.uint8)
        cv2.putText(
            patch,
            digits[b.digit],
            (int(x) - x0, int(y) - y0),
            cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
            0.36 * scale,
            255,
            max(1, int(scale * 0.8)),
            cv2.LINE_AA,
        )
        region = ink[y0 : y0 + patch.shape[0], x0 : x0 + patch.shape[1]]
        darkness = patch[: region.shape[0], : region.shape[1]].astype(np.float32) / 255.0
        np.maximum(region, darkness * float(rng.uniform(0.7, 0.9)), out=region)


def fill_page(
    base: np.ndarray,
    page: SheetPage,
    layout: SheetLayout,
    rng: np.random.Generator,
    *,
    respondent: str | None,
    realistic: bool,
    harsh: bool,
    preferred: dict[int, int] | None = None,
) -> tuple[np.ndarray, list[TruthQuestion], int]:
    """Draw one person's marks on ``base`` ((H, W) uint8 at 300 dpi).

    Returns the filled page, the ground truth of its questions and the number of stray marks.
    """
    scale = BASE_DPI / 72.0
    ink = np.zeros(base.shape, np.float32)
    by_question: dict[int, list[Bubble]] = {}
    for b in page.bubbles:
        if b.kind == "answer" and b.question is not None:
            by_question.setdefault(b.question, []).append(b)
    truths = []
    for position in sorted(by_question):
        bubbles = sorted(by_question[position], key=lambda b: b.x)
        options = "".join(b.option or "" for b in bubbles)
        plan = plan_question(
            position,
            options,
            rng,
            realistic=realistic,
            harsh=harsh,
            preferred=(preferred or {}).get(position),
        )
        for index, kind in plan.marks:
            b = bubbles[index]
            _stamp(ink, draw_mark(kind, b.r * scale, rng), b.x * scale, b.y * scale)
        truths.append(plan.truth)
    if respondent is not None:
        for b in page.bubbles:
            if b.kind == "id" and b.digit is not None and int(respondent[b.digit]) == b.value:
                kind = str(rng.choice(_ID_STYLES))
                _stamp(ink, draw_mark(kind, b.r * scale, rng), b.x * scale, b.y * scale)
        _write_digits(ink, page, scale, respondent, rng)
    strays = _stray_marks(ink, page, scale, rng, int(rng.integers(0, 4)))
    filled = base.astype(np.float32) * (1.0 - ink)
    return np.clip(np.rint(filled), 0, 255).astype(np.uint8), truths, strays


# --- sheets of the package ---------------------------------------------------------------


@dataclass(frozen=True)
class PersonalSheet:
    """One row of ``personal-sheets.csv``: whose sheet starts on which page of the PDF."""

    teacher_id: str
    variant: int
    first_page: int


def load_personal_sheets(test_dir: Path, manifest: Manifest) -> dict[str, PersonalSheet]:
    """Read the package's ``personal-sheets.csv``: teacher ID -> sheet, every row checked."""
    path = test_dir / PERSONAL_CSV
    if not path.is_file() or not (test_dir / PERSONAL_PDF).is_file():
        raise InputNotFound(
            f"personalised sheets not found ({PERSONAL_PDF}, {PERSONAL_CSV})",
            where=str(test_dir),
            hint="build the package with `testgen build --roster ROSTER`",
        )
    variants = {v.number for v in manifest.variants}
    out: dict[str, PersonalSheet] = {}
    problems = []
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            teacher = (row.get("teacher_id") or "").strip()
            try:
                sheet = PersonalSheet(teacher, int(row["variant"]), int(row["first_page"]))
            except (KeyError, TypeError, ValueError):
                problems.append(f"row {line}: variant and first_page must be whole numbers")
                continue
            if not teacher or teacher in out:
                problems.append(f"row {line}: teacher_id {teacher!r} is empty or repeated")
            elif sheet.variant not in variants or sheet.first_page < 1:
                problems.append(
                    f"row {line}: variant {sheet.variant} or first_page {sheet.first_page} "
                    "is not in this package"
                )
            else:
                out[teacher] = sheet
    if problems:
        raise ValidationFailed(problems, where=str(path), hint="rebuild the package")
    return out


class _Sheets:
    """Rasterised blank sheets of the package: anonymous ones of every variant, cached by
    (variant, layout page); personalised ones rasterised page by page as they are needed
    (each is filled once, so caching them would only hold memory)."""

    def __init__(
        self, manifest: Manifest, test_dir: Path, scratch: Path, kind: SheetKind = "anonymous"
    ):
        self.manifest = manifest
        self.test_dir = test_dir
        self.scratch = scratch
        self.kind = kind
        self.layout = manifest.layout_of_kind(kind)
        self.cache: dict[tuple[int, int], np.ndarray] = {}
        self.personal = load_personal_sheets(test_dir, manifest) if kind == "personal" else {}

    def _pdf(self, variant: int) -> Path:
        path = self.test_dir / f"sheet-v{variant:02d}.pdf"
        if path.is_file():
            return path
        # A package with only manifest.json: draw the sheet exactly as testgen build does.
        path = self.scratch / f"sheet-v{variant:02d}.pdf"
        if not path.is_file():
            render_sheets(path, self.layout, self.manifest.test, [(variant, None)])
        return path

    def page(self, variant: int, page_no: int) -> np.ndarray:
        key = (variant, page_no)
        if key not in self.cache:
            image = _rasterise(self._pdf(variant), page_no)
            self._check(image, variant, page_no, self._pdf(variant))
            self.cache[key] = image
        return self.cache[key]

    def personal_page(self, teacher_id: str, page_no: int) -> np.ndarray:
        """Layout page ``page_no`` of the teacher's own sheet in ``sheets-personal.pdf``."""
        sheet = self.personal[teacher_id]
        path = self.test_dir / PERSONAL_PDF
        image = _rasterise(path, sheet.first_page + page_no - 1)
        self._check(image, sheet.variant, page_no, path, teacher_id)
        return image

    def _check(
        self, image: np.ndarray, variant: int, page_no: int, pdf: Path, respondent: str = ""
    ) -> None:
        """Refuse a sheet PDF that is not this manifest's (a stale build): its QR must name
        this test, variant, page, layout hash (and teacher), or every truth record would be
        wrong."""
        page = self.layout.pages[page_no - 1]
        s = BASE_DPI / 72.0
        pad = 12
        box = page.qr
        crop = image[
            max(int((box.y - pad) * s), 0) : int((box.y + box.height + pad) * s),
            max(int((box.x - pad) * s), 0) : int((box.x + box.width + pad) * s),
        ]
        text = _decode_qr(crop)
        data = parse_qr(text)
        expected = (self.manifest.test.id, variant, page_no, self.layout.hash, respondent)
        if (
            data is None
            or (
                data.test_id,
                data.variant,
                data.page,
                data.layout_hash,
                data.respondent,
            )
            != expected
        ):
            teacher = f", teacher {respondent}" if respondent else ""
            raise ValidationFailed(
                [
                    f"page {page_no}: the sheet's QR code reads {text or 'nothing'!r}, expected "
                    f"test {expected[0]}, variant {variant}, layout {self.layout.hash}{teacher}"
                ],
                where=str(pdf),
                hint="the PDF does not match manifest.json; rebuild the package",
            )


def _decode_qr(crop: np.ndarray) -> str:
    """The QR text of a clean rendered crop. OpenCV 5's plain detector misses about 3 % of
    our clean codes at 300 dpi; the ArUco-based one reads them, so it is the fallback."""
    for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
        text, _, _ = detector.detectAndDecode(crop)
        if text:
            return str(text)
    return ""


def _rasterise(pdf_path: Path, page_index: int) -> np.ndarray:
    """Page ``page_index`` (1-based) of a PDF at 300 dpi, grey: (H, W) uint8."""
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        if page_index > len(pdf):
            raise ValidationFailed(
                [f"page {page_index}: the PDF has only {len(pdf)} page(s)"],
                where=str(pdf_path),
                hint="the PDF does not match the package; rebuild it",
            )
        bitmap = pdf[page_index - 1].render(scale=BASE_DPI / 72.0, grayscale=True)
        image = np.array(bitmap.to_numpy(), copy=True)
    finally:
        pdf.close()
    return image.reshape(image.shape[0], image.shape[1])


def _respondent(rng: np.random.Generator, digits: int) -> str:
    return "".join(str(int(d)) for d in rng.integers(0, 10, digits))


def _key_choices(
    manifest: Manifest, variant: int, skill: float, rng: np.random.Generator
) -> dict[int, int]:
    """Printed position -> option index of the key, for the questions a person of this
    ``skill`` (chance of knowing the answer) answers right; the rest stay random."""
    out = {}
    for item in manifest.variant(variant).items:
        if rng.random() < skill:
            out[item.position] = LETTERS.index(item.key[0])
    return out


def simulate_sheet(
    sheets: _Sheets,
    profile: str,
    seed: int,
    index: int,
    respondent: str | None = None,
    skill: float | None = None,
) -> list[tuple[bytes, str, SheetTruth]]:
    """One simulated sheet (every layout page): [(encoded image, suffix, truth)].

    ``respondent`` is the ID to fill in the grid; a random one is drawn when it is ``None``.
    On personalised sheets it is the teacher whose own sheet is filled (required).
    ``skill`` is the chance of marking the key on each question; ``None`` marks at random.
    """
    if sheets.kind == "personal":
        if respondent is None:
            raise ValidationFailed(["respondent: a personalised sheet needs a teacher ID"])
        return _simulate_personal(sheets, profile, seed, index, respondent, skill)
    manifest = sheets.manifest
    layout = sheets.layout
    rng = np.random.default_rng([seed, PROFILES.index(profile), index])
    variant = manifest.variants[int(rng.integers(len(manifest.variants)))].number
    drawn = _respondent(rng, layout.id_digits) if layout.id_digits else None
    if respondent is not None and layout.id_digits:
        if not respondent.isdigit() or len(respondent) > layout.id_digits:
            raise ValidationFailed(
                [f"respondent {respondent!r} does not fit {layout.id_digits} ID digits"],
                where="simulate",
            )
        respondent = respondent.zfill(layout.id_digits)
    else:
        respondent = drawn
    preferred = None
    if skill is not None:
        # A stream of its own, so the drawing of every mark stays what it was without skill.
        key_rng = np.random.default_rng([seed, PROFILES.index(profile), index, 1])
        preferred = _key_choices(manifest, variant, skill, key_rng)

    def identity(page: SheetPage) -> tuple[str | None, Literal["grid"] | None]:
        has_id = any(b.kind == "id" for b in page.bubbles)
        return (respondent, "grid") if has_id else (None, None)

    return _draw_pages(
        sheets, profile, seed, index, variant, rng, preferred,
        lambda number: sheets.page(variant, number), identity,
    )  # fmt: skip


def _simulate_personal(
    sheets: _Sheets, profile: str, seed: int, index: int, teacher_id: str, skill: float | None
) -> list[tuple[bytes, str, SheetTruth]]:
    """The teacher's own sheet: the variant is the one printed for them, the ID is in the QR.

    Its generators are streams of their own (last key 2 and 3), apart from the anonymous
    sheet of the same index.
    """
    variant = sheets.personal[teacher_id].variant
    rng = np.random.default_rng([seed, PROFILES.index(profile), index, 2])
    preferred = None
    if skill is not None:
        key_rng = np.random.default_rng([seed, PROFILES.index(profile), index, 3])
        preferred = _key_choices(sheets.manifest, variant, skill, key_rng)
    return _draw_pages(
        sheets, profile, seed, index, variant, rng, preferred,
        lambda number: sheets.personal_page(teacher_id, number),
        lambda page: (teacher_id, "qr"),
    )  # fmt: skip


def _draw_pages(
    sheets: _Sheets,
    profile: str,
    seed: int,
    index: int,
    variant: int,
    rng: np.random.Generator,
    preferred: dict[int, int] | None,
    blank_page: Callable[[int], np.ndarray],
    identity: Callable[[SheetPage], tuple[str | None, Literal["grid", "qr"] | None]],
) -> list[tuple[bytes, str, SheetTruth]]:
    """Fill and degrade every layout page of one sheet: [(encoded image, suffix, truth)].

    ``blank_page(n)`` is the printed page n; ``identity(page)`` is the respondent the page
    names and how (``"grid"``: drawn into the ID bubbles; ``"qr"``: already printed).
    """
    layout = sheets.layout
    out = []
    for page in layout.pages:
        respondent, source = identity(page)
        filled, questions, strays = fill_page(
            blank_page(page.page),
            page,
            layout,
            rng,
            respondent=respondent if source == "grid" else None,
            realistic=profile != "clean",
            harsh=profile == "harsh",
            preferred=preferred,
        )
        degraded = degrade(filled, page, profile, rng)
        data, suffix = encode(degraded)
        truth = SheetTruth(
            file="",
            test_id=sheets.manifest.test.id,
            variant=variant,
            sheet_page=page.page,
            layout_hash=layout.hash,
            respondent=respondent,
            respondent_source=source,
            profile=profile,
            seed=seed,
            index=index,
            expect="refuse_or_flag" if profile == "harsh" else "read",
            degradation=degraded.params,
            questions=questions,
            stray_marks=strays,
        )
        out.append((data, suffix, truth))
    return out


def _stem(kind: SheetKind, profile: str) -> str:
    """File name start of a profile's sheets; personalised ones apart, so both kinds can share
    a folder."""
    return profile if kind == "anonymous" else f"{profile}-personal"


def _write_sheets(
    sheets: _Sheets,
    profile: str,
    seed: int,
    indices: list[int],
    out_dir: Path,
    multi_page: bool,
    respondents: list[str] | None = None,
    skills: list[float] | None = None,
) -> list[SheetTruth]:
    """Simulate the sheets ``indices`` and write their images; returns their truth records."""
    truths: list[SheetTruth] = []
    for index in indices:
        respondent = respondents[index] if respondents else None
        skill = skills[index] if skills else None
        for data, suffix, truth in simulate_sheet(sheets, profile, seed, index, respondent, skill):
            page_part = f"-p{truth.sheet_page}" if multi_page else ""
            name = f"{IMAGES_DIR}/{_stem(sheets.kind, profile)}-{index:04d}{page_part}{suffix}"
            try:
                (out_dir / name).write_bytes(data)
            except OSError as error:
                raise OutputError(
                    f"cannot write: {error.strerror}", where=str(out_dir / name)
                ) from None
            truths.append(truth.model_copy(update={"file": name}))
    return truths


def _simulate_chunk(
    args: tuple[
        Manifest,
        Path,
        str,
        int,
        list[int],
        Path,
        bool,
        list[str] | None,
        list[float] | None,
        SheetKind,
    ],
) -> list[SheetTruth]:
    """A worker process's share: its own cache of rasterised sheets."""
    (
        manifest,
        test_dir,
        profile,
        seed,
        indices,
        out_dir,
        multi_page,
        respondents,
        skills,
        kind,
    ) = args
    with tempfile.TemporaryDirectory(prefix="omr-sim-") as scratch:
        sheets = _Sheets(manifest, test_dir, Path(scratch), kind)
        return _write_sheets(
            sheets, profile, seed, indices, out_dir, multi_page, respondents, skills
        )


def simulate(
    manifest: Manifest,
    test_dir: Path,
    count: int,
    profile: str,
    seed: int,
    out_dir: Path,
    progress: Progress | None = None,
    *,
    workers: int = 1,
    respondents: list[str] | None = None,
    skills: list[float] | None = None,
    kind: SheetKind = "anonymous",
) -> SimulationSummary:
    """Fill and degrade ``count`` sheets of the test; write images and ``truth.jsonl``.

    ``kind="anonymous"`` fills the anonymous sheet of a random variant per sheet:
    ``respondents``, when given, holds the ID filled in on each sheet (``count`` of them);
    otherwise each sheet gets a random ID. ``kind="personal"`` fills each listed teacher's own
    personalised sheet (``respondents``, required: teacher IDs of ``personal-sheets.csv``;
    pages and variant from there), whose QR code names the teacher. ``skills``, when given,
    holds each person's chance of marking the key (so scores look like a real session's);
    otherwise answers are random.

    Images go to ``out_dir/sheets/<profile>[-personal]-<index>[-p<page>].<png|jpg>``;
    ``truth.jsonl`` (in ``out_dir``, naming each image relative to it) gets one
    :class:`SheetTruth` per image page (merged, so several profiles and kinds can share a
    folder; the same seed, profile and kind overwrite the same files). ``workers`` > 1 draws
    in processes; the files are the same either way.
    """
    problems = []
    if profile not in PROFILES:
        problems.append(f"profile: {profile!r} is not one of {', '.join(PROFILES)}")
    if count < 1:
        problems.append(f"count: must be at least 1, got {count}")
    if respondents is not None and len(respondents) != count:
        problems.append(f"respondents: {len(respondents)} given for {count} sheets")
    if skills is not None and len(skills) != count:
        problems.append(f"skills: {len(skills)} given for {count} sheets")
    if kind not in ("anonymous", "personal"):
        problems.append(f"kind: {kind!r} is not anonymous or personal")
    elif not any(layout.kind == kind for layout in manifest.layouts.values()):
        problems.append(f"layouts: the manifest has no {kind} answer sheet")
    elif kind == "personal":
        problems += _personal_problems(load_personal_sheets(test_dir, manifest), respondents)
    if problems:
        raise ValidationFailed(problems, where="simulate")
    ensure_writable_folder(out_dir / IMAGES_DIR)
    multi_page = len(manifest.layout_of_kind(kind).pages) > 1
    truths: list[SheetTruth] = []
    if workers > 1:
        chunks = [
            (
                manifest,
                test_dir,
                profile,
                seed,
                list(range(i, min(i + 16, count))),
                out_dir,
                multi_page,
                respondents,
                skills,
                kind,
            )
            for i in range(0, count, 16)
        ]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for chunk in pool.map(_simulate_chunk, chunks):
                truths += chunk
                if progress is not None:
                    progress(len({t.index for t in truths}), count)
    else:
        with tempfile.TemporaryDirectory(prefix="omr-sim-") as scratch:
            sheets = _Sheets(manifest, test_dir, Path(scratch), kind)
            for index in range(count):
                truths += _write_sheets(
                    sheets, profile, seed, [index], out_dir, multi_page, respondents, skills
                )
                if progress is not None:
                    progress(index + 1, count)
    if profile == "scan":
        truths = _bundle(out_dir, truths, _stem(kind, profile))
    truth_path = out_dir / TRUTH_FILE
    _merge_truth(truth_path, truths)
    return SimulationSummary(
        test_id=manifest.test.id,
        profile=profile,
        seed=seed,
        count=count,
        pages=len(truths),
        out_dir=str(out_dir),
        truth=str(truth_path),
        files=[t.file for t in truths],
    )


# Scanner software often saves several sheets in one file: in every 25 scan sheets, sheets 3+4
# become one two-page PDF (JPEG pages, as scanners write them) and 11+12 one multi-page TIFF.
_BUNDLES = {3: ("pdf", 2), 11: ("tiff", 2)}
_BUNDLE_CYCLE = 25


def _personal_problems(known: dict[str, PersonalSheet], respondents: list[str] | None) -> list[str]:
    """What is wrong with the teacher IDs asked for on personalised sheets."""
    if not respondents:
        return ["respondents: personalised sheets need the teacher IDs to fill"]
    unknown = sorted({r for r in respondents if r not in known})
    repeated = sorted(r for r, n in Counter(respondents).items() if n > 1)
    problems = []
    if unknown:
        problems.append(f"respondents: not in {PERSONAL_CSV}: {', '.join(unknown)}")
    if repeated:
        problems.append(f"respondents: listed more than once: {', '.join(repeated)}")
    return problems


def _bundle(out_dir: Path, truths: list[SheetTruth], stem: str = "scan") -> list[SheetTruth]:
    """Move the scan sheets picked by ``_BUNDLES`` into multi-page PDF and TIFF files."""
    by_index: dict[int, list[SheetTruth]] = {}
    for t in truths:
        by_index.setdefault(t.index, []).append(t)
    out: list[SheetTruth] = []
    bundled: set[int] = set()
    for index in sorted(by_index):
        if index in bundled:
            continue
        kind, size = _BUNDLES.get(index % _BUNDLE_CYCLE, ("", 0))
        members = list(range(index, index + size))
        if not kind or not all(len(by_index.get(i, [])) == 1 for i in members):
            out += by_index[index]
            continue
        records = [by_index[i][0] for i in members]
        name = (
            f"{IMAGES_DIR}/{stem}-{index:04d}-{members[-1]:04d}.{'pdf' if kind == 'pdf' else 'tif'}"
        )
        paths = [out_dir / r.file for r in records]
        if kind == "pdf":
            _write_scanner_pdf(out_dir / name, paths, [r.degradation for r in records])
        else:
            pages = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in paths]
            cv2.imwritemulti(str(out_dir / name), pages, [cv2.IMWRITE_TIFF_COMPRESSION, 5])
        for number, (record, path) in enumerate(zip(records, paths, strict=True), start=1):
            path.unlink()
            out.append(record.model_copy(update={"file": name, "page": number}))
        bundled.update(members)
    return out


def _write_scanner_pdf(
    path: Path, jpegs: list[Path], params: list[dict[str, float | int | str | bool]]
) -> None:
    """One PDF page per JPEG, sized from its dpi; reportlab embeds JPEG data as it is."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    c = Canvas(str(path), invariant=1)
    for jpeg, param in zip(jpegs, params, strict=True):
        image = ImageReader(str(jpeg))
        width, height = image.getSize()
        dpi = float(param.get("dpi", BASE_DPI))
        size = (width * 72.0 / dpi, height * 72.0 / dpi)
        c.setPageSize(size)
        c.drawImage(image, 0, 0, *size)
        c.showPage()
    c.save()


def simulate_package(
    test: Path,
    count: int,
    profile: str,
    seed: int,
    out_dir: Path,
    progress: Progress | None = None,
    *,
    workers: int = 1,
    kind: SheetKind = "anonymous",
    respondents: list[str] | None = None,
) -> SimulationSummary:
    """:func:`simulate` for a package folder (or its ``manifest.json``), as the CLI names it.

    With ``respondents`` there is one sheet per ID and ``count`` is not used; personalised
    sheets without them are those of the first ``count`` teachers of ``personal-sheets.csv``.
    """
    test_dir = test.parent if test.suffix == ".json" else test
    manifest = load_manifest(test)
    if respondents:
        count = len(respondents)
    elif kind == "personal" and any(layout.kind == kind for layout in manifest.layouts.values()):
        respondents = list(load_personal_sheets(test_dir, manifest))[:count]
        count = len(respondents)
    return simulate(
        manifest,
        test_dir,
        count,
        profile,
        seed,
        out_dir,
        progress,
        workers=workers,
        respondents=respondents,
        kind=kind,
    )


def _merge_truth(path: Path, new: list[SheetTruth]) -> None:
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


def load_truth(path: Path) -> list[SheetTruth]:
    """Read ``truth.jsonl`` (a file or the folder holding it), validating every line."""
    if path.is_dir():
        path = path / TRUTH_FILE
    if not path.is_file():
        raise InputNotFound(
            "ground-truth file not found", where=str(path), hint="run `omr simulate`"
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
