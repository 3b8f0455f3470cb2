"""Measure every bubble of a page at once and decide what a person would see in it.

The model (also in docs/marking.md, in a reviewer's words):

1. **Ink is what the printed sheet does not explain.** Darkness is measured between this
   sheet's own paper white (the median of a ring just outside each bubble) and ink black (the
   corner markers' black cells). Every bubble is sampled over its whole disc, centre included,
   and on three rings just outside its outline. What an *empty* bubble of the same printed letter
   looks like on this very page (same scanner, same blur, same threshold) is the per-sample
   median of that letter's bubbles: most bubbles of a sheet are empty.
   Ink = darkness minus that reference, so the printed letter and outline cancel, on a grey
   scan and on a 1-bit one alike.
2. **Shape, not only amount.** Per bubble: *fill* (mean ink over the disc), *stroke* (the
   darkness of the mark itself: the 90th percentile of its ink), *area* (the share of the disc
   covered at half the stroke's darkness or more), *sectors* (how many of 8 angular sectors
   are at least half covered), and *outside* (the share of the ring just outside the outline
   that carries ink, and in how many separate places). A fill covers the disc in every sector;
   a line crosses two sectors and leaves the disc in two places; a cross, four.
3. **This sheet's statistics, not fixed constants.** Something is *there* when the fill
   stands clear of this page's empty bubbles (their median plus 6 robust standard
   deviations, at least 0.03). A *mark* must be as dark as this person's other marks: its
   stroke at least 0.6 x the median stroke of the sheet's clear marks (0.5 when the sheet
   has fewer than three), and at least 0.12, at most 0.34.

Decision per bubble: **marked** (there, filled in shape: area >= 0.4 in >= 4 sectors, fill
>= 0.1, stroke over the bar), **blank** (nothing there; or a line that crosses the disc and
leaves it on both sides; or a speck, such as a dot or the end of a stroke poking in; or a tick,
cross or faint trace next to a marked bubble of the same question; or, alone, a trace lighter
than 0.35 x this person's marks), anything else **doubtful**. In a question, a marked bubble
much lighter than the darkest one (fill < 0.65 x, or stroke < 0.75 x) is doubtful: erasure
residue next to a real mark. A circle drawn around a bubble (ink on 30 % of an outside ring,
or its paper ring darker than its neighbours') is never blank.

Every sample is taken through the registration's homography with one ``cv2.remap`` call for
the whole page: no warp of the page is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from omr.locate import Registration
from testgen.manifest import Bubble, Marker


@dataclass(frozen=True)
class MarkRule:
    """Thresholds of the mark model (ink 0 = the printed empty bubble, 1 = ink black)."""

    floor_fill: float = 0.03  # the least fill that is "something there" ...
    noise_k: float = 6.0  # ... and this many robust sigmas above the page's empty bubbles
    mark_fill: float = 0.1
    mark_area: float = 0.4
    mark_sectors: int = 4
    stroke_min: float = 0.12
    stroke_share: float = 0.5  # a sample is covered at this share of the bubble's stroke
    line_area: float = 0.4  # below this area, ink is a stroke: a line, tick, cross or dot
    line_sectors: int = 4  # ... and a line through the disc crosses at most this many sectors
    speck_area: float = 0.15  # a dot: this little area, inside the disc
    sheet_relative: float = 0.6  # a mark's stroke against the sheet's median mark stroke
    bar_max: float = 0.34  # ... but a mark this dark is one on any sheet
    residue_fill: float = 2.5  # a trace this many times lighter than a clear mark beside it,
    residue_stroke: float = 0.5  # ... with a stroke this much lighter, is what an eraser left
    typical_default: float = 0.5  # the sheet's mark stroke when it has too few clear marks
    typical_marks: int = 3
    pair_fill: float = 0.65
    pair_stroke: float = 0.75
    circled: float = 0.3  # share of the outside ring with ink: a circle drawn around
    halo: float = 0.1  # paper around the bubble this much darker than around the others
    outside_ink: float = 0.15  # the level of ink outside, at most (lighter on pencil sheets)
    trace: float = (
        0.35  # alone, a trace this light against the sheet's marks is what an eraser left
    )


DEFAULT_RULE = MarkRule()
MIN_CONTRAST = 40.0  # grey levels between paper and ink below which nothing is trustworthy
LOW_CONTRAST = 90.0  # below this, light pencil may vanish: the sheet is flagged

_RADII = (0.2, 0.38, 0.56, 0.74)
_ANGLES = 16
_SECTORS = 8
_OUTSIDE_RADII = (1.2, 1.34, 1.5)
_OUTSIDE_POINTS = 32  # dense enough that a pen line crossing the ring hits a sample
_WHITE_RADIUS = 1.45
_WHITE_POINTS = 12
_CENTRE_WEIGHT = 0.05
_SAME_PRINT = 0.08  # empty bubbles of two letters differ in mean darkness by less


def _circle(points: int, radius: float, phase: float) -> np.ndarray:
    angles = (np.arange(points) + phase) * 2 * np.pi / points
    return np.stack([np.cos(angles), np.sin(angles)], axis=1) * radius


def _disc_offsets() -> np.ndarray:
    """Centre, then rings of :data:`_ANGLES` samples at :data:`_RADII` (staggered)."""
    rings = [_circle(_ANGLES, r, k / len(_RADII)) for k, r in enumerate(_RADII)]
    return np.concatenate([np.zeros((1, 2)), *rings])


DISC = _disc_offsets()
OUTSIDE = np.concatenate(
    [_circle(_OUTSIDE_POINTS, r, 0.5 * k) for k, r in enumerate(_OUTSIDE_RADII)]
)
WHITE_RING = _circle(_WHITE_POINTS, _WHITE_RADIUS, 0.5)
_N_DISC, _N_OUT = len(DISC), len(OUTSIDE)
_P90 = round(0.9 * (_N_DISC - 1))
# Each sample stands for the area around it: proportional to its radius.
_WEIGHTS = np.concatenate([[_CENTRE_WEIGHT], np.repeat(_RADII, _ANGLES)])
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


def sample(image: np.ndarray, registration: Registration, points: np.ndarray) -> np.ndarray:
    """Bilinear samples of ``image`` at page points of shape (N, K, 2); returns (N, K) float32.

    Points outside the image read as NaN.
    """
    mapped = registration.to_image(points).astype(np.float32)
    values = cv2.remap(
        image,
        mapped[..., 0],
        mapped[..., 1],
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    ).astype(np.float32)
    h, w = image.shape[:2]
    outside = (
        (mapped[..., 0] < 0)
        | (mapped[..., 1] < 0)
        | (mapped[..., 0] > w - 1)
        | (mapped[..., 1] > h - 1)
    )
    values[outside] = np.nan
    return values


def ink_black(image: np.ndarray, registration: Registration, markers: list[Marker]) -> float:
    """Ink level: median of the centres of the markers' black border cells."""
    points = []
    for marker in markers:
        if marker.id not in registration.markers:
            continue
        cell = marker.size / 6
        centres = (np.arange(6) + 0.5) * cell
        for row in range(6):
            for col in range(6):
                if row in (0, 5) or col in (0, 5):
                    points.append((marker.x + centres[col], marker.y + centres[row]))
    values = sample(image, registration, np.array(points, dtype=np.float64)[None])
    return float(np.nanmedian(values))


def is_bilevel(image: np.ndarray) -> bool:
    """A 1-bit page (thresholded or dithered): two grey levels only, on a sample of rows."""
    rows = image[:: max(1, image.shape[0] // 120), ::3]
    counts = np.bincount(rows.ravel(), minlength=256)
    top2 = np.sort(counts)[-2:].sum()
    return bool(top2 >= 0.995 * rows.size)


def bubble_labels(bubbles: list[Bubble]) -> np.ndarray:
    """What is printed inside each bubble, as an int: answer letters and ID digits apart."""
    out = []
    for b in bubbles:
        if b.kind == "answer":
            out.append(ord((b.option or "?")[0]))
        else:
            out.append(1000 + (b.value or 0))
    return np.array(out, dtype=np.int64)


@dataclass(frozen=True)
class Measured:
    """Per bubble, in layout order, each of shape (N,)."""

    fill: np.ndarray  # mean ink over the disc
    stroke: np.ndarray  # darkness of the mark's own ink (90th percentile)
    area: np.ndarray  # share of the disc covered at >= half the stroke
    sectors: np.ndarray  # int: sectors of 8 at least half covered
    ring: np.ndarray  # (N, 3, 32): ink on three rings just outside the outline
    white: np.ndarray  # paper level used
    span: np.ndarray  # paper minus ink black, grey levels
    cut_off: bool  # some bubble lies outside the image (page cut off)


def _medians(dark: np.ndarray, members: list[np.ndarray]) -> list[np.ndarray]:
    """Per-sample median over each member set; sets of one size go through one call."""
    out: list[np.ndarray] = [np.empty(0)] * len(members)
    by_size: dict[int, list[int]] = {}
    for k, m in enumerate(members):
        by_size.setdefault(len(m), []).append(k)
    for ks in by_size.values():
        stacked = dark[np.stack([members[k] for k in ks])]  # (L, n, K)
        for k, median in zip(ks, np.median(stacked, axis=1), strict=True):
            out[k] = median
    return out


def _references(dark: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-sample darkness of an empty bubble of each label on this page, shape like ``dark``.

    The median over the bubbles of one label: a mark is rarely on half the bubbles of a
    letter. When it is (every answer "B", an ID of "111111"), that reference is much darker
    than the others, and the label borrows its kind's reference (the median over the
    lighter half of all its kind's bubbles) instead, as does a label with fewer than three.
    """
    out = np.empty_like(dark)
    means = dark[:, :_N_DISC] @ _WEIGHTS
    for is_id in (False, True):
        kind = np.flatnonzero((labels >= 1000) == is_id)
        if not len(kind):
            continue
        lighter = kind[np.argsort(means[kind])[: max(1, (len(kind) + 1) // 2)]]
        pooled = np.median(dark[lighter], axis=0)
        level = float(pooled[:_N_DISC] @ _WEIGHTS)
        groups = [kind[labels[kind] == label] for label in np.unique(labels[kind])]
        own = _medians(dark, [g for g in groups if len(g) >= 3])
        mine = iter(own)
        for members in groups:
            reference = pooled
            if len(members) >= 3:
                candidate = next(mine)
                if float(candidate[:_N_DISC] @ _WEIGHTS) <= level + _SAME_PRINT:
                    reference = candidate
            out[members] = reference
    return out


def measure(
    image: np.ndarray,
    registration: Registration,
    bubbles: list[Bubble],
    black: float,
    rule: MarkRule = DEFAULT_RULE,
) -> Measured:
    """The features of every bubble of a page (see the module docstring)."""
    centres = np.array([[b.x, b.y] for b in bubbles], dtype=np.float64)
    radii = np.array([b.r for b in bubbles], dtype=np.float64)
    offsets = np.concatenate([DISC, OUTSIDE, WHITE_RING])
    points = centres[:, None, :] + offsets[None] * radii[:, None, None]
    values = sample(image, registration, points)
    cut_off = bool(np.isnan(values).any())
    values = np.nan_to_num(values, nan=black)
    # The median of the ring outside each bubble: robust to a mark spilling over part of it,
    # and close enough that lighting gradients across the page cancel.
    white = np.median(values[:, _N_DISC + _N_OUT :], axis=1)
    span = np.maximum(white - black, 1.0)
    dark = (white[:, None] - values[:, : _N_DISC + _N_OUT]) / span[:, None]
    ink = np.clip(dark - _references(dark, bubble_labels(bubbles)), -1.0, 1.0)
    disc = np.clip(ink[:, :_N_DISC], 0.0, 1.0)
    stroke = np.partition(disc, _P90, axis=1)[:, _P90]  # the 90th percentile, cheaply
    level = np.maximum(rule.stroke_share * stroke, 0.08)[:, None]
    covered = disc >= level
    rings = covered[:, 1:].reshape(len(bubbles), len(_RADII), _SECTORS, _ANGLES // _SECTORS)
    return Measured(
        fill=np.clip(ink[:, :_N_DISC] @ _WEIGHTS, 0.0, 1.0),
        stroke=stroke,
        area=covered @ _WEIGHTS,
        sectors=(rings.mean(axis=(1, 3)) >= 0.5).sum(axis=1),
        ring=ink[:, _N_DISC:].reshape(len(bubbles), len(_OUTSIDE_RADII), _OUTSIDE_POINTS),
        white=white,
        span=span,
        cut_off=cut_off,
    )


@dataclass(frozen=True)
class Decision:
    """Per bubble (N,): marked / doubtful masks and a confidence 0..1 (1 = far from every
    threshold); and the page statistics the decision used."""

    marked: np.ndarray
    doubtful: np.ndarray
    confidence: np.ndarray
    floor: float  # the least fill that counts as something there, on this page
    typical: float  # the sheet's median mark stroke (or the default)
    lines: np.ndarray  # ink read as a line or a stray stroke, ignored
    solidity: float  # median fill / stroke of the marked bubbles (1 = solid ink), 1 if none


def _empty_floor(fill: np.ndarray, rule: MarkRule) -> float:
    if len(fill) == 0:
        return rule.floor_fill
    empties = fill[fill <= np.quantile(fill, 0.6)]
    centre = float(np.median(empties))
    sigma = 1.4826 * float(np.median(np.abs(empties - centre)))
    return max(rule.floor_fill, centre + rule.noise_k * sigma)


def _per_group_max(values: np.ndarray, mask: np.ndarray, groups: np.ndarray) -> np.ndarray:
    out = np.zeros(int(groups.max()) + 1 if len(groups) else 0)
    np.maximum.at(out, groups[mask], values[mask])
    return out


def outside_ink(ring: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of the outside rings (N, 3, 32) with ink at ``level`` (N, 3) or more (the most
    inked ring), and in how many separate places (runs, over the rings together)."""
    hits = np.asarray(ring >= level[:, :, None])
    share = hits.mean(axis=2)
    # places from the three rings together: a thin line may slip between the samples of one
    anywhere = np.asarray(hits.any(axis=1))
    starts = (anywhere & ~np.roll(anywhere, 1, axis=1)).sum(axis=1)
    return share.max(axis=1), np.where(anywhere.all(axis=1), 1, starts)


def _halo(m: Measured, groups: np.ndarray) -> np.ndarray:
    """How much darker the paper ring around each bubble is than around its neighbours in
    the same question (0..1): a circle drawn around a bubble darkens its ring alone, while
    a shadow or a light gradient darkens neighbours alike."""
    n = len(groups)
    if n == 0:
        return np.zeros(0)
    index = np.arange(n)
    prev_ok = (index > 0) & (groups == np.roll(groups, 1))
    next_ok = (index < n - 1) & (groups == np.roll(groups, -1))
    total = np.where(prev_ok, np.roll(m.white, 1), 0.0) + np.where(
        next_ok, np.roll(m.white, -1), 0.0
    )
    count = prev_ok.astype(int) + next_ok.astype(int)
    usual = np.where(count > 0, total / np.maximum(count, 1), m.white)
    return np.clip((usual - m.white) / m.span, 0.0, 1.0)


def decide(m: Measured, groups: np.ndarray, rule: MarkRule = DEFAULT_RULE) -> Decision:
    """Marked, blank or doubtful for every bubble of a page; ``groups`` (N,) names each
    bubble's question or ID digit."""
    floor = _empty_floor(m.fill, rule)
    # something there: clear of the empty bubbles, and either clearly (twice the floor) or
    # with at least one sector half covered (grain and blur differences cover none)
    present = (m.fill >= floor) & ((m.sectors >= 1) | (m.fill >= 2 * floor))
    shaped = (m.area >= rule.mark_area) & (m.sectors >= rule.mark_sectors)
    candidate = present & shaped & (m.fill >= rule.mark_fill) & (m.stroke >= rule.stroke_min)
    best = _per_group_max(m.stroke, candidate, groups)
    strokes = best[best > 0]
    known = len(strokes) >= rule.typical_marks
    typical = float(np.median(strokes)) if known else rule.typical_default
    bar = min(max(rule.stroke_min, rule.sheet_relative * typical), rule.bar_max)
    strong = candidate & (m.stroke >= bar)
    # ink outside at a third of this person's stroke (a light pencil circle counts), above
    # what empty bubbles show on that ring on this page (an outline a pixel off, on a curled
    # page, shows on the inner ring)
    some = m.ring[:, :, ::4]  # every fourth point is plenty for a page's statistics
    centre = np.median(some, axis=(0, 2))
    spread = 1.4826 * np.median(np.abs(some - centre[None, :, None]), axis=(0, 2))
    noise = centre + rule.noise_k * spread  # per ring, (3,)
    base = min(0.35 * typical, rule.outside_ink)
    level = np.maximum(np.maximum(0.5 * m.stroke, base)[:, None], noise[None, :])
    outside, places = outside_ink(m.ring, level)
    circled = (outside >= rule.circled) | (_halo(m, groups) >= rule.halo)
    thin = (m.area < rule.line_area) & ~circled
    # a line crosses the disc and leaves it on both sides; a speck is small and at most
    # touches the outline from one side (a dot, the end of a stroke into the next bubble).
    # A light half fill (thin too, when its grain leaves gaps) is neither.
    crossing = (places == 2) & (m.sectors <= rule.line_sectors)
    speck = (m.area < rule.speck_area) & (places <= 1)
    lines = present & thin & (crossing | speck)
    has_mark = np.zeros(len(best), dtype=bool)
    has_mark[groups[strong]] = True
    # a tick or a cross beside a filled bubble of the same question: the fill is the answer
    darkest_fill = _per_group_max(m.fill, strong, groups)
    beside = present & ~circled & has_mark[groups]
    darkest_stroke = _per_group_max(m.stroke, strong, groups)
    beside &= thin | (
        (m.stroke < rule.residue_stroke * darkest_stroke[groups])
        & (m.fill * rule.residue_fill <= darkest_fill[groups])
    )
    # what an eraser left, measured against this person's own marks (which must be known)
    trace = present & ~circled & ~has_mark[groups] & (m.stroke < rule.trace * typical) & known
    blank = (~present & ~circled) | lines | beside | trace
    faint = strong & (
        (m.fill < rule.pair_fill * darkest_fill[groups])
        | (m.stroke < rule.pair_stroke * darkest_stroke[groups])
    )
    marked = strong & ~faint
    doubtful = ~marked & ~blank
    confidence = np.where(
        marked,
        np.clip((m.stroke - bar) / bar, 0.0, 1.0),
        np.where(doubtful, 0.0, np.clip((floor - m.fill) / floor, 0.0, 1.0)),
    )
    confidence = np.where(lines | beside | trace, 0.5, confidence)
    ratios = m.fill[marked] / np.maximum(m.stroke[marked], 1e-6)
    solidity = float(np.median(ratios)) if len(ratios) else 1.0
    return Decision(marked, doubtful, confidence, floor, typical, lines | beside | trace, solidity)


@dataclass(frozen=True)
class GroupState:
    state: str  # marked / blank / multiple / ambiguous
    marked: list[int]  # indices within the group
    doubtful: list[int]


def group_state(marked: list[int], doubtful: list[int]) -> GroupState:
    """A question's state from the indices of its marked and doubtful bubbles."""
    if doubtful:
        state = "ambiguous"
    elif not marked:
        state = "blank"
    elif len(marked) == 1:
        state = "marked"
    else:
        state = "multiple"
    return GroupState(state, marked, doubtful)


def margin_notes(
    image: np.ndarray,
    registration: Registration,
    bubbles: list[Bubble],
    white: np.ndarray,
    black: float,
) -> list[int]:
    """Questions with writing just right of their last bubble (a note, a corrected letter):
    a person should look, whatever the bubbles say."""
    last: dict[int, int] = {}
    for i, b in enumerate(bubbles):
        if b.kind != "answer" or b.question is None:
            continue
        if b.question not in last or b.x > bubbles[last[b.question]].x:
            last[b.question] = i
    if not last:
        return []
    questions = sorted(last)
    grid = np.array(
        [(dx, dy) for dx in np.arange(1.9, 4.05, 0.3) for dy in np.arange(-0.7, 0.75, 0.35)]
    )
    idx = np.array([last[q] for q in questions])
    centres = np.array([[bubbles[i].x, bubbles[i].y] for i in idx], dtype=np.float64)
    radii = np.array([bubbles[i].r for i in idx], dtype=np.float64)
    values = sample(image, registration, centres[:, None, :] + grid[None] * radii[:, None, None])
    paper = white[idx][:, None]
    dark = (paper - np.nan_to_num(values, nan=float(np.median(white)))) / np.maximum(
        paper - black, 1.0
    )
    written = (dark >= 0.45).sum(axis=1) >= 4
    return [q for q, w in zip(questions, written, strict=True) if w]
