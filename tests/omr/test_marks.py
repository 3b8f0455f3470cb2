"""The mark rule on tiny exact inputs, then on drawn marks (light pencil, dots, residue)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from omr_fixtures import DPI, SheetFactory

from omr.marks import DEFAULT_RULE, classify
from omr.read import read_page
from omr.results import SourceRef
from testgen.manifest import Manifest


def state(fill: list[float], cover: list[float] | None = None):
    f = np.array(fill)
    c = np.array(cover if cover is not None else [1.0 if v >= 0.15 else 0.0 for v in fill])
    return classify(f, c)


def test_one_clear_mark() -> None:
    s = state([0.01, 0.9, 0.02, 0.0])
    assert (s.state, s.marked, s.doubtful) == ("marked", [1], [])


def test_nothing_marked_is_blank() -> None:
    assert state([0.01, 0.03, 0.02, 0.0]).state == "blank"


def test_two_clear_marks_are_multiple() -> None:
    s = state([0.85, 0.02, 0.7, 0.0])
    assert (s.state, s.marked) == ("multiple", [0, 2])


def test_a_fill_in_the_doubtful_band_is_ambiguous() -> None:
    s = state([0.9, 0.12, 0.0, 0.0], [1.0, 0.2, 0.0, 0.0])
    assert (s.state, s.marked, s.doubtful) == ("ambiguous", [0], [1])


def test_light_uniform_residue_is_never_a_mark() -> None:
    # even, light darkness all over the ring: high fill but nothing dark -> doubtful
    s = state([0.22, 0.0, 0.0, 0.0], [0.05, 0.0, 0.0, 0.0])
    assert s.state == "ambiguous" and s.marked == []


def test_a_much_fainter_second_mark_is_doubtful_not_multiple() -> None:
    # heavy erasure next to a pen mark
    s = state([0.9, 0.32, 0.0, 0.0], [1.0, 0.9, 0.0, 0.0])
    assert (s.state, s.marked, s.doubtful) == ("ambiguous", [0], [1])


@given(
    st.lists(st.floats(0, 1), min_size=2, max_size=8),
    st.lists(st.floats(0, 1), min_size=8, max_size=8),
)
def test_states_are_consistent(fills: list[float], covers: list[float]) -> None:
    f = np.array(fills)
    c = np.array(covers[: len(fills)])
    s = classify(f, c)
    assert set(s.marked).isdisjoint(s.doubtful)
    expected = (
        "ambiguous" if s.doubtful else {0: "blank", 1: "marked"}.get(len(s.marked), "multiple")
    )
    assert s.state == expected
    for i in s.marked:  # a counted mark always passes both absolute thresholds
        assert f[i] >= DEFAULT_RULE.mark_fill and c[i] >= DEFAULT_RULE.mark_cover


SOURCE = SourceRef(file="marks.png", page=1, sha256="0" * 64)


def _bubble_px(manifest: Manifest, question: int, letter: str) -> tuple[tuple[int, int], float]:
    layout = manifest.layout_of_kind("anonymous")
    b = next(b for b in layout.pages[0].bubbles if b.question == question and b.option == letter)
    s = DPI / 72
    return (round(b.x * s), round(b.y * s)), b.r * s


def _read(image: np.ndarray, manifest: Manifest) -> dict[int, tuple[str, str]]:
    result = read_page(image, manifest, SOURCE).result
    return {q.position: (q.state, q.letters) for q in result.questions}


@pytest.mark.parametrize("darkness", [0.4, 0.5])
def test_half_bubble_of_light_pencil_counts(
    make_sheet: SheetFactory, manifest: Manifest, darkness: float
) -> None:
    image = make_sheet({})
    (x, y), r = _bubble_px(manifest, 3, "B")
    level = round(255 * (1 - darkness))
    cv2.ellipse(image, (x, y), (round(r * 0.95), round(r * 0.95)), 0, 90, 270, level, -1)
    assert _read(image, manifest)[3] == ("marked", "B")


def test_centred_dot_and_fold_line_never_count(
    make_sheet: SheetFactory, manifest: Manifest
) -> None:
    image = make_sheet({})
    (x, y), r = _bubble_px(manifest, 2, "C")
    cv2.circle(image, (x, y), max(1, round(r * 0.2)), 20, -1)
    (x, y), r = _bubble_px(manifest, 4, "A")
    cv2.line(image, (0, y), (image.shape[1] - 1, y), 150, 1)  # a fold across the row
    read = _read(image, manifest)
    assert read[2] == ("blank", "") and read[4] == ("blank", "")


def test_stray_mark_outside_the_bubble_never_counts(
    make_sheet: SheetFactory, manifest: Manifest
) -> None:
    image = make_sheet({})
    (x, y), r = _bubble_px(manifest, 5, "D")
    cv2.line(image, (x + round(1.6 * r), y - round(r)), (x + round(2.2 * r), y + round(r)), 0, 2)
    assert _read(image, manifest)[5] == ("blank", "")


def test_erasure_residue_is_blank_or_ambiguous_never_marked(
    make_sheet: SheetFactory, manifest: Manifest
) -> None:
    image = make_sheet({7: "A"})
    for darkness in (0.1, 0.3):
        (x, y), r = _bubble_px(manifest, 7 if darkness == 0.3 else 8, "C")
        cv2.circle(image, (x, y), round(r * 0.9), round(255 * (1 - darkness)), -1)
        image[:] = cv2.GaussianBlur(image, (0, 0), 0.6)
    read = _read(image, manifest)
    assert read[7][0] == "ambiguous" and "A" in read[7][1]
    assert read[8][0] in ("blank", "ambiguous")
