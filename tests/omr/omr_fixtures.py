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

from omr._testing import fill_bubbles, make_manifest, render_blank
from testgen.manifest import Manifest, write_manifest

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
