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
    points = rings[:, None, :, :].astype(np.float32) + shifts[:, :, None, :].astype(np.float32)
    a, s_, n, _ = points.shape
    flat = points.reshape(a * s_, n, 2)
    values = (
        cv2.remap(
            image, flat[..., 0], flat[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        .astype(np.float32)
        .reshape(a, s_, n)
    )
    return values[..., outline_count:].mean(axis=2) - values[..., :outline_count].mean(axis=2)


def _grid(half: float, step: float) -> np.ndarray:
    axis = np.arange(-half, half + step / 2, step)
    xs, ys = np.meshgrid(axis, axis)
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


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
    centres = np.array([[b.x, b.y] for b in bubbles], dtype=np.float64)
    radii = np.array([b.r for b in bubbles], dtype=np.float64)
    jacobian = _local_jacobian(registration, centres.mean(axis=0))
    # the same number of bubbles per anchor, so that all anchors go through one remap
    anchors = [
        m[np.linspace(0, len(m) - 1, ANCHOR_BUBBLES).round().astype(int)]
        for m in _anchor_groups(centres, groups)
    ]
    c = centres[np.array(anchors)]  # (A, K, 2)
    r = radii[np.array(anchors)][..., None, None]  # (A, K, 1, 1)
    outline = c[:, :, None, :] + _OUTLINE[None, None] * r
    surround = c[:, :, None, :] + _SURROUND[None, None] * r
    count = len(anchors)
    rings = np.concatenate(
        [
            registration.to_image(outline).reshape(count, -1, 2),
            registration.to_image(surround).reshape(count, -1, 2),
        ],
        axis=1,
    )
    outline_count = outline.shape[1] * outline.shape[2]
    best = np.zeros((count, 2))
    for half, step in ((SEARCH_PT, COARSE_STEP_PT), (COARSE_STEP_PT / 2, FINE_STEP_PT)):
        shifts_pt = best[:, None, :] + _grid(half, step)[None]  # (A, S, 2)
        scores = _scores(image, rings, outline_count, shifts_pt @ jacobian.T)
        pick = np.argmax(scores, axis=1)
        best = shifts_pt[np.arange(count), pick]
    contrast = scores[np.arange(count), pick]
    paper = float(np.percentile(image[:: max(1, image.shape[0] // 64), ::8], 90))
    good = (contrast >= MIN_CONTRAST * paper) & (np.abs(best).max(axis=1) < SEARCH_PT)
    page_pts = [c[k] for k in np.flatnonzero(good)]
    image_pts = [registration.to_image(c[k]) + best[k] @ jacobian.T for k in np.flatnonzero(good)]
    if len(page_pts) < 4:
        return registration
    all_page = np.concatenate([marker_page, *page_pts])
    all_image = np.concatenate([marker_image, *image_pts])
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
