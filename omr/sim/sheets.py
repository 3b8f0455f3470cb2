"""The blank sheets of a test package: ``sheet-vNN.pdf`` rasterised (or drawn from the
manifest's layout when the package holds only ``manifest.json``), and the personalised sheets
of ``sheets-personal.pdf`` listed in ``personal-sheets.csv``."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from common.errors import InputNotFound, ValidationFailed
from common.i18n import tr
from omr.pdf import pdf_page_count, render_pdf_page
from omr.sim.capture import BASE_DPI
from omr.sim.truth import SheetKind
from testgen.manifest import (
    Manifest,
    SheetPackage,
    load_identity_key,
    parse_qr,
)
from testgen.sheet import render_sheets

PERSONAL_PDF = "sheets-personal.pdf"  # written by `testgen build --roster`


PERSONAL_CSV = "personal-sheets.csv"


@dataclass(frozen=True)
class PersonalSheet:
    """One row of ``personal-sheets.csv``: whose sheet starts on which page of the PDF."""

    teacher_id: str
    variant: int
    first_page: int


def load_personal_sheets(test_dir: Path, manifest: SheetPackage) -> dict[str, PersonalSheet]:
    """Read the package's ``personal-sheets.csv``: teacher ID -> sheet, every row checked."""
    path = test_dir / PERSONAL_CSV
    if not path.is_file() or not (test_dir / PERSONAL_PDF).is_file():
        raise InputNotFound(
            tr(
                "personalised sheets not found ({PERSONAL_PDF}, {PERSONAL_CSV})",
                PERSONAL_PDF=PERSONAL_PDF,
                PERSONAL_CSV=PERSONAL_CSV,
            ),
            where=str(test_dir),
            hint=tr("build the package with `testgen build --roster ROSTER`"),
        )
    variants = set(manifest.variant_numbers())
    out: dict[str, PersonalSheet] = {}
    problems = []
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            teacher = (row.get("teacher_id") or "").strip()
            try:
                sheet = PersonalSheet(teacher, int(row["variant"]), int(row["first_page"]))
            except (KeyError, TypeError, ValueError):
                problems.append(
                    tr("row {line}: variant and first_page must be whole numbers", line=line)
                )
                continue
            if not teacher or teacher in out:
                problems.append(
                    tr(
                        "row {line}: teacher_id {teacher!r} is empty or repeated",
                        line=line,
                        teacher=teacher,
                    )
                )
            elif sheet.variant not in variants or sheet.first_page < 1:
                problems.append(
                    tr(
                        "row {line}: variant {variant} or first_page {first_page} is not in this "
                        "package",
                        line=line,
                        variant=sheet.variant,
                        first_page=sheet.first_page,
                    )
                )
            else:
                out[teacher] = sheet
    if problems:
        raise ValidationFailed(problems, where=str(path), hint=tr("rebuild the package"))
    return out


class Sheets:
    """Rasterised blank sheets of the package: anonymous ones of every variant, cached by
    (variant, layout page); personalised ones rasterised page by page as they are needed
    (each is filled once, so caching them would only hold memory)."""

    def __init__(
        self, manifest: SheetPackage, test_dir: Path, scratch: Path, kind: SheetKind = "anonymous"
    ):
        self.manifest = manifest
        self.test_dir = test_dir
        self.scratch = scratch
        self.kind = kind
        self.layout = manifest.layout_of_kind(kind)
        self.cache: dict[tuple[int, int], np.ndarray] = {}
        self.personal = load_personal_sheets(test_dir, manifest) if kind == "personal" else {}

    def _pdf(self, variant: int) -> Path:
        path = self.test_dir / f"sheet-v{variant:02d}.pdf"
        if path.is_file():
            return path
        # A package with only manifest.json: draw the sheet exactly as testgen build does.
        path = self.scratch / f"sheet-v{variant:02d}.pdf"
        if not path.is_file() and isinstance(self.manifest, Manifest):
            key = load_identity_key(self.test_dir)
            render_sheets(path, self.layout, self.manifest.test, [(variant, None)], key)
        return path

    def page(self, variant: int, page_no: int) -> np.ndarray:
        key = (variant, page_no)
        if key not in self.cache:
            image = _rasterise(self._pdf(variant), page_no)
            self._check(image, variant, page_no, self._pdf(variant))
            self.cache[key] = image
        return self.cache[key]

    def personal_page(self, teacher_id: str, page_no: int) -> np.ndarray:
        """Layout page ``page_no`` of the teacher's own sheet in ``sheets-personal.pdf``."""
        sheet = self.personal[teacher_id]
        path = self.test_dir / PERSONAL_PDF
        image = _rasterise(path, sheet.first_page + page_no - 1)
        self._check(image, sheet.variant, page_no, path, teacher_id)
        return image

    def _check(
        self, image: np.ndarray, variant: int, page_no: int, pdf: Path, respondent: str = ""
    ) -> None:
        """Refuse a sheet PDF that is not this manifest's (a stale build): its QR must name
        this test, variant, page, layout hash (and teacher), or every truth record would be
        wrong."""
        page = self.layout.pages[page_no - 1]
        s = BASE_DPI / 72.0
        pad = 12
        box = page.qr
        crop = image[
            max(int((box.y - pad) * s), 0) : int((box.y + box.height + pad) * s),
            max(int((box.x - pad) * s), 0) : int((box.x + box.width + pad) * s),
        ]
        text = _decode_qr(crop)
        data = parse_qr(text)
        expected = (self.manifest.package_id, variant, page_no, self.layout.hash, respondent)
        if (
            data is None
            or (
                data.test_id,
                data.variant,
                data.page,
                data.layout_hash,
                data.respondent,
            )
            != expected
        ):
            teacher = f", teacher {respondent}" if respondent else ""
            raise ValidationFailed(
                [
                    f"page {page_no}: the sheet's QR code reads {text or 'nothing'!r}, expected "
                    f"test {expected[0]}, variant {variant}, layout {self.layout.hash}{teacher}"
                ],
                where=str(pdf),
                hint=tr("the PDF does not match manifest.json; rebuild the package"),
            )


def _decode_qr(crop: np.ndarray) -> str:
    """The QR text of a clean rendered crop. OpenCV 5's plain detector misses about 3 % of
    our clean codes at 300 dpi; the ArUco-based one reads them, so it is the fallback."""
    for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
        text, _, _ = detector.detectAndDecode(crop)
        if text:
            return str(text)
    return ""


def _rasterise(pdf_path: Path, page_index: int) -> np.ndarray:
    """Page ``page_index`` (1-based) of a PDF at 300 dpi, grey: (H, W) uint8 (through the
    reader's PDF module, which holds PDFium's one lock)."""
    pages = pdf_page_count(pdf_path, str(pdf_path))
    if page_index > pages:
        raise ValidationFailed(
            [f"page {page_index}: the PDF has only {pages} page(s)"],
            where=str(pdf_path),
            hint=tr("the PDF does not match the package; rebuild it"),
        )
    return render_pdf_page(pdf_path, page_index, str(pdf_path), dpi=BASE_DPI)
