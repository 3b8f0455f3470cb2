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
leaves it on both sides; or a speck, such as a dot or the end of a stroke poking in; or a tick
or cross as dark as a mark, or a faint trace, next to a marked bubble of the same question; or,
alone, a trace lighter than 0.35 x this person's marks), anything else **doubtful**. In a
question, a marked bubble much lighter than the darkest one (fill < 0.65 x, or stroke < 0.75 x)
is doubtful: erasure residue next to a real mark. A circle drawn around a bubble (ink in 30 %
of the directions around it, on any of the outside rings, or its paper ring darker than its
neighbours') is never blank. Last, what people do instead of
filling: a tick or cross (thin, as dark as this person's marks, over three sectors or more, not
a line through) or a circle around an empty bubble (ink on half an outside ring) that is the
only ink in its question is marked, with a low confidence; never on a 1-bit page.

Every sample is taken through the registration's homography with one ``cv2.remap`` call for
the whole page: no warp of the page is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from omr.layout_cache import bubble_centres, per_layout
from omr.locate import Registration
from omr.robust import median, quantile
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
    circled: float = 0.3  # share of directions with ink on an outside ring: a circle around
    halo: float = 0.1  # paper around the bubble this much darker than around the others
    outside_ink: float = 0.15  # the level of ink outside, at most (lighter on pencil sheets)
    trace: float = (
        0.35  # alone, a trace this light against the sheet's marks is what an eraser left
    )
    gesture_sectors: int = 3  # a tick or cross alone in its question spans this many sectors
    ring_drawn: float = 0.5  # ... a circle alone: ink on this share of an outside ring
    gesture_confidence: float = 0.25  # what such a reading is given (a fill's is higher)


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
# (ring samples, sectors): each sector's share of one ring sample; ``covered @ _SECTOR_OF`` is
# the covered share of every sector (a matrix product: numpy sums over small axes slowly)
_SECTOR_OF = np.kron(
    np.ones((len(_RADII), 1)), np.kron(np.eye(_SECTORS), np.ones((_ANGLES // _SECTORS, 1)))
).astype(np.float32) / (len(_RADII) * (_ANGLES // _SECTORS))


def sample(
    image: np.ndarray,
    registration: Registration,
    points: np.ndarray,
    box: np.ndarray | None = None,
) -> np.ndarray:
    """Bilinear samples of ``image`` at page points of shape (N, K, 2); returns (N, K) float32.

    Points outside the image read as NaN. ``box``: the corners (4, 2) of a page rectangle
    holding every point, when the caller knows one (the test for points off the image is
    then made on its corners alone).
    """
    # float32 throughout: remap takes its coordinates as float32 pairs, and at a page's
    # size a float32 coordinate is exact to a thousandth of a pixel
    flat = np.ascontiguousarray(points, dtype=np.float32).reshape(-1, 1, 2)
    mapped = cv2.perspectiveTransform(flat, registration.homography).reshape(points.shape)
    values = cv2.remap(  # type: ignore[call-overload]  # map2 None: map1 holds (x, y) pairs
        image, mapped, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    ).astype(np.float32)
    h, w = image.shape[:2]
    if box is not None:
        on_image = _inside(registration.homography, box, w, h)
    else:
        on_image = _all_inside(mapped, w, h)
    if on_image:
        return values  # the usual case: every point on the image, no per-point test
    xs, ys = mapped[..., 0], mapped[..., 1]
    outside = (xs < 0) | (ys < 0) | (xs > w - 1) | (ys > h - 1)
    values[outside] = np.nan
    return values


def _all_inside(mapped: np.ndarray, w: int, h: int) -> bool:
    # cv2's min/max of each coordinate: numpy's reduction over an (M, 2) array's first axis
    # takes a millisecond here
    x_low, x_high, _, _ = cv2.minMaxLoc(np.ascontiguousarray(mapped[..., 0]).reshape(-1, 1))
    y_low, y_high, _, _ = cv2.minMaxLoc(np.ascontiguousarray(mapped[..., 1]).reshape(-1, 1))
    return x_low >= 0 and y_low >= 0 and x_high <= w - 1 and y_high <= h - 1


def _inside(homography: np.ndarray, box: np.ndarray, w: int, h: int) -> bool:
    """The page rectangle ``box`` maps wholly into the image: a homography that keeps the
    rectangle in front (its denominator positive at the corners, so inside too) maps it onto
    the convex hull of its corners' images, and the image is convex."""
    corners = np.hstack([box, np.ones((4, 1))]) @ homography.T
    if not (corners[:, 2] > 0).all():
        return False
    xs, ys = corners[:, 0] / corners[:, 2], corners[:, 1] / corners[:, 2]
    return bool((xs >= 0).all() and (ys >= 0).all() and (xs <= w - 1).all() and (ys <= h - 1).all())


@per_layout
def _border_cells(markers: list[Marker]) -> tuple[np.ndarray, np.ndarray]:
    """The centres of every marker's black border cells (page points) and each one's marker."""
    points, owners = [], []
    for marker in markers:
        cell = marker.size / 6
        centres = (np.arange(6) + 0.5) * cell
        for row in range(6):
            for col in range(6):
                if row in (0, 5) or col in (0, 5):
                    points.append((marker.x + centres[col], marker.y + centres[row]))
                    owners.append(marker.id)
    return np.array(points, dtype=np.float64).reshape(-1, 2), np.array(owners, dtype=np.int64)


def ink_black(image: np.ndarray, registration: Registration, markers: list[Marker]) -> float:
    """Ink level: median of the centres of the markers' black border cells."""
    points, owners = _border_cells(markers)
    used = np.isin(owners, registration.markers)
    values = sample(image, registration, points[used][None])
    return float(np.nanmedian(values))


def is_bilevel(image: np.ndarray) -> bool:
    """A 1-bit page (thresholded or dithered): two grey levels only, on a sample of rows."""
    rows = np.ascontiguousarray(image[:: max(1, image.shape[0] // 120)])
    counts = cv2.calcHist([rows], [0], None, [256], [0, 256]).ravel()
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


@dataclass(frozen=True)
class _Kind:
    """The bubbles of one kind (answers or ID digits) and their printed labels."""

    members: np.ndarray  # (M,) bubble indices of this kind
    labels: list[np.ndarray]  # bubble indices of each label, in label order
    # labels with at least three bubbles, by count: one median call per count
    batches: list[tuple[np.ndarray, list[int]]]  # (L, n) bubble indices, positions in labels


@dataclass(frozen=True)
class _Sampling:
    """Where a page's bubbles are sampled and how they group, from its layout alone."""

    points: np.ndarray  # (N, K, 2) page points: disc, outside rings, paper ring
    box: np.ndarray  # (4, 2) corners of the page rectangle that holds them all
    kinds: list[_Kind]


def _kind(members: np.ndarray, labels: np.ndarray) -> _Kind:
    groups = [members[labels[members] == label] for label in np.unique(labels[members])]
    by_size: dict[int, list[int]] = {}
    for k, g in enumerate(groups):
        if len(g) >= 3:
            by_size.setdefault(len(g), []).append(k)
    batches = [(np.stack([groups[k] for k in ks]), ks) for ks in by_size.values()]
    return _Kind(members, groups, batches)


@per_layout
def _sampling(bubbles: list[Bubble]) -> _Sampling:
    centres, radii = bubble_centres(bubbles)
    offsets = np.concatenate([DISC, OUTSIDE, WHITE_RING])
    # float32, as sample() maps them: no conversion per sheet
    points = (centres[:, None, :] + offsets[None] * radii[:, None, None]).astype(np.float32)
    points.flags.writeable = False
    labels = bubble_labels(bubbles)
    kinds = []
    for is_id in (False, True):
        members = np.flatnonzero((labels >= 1000) == is_id)
        if len(members):
            kinds.append(_kind(members, labels))
    flat = points.reshape(-1, 2).astype(np.float64)
    (x0, y0), (x1, y1) = flat.min(axis=0), flat.max(axis=0)
    box = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    return _Sampling(points, box, kinds)


def _references(dark: np.ndarray, kinds: list[_Kind]) -> np.ndarray:
    """Per-sample darkness of an empty bubble of each label on this page, shape like ``dark``.

    The median over the bubbles of one label: a mark is rarely on half the bubbles of a
    letter. When it is (every answer "B", an ID of "111111"), that reference is much darker
    than the others, and the label borrows its kind's reference (the median over the
    lighter half of all its kind's bubbles) instead, as does a label with fewer than three.
    """
    out = np.empty_like(dark)
    means = dark[:, :_N_DISC] @ _WEIGHTS
    for kind in kinds:
        members = kind.members
        lighter = members[np.argsort(means[members])[: max(1, (len(members) + 1) // 2)]]
        pooled = median(dark[lighter], axis=0)
        level = float(pooled[:_N_DISC] @ _WEIGHTS)
        references = [pooled] * len(kind.labels)
        for index, positions in kind.batches:
            medians = median(dark[index], axis=1)  # (L, K)
            own = medians[:, :_N_DISC] @ _WEIGHTS
            for k, own_median, mean in zip(positions, medians, own, strict=True):
                if mean <= level + _SAME_PRINT:
                    references[k] = own_median
        for members_of_label, reference in zip(kind.labels, references, strict=True):
            out[members_of_label] = reference
    return out


def measure(
    image: np.ndarray,
    registration: Registration,
    bubbles: list[Bubble],
    black: float,
    rule: MarkRule = DEFAULT_RULE,
) -> Measured:
    """The features of every bubble of a page (see the module docstring)."""
    layout = _sampling(bubbles)
    values = sample(image, registration, layout.points, layout.box)
    cut_off = bool(np.isnan(values).any())
    if cut_off:
        values = np.nan_to_num(values, nan=black)
    # The median of the ring outside each bubble: robust to a mark spilling over part of it,
    # and close enough that lighting gradients across the page cancel.
    white = median(values[:, _N_DISC + _N_OUT :], axis=1)
    span = np.maximum(white - black, 1.0)
    dark = (white[:, None] - values[:, : _N_DISC + _N_OUT]) / span[:, None]
    ink = np.clip(dark - _references(dark, layout.kinds), -1.0, 1.0)
    disc = np.clip(ink[:, :_N_DISC], 0.0, 1.0)
    stroke = np.partition(disc, _P90, axis=1)[:, _P90]  # the 90th percentile, cheaply
    level = np.maximum(rule.stroke_share * stroke, 0.08)[:, None]
    covered = disc >= level
    return Measured(
        fill=np.clip(ink[:, :_N_DISC] @ _WEIGHTS, 0.0, 1.0),
        stroke=stroke,
        area=covered @ _WEIGHTS,
        sectors=(covered[:, 1:].astype(np.float32) @ _SECTOR_OF >= 0.5).sum(axis=1),
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
    gestures: np.ndarray  # marked as a tick, cross or circle alone in its question


def _empty_floor(fill: np.ndarray, rule: MarkRule) -> float:
    if len(fill) == 0:
        return rule.floor_fill
    empties = fill[fill <= quantile(fill, 0.6)]
    centre = float(median(empties))
    sigma = 1.4826 * float(median(np.abs(empties - centre)))
    return max(rule.floor_fill, centre + rule.noise_k * sigma)


def _per_group_max(values: np.ndarray, mask: np.ndarray, groups: np.ndarray) -> np.ndarray:
    out = np.zeros(int(groups.max()) + 1 if len(groups) else 0)
    np.maximum.at(out, groups[mask], values[mask])
    return out


def outside_ink(ring: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Share of the outside rings (N, 3, 32) with ink at ``level`` (N, 3) or more (the most
    inked ring), the share of directions with ink on any of the three rings, and in how many
    separate places (runs, over the rings together)."""
    hits = np.asarray(ring >= level[:, :, None])
    share = hits.mean(axis=2)
    # the three rings together: a thin line may slip between the samples of one, and a
    # wobbly circle drawn by hand wanders from one ring to the next
    anywhere = np.asarray(hits.any(axis=1))
    starts = (anywhere & ~np.roll(anywhere, 1, axis=1)).sum(axis=1)
    places = np.where(anywhere.all(axis=1), 1, starts)
    return share.max(axis=1), anywhere.mean(axis=1), places


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


def decide(
    m: Measured, groups: np.ndarray, rule: MarkRule = DEFAULT_RULE, gestures: bool = True
) -> Decision:
    """Marked, blank or doubtful for every bubble of a page; ``groups`` (N,) names each
    bubble's question or ID digit. ``gestures``: a tick, cross or circle alone in its
    question is read as the answer (not on a 1-bit page, where broken pencil looks alike)."""
    floor = _empty_floor(m.fill, rule)
    # something there: clear of the empty bubbles, and either clearly (twice the floor) or
    # with at least one sector half covered (grain and blur differences cover none)
    present = (m.fill >= floor) & ((m.sectors >= 1) | (m.fill >= 2 * floor))
    shaped = (m.area >= rule.mark_area) & (m.sectors >= rule.mark_sectors)
    candidate = present & shaped & (m.fill >= rule.mark_fill) & (m.stroke >= rule.stroke_min)
    best = _per_group_max(m.stroke, candidate, groups)
    strokes = best[best > 0]
    known = len(strokes) >= rule.typical_marks
    typical = float(median(strokes)) if known else rule.typical_default
    bar = min(max(rule.stroke_min, rule.sheet_relative * typical), rule.bar_max)
    strong = candidate & (m.stroke >= bar)
    # ink outside at a third of this person's stroke (a light pencil circle counts), above
    # what empty bubbles show on that ring on this page (an outline a pixel off, on a curled
    # page, shows on the inner ring)
    # every fourth point is plenty for a page's statistics; per ring, over all bubbles
    some = m.ring[:, :, ::4].transpose(1, 0, 2).reshape(m.ring.shape[1], -1)
    centre = median(some)
    spread = 1.4826 * median(np.abs(some - centre[:, None]))
    noise = centre + rule.noise_k * spread  # per ring, (3,)
    base = min(0.35 * typical, rule.outside_ink)
    level = np.maximum(np.maximum(0.5 * m.stroke, base)[:, None], noise[None, :])
    outside, around, places = outside_ink(m.ring, level)
    circled = (around >= rule.circled) | (_halo(m, groups) >= rule.halo)
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
    # the stroke as dark as a mark: a light thin patch beside a light fill may be a second,
    # half-finished fill in pencil, for a person to see
    beside &= (thin & (m.stroke >= bar)) | (
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
    # The one inked bubble of its question, inked the way people also answer: a tick or a
    # cross (a thin stroke as dark as this person's marks, over three sectors or more, that is
    # not a line through: that leaves the disc in exactly two places) or a circle drawn
    # around an empty bubble. What the person meant is plain; beside anything else it is not.
    inked = present | circled
    alone = (np.bincount(groups[inked], minlength=len(best)) == 1)[groups]
    stroke_gesture = (
        present & thin & (places != 2) & (m.area >= rule.speck_area)
        & (m.sectors >= rule.gesture_sectors) & (m.stroke >= bar)
    )  # fmt: skip
    ring_gesture = ~present & (outside >= rule.ring_drawn)
    gesture = doubtful & alone & (stroke_gesture | ring_gesture) & gestures
    confidence = np.where(
        marked,
        np.clip((m.stroke - bar) / bar, 0.0, 1.0),
        np.where(doubtful, 0.0, np.clip((floor - m.fill) / floor, 0.0, 1.0)),
    )
    confidence = np.where(lines | beside | trace, 0.5, confidence)
    confidence = np.where(gesture, rule.gesture_confidence, confidence)
    ratios = m.fill[marked] / np.maximum(m.stroke[marked], 1e-6)
    marked = marked | gesture
    doubtful = doubtful & ~gesture
    solidity = float(median(ratios)) if len(ratios) else 1.0
    return Decision(
        marked, doubtful, confidence, floor, typical, lines | beside | trace, solidity, gesture
    )


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


@per_layout
def _beside_last(bubbles: list[Bubble]) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Each question's last (rightmost) bubble and the page points just right of it."""
    last: dict[int, int] = {}
    for i, b in enumerate(bubbles):
        if b.kind != "answer" or b.question is None:
            continue
        if b.question not in last or b.x > bubbles[last[b.question]].x:
            last[b.question] = i
    questions = sorted(last)
    grid = np.array(
        [(dx, dy) for dx in np.arange(1.9, 4.05, 0.3) for dy in np.arange(-0.7, 0.75, 0.35)]
    )
    idx = np.array([last[q] for q in questions], dtype=np.int64)
    centres = np.array([[bubbles[i].x, bubbles[i].y] for i in idx], dtype=np.float64)
    radii = np.array([bubbles[i].r for i in idx], dtype=np.float64)
    points = centres.reshape(-1, 1, 2) + grid[None] * radii[:, None, None]
    return questions, idx, points


def margin_notes(
    image: np.ndarray,
    registration: Registration,
    bubbles: list[Bubble],
    white: np.ndarray,
    black: float,
) -> list[int]:
    """Questions with writing just right of their last bubble (a note, a corrected letter):
    a person should look, whatever the bubbles say."""
    questions, idx, points = _beside_last(bubbles)
    if not questions:
        return []
    values = sample(image, registration, points)
    paper = white[idx][:, None]
    dark = (paper - np.nan_to_num(values, nan=float(np.median(white)))) / np.maximum(
        paper - black, 1.0
    )
    written = (dark >= 0.45).sum(axis=1) >= 4
    return [q for q, w in zip(questions, written, strict=True) if w]
