"""Find the sheet: ArUco markers on a small copy of the page, then a homography.

Detection runs at about 75 dpi (an A4 page's long side ~900 px): the markers are 40 pt squares,
still ~40 px there, and detection costs a few milliseconds instead of ~50 ms on the full page.
Marker ids fix the orientation, so rotated and upside-down scans need no special case. Four
markers give 16 corner correspondences; three (one covered or torn) still give 12, which is
enough for a perspective fit. The fit's RMS corner residual (in points) is reported with the
result and a poor fit is refused.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from functools import cache

import cv2
import numpy as np

from common.errors import SheetRefused
from common.i18n import tr
from omr.halvings import Halvings
from testgen.manifest import Marker

DETECT_LONG_SIDE = 900
PAD = 16
CORNER_REGION = (0.4, 0.3)  # width, height share of the copy searched at each corner
SCAN_CORNER_REGION = (0.25, 0.2)  # ... and first, on a scan (the image is the page)
PAGE_LIKE = 0.04  # an image whose aspect is the page's within this share is a scan
AROUND_MARGIN = 0.5  # of a marker's side: the window it is looked for again in, on each side
MIN_PERIMETER_PX = 80  # markers 20 px a side or more; the sweep of windows looks for smaller
MIN_SIDE_PX = 36  # marker side at detection scale below which corners are imprecise
EDGE_FRACTION = 0.003  # corners this close to the image edge are cut, not found
MIN_POINTS = 8
# ArUco corners carry a bias of ~0.3 pt (the border's blurred edge); the bubble refinement
# (omr.refine) supplies the precision, so trimming only removes grossly wrong corners.
TRIM_TARGET_PT = 0.6
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
    page_points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # (M, 2) pt
    image_points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # (M, 2) px

    def to_image(self, points: np.ndarray) -> np.ndarray:
        """Map page points of shape (..., 2) to image pixels of the same shape."""
        flat = points.reshape(-1, 1, 2).astype(np.float64)
        return cv2.perspectiveTransform(flat, self.homography).reshape(points.shape)


@cache
def _detector(dictionary: str, fast: bool, perimeter_rate: float = 0.03) -> cv2.aruco.ArucoDetector:
    """``fast``: one adaptive-threshold window (markers are ~40 px at detection scale);
    the default sweep of three windows is the fallback for uneven light.
    ``perimeter_rate``: contours shorter than this share of the image's long side are no
    candidates (0.03, ArUco's default, looks at nearly every letter on the page)."""
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    params.minMarkerPerimeterRate = perimeter_rate
    if fast:
        params.adaptiveThreshWinSizeMin = 13
        params.adaptiveThreshWinSizeMax = 13
    aruco = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, dictionary))
    return cv2.aruco.ArucoDetector(aruco, params)


def _detect(
    crop: np.ndarray, dictionary: str, fast: bool
) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Markers in ``crop``: corners and ids (``None`` when there are none). The fast detector
    passes over contours shorter than a :data:`MIN_PERIMETER_PX` marker (text, bubbles): half
    its work on a corner of the page."""
    rate = 0.03
    if fast:  # in hundredths, rounded down: a few detectors serve every crop size
        rate = max(rate, int(100 * MIN_PERIMETER_PX / max(crop.shape[:2])) / 100)
    corners, ids, _ = _detector(dictionary, fast, rate).detectMarkers(crop)
    return list(corners), ids


def marker_corners(marker: Marker) -> np.ndarray:
    """The marker's corners in page points, in ArUco's order (tl, tr, br, bl), shape (4, 2)."""
    x, y, s = marker.x, marker.y, marker.size
    return np.array([[x, y], [x + s, y], [x + s, y + s], [x, y + s]], dtype=np.float64)


def _in_corners(
    small: np.ndarray, dictionary: str, fast: bool, regions: list[tuple[float, float]]
) -> dict[int, np.ndarray]:
    """Markers found in the four corner regions of ``small`` (with its white frame), in its
    pixels: a fraction of the work of the whole copy, and where a scan's markers are. Each
    corner is searched in the first of ``regions`` (width, height shares of the copy), then
    in the next where nothing was found there."""
    h, w = small.shape[:2]
    found: dict[int, np.ndarray] = {}
    for corner in range(4):
        for share_w, share_h in regions:
            ch, cw = int(h * share_h), int(w * share_w)
            y0, x0 = ((0, 0), (0, w - cw), (h - ch, w - cw), (h - ch, 0))[corner]
            region = small[y0 : y0 + ch, x0 : x0 + cw]
            crop = cv2.copyMakeBorder(region, PAD, PAD, PAD, PAD, cv2.BORDER_CONSTANT, value=255)
            corners, ids = _detect(crop, dictionary, fast)
            for quad, marker_id in zip(corners, [] if ids is None else ids.ravel(), strict=True):
                found[int(marker_id)] = quad.reshape(4, 2).astype(np.float64) - PAD + (x0, y0)
            if ids is not None and len(ids):
                break
    return found


def _regions(image: np.ndarray, page_aspect: float | None) -> list[tuple[float, float]]:
    """Where to look for the markers first: a scan is the page itself (its aspect is the
    page's), so its markers sit close to the image's corners; a photo's page lies anywhere
    in the frame."""
    if page_aspect:
        h, w = image.shape[:2]
        aspect = max(h, w) / max(min(h, w), 1)
        if abs(aspect / max(page_aspect, 1 / page_aspect) - 1) <= PAGE_LIKE:
            return [SCAN_CORNER_REGION, CORNER_REGION]
    return [CORNER_REGION]


def _around(
    halvings: Halvings, coarse: dict[int, np.ndarray], long_side: int, dictionary: str, fast: bool
) -> dict[int, np.ndarray]:
    """Each coarsely found marker detected again on a copy shrunk only to ``long_side``, in
    a window around where it was: the precision of the larger copy at a fraction of its
    cost. Corners in full-image pixels."""
    small, factor = halvings.shrink(long_side)
    h, w = small.shape[:2]
    found: dict[int, np.ndarray] = {}
    for marker_id, quad in coarse.items():
        q = quad * factor
        margin = AROUND_MARGIN * float(np.ptp(q, axis=0).max())
        x0, y0 = np.floor(q.min(axis=0) - margin).astype(int)
        x1, y1 = np.ceil(q.max(axis=0) + margin).astype(int)
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 - x0 < 8 or y1 - y0 < 8:
            continue
        crop = cv2.copyMakeBorder(
            small[y0:y1, x0:x1], PAD, PAD, PAD, PAD, cv2.BORDER_CONSTANT, value=255
        )
        corners, ids = _detect(crop, dictionary, fast)
        for c, i in zip(corners, [] if ids is None else ids.ravel(), strict=True):
            if int(i) == marker_id:
                found[marker_id] = (c.reshape(4, 2).astype(np.float64) - PAD + (x0, y0)) / factor
    return found


def detect_markers(
    image: np.ndarray,
    wanted: set[int],
    dictionary: str,
    halvings: Halvings | None = None,
    page_aspect: float | None = None,
) -> dict[int, np.ndarray]:
    """Marker id -> its four corners in full-image pixels, shape (4, 2).

    Starts on the corner regions of a ~75 dpi copy, then the whole copy when a marker is not
    there. Corners are only as precise as the markers are large at the
    detection scale, so when the markers come out smaller than :data:`MIN_SIDE_PX` (a phone
    photo where the page fills part of the frame), or some are missing, detection runs again
    on a copy twice as large, and the finer corners replace the coarse ones.
    """
    halvings = halvings or Halvings(image)
    regions = _regions(image, page_aspect)
    found: dict[int, np.ndarray] = {}
    long_side = DETECT_LONG_SIDE
    passes = [(True, DETECT_LONG_SIDE, True), (True, DETECT_LONG_SIDE, False)]
    passes.append((False, DETECT_LONG_SIDE, False))
    while passes:
        fast, long_side, corners_only = passes.pop(0)
        small, factor = halvings.shrink(long_side)
        # A white frame: a marker touching the image edge has no contour without it.
        small = cv2.copyMakeBorder(small, PAD, PAD, PAD, PAD, cv2.BORDER_CONSTANT, value=255)
        if corners_only:
            quads = _in_corners(small, dictionary, fast, regions)
        else:
            corners, ids = _detect(small, dictionary, fast)
            quads = {
                int(i): q.reshape(4, 2).astype(np.float64)
                for q, i in zip(corners, [] if ids is None else ids.ravel(), strict=True)
            }
        sides = []
        for marker_id, quad in quads.items():
            if marker_id in wanted:
                quad_px = quad - PAD
                sides.append(float(np.linalg.norm(quad_px[0] - quad_px[2])) / np.sqrt(2))
                # pyrDown centres its kernel on even pixels: small x is full-size x / 2
                found[marker_id] = quad_px / factor
        if corners_only and len(found) < len(wanted):
            continue
        small_markers = bool(sides) and statistics.median(sides) < MIN_SIDE_PX
        if small_markers and factor < 1.0 and len(found) == len(wanted):
            # every marker is known, only coarsely: look again around each one only
            finer = _around(halvings, found, long_side * 2, dictionary, True)
            rest = {i: quad for i, quad in found.items() if i not in finer}
            if rest:  # uneven light around a marker: the sweep of threshold windows
                finer |= _around(halvings, rest, long_side * 2, dictionary, False)
            if set(finer) == set(found):
                return finer
        if factor < 1.0 and (small_markers or len(found) < len(wanted)):
            if not passes or small_markers:
                passes = [(False, long_side * 2, False)]
        elif len(found) == len(wanted):
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


def _usable_corners(
    image: np.ndarray, found: dict[int, np.ndarray], by_id: dict[int, Marker]
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Corner correspondences (page pt, image px) and the marker id of each, leaving out
    corners on the image's edge: there the scan cut the marker and the corner is not real."""
    h, w = image.shape[:2]
    edge = EDGE_FRACTION * max(h, w)
    page, img, owners = [], [], []
    for marker_id in sorted(found):
        for p, q in zip(marker_corners(by_id[marker_id]), found[marker_id], strict=True):
            if edge <= q[0] <= w - 1 - edge and edge <= q[1] <= h - 1 - edge:
                page.append(p)
                img.append(q)
                owners.append(marker_id)
    return (
        np.array(page, dtype=np.float64).reshape(-1, 2),
        np.array(img, dtype=np.float64).reshape(-1, 2),
        owners,
    )


def _trimmed_fit(
    page_pts: np.ndarray, image_pts: np.ndarray, owners: list[int]
) -> tuple[np.ndarray, float, float, np.ndarray]:
    """Least-squares homography, made robust to a damaged or misdetected marker: while the
    fit is poor, first try leaving out each whole marker, then drop the worst corner one at
    a time, keeping at least half of the corners."""
    keep = np.arange(len(page_pts))
    homography, residual, scale = _fit(page_pts, image_pts)
    if residual <= TRIM_TARGET_PT:
        return homography, residual, scale, keep
    owner = np.array(owners)
    if len(set(owners)) == 4:
        trials = []
        for marker_id in sorted(set(owners)):
            subset = keep[owner != marker_id]
            trials.append((*_fit(page_pts[subset], image_pts[subset]), subset))
        best = min(trials, key=lambda trial: trial[1])
        if best[1] < residual:
            homography, residual, scale, keep = best
    floor = max(MIN_POINTS, (len(page_pts) + 1) // 2)
    while residual > TRIM_TARGET_PT and len(keep) > floor:
        projected = cv2.perspectiveTransform(page_pts[keep].reshape(-1, 1, 2), homography).reshape(
            -1, 2
        )
        worst = int(np.argmax(np.sum((projected - image_pts[keep]) ** 2, axis=1)))
        keep = np.delete(keep, worst)
        homography, residual, scale = _fit(page_pts[keep], image_pts[keep])
    return homography, residual, scale, keep


def _fit_affine(
    image: np.ndarray,
    page_pts: np.ndarray,
    image_pts: np.ndarray,
    owners: list[int],
    missing: list[Marker],
) -> Registration | None:
    """Two markers: an affine fit (a flat scan is an affine image of the page), accepted only
    when every missing marker would lie at least partly outside the image, i.e. the scan cut
    the corner off. A marker that should be visible but is not means the page is not flat or
    is damaged, and the sheet is refused instead."""
    ids = sorted(set(owners))
    design = np.hstack([page_pts, np.ones((len(page_pts), 1))])
    solution, *_ = np.linalg.lstsq(design, image_pts, rcond=None)
    affine = np.vstack([solution.T, [0.0, 0.0, 1.0]])
    h, w = image.shape[:2]
    for marker in missing:
        corners = cv2.perspectiveTransform(marker_corners(marker).reshape(-1, 1, 2), affine)
        xs, ys = corners[:, 0, 0], corners[:, 0, 1]
        if xs.min() >= 0 and ys.min() >= 0 and xs.max() <= w - 1 and ys.max() <= h - 1:
            return None
    projected = design @ solution
    scale = float(np.sqrt(abs(np.linalg.det(affine[:2, :2]))))
    error = float(np.sqrt(np.mean(np.sum((projected - image_pts) ** 2, axis=1)))) / scale
    if error > MAX_RESIDUAL_PT:
        return None
    return Registration(affine, round(error, 3), tuple(ids), scale, page_pts, image_pts)


def _missing_message(missing: list[Marker]) -> str:
    ids = [str(m.id) for m in missing]
    names = ", ".join(CORNER_NAMES[m.corner] for m in missing)
    joined = ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + " and " + ids[-1]
    word = "marker" if len(ids) == 1 else "markers"
    return f"rescan: {word} {joined} not found ({names} corner{'s' if len(ids) > 1 else ''})"


def locate(
    image: np.ndarray,
    markers: list[Marker],
    dictionary: str,
    where: str,
    halvings: Halvings | None = None,
    page_aspect: float | None = None,
) -> Registration:
    """Register the page: find its markers and fit page points -> image pixels.

    ``halvings``: the image's halvings, when the caller shrinks the page for other work too;
    ``page_aspect``: the printed page's height / width (a scan of it is searched near the
    image's corners first).

    Raises :class:`SheetRefused` with an actionable reason when fewer than three markers are
    found or no subset of them fits within :data:`MAX_RESIDUAL_PT`.
    """
    by_id = {m.id: m for m in markers}
    found = detect_markers(image, set(by_id), dictionary, halvings, page_aspect)
    missing = [m for m in markers if m.id not in found]
    if not found:
        raise SheetRefused(
            tr("rescan: no corner markers found (not an answer sheet, or too blurred or dark)"),
            where=where,
        )
    page_pts, image_pts, owners = _usable_corners(image, found, by_id)
    if len({*owners}) >= 3 and len(page_pts) >= MIN_POINTS:
        homography, residual, scale, keep = _trimmed_fit(page_pts, image_pts, owners)
        if residual > MAX_RESIDUAL_PT:
            raise SheetRefused(
                tr(
                    "rescan: the page is bent or the markers are damaged (fit error "
                    "{residual:.1f} pt)",
                    residual=residual,
                ),
                where=where,
            )
        used = tuple(sorted({owners[k] for k in keep}))
        return Registration(
            homography, round(residual, 3), used, scale, page_pts[keep], image_pts[keep]
        )
    if len(found) >= 2 and len(page_pts) >= 4:
        registration = _fit_affine(image, page_pts, image_pts, owners, missing)
        if registration is not None:
            return registration
    raise SheetRefused(_missing_message(missing), where=where)
