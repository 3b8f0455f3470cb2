"""Filling a sheet the way people do: a plan per question (what the person meant and how
they marked it), the ID digits, stray marks outside the bubbles, all drawn with
:mod:`omr.sim.ink` at the manifest's bubble coordinates."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np

from common.vocabulary import LETTERS
from omr.results import QuestionState
from omr.sim.capture import BASE_DPI
from omr.sim.ink import draw_mark, stamp
from omr.sim.truth import TruthQuestion
from testgen.manifest import (
    Bubble,
    Manifest,
    SheetLayout,
    SheetPage,
)

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
        # one person, one instrument: both marks with the same pen or pencil (the second draw
        # is kept, unused, so every later draw of the stream stays where it was)
        drawn = [str(rng.choice(["pen", "pencil_soft"])) for _ in range(2)]
        kinds = [drawn[0], drawn[0]]
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
            stamp(ink, draw_mark(kind, b.r * scale, rng), b.x * scale, b.y * scale)
        truths.append(plan.truth)
    if respondent is not None:
        for b in page.bubbles:
            if b.kind == "id" and b.digit is not None and int(respondent[b.digit]) == b.value:
                kind = str(rng.choice(_ID_STYLES))
                stamp(ink, draw_mark(kind, b.r * scale, rng), b.x * scale, b.y * scale)
        _write_digits(ink, page, scale, respondent, rng)
    strays = _stray_marks(ink, page, scale, rng, int(rng.integers(0, 4)))
    filled = base.astype(np.float32) * (1.0 - ink)
    return np.clip(np.rint(filled), 0, 255).astype(np.uint8), truths, strays


def random_respondent(rng: np.random.Generator, digits: int) -> str:
    return "".join(str(int(d)) for d in rng.integers(0, 10, digits))


def key_choices(
    manifest: Manifest, variant: int, skill: float, rng: np.random.Generator
) -> dict[int, int]:
    """Printed position -> option index of the key, for the questions a person of this
    ``skill`` (chance of knowing the answer) answers right; the rest stay random."""
    out = {}
    for item in manifest.variant(variant).items:
        if rng.random() < skill:
            out[item.position] = LETTERS.index(item.key[0])
    return out
