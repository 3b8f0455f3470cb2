"""Filled answer sheets with exactly known marks, for the tests and bench/omr_speed.py.

Sheets are drawn by :func:`testgen.sheet.render_sheets` (the same code that prints them),
rasterised with pypdfium2, and marked with OpenCV at the manifest's coordinates.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium

from testgen.layout import compute_layout
from testgen.manifest import (
    Manifest,
    SheetLayout,
    SourceVersion,
    TestInfo,
    Variant,
    VariantItem,
)
from testgen.sheet import Respondent, render_sheets
from testgen.spec import LETTERS, Option, Task


def make_manifest(
    questions: int = 12,
    options: int = 5,
    id_digits: int = 6,
    test_id: str = "t-2026",
    variants: int = 2,
    title: str = "Входной контроль: математика",
) -> Manifest:
    """A minimal manifest with an anonymous and a personal layout and ``variants`` variants."""
    layouts = [
        compute_layout(questions, options, id_digits, kind) for kind in ("anonymous", "personal")
    ]
    return Manifest(
        generator="omr-tests",
        test=TestInfo(
            id=test_id,
            department="mathematics",
            year=2026,
            stage="acceptance",
            title=title,
            language="ru",
        ),
        seed=1,
        spec_sha256="0" * 64,
        sources={
            "A": SourceVersion(
                groups=[],
                tasks=[
                    Task(
                        id=f"a{p:02d}",
                        topic="Тема",
                        stem=f"Задание {p}",
                        options=[Option(text=f"ответ {o + 1}") for o in range(options)],
                        correct=LETTERS[p % options],
                    )
                    for p in range(1, questions + 1)
                ],
            )
        },
        variants=[
            Variant(
                number=v,
                items=[
                    VariantItem(
                        position=p,
                        version="A",
                        source_position=p,
                        task_id=f"a{p:02d}",
                        permutation=list(range(options)),
                        key=LETTERS[(p + v) % options],
                        points=1.0,
                    )
                    for p in range(1, questions + 1)
                ],
            )
            for v in range(1, variants + 1)
        ],
        key_agreement=[[0] * variants for _ in range(variants)],
        layouts={layout.hash: layout for layout in layouts},
    )


def render_blank(
    manifest: Manifest,
    variant: int,
    *,
    kind: str = "anonymous",
    respondent: str | None = None,
    dpi: int = 200,
) -> list[np.ndarray]:
    """Every page of one printed sheet as greyscale arrays of shape (H, W)."""
    layout = manifest.layout_of_kind(kind)
    person = Respondent(id=respondent, name="Иванова Анна") if respondent else None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sheet.pdf"
        render_sheets(path, layout, manifest.test, [(variant, person)])
        document = pdfium.PdfDocument(path)
        try:
            pages = []
            for page in document:
                image = page.render(scale=dpi / 72, grayscale=True).to_numpy()
                pages.append(np.ascontiguousarray(image[..., 0] if image.ndim == 3 else image))
        finally:
            document.close()
    return pages


def fill_bubbles(
    image: np.ndarray,
    layout: SheetLayout,
    page: int,
    answers: dict[int, str],
    *,
    respondent: str = "",
    dpi: int = 200,
    darkness: float = 0.9,
    radius: float = 0.85,
) -> np.ndarray:
    """Fill bubbles in place: ``answers`` maps question -> letters, ``respondent`` the ID
    digits; ``darkness`` 1 is black, ``radius`` is the fraction of the bubble's radius."""
    scale = dpi / 72
    level = round(255 * (1 - darkness))
    for b in layout.pages[page - 1].bubbles:
        hit = (b.kind == "answer" and b.option in answers.get(b.question or 0, "")) or (
            b.kind == "id"
            and b.digit is not None
            and b.digit < len(respondent)
            and respondent[b.digit] == str(b.value)
        )
        if hit:
            centre = (round(b.x * scale * 16), round(b.y * scale * 16))
            cv2.circle(
                image, centre, round(b.r * radius * scale * 16), level, -1, cv2.LINE_AA, shift=4
            )
    return image


def sample_answers(questions: int, options: int, seed: int) -> dict[int, str]:
    """Random single answers with a few blanks, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    out = {}
    for q in range(1, questions + 1):
        pick = int(rng.integers(0, options + 1))
        out[q] = "" if pick == options else LETTERS[pick]
    return out
