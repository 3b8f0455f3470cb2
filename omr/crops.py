"""Small pictures of what the reader was unsure of, cut at scan time for the review: the
bubble row of a question and the respondent ID grid, upright, from the registered page.

Cut only on pages that need a person (flagged pages, and the ID grid of pages whose ID comes
from the grid), so a clean batch pays little. JPEG throughout: a question row is a few
kilobytes at quality 90, and encodes in a tenth of a millisecond where PNG takes over one.
"""

from __future__ import annotations

import cv2
import numpy as np

from omr.locate import Registration
from omr.qr import warp_region
from testgen.manifest import Box, Bubble

CROP_PX_PER_PT = 4.0
ROW_MARGIN_PT = 4.0
ROW_QUALITY = 90  # a row is small; outlines and light pencil stay crisp


def _box(bubbles: list[Bubble], left_extra: float) -> Box:
    x0 = min(b.x - b.r for b in bubbles) - left_extra
    x1 = max(b.x + b.r for b in bubbles)
    y0 = min(b.y - b.r for b in bubbles)
    y1 = max(b.y + b.r for b in bubbles)
    return Box(x=x0, y=y0, width=x1 - x0, height=y1 - y0)


def question_crop(image: np.ndarray, registration: Registration, bubbles: list[Bubble]) -> bytes:
    """JPEG of one question's bubble row, its printed number included."""
    region = warp_region(image, registration, _box(bubbles, 18.0), ROW_MARGIN_PT, CROP_PX_PER_PT)
    ok, data = cv2.imencode(".jpg", region, [cv2.IMWRITE_JPEG_QUALITY, ROW_QUALITY])
    return data.tobytes() if ok else b""


def box_crop(image: np.ndarray, registration: Registration, box: Box) -> bytes:
    """JPEG of a printed box (a poll's comment box) as the person wrote in it."""
    region = warp_region(image, registration, box, ROW_MARGIN_PT, CROP_PX_PER_PT * 0.6)
    ok, data = cv2.imencode(".jpg", region, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return data.tobytes() if ok else b""


def id_crop(image: np.ndarray, registration: Registration, bubbles: list[Bubble]) -> bytes:
    """JPEG of the respondent ID grid with the handwritten boxes above it."""
    box = _box(bubbles, 0.0)
    box = Box(x=box.x, y=box.y - 26.0, width=box.width, height=box.height + 26.0)
    # 2 px/pt (144 dpi): the written digits and the grid read as on a screen, at half the
    # encoding of 3 px/pt; every sheet whose ID comes from the grid carries one
    region = warp_region(image, registration, box, ROW_MARGIN_PT, CROP_PX_PER_PT * 0.5)
    ok, data = cv2.imencode(".jpg", region, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return data.tobytes() if ok else b""
