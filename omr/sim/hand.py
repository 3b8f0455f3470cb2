"""A second, physically motivated model of how people mark a sheet, apart from
:mod:`omr.sim.ink` (which stamps whole discs).

Marks are drawn as *strokes of an instrument*, the way a hand moves: a zig-zag scribble to
fill a bubble (dense or loose, whole or half), ticks, crosses, a circle drawn around, a dot,
erasure (what an eraser leaves of a mark: a smeared fraction of its graphite) and
erase-and-change, stray lines that run through bubbles, handwriting beside a question,
stains, folds and staple holes. Each instrument has an optical density range (darkness =
1 - 10^-OD) and a stroke width; pencil deposits graphite on the peaks of the paper's tooth
only, so a light pencil stroke is a broken, grainy line and pressure decides how much of the
tooth it reaches.

One instrument per sheet, as a person keeps their pen; the truth of each question says what
the person meant and which readings are acceptable.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from omr.sim.truth import TruthQuestion
from testgen.manifest import Bubble, SheetPage


@dataclass(frozen=True)
class Instrument:
    name: str
    density: tuple[float, float]  # optical density range of one stroke
    width_mm: tuple[float, float]
    pencil: bool
    colour: tuple[int, int, int]  # BGR of the ink at full density, for colour captures


INSTRUMENTS = {
    "ballpoint": Instrument("ballpoint", (0.6, 1.0), (0.35, 0.5), False, (150, 40, 20)),
    "gel": Instrument("gel", (0.9, 1.4), (0.45, 0.7), False, (40, 30, 25)),
    "hb": Instrument("hb", (0.16, 0.32), (0.4, 0.6), True, (70, 70, 70)),
    "2b": Instrument("2b", (0.3, 0.55), (0.5, 0.8), True, (60, 60, 60)),
}
INSTRUMENT_WEIGHTS = {"ballpoint": 0.4, "gel": 0.15, "hb": 0.3, "2b": 0.15}

# style -> weight among the questions of a sheet
STYLES: dict[str, float] = {
    "blank": 0.08,
    "fill": 0.55,
    "loose": 0.12,
    "half": 0.04,
    "double": 0.03,
    "dot": 0.02,
    "tick": 0.015,
    "cross": 0.015,
    "circled": 0.01,
    "erased": 0.02,
    "erase_change": 0.04,
    "line_through": 0.03,
    "note": 0.01,
}


# what a pen user does instead of erasing (ballpoint and gel ink do not come off)
_ERASING = {"erased": "blank", "erase_change": "fill"}


def darkness(density: float) -> float:
    return 1.0 - 10.0 ** (-density)


class Hand:
    """One person with one instrument, drawing on a page's ink layer (darkness 0..1)."""

    def __init__(self, instrument: Instrument, rng: np.random.Generator, px_per_mm: float) -> None:
        self.instrument = instrument
        self.rng = rng
        self.px_per_mm = px_per_mm
        self.pressure = float(rng.uniform(0.55, 1.0))  # this person's usual pressure
        self.density = float(rng.uniform(*instrument.density))

    def _tooth(self, h: int, w: int) -> np.ndarray:
        """The paper's fine relief under one stroke, 0..1: graphite catches on its peaks."""
        noise = self.rng.random((h, w)).astype(np.float32)
        relief = cv2.GaussianBlur(noise, (0, 0), max(0.5, 0.05 * self.px_per_mm))
        return np.asarray((relief - relief.min()) / max(float(np.ptp(relief)), 1e-6))

    def stroke_layer(self, size: tuple[int, int], polylines: list[np.ndarray]) -> np.ndarray:
        """Darkness of ``polylines`` (pixel coordinates) on an (h, w) patch."""
        h, w = size
        width = max(1, round(self.rng.uniform(*self.instrument.width_mm) * self.px_per_mm))
        mask = np.zeros((h, w), np.uint8)
        for pts in polylines:
            cv2.polylines(
                mask, [np.rint(pts * 8).astype(np.int32)], False, 255, width, cv2.LINE_AA, 3
            )
        cover = mask.astype(np.float32) / 255.0
        d = darkness(self.density * self.rng.uniform(0.9, 1.1))
        if self.instrument.pencil:
            # graphite only where the tooth stands above what this pressure reaches
            tooth = self._tooth(h, w)
            reach = np.clip((tooth - (1.0 - self.pressure) * 0.7) / 0.35, 0.0, 1.0)
            cover = cover * reach
        return cover * d

    # --- gestures, each returning polylines in a patch centred on the bubble -------------

    def zigzag(self, r: float, c: float, extent: float, spacing: float, part: float = 1.0):
        """Back-and-forth strokes across a disc of radius ``extent`` x r; ``part`` < 1 covers
        only that share of it (a half fill)."""
        width = float(np.mean(self.instrument.width_mm)) * self.px_per_mm
        step = max(1.0, width * spacing)
        angle = self.rng.uniform(0, np.pi)
        R = r * extent
        lo = -R
        hi = -R + 2 * R * part
        ts = np.arange(lo, hi + step / 2, step)
        pts = []
        for k, t in enumerate(ts):
            half = np.sqrt(max(R * R - t * t, 0.0)) * self.rng.uniform(0.9, 1.1)
            a, b = (-half, half) if k % 2 == 0 else (half, -half)
            pts.append((a, t))
            pts.append((b, t + step / 2))
        xy = np.array(pts, dtype=np.float64)
        xy += self.rng.normal(0, 0.04 * r, xy.shape)
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        off = self.rng.uniform(-0.08, 0.08, 2) * r
        return [xy @ rot.T + c + off]

    def tick(self, r: float, c: float):
        j = self.rng.uniform(-0.1, 0.1, (3, 2)) * r
        return [np.array([[-0.6, 0.0], [-0.1, 0.6], [1.0, -1.1]]) * r + j + c]

    def cross(self, r: float, c: float):
        j = self.rng.uniform(-0.1, 0.1, (4, 2)) * r
        k = self.rng.uniform(0.9, 1.3)
        return [
            np.array([[-k, -k], [k, k]]) * r * 0.8 + j[:2] + c,
            np.array([[k, -k], [-k, k]]) * r * 0.8 + j[2:] + c,
        ]

    def circle_around(self, r: float, c: float):
        k = self.rng.uniform(1.2, 1.5)
        angles = np.linspace(0, 2 * np.pi * self.rng.uniform(1.0, 1.15), 40)
        wob = 1 + 0.05 * np.sin(3 * angles + self.rng.uniform(0, 6))
        return [np.stack([np.cos(angles), np.sin(angles)], axis=1) * (k * r * wob)[:, None] + c]

    def dot(self, r: float, c: float):
        p = self.rng.uniform(-0.3, 0.3, 2) * r + c
        return [np.array([p, p + self.rng.uniform(-0.1, 0.1, 2) * r])]


def _patch_size(r: float) -> int:
    return int(np.ceil(r * 1.7)) * 2 + 1


def _stamp(ink: np.ndarray, patch: np.ndarray, cx: float, cy: float) -> None:
    size = patch.shape[0]
    x0, y0 = round(cx) - size // 2, round(cy) - size // 2
    h, w = ink.shape
    xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + size, w), min(y0 + size, h)
    if xa < xb and ya < yb:
        region = ink[ya:yb, xa:xb]
        np.maximum(region, patch[ya - y0 : yb - y0, xa - x0 : xb - x0], out=region)


def _mark(hand: Hand, kind: str, r: float) -> np.ndarray:
    size = _patch_size(r)
    c = size // 2
    rng = hand.rng
    if kind == "fill":
        lines = hand.zigzag(r, c, rng.uniform(0.85, 1.05), rng.uniform(0.5, 0.9))
    elif kind == "loose":
        lines = hand.zigzag(r, c, rng.uniform(0.75, 0.95), rng.uniform(1.1, 1.6))
    elif kind == "half":
        lines = hand.zigzag(
            r, c, rng.uniform(0.9, 1.0), rng.uniform(0.6, 0.9), rng.uniform(0.5, 0.7)
        )
    elif kind == "tick":
        lines = hand.tick(r, c)
    elif kind == "cross":
        lines = hand.cross(r, c)
    elif kind == "circled":
        lines = hand.circle_around(r, c)
    elif kind == "dot":
        lines = hand.dot(r, c)
    else:
        raise ValueError(kind)
    return hand.stroke_layer((size, size), lines)


def _erase(patch: np.ndarray, rng: np.random.Generator, r: float) -> np.ndarray:
    """What an eraser leaves: a smeared 10-35 % of the graphite."""
    left = rng.uniform(0.1, 0.35)
    return cv2.GaussianBlur(patch, (0, 0), max(0.5, 0.15 * r)) * left


def _line_through(ink: np.ndarray, hand: Hand, bubbles: list[Bubble], scale: float, pick: int):
    """A stray stroke (a slip, a line under the question) through one empty bubble and on."""
    b = bubbles[pick]
    cx, cy = b.x * scale, b.y * scale
    angle = hand.rng.uniform(-0.35, 0.35) + (np.pi / 2 if hand.rng.random() < 0.3 else 0.0)
    length = b.r * scale * hand.rng.uniform(2.5, 6)
    off = hand.rng.uniform(-0.5, 0.5) * b.r * scale
    d = np.array([np.cos(angle), np.sin(angle)])
    n = np.array([-d[1], d[0]])
    centre = np.array([cx, cy]) + n * off
    pts = np.array([centre - d * length / 2, centre + d * length / 2])
    x0, y0 = np.floor(pts.min(axis=0)).astype(int) - 8
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int) + 8
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, ink.shape[1]), min(y1, ink.shape[0])
    layer = hand.stroke_layer((y1 - y0, x1 - x0), [pts - [x0, y0]])
    np.maximum(ink[y0:y1, x0:x1], layer, out=ink[y0:y1, x0:x1])


def _note(ink: np.ndarray, hand: Hand, last: Bubble, scale: float, letter: str) -> None:
    """A letter written beside the question (a correction, a note)."""
    x, y = (last.x + last.r * 2.6) * scale, (last.y + last.r * 0.5) * scale
    patch = np.zeros((int(20 * scale), int(18 * scale)), np.uint8)
    cv2.putText(
        patch, letter, (2, int(15 * scale)), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 0.45 * scale, 255,
        max(1, int(scale * 0.9)), cv2.LINE_AA,
    )  # fmt: skip
    x0, y0 = int(x), int(y) - int(15 * scale)
    region = ink[y0 : y0 + patch.shape[0], x0 : x0 + patch.shape[1]]
    dark = patch[: region.shape[0], : region.shape[1]].astype(np.float32) / 255.0
    np.maximum(region, dark * darkness(hand.density), out=region)


def plan(style: str, options: str, rng: np.random.Generator, preferred: int | None):
    """What the person meant: (truth state, letters, acceptable, must_read, marks) where
    marks are (option index, gesture) pairs."""
    n = len(options)
    pick = preferred if preferred is not None else int(rng.integers(n))
    other = int((pick + 1 + rng.integers(n - 1)) % n) if n > 1 else pick
    letter = options[pick]
    if style == "blank":
        return "blank", "", [], True, []
    if style in ("fill", "loose", "half"):
        return "marked", letter, [], True, [(pick, style)]
    if style == "double":
        letters = "".join(sorted(letter + options[other]))
        return "multiple", letters, [], True, [(pick, "fill"), (other, "fill")]
    if style == "dot":
        return "blank", "", [], True, [(pick, "dot")]
    if style in ("tick", "cross"):
        return "marked", letter, [letter, ""], False, [(pick, style)]
    if style == "circled":
        return "marked", letter, [letter], False, [(pick, "circled")]
    if style == "erased":
        return "blank", "", [""], False, [(pick, "erased")]
    if style == "erase_change":
        return "marked", letter, [letter], False, [(other, "erased"), (pick, "fill")]
    if style == "line_through":
        # the real answer plus a stray line through another, empty bubble
        return "marked", letter, [], True, [(pick, "fill"), (other, "line")]
    if style == "note":
        return "marked", letter, [letter], False, [(pick, "fill"), (-1, "note")]
    raise ValueError(style)


def fill_sheet(
    shape: tuple[int, int],
    page: SheetPage,
    scale: float,
    rng: np.random.Generator,
    instrument: Instrument,
    *,
    respondent: str | None,
    preferred: dict[int, int] | None = None,
) -> tuple[np.ndarray, list[TruthQuestion]]:
    """The ink layer (darkness 0..1, ``shape``) of one person's page and its truth.

    ``scale`` is pixels per point of the page image.
    """
    ink = np.zeros(shape, np.float32)
    hand = Hand(instrument, rng, scale * 72 / 25.4)
    by_question: dict[int, list[Bubble]] = {}
    for b in page.bubbles:
        if b.kind == "answer" and b.question is not None:
            by_question.setdefault(b.question, []).append(b)
    names = list(STYLES)
    weights = np.array([STYLES[k] for k in names])
    truths = []
    for position in sorted(by_question):
        bubbles = sorted(by_question[position], key=lambda b: b.x)
        options = "".join(b.option or "" for b in bubbles)
        style = names[int(rng.choice(len(names), p=weights / weights.sum()))]
        if not instrument.pencil and style in _ERASING:
            style = _ERASING[style]  # ink does not erase: a pen's answer is simply there
        state, letters, acceptable, must, marks = plan(
            style, options, rng, (preferred or {}).get(position)
        )
        for index, gesture in marks:
            if gesture == "line":
                _line_through(ink, hand, bubbles, scale, index)
                continue
            if gesture == "note":
                _note(ink, hand, bubbles[-1], scale, options[int(rng.integers(len(options)))])
                continue
            b = bubbles[index]
            r = b.r * scale
            patch = _mark(hand, "fill" if gesture == "erased" else gesture, r)
            if gesture == "erased":
                patch = _erase(patch, rng, r)
            _stamp(ink, patch, b.x * scale, b.y * scale)
        truths.append(
            TruthQuestion(
                position=position,
                state=state,  # type: ignore[arg-type]
                letters=letters,
                style=style,
                must_read=must,
                acceptable=acceptable,
            )
        )
    if respondent is not None:
        for b in page.bubbles:
            if b.kind == "id" and b.digit is not None and int(respondent[b.digit]) == b.value:
                _stamp(ink, _mark(hand, "fill", b.r * scale), b.x * scale, b.y * scale)
    _accidents(ink, page, scale, rng)
    return ink, truths


def _accidents(ink: np.ndarray, page: SheetPage, scale: float, rng: np.random.Generator) -> None:
    """Things that happen to paper: a staple hole, a light stain, a fold (as ink darkness)."""
    h, w = ink.shape
    if rng.random() < 0.3:  # staple holes in the top margin, between the markers
        x = rng.uniform(0.3, 0.45) * w
        for dx in (0.0, 0.02 * w):
            cv2.circle(ink, (int(x + dx), int(0.012 * h)), max(2, int(0.6 * scale)), 0.9, -1)
    if rng.random() < 0.15:  # a tea or coffee ring: light and wide
        cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.35, 0.9) * h
        stain = np.zeros_like(ink)
        cv2.ellipse(
            stain, (int(cx), int(cy)), (int(0.06 * w), int(0.05 * w)), 0, 0, 360,
            float(rng.uniform(0.06, 0.14)), -1,
        )  # fmt: skip
        stain = cv2.GaussianBlur(stain, (0, 0), 0.01 * w)
        np.maximum(ink, stain, out=ink)
    if rng.random() < 0.2:  # a fold: a faint straight line across the page
        y = rng.uniform(0.3, 0.7) * h
        cv2.line(ink, (0, int(y)), (w - 1, int(y + rng.uniform(-0.01, 0.01) * h)), 0.18, 1)
