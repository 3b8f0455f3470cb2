"""One page -> one SheetResult: exact reads of clean sheets, orientation, identity checks."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from omr_fixtures import ANSWERS, DPI, RESPONDENT, SheetFactory

from omr.read import read_page
from omr.results import SourceRef
from testgen.manifest import Manifest

SOURCE = SourceRef(file="scan.png", page=1, sha256="0" * 64)


def read(image: np.ndarray, manifest: Manifest):
    return read_page(image, manifest, SOURCE).result


def test_clean_sheet_reads_exactly(make_sheet: SheetFactory, manifest: Manifest) -> None:
    result = read(make_sheet(), manifest)
    assert result.status == "ok", result.flags
    assert result.answers() == ANSWERS
    assert [q.state for q in result.questions][4:6] == ["blank", "multiple"]
    assert (result.test_id, result.variant, result.sheet_page) == ("t-2026", 1, 1)
    assert result.respondent == RESPONDENT and result.respondent_source == "grid"
    assert result.registration_residual is not None and result.registration_residual < 0.5
    assert result.ink_black < 40 < 200 < result.paper_white
    marked = result.questions[0].fills
    assert marked[0] > 0.8 and max(marked[1:]) < 0.05


@pytest.mark.parametrize(
    "rotation", [cv2.ROTATE_180, cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE]
)
def test_any_orientation_reads_the_same(
    make_sheet: SheetFactory, manifest: Manifest, rotation: int
) -> None:
    result = read(cv2.rotate(make_sheet(), rotation), manifest)
    assert result.status == "ok" and result.answers() == ANSWERS
    assert result.respondent == RESPONDENT


def test_skewed_and_perspective_scan_reads(make_sheet: SheetFactory, manifest: Manifest) -> None:
    image = make_sheet()
    h, w = image.shape
    page = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    photo = np.float32([[60, 30], [w - 10, 80], [w - 70, h - 20], [25, h - 60]])
    warped = cv2.warpPerspective(
        image,
        cv2.getPerspectiveTransform(page, photo),
        (w, h),
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=90,  # a dark table around the page
    )
    result = read(warped, manifest)
    assert result.status == "ok" and result.answers() == ANSWERS


def test_personal_sheet_takes_the_id_from_the_qr(
    make_sheet: SheetFactory, manifest: Manifest
) -> None:
    result = read(make_sheet(kind="personal", respondent="777001", variant=2), manifest)
    assert result.status == "ok"
    assert (result.respondent, result.respondent_source, result.variant) == ("777001", "qr", 2)


def test_sheet_of_another_test_is_refused(make_sheet: SheetFactory, manifest: Manifest) -> None:
    result = read(make_sheet(test_id="other-2026"), manifest)
    assert result.status == "refused"
    assert result.reason == (
        "sheet belongs to test 'other-2026', not 't-2026' (scan it with --test build/other-2026)"
    )
    assert result.questions == []


def test_unknown_variant_is_refused(make_sheet: SheetFactory, manifest: Manifest) -> None:
    smaller = manifest.model_copy(update={"variants": manifest.variants[1:]})
    result = read(make_sheet(variant=1), smaller)
    assert result.status == "refused"
    assert result.reason.startswith("variant 1 does not exist in test t-2026")


def test_wrong_layout_hash_is_refused(make_sheet: SheetFactory, manifest: Manifest) -> None:
    anonymous = manifest.layout_of_kind("anonymous")
    moved = {("0" * 12 if h == anonymous.hash else h): v for h, v in manifest.layouts.items()}
    result = read(make_sheet(), manifest.model_copy(update={"layouts": moved}))
    assert result.status == "refused"
    assert f"layout {anonymous.hash} is not in this test's manifest" in result.reason


def _cover_marker(image: np.ndarray, corner: str) -> None:
    """Paint a corner marker white, as if it were torn off or covered by a thumb."""
    h, w = image.shape
    side = int(90 * DPI / 72)
    ys = slice(0, side) if corner[0] == "t" else slice(h - side, h)
    xs = slice(0, side) if corner[1] == "l" else slice(w - side, w)
    image[ys, xs] = 255


def test_one_missing_marker_still_reads(make_sheet: SheetFactory, manifest: Manifest) -> None:
    image = make_sheet()
    _cover_marker(image, "bl")
    result = read(image, manifest)
    assert result.status == "ok" and result.answers() == ANSWERS


def test_two_missing_markers_are_refused_with_an_actionable_reason(
    make_sheet: SheetFactory, manifest: Manifest
) -> None:
    image = make_sheet()
    _cover_marker(image, "br")
    _cover_marker(image, "bl")
    page = read_page(image, manifest, SOURCE)
    assert page.result.status == "refused"
    assert page.result.reason == (
        "rescan: markers 2 and 3 not found (bottom-right, bottom-left corners)"
    )
    assert page.annotated is not None and page.annotated[:2] == b"\xff\xd8"


def test_blank_paper_is_refused(manifest: Manifest) -> None:
    result = read(np.full((1754, 1240), 250, np.uint8), manifest)
    assert result.status == "refused"
    assert result.reason.startswith("rescan: no corner markers found")


def test_page_cut_off_is_refused(make_sheet: SheetFactory, manifest: Manifest) -> None:
    image = make_sheet()
    # The scanner lost the bottom of the page, through the last rows of bubbles.
    result = read(image[: int(image.shape[0] * 0.39)], manifest)
    assert result.status == "refused"
    assert result.reason == "rescan: part of the page is cut off (bubbles outside the image)"


def test_unreadable_id_digit_flags_the_sheet(make_sheet: SheetFactory, manifest: Manifest) -> None:
    result = read(make_sheet(respondent="03141"), manifest)  # last digit left empty
    assert result.status == "flagged"
    assert result.respondent is None
    assert result.flags == ["respondent ID digit 6: blank"]
    assert result.answers() == ANSWERS


def test_empty_id_grid_flags_the_sheet(make_sheet: SheetFactory, manifest: Manifest) -> None:
    result = read(make_sheet(respondent=""), manifest)
    assert result.status == "flagged"
    assert result.flags == ["respondent ID not filled in"]


def test_flagged_sheet_comes_with_an_annotated_image(
    make_sheet: SheetFactory, manifest: Manifest
) -> None:
    page = read_page(make_sheet(respondent=""), manifest, SOURCE)
    assert page.annotated is not None
    picture = cv2.imdecode(np.frombuffer(page.annotated, np.uint8), cv2.IMREAD_COLOR)
    assert picture is not None and picture.shape[2] == 3
