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

SEARCH_PT = 2.5
COARSE_STEP_PT = 0.5
FINE_STEP_PT = 0.125
MIN_CONTRAST = 0.25  # outline darker than the surround by this share of the paper level
ANCHORS_PER_PAGE = 12

_OUTLINE = np.stack(
    [np.cos(a := np.arange(16) * np.pi / 8), np.sin(a)], axis=1
)  # unit circle, 16 points
_SURROUND = np.stack([np.cos(b := (np.arange(8) + 0.5) * np.pi / 4), np.sin(b)], axis=1) * 1.45


def _anchor_groups(centres: np.ndarray, groups: np.ndarray) -> list[np.ndarray]:
    """Up to :data:`ANCHORS_PER_PAGE` groups (questions, ID digits) spread over the page:
    those nearest to points on a coarse grid over the bubbles' extent."""
    keys = np.unique(groups)
    means = np.array([centres[groups == k].mean(axis=0) for k in keys])
    low, high = means.min(axis=0), means.max(axis=0)
    targets = [
        low + (high - low) * np.array([fx, fy])
        for fy in (0.0, 0.5, 1.0)
        for fx in (0.0, 0.33, 0.67, 1.0)
    ]
    chosen: list[int] = []
    for target in targets[:ANCHORS_PER_PAGE]:
        index = int(np.argmin(np.sum((means - target) ** 2, axis=1)))
        if index not in chosen:
            chosen.append(index)
    return [np.flatnonzero(groups == keys[i]) for i in chosen]


def _scores(
    image: np.ndarray, outline: np.ndarray, surround: np.ndarray, shifts: np.ndarray
) -> np.ndarray:
    """Contrast (surround minus outline) for each image-space shift, shape (S,)."""
    points = np.concatenate([outline, surround])[None] + shifts[:, None, :]
    values = cv2.remap(
        image,
        points[..., 0].astype(np.float32),
        points[..., 1].astype(np.float32),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    ).astype(np.float32)
    n = outline.shape[0]
    return values[:, n:].mean(axis=1) - values[:, :n].mean(axis=1)


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
    page_pts, image_pts = [], []
    paper = float(np.percentile(image[:: max(1, image.shape[0] // 64), :: 8], 90))
    for members in _anchor_groups(centres, groups):
        c, r = centres[members], radii[members]
        outline = registration.to_image(c[:, None, :] + _OUTLINE[None] * r[:, None, None])
        surround = registration.to_image(c[:, None, :] + _SURROUND[None] * r[:, None, None])
        outline, surround = outline.reshape(-1, 2), surround.reshape(-1, 2)
        best = np.zeros(2)
        for half, step in ((SEARCH_PT, COARSE_STEP_PT), (COARSE_STEP_PT, FINE_STEP_PT)):
            shifts_pt = best + _grid(half, step)
            scores = _scores(image, outline, surround, shifts_pt @ jacobian.T)
            best = shifts_pt[int(np.argmax(scores))]
        contrast = float(scores.max())
        if contrast < MIN_CONTRAST * paper or np.abs(best).max() >= SEARCH_PT:
            continue
        page_pts.append(c)
        image_pts.append(registration.to_image(c) + best @ jacobian.T)
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
    probe = np.array([point, point + [1.0, 0.0], point + [0.0, 1.0]])
    mapped = registration.to_image(probe)
    return np.stack([mapped[1] - mapped[0], mapped[2] - mapped[0]], axis=1)
