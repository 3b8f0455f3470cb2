"""Fixtures for the reader's tests: a small test package and rendered sheets with known marks.

Sheets are drawn by testgen's own renderer, rasterised with pypdfium2 at 150 dpi (the lowest
resolution we support, and the fastest to test) and marked with OpenCV at manifest positions.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from testgen.manifest import Manifest, write_manifest
from testkit.packages import fill_bubbles, make_manifest, render_blank

DPI = 150
QUESTIONS = 12
OPTIONS = 4
ANSWERS = {1: "A", 2: "B", 3: "C", 4: "D", 5: "", 6: "AC", 7: "B", 8: "D", 9: "", 10: "A"}
ANSWERS |= {11: "C", 12: "B"}
RESPONDENT = "031415"


@cache
def _manifest(test_id: str) -> Manifest:
    return make_manifest(QUESTIONS, OPTIONS, test_id=test_id)


@cache
def _blank(test_id: str, variant: int, kind: str, respondent: str | None) -> np.ndarray:
    return render_blank(_manifest(test_id), variant, kind=kind, respondent=respondent, dpi=DPI)[0]


@pytest.fixture
def manifest() -> Manifest:
    return _manifest("t-2026")


@pytest.fixture
def package(tmp_path: Path, manifest: Manifest) -> Path:
    """A test package folder holding just manifest.json."""
    folder = tmp_path / "build" / manifest.test.id
    folder.mkdir(parents=True)
    write_manifest(manifest, folder / "manifest.json")
    return folder


SheetFactory = Callable[..., np.ndarray]


@pytest.fixture
def make_sheet() -> SheetFactory:
    """A filled sheet image (H, W) uint8: ``make_sheet(answers, respondent=..., variant=...)``."""

    def make(
        answers: dict[int, str] | None = None,
        *,
        respondent: str = RESPONDENT,
        variant: int = 1,
        kind: str = "anonymous",
        test_id: str = "t-2026",
        darkness: float = 0.9,
    ) -> np.ndarray:
        manifest = _manifest(test_id)
        personal = respondent if kind == "personal" else None
        image = _blank(test_id, variant, kind, personal).copy()
        grid = respondent if kind == "anonymous" else ""
        return fill_bubbles(
            image,
            manifest.layout_of_kind(kind),
            1,
            ANSWERS if answers is None else answers,
            respondent=grid,
            dpi=DPI,
            darkness=darkness,
        )

    return make


def sheet_image(
    answers: dict[int, str], respondent: str, variant: int = 1, test_id: str = "t-2026"
) -> np.ndarray:
    """A filled anonymous sheet without pytest's fixture machinery (for batch builders)."""
    manifest = _manifest(test_id)
    image = _blank(test_id, variant, "anonymous", None).copy()
    return fill_bubbles(
        image, manifest.layout_of_kind("anonymous"), 1, answers, respondent=respondent, dpi=DPI
    )


def _scan_pdf(path: Path, images: list[np.ndarray]) -> None:
    """A scanner-style PDF: one full-page greyscale image per page (drawn with reportlab)."""
    import io

    import cv2
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path), pagesize=A4, invariant=1)
    for image in images:
        ok, png = cv2.imencode(".png", image)
        assert ok
        canvas.drawImage(ImageReader(io.BytesIO(png.tobytes())), 0, 0, *A4)
        canvas.showPage()
    canvas.save()


def _filled_form(path: Path, manifest: Manifest, variant: int, values: dict[str, str]) -> None:
    import tempfile

    import pypdf

    from testgen.esheet import render_esheet

    with tempfile.TemporaryDirectory() as folder:
        blank = Path(folder) / "form.pdf"
        render_esheet(blank, manifest, variant, manifest.layout_of_kind("anonymous").hash)
        writer = pypdf.PdfWriter(clone_from=str(blank))
        writer.update_page_form_field_values(writer.pages[0], values, auto_regenerate=False)
        writer.write(str(path))


# What the mixed batch holds: file -> (page -> (respondent, answers)).
BATCH_ANSWERS = {
    1: {q: "ABCD"[q % 4] for q in range(1, QUESTIONS + 1)},
    2: {q: "" if q % 3 == 0 else "ABCD"[(q + 1) % 4] for q in range(1, QUESTIONS + 1)},
    3: {q: "DCBA"[q % 4] for q in range(1, QUESTIONS + 1)},
    4: {q: "B" for q in range(1, QUESTIONS + 1)},
}


def write_batch(folder: Path) -> None:
    """A scan folder mixing every input kind, plus one corrupt file and one non-image.

    sub/one.png (100001), sub/two.jpg rotated 180 (100002, variant 2), three.tif with two
    pages (100003, 100004), scan.pdf with one page (100005 = sheet 1's marks, other ID),
    form.pdf (electronic, 555555, variant 2), broken.jpg (truncated), notes.txt.
    """
    import cv2

    (folder / "sub").mkdir(parents=True)
    manifest = _manifest("t-2026")
    a = sheet_image(BATCH_ANSWERS[1], "100001")
    b = sheet_image(BATCH_ANSWERS[2], "100002", variant=2)
    c = sheet_image(BATCH_ANSWERS[3], "100003")
    d = sheet_image(BATCH_ANSWERS[4], "100004", variant=2)
    e = sheet_image(BATCH_ANSWERS[1], "100005")
    cv2.imwrite(str(folder / "sub" / "one.png"), a)
    _, jpeg = cv2.imencode(".jpg", cv2.rotate(b, cv2.ROTATE_180), [cv2.IMWRITE_JPEG_QUALITY, 90])
    (folder / "sub" / "two.jpg").write_bytes(jpeg.tobytes())
    cv2.imwritemulti(str(folder / "three.tif"), [c, d])
    _scan_pdf(folder / "scan.pdf", [e])
    _filled_form(
        folder / "form.pdf", manifest, 2, {"q01": "/B", "q02": "/C", "respondent_id": "555555"}
    )
    (folder / "broken.jpg").write_bytes(jpeg.tobytes()[:3000])
    (folder / "notes.txt").write_text("not a scan", encoding="utf-8")
