"""Registration, QR and bubble refinement on tiny images drawn here with OpenCV alone (no
sheet renderer): each has an exact answer known from how it was drawn."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from common.errors import SheetRefused
from omr import qr
from omr.locate import Registration, locate
from omr.qr import read_qr
from omr.refine import refine
from testgen.manifest import Box, Bubble, Marker

DICTIONARY = "DICT_4X4_50"
PX_PER_PT = 3.0
PAGE_W, PAGE_H = 220.0, 300.0  # pt: a small "page" keeps the images tiny
MARKERS = [
    Marker(id=0, corner="tl", x=10, y=10, size=30),
    Marker(id=1, corner="tr", x=180, y=10, size=30),
    Marker(id=2, corner="br", x=180, y=260, size=30),
    Marker(id=3, corner="bl", x=10, y=260, size=30),
]


def _page_to_image(shift_px: tuple[float, float] = (0.0, 0.0), angle: float = 0.0) -> np.ndarray:
    """The 3x3 map page pt -> image px: scale, a rotation about the page centre, a shift."""
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    cx, cy = PAGE_W * PX_PER_PT / 2, PAGE_H * PX_PER_PT / 2
    rotate = np.array([[c, -s, cx - c * cx + s * cy], [s, c, cy - s * cx - c * cy], [0, 0, 1]])
    scale = np.diag([PX_PER_PT, PX_PER_PT, 1.0])
    shift = np.array([[1, 0, shift_px[0]], [0, 1, shift_px[1]], [0, 0, 1.0]])
    return shift @ rotate @ scale


def _draw_page(markers: list[Marker], homography: np.ndarray) -> np.ndarray:
    """A white page with the ArUco markers at their page positions, warped by ``homography``."""
    flat_scale = 8  # draw upright at 8 px/pt, then warp to the test's geometry
    page = np.full((int(PAGE_H * flat_scale), int(PAGE_W * flat_scale)), 255, np.uint8)
    aruco = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, DICTIONARY))
    for m in markers:
        side = int(m.size * flat_scale)
        tile = cv2.aruco.generateImageMarker(aruco, m.id, side)
        x, y = int(m.x * flat_scale), int(m.y * flat_scale)
        page[y : y + side, x : x + side] = tile
    to_flat = np.diag([1 / flat_scale, 1 / flat_scale, 1.0])
    size = (int(PAGE_W * PX_PER_PT), int(PAGE_H * PX_PER_PT))
    return cv2.warpPerspective(
        page, homography @ to_flat, size, flags=cv2.INTER_AREA, borderValue=255
    )


def _max_error_px(registration: Registration, truth: np.ndarray) -> float:
    probe = np.array([[0, 0], [PAGE_W, 0], [PAGE_W, PAGE_H], [0, PAGE_H], [110, 150]], float)
    expected = cv2.perspectiveTransform(probe.reshape(-1, 1, 2), truth).reshape(-1, 2)
    return float(np.abs(registration.to_image(probe) - expected).max())


@pytest.mark.parametrize("angle", [0.0, 3.0, 180.0])
def test_locate_recovers_the_drawn_geometry(angle: float) -> None:
    truth = _page_to_image((4.0, -3.0), angle)
    image = _draw_page(MARKERS, truth)
    registration = locate(image, MARKERS, DICTIONARY, "tiny.png")
    assert registration.markers == (0, 1, 2, 3)
    assert registration.residual < 0.5
    assert _max_error_px(registration, truth) < 1.5  # half a point at 3 px/pt


def test_three_markers_are_enough() -> None:
    truth = _page_to_image()
    image = _draw_page(MARKERS[:3], truth)
    registration = locate(image, MARKERS, DICTIONARY, "tiny.png")
    assert registration.markers == (0, 1, 2)
    assert _max_error_px(registration, truth) < 1.5


def test_a_page_without_markers_is_refused_with_a_reason() -> None:
    image = np.full((900, 660), 255, np.uint8)
    with pytest.raises(SheetRefused) as info:
        locate(image, MARKERS, DICTIONARY, "blank.png")
    assert str(info.value) == (
        "blank.png: rescan: no corner markers found (not an answer sheet, or too blurred or dark)"
    )


# -- QR -----------------------------------------------------------------------------------

QR_BOX = Box(x=70, y=100, width=80, height=80)
PAYLOAD = "MON1|math-2026-acceptance|3|1|77136b667656|100877"


def _page_with_qr(homography: np.ndarray, payload: str = PAYLOAD) -> np.ndarray:
    code = cv2.QRCodeEncoder.create().encode(payload)  # modules of 1 px, with a quiet zone
    rows = np.flatnonzero((code < 128).any(axis=1))
    cols = np.flatnonzero((code < 128).any(axis=0))
    code = code[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]  # printed without quiet zone
    flat_scale = 8
    page = np.full((int(PAGE_H * flat_scale), int(PAGE_W * flat_scale)), 255, np.uint8)
    side = int(QR_BOX.width * flat_scale)
    tile = cv2.resize(code, (side, side), interpolation=cv2.INTER_NEAREST)
    x, y = int(QR_BOX.x * flat_scale), int(QR_BOX.y * flat_scale)
    page[y : y + side, x : x + side] = tile
    size = (int(PAGE_W * PX_PER_PT), int(PAGE_H * PX_PER_PT))
    to_flat = np.diag([1 / flat_scale, 1 / flat_scale, 1.0])
    return cv2.warpPerspective(page, homography @ to_flat, size, flags=cv2.INTER_AREA,
                               borderValue=255)  # fmt: skip


@pytest.mark.parametrize("angle", [0.0, 2.0, 90.0])
def test_qr_is_read_in_its_located_box(angle: float) -> None:
    truth = _page_to_image((2.0, 1.0), angle)
    image = _page_with_qr(truth)
    registration = Registration(truth, 0.0, (0, 1, 2, 3), PX_PER_PT)
    assert read_qr(image, registration, QR_BOX) == PAYLOAD


def test_qr_read_after_blur() -> None:
    truth = _page_to_image()
    image = cv2.GaussianBlur(_page_with_qr(truth), (0, 0), 1.2)
    assert read_qr(image, Registration(truth, 0.0, (0,), PX_PER_PT), QR_BOX) == PAYLOAD


def test_both_qr_decoders_read_a_cyrillic_payload_alike() -> None:
    # ZXing comes first and OpenCV after it: the two must agree on what the bytes say, or a
    # sheet would name another test depending on which decoder read it
    payload = "MON1|математика-2026|3|1|77136b667656|Иванов-7"
    truth = _page_to_image((1.0, 2.0), 1.0)
    image = _page_with_qr(truth, payload)
    registration = Registration(truth, 0.0, (0, 1, 2, 3), PX_PER_PT)
    region = qr.warp_region(image, registration, QR_BOX, qr.MARGIN_PT, qr.PX_PER_PT)
    assert qr._zxing(region) == payload
    assert qr._decode_at(region, QR_BOX, qr.MARGIN_PT, qr.PX_PER_PT) == payload
    assert read_qr(image, registration, QR_BOX) == payload


def test_no_qr_in_the_box_is_none() -> None:
    truth = _page_to_image()
    image = np.full((900, 660), 255, np.uint8)
    assert read_qr(image, Registration(truth, 0.0, (0,), PX_PER_PT), QR_BOX) is None


# -- refine ---------------------------------------------------------------------------------


def _bubble_grid() -> tuple[list[Bubble], np.ndarray]:
    bubbles, groups = [], []
    for q in range(6):
        for o, letter in enumerate("ABCD"):
            bubbles.append(
                Bubble(
                    kind="answer",
                    x=60 + 30 * o + (q % 2) * 10,
                    y=60 + 30 * q,
                    r=6.0,
                    question=q + 1,
                    option=letter,
                )
            )
            groups.append(q)
    return bubbles, np.array(groups)


def _page_with_outlines(homography: np.ndarray, bubbles: list[Bubble]) -> np.ndarray:
    flat_scale = 8
    page = np.full((int(PAGE_H * flat_scale), int(PAGE_W * flat_scale)), 255, np.uint8)
    for b in bubbles:
        centre = (round(b.x * flat_scale), round(b.y * flat_scale))
        cv2.circle(page, centre, round(b.r * flat_scale), 60, max(1, round(0.6 * flat_scale)))
    size = (int(PAGE_W * PX_PER_PT), int(PAGE_H * PX_PER_PT))
    to_flat = np.diag([1 / flat_scale, 1 / flat_scale, 1.0])
    return cv2.warpPerspective(page, homography @ to_flat, size, flags=cv2.INTER_AREA,
                               borderValue=255)  # fmt: skip


def test_refine_pulls_a_registration_that_is_a_point_off_onto_the_outlines() -> None:
    bubbles, groups = _bubble_grid()
    truth = _page_to_image((5.0, -4.0), 1.0)
    image = _page_with_outlines(truth, bubbles)
    # the fit sits 1.2 pt right and 0.8 pt low over the bubbles (a third of a bubble), while
    # the marker corners it came from are where they were drawn
    off = truth @ np.array([[1, 0, 1.2], [0, 1, 0.8], [0, 0, 1.0]])
    corners = np.array([[10, 10], [210, 10], [210, 290], [10, 290]], float)
    start = Registration(
        off,
        0.3,
        (0, 1, 2, 3),
        PX_PER_PT,
        corners,
        cv2.perspectiveTransform(corners.reshape(-1, 1, 2), truth).reshape(-1, 2),
    )
    centres = np.array([[b.x, b.y] for b in bubbles])
    expected = cv2.perspectiveTransform(centres.reshape(-1, 1, 2), truth).reshape(-1, 2)
    before = np.abs(start.to_image(centres) - expected).max()
    refined = refine(image, start, bubbles, groups)
    after = np.abs(refined.to_image(centres) - expected).max()
    assert before > 3.0  # more than a point, at 3 px/pt
    assert after < 1.0  # within a third of a point of the drawn outlines


def test_refine_keeps_the_registration_when_nothing_is_printed() -> None:
    bubbles, groups = _bubble_grid()
    truth = _page_to_image()
    start = Registration(truth, 0.2, (0, 1, 2, 3), PX_PER_PT)
    blank = np.full((900, 660), 255, np.uint8)
    assert refine(blank, start, bubbles, groups) is start
