"""Find the sheet: ArUco markers on a small copy of the page, then a homography.

Detection runs at about 75 dpi (an A4 page's long side ~900 px): the markers are 40 pt squares,
still ~40 px there, and detection costs a few milliseconds instead of ~50 ms on the full page.
Marker ids fix the orientation, so rotated and upside-down scans need no special case. Four
markers give 16 corner correspondences; three (one covered or torn) still give 12, which is
enough for a perspective fit. The fit's RMS corner residual (in points) is reported with the
result and a poor fit is refused.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

from common.errors import SheetRefused
from testgen.manifest import Marker

DETECT_LONG_SIDE = 900
MAX_RESIDUAL_PT = 1.5  # a bubble's inner measuring ring is ~1 pt from its outline
CORNER_NAMES = {"tl": "top-left", "tr": "top-right", "br": "bottom-right", "bl": "bottom-left"}


@dataclass(frozen=True)
class Registration:
    """Where the page lies in the image.

    ``homography`` (3, 3) maps page points (x right, y down, in pt) to image pixels.
    """

    homography: np.ndarray
    residual: float  # RMS marker-corner error of the fit, in points
    markers: tuple[int, ...]  # ids used in the fit
    px_per_pt: float

    def to_image(self, points: np.ndarray) -> np.ndarray:
        """Map page points of shape (..., 2) to image pixels of the same shape."""
        flat = points.reshape(-1, 1, 2).astype(np.float64)
        return cv2.perspectiveTransform(flat, self.homography).reshape(points.shape)


@cache
def _detector(dictionary: str, fast: bool) -> cv2.aruco.ArucoDetector:
    """``fast``: one adaptive-threshold window (markers are ~40 px at detection scale);
    the default sweep of three windows is the fallback for uneven light."""
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    if fast:
        params.adaptiveThreshWinSizeMin = 13
        params.adaptiveThreshWinSizeMax = 13
    aruco = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, dictionary))
    return cv2.aruco.ArucoDetector(aruco, params)


def _shrink(image: np.ndarray, long_side: int) -> tuple[np.ndarray, float]:
    """Halve with pyrDown (fast, anti-aliased) while the long side exceeds ``long_side``."""
    factor = 1.0
    while max(image.shape[:2]) > long_side * 1.45:
        image = cv2.pyrDown(image)
        factor /= 2
    return image, factor


def marker_corners(marker: Marker) -> np.ndarray:
    """The marker's corners in page points, in ArUco's order (tl, tr, br, bl), shape (4, 2)."""
    x, y, s = marker.x, marker.y, marker.size
    return np.array([[x, y], [x + s, y], [x + s, y + s], [x, y + s]], dtype=np.float64)


def detect_markers(
    image: np.ndarray, wanted: set[int], dictionary: str
) -> dict[int, np.ndarray]:
    """Marker id -> its four corners in full-image pixels, shape (4, 2).

    Tries a ~75 dpi copy first and a ~150 dpi copy when fewer than four markers are found
    (a phone photo where the page fills only part of the frame).
    """
    found: dict[int, np.ndarray] = {}
    for target, fast in ((DETECT_LONG_SIDE, True), (DETECT_LONG_SIDE, False), (1800, False)):
        small, factor = _shrink(image, target)
        corners, ids, _ = _detector(dictionary, fast).detectMarkers(small)
        if ids is not None:
            for quad, marker_id in zip(corners, ids.ravel(), strict=True):
                if int(marker_id) in wanted and int(marker_id) not in found:
                    # pyrDown maps pixel centres x -> (x + 0.5) / 2 - 0.5
                    found[int(marker_id)] = (quad.reshape(4, 2).astype(np.float64) + 0.5) / (
                        factor
                    ) - 0.5
        if len(found) == len(wanted):
            break
    return found


def _fit(page_pts: np.ndarray, image_pts: np.ndarray) -> tuple[np.ndarray, float, float]:
    homography, _ = cv2.findHomography(page_pts, image_pts, 0)
    if homography is None:
        return np.eye(3), float("inf"), 1.0
    projected = cv2.perspectiveTransform(page_pts.reshape(-1, 1, 2), homography).reshape(-1, 2)
    scale = float(np.sqrt(abs(np.linalg.det(homography[:2, :2])) / homography[2, 2] ** 2))
    error = np.sqrt(np.mean(np.sum((projected - image_pts) ** 2, axis=1))) / max(scale, 1e-9)
    return homography, float(error), scale


def _missing_message(missing: list[Marker]) -> str:
    ids = [str(m.id) for m in missing]
    names = ", ".join(CORNER_NAMES[m.corner] for m in missing)
    joined = ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + " and " + ids[-1]
    word = "marker" if len(ids) == 1 else "markers"
    return f"rescan: {word} {joined} not found ({names} corner{'s' if len(ids) > 1 else ''})"


def locate(image: np.ndarray, markers: list[Marker], dictionary: str, where: str) -> Registration:
    """Register the page: find its markers and fit page points -> image pixels.

    Raises :class:`SheetRefused` with an actionable reason when fewer than three markers are
    found or no subset of them fits within :data:`MAX_RESIDUAL_PT`.
    """
    by_id = {m.id: m for m in markers}
    found = detect_markers(image, set(by_id), dictionary)
    if len(found) < 3:
        if not found:
            raise SheetRefused(
                "rescan: no corner markers found (not an answer sheet, or too blurred or dark)",
                where=where,
            )
        missing = [m for m in markers if m.id not in found]
        raise SheetRefused(_missing_message(missing), where=where)
    best: tuple[np.ndarray, float, float, tuple[int, ...]] | None = None
    ids = sorted(found)
    # All markers first; if that fit is poor one marker may be damaged: try every 3-subset.
    subsets = [tuple(ids)] + (
        list(itertools.combinations(ids, 3)) if len(ids) == 4 else []
    )
    for subset in subsets:
        page_pts = np.concatenate([marker_corners(by_id[i]) for i in subset])
        image_pts = np.concatenate([found[i] for i in subset])
        homography, residual, scale = _fit(page_pts, image_pts)
        if best is None or residual < best[1]:
            best = (homography, residual, scale, subset)
        if residual <= MAX_RESIDUAL_PT / 2:
            break
    assert best is not None
    homography, residual, scale, subset = best
    if residual > MAX_RESIDUAL_PT:
        raise SheetRefused(
            f"rescan: the page is bent or the markers are damaged (fit error {residual:.1f} pt)",
            where=where,
        )
    return Registration(homography, round(residual, 3), subset, scale)
