"""Draw what was read on a small colour copy of the page, for a person to review.

Marked bubbles get a green ring, doubtful ones an orange ring, the markers used for the fit a
blue outline; the status and reason are written at the top. Returned as JPEG bytes so that
only the coordinator process writes files.
"""

from __future__ import annotations

import textwrap

import cv2
import numpy as np

from omr.halvings import Halvings
from omr.locate import Registration, marker_corners
from omr.results import SheetResult
from testgen.manifest import SheetPage

LONG_SIDE = 1200  # ~100 dpi for an A4 page: every bubble and mark shows; crops hold detail
HEADER_CHARS, HEADER_LINES, HEADER_LEADING = 85, 3, 20  # ~11 px a character
GREEN, ORANGE, BLUE, RED = (40, 160, 40), (0, 140, 255), (200, 80, 0), (0, 0, 220)


def annotate(
    halvings: Halvings,
    registration: Registration | None,
    page: SheetPage | None,
    marks: dict[str, list[int]],
    result: SheetResult,
) -> bytes:
    """JPEG of the annotated page (``halvings`` of its image). ``marks`` holds bubble indices
    of ``page`` by kind."""
    image = halvings.level(0)
    # halvings for the halving steps, then a linear step: INTER_AREA at a ratio like 0.8
    # costs half as much as reading the page
    small, _ = halvings.at_least(LONG_SIDE)
    factor = min(1.0, LONG_SIDE / max(small.shape[:2]))
    if factor < 1.0:
        small = cv2.resize(small, None, fx=factor, fy=factor, interpolation=cv2.INTER_LINEAR)
    factor = small.shape[1] / image.shape[1]
    canvas = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
    if registration is not None:
        scale = registration.px_per_pt * factor

        def to_px(points: np.ndarray) -> np.ndarray:
            return (registration.to_image(points) * factor).round().astype(np.int32)

        if page is not None:
            for kind, colour in (("marked", GREEN), ("doubtful", ORANGE)):
                for index in marks.get(kind, []):
                    b = page.bubbles[index]
                    centre = to_px(np.array([[b.x, b.y]], dtype=np.float64))[0]
                    radius = max(3, round(b.r * scale * 1.35))
                    cv2.circle(canvas, (int(centre[0]), int(centre[1])), radius, colour, 2)
            for marker in page.markers:
                if marker.id in registration.markers:
                    quad = to_px(marker_corners(marker))
                    cv2.polylines(canvas, [quad.reshape(-1, 1, 2)], True, BLUE, 2)
    text = result.status.upper() + ": " + (result.reason or "; ".join(result.flags[:3]))
    colour = RED if result.status == "refused" else ORANGE
    # cv2 fonts are ASCII only; reasons are English, so nothing is lost. Wrapped, not cut, so
    # a long flag (a conflict naming the other copy's file) can still be read in full.
    for row, line in enumerate(textwrap.wrap(text, HEADER_CHARS)[:HEADER_LINES]):
        cv2.putText(
            canvas,
            line,
            (10, 24 + HEADER_LEADING * row),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.55,
            colour,
            1,
            cv2.LINE_AA,
        )
    ok, encoded = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return encoded.tobytes() if ok else b""
