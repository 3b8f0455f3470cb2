"""Decode the sheet's QR code from its located region only.

Searching the whole page costs ~400 ms; once the markers are found the layout says where the
QR code is, so we warp just that box (plus a quiet margin) upright and decode a ~180 px image.
Two decoders: ZXing's (0.3 ms there) first, then OpenCV's (2 ms, and a different detector and
binariser), and the same pair on every retry: what one misses the other often reads.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
import zxingcpp

from omr.locate import Registration
from testgen.manifest import Box

MARGIN_PT = 8.0  # white space around the printed code (it is drawn without a quiet zone)
PX_PER_PT = 2.0  # ~4.6 px per module for the payloads we print: enough, and quick to decode


def warp_region(
    image: np.ndarray, registration: Registration, box: Box, margin: float, px_per_pt: float
) -> np.ndarray:
    """The page box (points) cut out of ``image`` and made upright.

    Returns
    -------
    region : ndarray of shape (round((box.height + 2 margin) px_per_pt), ...)
    """
    x0, y0 = box.x - margin, box.y - margin
    width = round((box.width + 2 * margin) * px_per_pt)
    height = round((box.height + 2 * margin) * px_per_pt)
    # region pixel -> page point -> image pixel
    to_page = np.array([[1 / px_per_pt, 0, x0], [0, 1 / px_per_pt, y0], [0, 0, 1]])
    matrix = registration.homography @ to_page
    return cv2.warpPerspective(
        image,
        matrix,
        (width, height),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=255,
    )


_QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


@cache
def _detector() -> cv2.QRCodeDetector:
    return cv2.QRCodeDetector()


def _zxing(region: np.ndarray) -> str:
    results = zxingcpp.read_barcodes(
        region, formats=_QR_ONLY, try_rotate=False, try_downscale=False
    )
    if not results or not results[0].valid:
        return ""
    try:  # the sheets' payload is UTF-8 (Cyrillic test and respondent ids): no charset guess
        return results[0].bytes.decode("utf-8")
    except UnicodeDecodeError:
        return results[0].text


def _decode(region: np.ndarray) -> str:
    try:
        text, _, _ = _detector().detectAndDecode(region)
    except cv2.error:
        return ""
    return text or ""


def _decode_at(region: np.ndarray, box: Box, margin: float, px_per_pt: float) -> str:
    """Decode with the code's corners known from the layout: skips the costly detection."""
    m, w, h = margin * px_per_pt, box.width * px_per_pt, box.height * px_per_pt
    corners = np.array([[[m, m], [m + w, m], [m + w, m + h], [m, m + h]]], dtype=np.float32)
    try:
        text, _ = _detector().decode(region, corners)
    except cv2.error:
        return ""
    return text or ""


def _attempts(region: np.ndarray) -> list[np.ndarray]:
    """The rectified box, then what often decodes when that does not: binarised (Otsu), a
    1-bit or dithered code smoothed first, and a small rotation either way (a code printed
    or pasted a little askew)."""
    out = [region]
    _, binary = cv2.threshold(region, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    out.append(binary)
    for sigma in (1.0, 2.0):
        smooth = cv2.GaussianBlur(region, (0, 0), sigma)
        _, binary = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        out.append(binary)
    h, w = region.shape
    for angle in (-3.0, 3.0, -6.0, 6.0):
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        out.append(cv2.warpAffine(region, matrix, (w, h), borderValue=255))
    return out


def read_qr(image: np.ndarray, registration: Registration, box: Box) -> str | None:
    """The QR payload in the layout's QR box, or ``None`` when it cannot be decoded."""
    region = warp_region(image, registration, box, MARGIN_PT, PX_PER_PT)
    text = _zxing(region) or _decode_at(region, box, MARGIN_PT, PX_PER_PT) or _decode(region)
    if text:
        return text
    for scale in (PX_PER_PT, PX_PER_PT * 3, PX_PER_PT * 1.5):
        if scale != PX_PER_PT:
            region = warp_region(image, registration, box, MARGIN_PT * 2, scale)
        for attempt in _attempts(region)[1 if scale == PX_PER_PT else 0 :]:
            text = _zxing(attempt) or _decode(attempt)
            if text:
                return text
    # OpenCV 5's plain detector misses a few per cent of clean codes at some scales; the
    # ArUco-based detector reads those. It is slower, so it comes last.
    for attempt in _attempts(region)[:4]:
        try:
            text, _, _ = cv2.QRCodeDetectorAruco().detectAndDecode(attempt)
        except cv2.error:
            continue
        if text:
            return text
    return None
