"""Refine the marker fit with the printed bubbles themselves.

A marker fit is only as good as its corners; with a marker cut off or blurred, bubbles far
from the good markers can sit a point or two off, which is a third of a bubble. Every bubble
is printed with a dark outline on white paper, so a handful of anchor questions spread over
the page are matched where they are: for each, the shift (in page points) that puts the
layout's circles on the darkest outline against the brightest surround. The anchors' found
positions join the marker corners in a new least-squares fit.
"""

from __future__ import annotations

import cv2
import numpy as np

from omr.layout_cache import bubble_centres, per_layout
from omr.locate import Registration
from testgen.manifest import Bubble

SEARCH_PT = 2.0
COARSE_STEP_PT = 2 / 3  # a 7 x 7 grid over +-2 pt
FINE_STEP_PT = 1 / 6  # then 5 x 5 within one coarse step
MIN_CONTRAST = 0.25  # outline darker than the surround by this share of the paper level
ANCHORS_PER_PAGE = 8
ANCHOR_BUBBLES = 3  # bubbles matched per anchor question or ID digit


def _circle(points: int, radius: float, phase: float = 0.0) -> np.ndarray:
    angles = (np.arange(points) + phase) * 2 * np.pi / points
    return np.stack([np.cos(angles), np.sin(angles)], axis=1) * radius


_OUTLINE = _circle(12, 1.0)  # on the printed outline
_SURROUND = _circle(8, 1.45, 0.5)  # the paper around it


def _anchor_groups(centres: np.ndarray, groups: np.ndarray) -> list[np.ndarray]:
    """Up to :data:`ANCHORS_PER_PAGE` groups (questions, ID digits) spread over the page:
    those nearest to points on a coarse grid over the bubbles' extent."""
    keys, inverse = np.unique(groups, return_inverse=True)
    counts = np.bincount(inverse).astype(np.float64)
    means = np.stack(
        [
            np.bincount(inverse, centres[:, 0]) / counts,
            np.bincount(inverse, centres[:, 1]) / counts,
        ],
        axis=1,
    )
    low, high = means.min(axis=0), means.max(axis=0)
    targets = [
        low + (high - low) * np.array([fx, fy])
        for fx, fy in ((0, 0), (1, 0), (1, 1), (0, 1), (0.5, 0), (1, 0.5), (0.5, 1), (0, 0.5))
    ]
    chosen: list[int] = []
    for target in targets[:ANCHORS_PER_PAGE]:
        index = int(np.argmin(np.sum((means - target) ** 2, axis=1)))
        if index not in chosen:
            chosen.append(index)
    return [np.flatnonzero(groups == keys[i]) for i in chosen]


def _scores(
    image: np.ndarray, rings: np.ndarray, outline_count: int, shifts: np.ndarray
) -> np.ndarray:
    """Contrast (surround minus outline) of every anchor at every image-space shift.

    ``rings`` (A, N, 2): each anchor's outline points then surround points, in image pixels;
    ``shifts`` (A, S, 2). Returns (A, S). One remap call for the whole page.
    """
    # x and y apart: numpy's broadcasting over a last axis of two is slow, and remap takes
    # the coordinates as two maps
    xs = rings[:, None, :, 0].astype(np.float32) + shifts[:, :, None, 0].astype(np.float32)
    ys = rings[:, None, :, 1].astype(np.float32) + shifts[:, :, None, 1].astype(np.float32)
    a, s_, n = xs.shape
    values = (
        cv2.remap(
            image,
            xs.reshape(a * s_, n),
            ys.reshape(a * s_, n),
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        .astype(np.float32)
        .reshape(a, s_, n)
    )
    return values[..., outline_count:].mean(axis=2) - values[..., :outline_count].mean(axis=2)


def _grid(half: float, step: float) -> np.ndarray:
    axis = np.arange(-half, half + step / 2, step)
    xs, ys = np.meshgrid(axis, axis)
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


@per_layout
def _anchor_rings(bubbles: list[Bubble], groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The anchor bubbles' centres (A, K, 2) and their outline then surround points
    (A, K * (outline + surround), 2), in page points; from the layout alone."""
    centres, radii = bubble_centres(bubbles)
    # the same number of bubbles per anchor, so that all anchors go through one remap
    anchors = np.array(
        [
            m[np.linspace(0, len(m) - 1, ANCHOR_BUBBLES).round().astype(int)]
            for m in _anchor_groups(centres, groups)
        ]
    )
    c = centres[anchors]  # (A, K, 2)
    r = radii[anchors][..., None, None]  # (A, K, 1, 1)
    outline = c[:, :, None, :] + _OUTLINE[None, None] * r
    surround = c[:, :, None, :] + _SURROUND[None, None] * r
    count = len(anchors)
    rings = np.concatenate([outline.reshape(count, -1, 2), surround.reshape(count, -1, 2)], axis=1)
    return c, rings


def _paper_level(image: np.ndarray) -> float:
    """The 90th percentile of a sparse sample of the page (the paper's grey), interpolated as
    ``np.percentile`` does, from the histogram: a tenth of the cost of sorting."""
    sample = image[:: max(1, image.shape[0] // 64), ::8]
    counts = np.cumsum(np.bincount(sample.ravel(), minlength=256))
    position = 0.9 * (int(counts[-1]) - 1)
    below = int(position)
    low = int(np.searchsorted(counts, below, side="right"))
    high = int(np.searchsorted(counts, min(below + 1, int(counts[-1]) - 1), side="right"))
    return low + (position - below) * (high - low)


def refine(
    image: np.ndarray,
    registration: Registration,
    bubbles: list[Bubble],
    groups: np.ndarray,
) -> Registration:
    """A new registration fitted to the marker corners plus matched anchor bubbles.

    Returns the input registration when too few anchors match (nothing to improve on).
    """
    marker_page, marker_image = registration.page_points, registration.image_points
    c, page_rings = _anchor_rings(bubbles, groups)
    jacobian = _local_jacobian(registration, bubble_centres(bubbles)[0].mean(axis=0))
    count = len(c)
    rings = registration.to_image(page_rings)
    outline_count = c.shape[1] * len(_OUTLINE)
    best = np.zeros((count, 2))
    for half, step in ((SEARCH_PT, COARSE_STEP_PT), (COARSE_STEP_PT / 2, FINE_STEP_PT)):
        shifts_pt = best[:, None, :] + _grid(half, step)[None]  # (A, S, 2)
        scores = _scores(image, rings, outline_count, shifts_pt @ jacobian.T)
        pick = np.argmax(scores, axis=1)
        best = shifts_pt[np.arange(count), pick]
    contrast = scores[np.arange(count), pick]
    paper = _paper_level(image)
    good = (contrast >= MIN_CONTRAST * paper) & (np.abs(best).max(axis=1) < SEARCH_PT)
    matched = np.flatnonzero(good)
    if len(matched) < 4:
        return registration
    page_pts = c[matched].reshape(-1, 2)
    shifts = np.repeat(best[matched] @ jacobian.T, c.shape[1], axis=0)
    all_page = np.concatenate([marker_page, page_pts])
    all_image = np.concatenate([marker_image, registration.to_image(page_pts) + shifts])
    homography, _ = cv2.findHomography(all_page, all_image, 0)
    if homography is None:
        return registration
    projected = cv2.perspectiveTransform(all_page.reshape(-1, 1, 2), homography).reshape(-1, 2)
    error = float(np.sqrt(np.mean(np.sum((projected - all_image) ** 2, axis=1))))
    return Registration(
        homography,
        round(error / registration.px_per_pt, 3),
        registration.markers,
        registration.px_per_pt,
        all_page,
        all_image,
    )


def _local_jacobian(registration: Registration, point: np.ndarray) -> np.ndarray:
    """d(image px) / d(page pt) at ``point``, shape (2, 2): page shifts -> image shifts."""
    probe = point[None, :] + np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    mapped = registration.to_image(probe)
    return np.stack([mapped[1] - mapped[0], mapped[2] - mapped[0]], axis=1)
