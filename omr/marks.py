"""Measure every bubble of a page at once and decide each question's state.

Fill is measured on a ring *inside* each bubble, between 0.45 r and 0.75 r: the printed letter
sits in the centre (so a blank bubble reads ~0 without any baseline), the printed outline
lies outside it, and a dot in the middle of a bubble never reaches it. Darkness is normalised
between this sheet's own levels: paper white from a ring just outside each bubble (the
median, so lighting gradients cancel) and ink black from the
black border cells of the corner markers.

Every sample is taken through the registration's homography with one ``cv2.remap`` call for
the whole page: no warp of the page is needed.

The rule (also in docs/marking.md):

- *fill* = mean darkness of the ring (0 = paper, 1 = ink black);
  *cover* = share of the ring darker than :attr:`MarkRule.cover_level`.
- A bubble is **marked** when fill >= ``mark_fill`` and cover >= ``mark_cover``; **blank** when
  fill < ``blank_fill`` and cover < ``blank_cover``; anything between is **doubtful**.
- In a question, a marked bubble much lighter than the darkest one (fill < ``relative`` x the
  darkest) is doubtful too: that is what erasure residue next to a real mark looks like.
- Question: any doubtful bubble -> ``ambiguous``; else no marked -> ``blank``; one ->
  ``marked``; more -> ``multiple``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from omr.locate import Registration
from testgen.manifest import Bubble, Marker


@dataclass(frozen=True)
class MarkRule:
    """Thresholds of the mark rule (darkness 0 = paper white, 1 = ink black)."""

    mark_fill: float = 0.15
    mark_cover: float = 0.3
    blank_fill: float = 0.1
    blank_cover: float = 0.15
    cover_level: float = 0.25
    relative: float = 0.6


DEFAULT_RULE = MarkRule()
MIN_CONTRAST = 40.0  # grey levels between paper and ink below which nothing is trustworthy

_RING_RADII = (0.45, 0.6, 0.75)
_RING_POINTS = 16
_WHITE_RADIUS = 1.4
_WHITE_POINTS = 12


def _ring_offsets() -> np.ndarray:
    """Unit offsets of the measuring samples, shape (48, 2); rings staggered in angle."""
    out = []
    for k, radius in enumerate(_RING_RADII):
        angles = (np.arange(_RING_POINTS) + k / len(_RING_RADII)) * 2 * np.pi / _RING_POINTS
        out.append(np.stack([np.cos(angles), np.sin(angles)], axis=1) * radius)
    return np.concatenate(out)


def _white_offsets() -> np.ndarray:
    angles = (np.arange(_WHITE_POINTS) + 0.5) * 2 * np.pi / _WHITE_POINTS
    return np.stack([np.cos(angles), np.sin(angles)], axis=1) * _WHITE_RADIUS


RING = _ring_offsets()
WHITE_RING = _white_offsets()


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


@dataclass(frozen=True)
class Measured:
    """Per bubble, in layout order: ``fill``, ``cover`` (N,) and the paper level used (N,)."""

    fill: np.ndarray
    cover: np.ndarray
    white: np.ndarray
    outside: bool  # some bubble lies outside the image (page cut off)


def measure(
    image: np.ndarray,
    registration: Registration,
    bubbles: list[Bubble],
    groups: np.ndarray,
    black: float,
    rule: MarkRule = DEFAULT_RULE,
) -> Measured:
    """Fill and cover of every bubble.

    Parameters
    ----------
    bubbles : the page's bubbles, N of them
    groups : ndarray of shape (N,), int
        Group index of each bubble (a question, or an ID digit's value row); paper white is
        taken per group.
    black : ink level from :func:`ink_black`.
    """
    centres = np.array([[b.x, b.y] for b in bubbles], dtype=np.float64)
    radii = np.array([b.r for b in bubbles], dtype=np.float64)
    ring = centres[:, None, :] + RING[None] * radii[:, None, None]
    around = centres[:, None, :] + WHITE_RING[None] * radii[:, None, None]
    values = sample(image, registration, np.concatenate([ring, around], axis=1))
    outside = bool(np.isnan(values).any())
    values = np.nan_to_num(values, nan=black)
    inner, outer = values[:, : len(RING)], values[:, len(RING) :]
    # The median of the ring just outside each bubble: robust to a mark spilling over part
    # of it, and close enough that lighting gradients across the page cancel.
    white = np.median(outer, axis=1)
    span = np.maximum(white - black, 1.0)
    darkness = np.clip((white[:, None] - inner) / span[:, None], 0.0, 1.0)
    return Measured(
        fill=darkness.mean(axis=1),
        cover=(darkness >= rule.cover_level).mean(axis=1),
        white=white,
        outside=outside,
    )


@dataclass(frozen=True)
class GroupState:
    state: str  # marked / blank / multiple / ambiguous
    marked: list[int]  # indices within the group
    doubtful: list[int]


def bubble_states(
    fill: np.ndarray, cover: np.ndarray, groups: np.ndarray, rule: MarkRule = DEFAULT_RULE
) -> tuple[np.ndarray, np.ndarray]:
    """Marked and doubtful masks of every bubble of a page at once, each of shape (N,).

    ``groups`` (N,) gives each bubble's question (or ID digit): the relative rule compares a
    bubble with the darkest marked bubble of its own group.
    """
    strong = (fill >= rule.mark_fill) & (cover >= rule.mark_cover)
    weak = (fill < rule.blank_fill) & (cover < rule.blank_cover)
    darkest = np.zeros(int(groups.max()) + 1 if len(groups) else 0)
    np.maximum.at(darkest, groups[strong], fill[strong])
    faint = strong & (fill < rule.relative * darkest[groups])
    return strong & ~faint, (~strong & ~weak) | faint


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


def classify(fill: np.ndarray, cover: np.ndarray, rule: MarkRule = DEFAULT_RULE) -> GroupState:
    """State of one question from its options' fill and cover, each of shape (n_options,)."""
    strong, doubtful = bubble_states(fill, cover, np.zeros(len(fill), dtype=np.int64), rule)
    return group_state(
        [int(i) for i in np.flatnonzero(strong)], [int(i) for i in np.flatnonzero(doubtful)]
    )
