"""The mark model: the decision on tiny exact feature sets, then on marks drawn onto real
rendered sheets (lines, circles, residue, one letter everywhere, 1-bit scans), and on marks
whose strokes were typed by hand (``hand_drawn/marks.yaml``)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from omr_fixtures import DPI, SheetFactory

from omr.marks import DEFAULT_RULE, Measured, decide
from omr.read import read_page
from omr.results import BILEVEL_FLAG, SourceRef
from testgen.manifest import Manifest

QUESTIONS, OPTIONS = 10, 4


def page(
    typical: float = 0.9, marks: dict[tuple[int, int], dict[str, float]] | None = None
) -> tuple[Measured, np.ndarray]:
    """Features of a 10 x 4 page: one solid mark of stroke ``typical`` per question (option
    0) unless ``marks`` sets (question, option) to other features (``{}`` = empty)."""
    n = QUESTIONS * OPTIONS
    f = {
        "fill": np.zeros(n),
        "stroke": np.zeros(n),
        "area": np.zeros(n),
        "sectors": np.zeros(n, dtype=np.int64),
    }
    ring = np.zeros((n, 3, 32))
    solid = {"fill": typical * 0.95, "stroke": typical, "area": 0.97, "sectors": 8}
    chosen = {(q, 0): solid for q in range(QUESTIONS)}
    chosen |= marks or {}
    for (q, o), values in chosen.items():
        i = q * OPTIONS + o
        for name, value in values.items():
            if name not in ("outside", "places"):
                f[name][i] = value
        ring[i, 0] = _ring(values.get("outside", 0.0), int(values.get("places", 0)))
    measured = Measured(
        **f, ring=ring, white=np.full(n, 230.0), span=np.full(n, 200.0), cut_off=False
    )
    return measured, np.repeat(np.arange(QUESTIONS), OPTIONS)


def _ring(share: float, places: int) -> np.ndarray:
    """32 samples of outside ink: ``share`` of them inked, in ``places`` separate runs."""
    out = np.zeros(32)
    inked = round(share * 32)
    if inked and places:
        runs = np.array_split(np.arange(inked), places)
        for k, run in enumerate(runs):
            start = k * (32 // places)
            out[start : start + len(run)] = 1.0
    return out


def states(measured: Measured, groups: np.ndarray, question: int) -> list[str]:
    d = decide(measured, groups)
    rows = slice(question * OPTIONS, (question + 1) * OPTIONS)
    return [
        "marked" if m else "doubtful" if u else "blank"
        for m, u in zip(d.marked[rows], d.doubtful[rows], strict=True)
    ]


def test_one_solid_mark_per_question_reads() -> None:
    assert states(*page(), 3) == ["marked", "blank", "blank", "blank"]


def test_a_pen_line_through_an_empty_bubble_is_not_a_mark() -> None:
    line = {"fill": 0.18, "stroke": 0.85, "area": 0.22, "sectors": 2, "outside": 0.1, "places": 2}
    assert states(*page(marks={(2, 2): line}), 2) == ["marked", "blank", "blank", "blank"]
    # alone in its question too
    alone = page(marks={(2, 0): {}, (2, 2): line})
    assert states(*alone, 2) == ["blank"] * 4


def test_a_circle_drawn_around_a_bubble_is_never_blank() -> None:
    circled = {"outside": 0.8, "places": 1}
    # alone in its question it is the answer the person meant
    alone = page(marks={(4, 0): {}, (4, 1): circled})
    assert states(*alone, 4) == ["blank", "marked", "blank", "blank"]
    # beside a fill it is a person's to settle (the fill, or a change of mind?)
    assert states(*page(marks={(4, 1): circled}), 4)[:2] == ["marked", "doubtful"]
    # a circle only partly drawn, alone, is not plain enough
    partial = {"outside": 0.34, "places": 2}
    assert states(*page(marks={(4, 0): {}, (4, 1): partial}), 4)[1] == "doubtful"


def test_a_wobbly_circle_across_the_outside_rings_is_not_blank() -> None:
    # a light pencil circle, each third of it on another of the three outside rings: under
    # 30 % of any one ring, in 34 % of the directions around (from a 1,000-sheet colour run)
    measured, groups = page(typical=0.2, marks={(4, 0): {}})
    bubble = 4 * OPTIONS + 2
    for ring, start in ((0, 0), (1, 4), (2, 8)):
        measured.ring[bubble, ring, start : start + 4] = 0.12
    measured.ring[bubble, 1, 12:15] = 0.12
    assert states(measured, groups, 4)[2] == "doubtful"


def test_a_light_patch_beside_a_light_fill_is_left_to_a_person() -> None:
    # HB, very light hand: a second fill begun beside the first (a double mark half done)
    fill = {"fill": 0.107, "stroke": 0.156, "area": 0.74, "sectors": 8}
    patch = {"fill": 0.068, "stroke": 0.112, "area": 0.32, "sectors": 2}
    got = states(*page(typical=0.175, marks={(5, 0): fill, (5, 1): patch}), 5)
    assert got[:2] == ["marked", "doubtful"]
    # a tick as dark as the marks beside the same fill is set aside
    tick = patch | {"stroke": 0.17}
    assert states(*page(typical=0.175, marks={(5, 0): fill, (5, 1): tick}), 5)[1] == "blank"


def test_a_tick_or_cross_alone_is_the_answer_but_not_beside_a_fill() -> None:
    tick = {"fill": 0.2, "stroke": 0.8, "area": 0.3, "sectors": 4, "outside": 0.06, "places": 1}
    cross = {"fill": 0.23, "stroke": 0.8, "area": 0.33, "sectors": 5, "outside": 0.16, "places": 4}
    for gesture in (tick, cross):
        alone = page(marks={(3, 0): {}, (3, 2): gesture})
        assert states(*alone, 3) == ["blank", "blank", "marked", "blank"]
        assert decide(*alone).confidence[3 * OPTIONS + 2] == DEFAULT_RULE.gesture_confidence
        assert states(*page(marks={(3, 2): gesture}), 3)[2] == "blank"  # beside the fill
        # two of them in one question: which one? a person's to settle
        two = page(marks={(3, 0): {}, (3, 1): gesture, (3, 2): gesture})
        assert states(*two, 3)[1:3] == ["doubtful", "doubtful"]
    # a lighter stroke than this person's marks is no answer; nor on a 1-bit page
    light = tick | {"stroke": 0.33}  # the bar here: 0.6 x 0.9, at most 0.34
    assert states(*page(marks={(3, 0): {}, (3, 2): light}), 3)[2] == "doubtful"
    measured, groups = page(marks={(3, 0): {}, (3, 2): tick})
    assert not decide(measured, groups, gestures=False).marked[3 * OPTIONS + 2]


def test_residue_beside_a_light_new_mark_is_doubtful_not_multiple() -> None:
    light = {"fill": 0.3, "stroke": 0.36, "area": 0.95, "sectors": 8}
    residue = {"fill": 0.22, "stroke": 0.26, "area": 0.95, "sectors": 8}
    got = states(*page(typical=0.4, marks={(5, 0): light, (5, 1): residue}), 5)
    assert got[0] == "marked" and got[1] == "doubtful"


def test_residue_alone_is_never_a_mark() -> None:
    residue = {"fill": 0.22, "stroke": 0.26, "area": 0.95, "sectors": 8}
    on_pen_sheet = states(*page(typical=0.9, marks={(6, 0): {}, (6, 2): residue}), 6)
    assert on_pen_sheet[2] == "blank"  # a trace against this person's black marks
    # with too few marks on the sheet to know the person's pencil, it is left to a person
    few = {(q, 0): {} for q in range(QUESTIONS - 1)} | {(9, 0): {}, (9, 2): residue}
    assert states(*page(marks=few), 9)[2] == "doubtful"


def test_a_light_half_fill_on_a_pencil_sheet_counts() -> None:
    half = {"fill": 0.15, "stroke": 0.33, "area": 0.5, "sectors": 4}
    assert states(*page(typical=0.35, marks={(7, 0): {}, (7, 3): half}), 7)[3] == "marked"


def test_a_visible_light_scribble_is_never_silently_blank() -> None:
    scribble = {"fill": 0.07, "stroke": 0.16, "area": 0.6, "sectors": 6}
    assert states(*page(typical=0.4, marks={(8, 0): {}, (8, 1): scribble}), 8)[1] == "doubtful"


feature = st.fixed_dictionaries(
    {
        "fill": st.floats(0, 1),
        "stroke": st.floats(0, 1),
        "area": st.floats(0, 1),
        "sectors": st.integers(0, 8),
        "outside": st.floats(0, 1),
        "places": st.integers(0, 6),
    }
)


@given(st.dictionaries(st.tuples(st.integers(0, 9), st.integers(0, 3)), feature, max_size=12))
def test_decisions_are_consistent(marks: dict[tuple[int, int], dict[str, float]]) -> None:
    measured, groups = page(marks=marks)
    d = decide(measured, groups)
    assert not (d.marked & d.doubtful).any()
    rule = DEFAULT_RULE
    for i in np.flatnonzero(d.marked & ~d.gestures):  # a counted fill has a fill's shape
        assert measured.area[i] >= rule.mark_area and measured.sectors[i] >= rule.mark_sectors
        assert measured.stroke[i] >= rule.stroke_min and measured.fill[i] >= d.floor
    assert not d.marked[(measured.fill < d.floor) & ~d.gestures].any()
    for i in np.flatnonzero(d.gestures):  # a gesture read is the only ink in its question
        assert d.marked[i] and d.confidence[i] == rule.gesture_confidence
        others = (groups == groups[i]) & (np.arange(len(groups)) != i)
        assert not (d.marked | d.doubtful)[others].any()
    assert ((d.confidence >= 0) & (d.confidence <= 1)).all()


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


def test_centred_dot_fold_line_and_pen_line_never_count(
    make_sheet: SheetFactory, manifest: Manifest
) -> None:
    image = make_sheet({9: "A"})
    (x, y), r = _bubble_px(manifest, 2, "C")
    cv2.circle(image, (x, y), max(1, round(r * 0.2)), 20, -1)
    (x, y), r = _bubble_px(manifest, 4, "A")
    cv2.line(image, (0, y), (image.shape[1] - 1, y), 150, 1)  # a fold across the row
    (x, y), r = _bubble_px(manifest, 9, "C")  # a pen slip through an empty bubble
    cv2.line(image, (x - round(3 * r), y - round(0.6 * r)), (x + round(3 * r), y + 2), 30, 2)
    read = _read(image, manifest)
    assert read[2] == ("blank", "") and read[4] == ("blank", "") and read[9] == ("marked", "A")


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
    assert read[7][0] in ("marked", "ambiguous") and read[7][1].startswith("A")
    assert read[8][0] in ("blank", "ambiguous")


def test_a_circled_bubble_alone_is_read_and_beside_a_fill_is_ambiguous(
    make_sheet: SheetFactory, manifest: Manifest
) -> None:
    image = make_sheet({q: "A" for q in range(1, 13)} | {11: ""})
    for question in (11, 12):
        (x, y), r = _bubble_px(manifest, question, "B")
        cv2.circle(image, (x, y), round(1.35 * r), 40, 2, cv2.LINE_AA)
    read = _read(image, manifest)
    assert read[11] == ("marked", "B")
    assert read[12] == ("ambiguous", "AB")


def test_the_same_letter_on_every_question_reads(
    make_sheet: SheetFactory, manifest: Manifest
) -> None:
    # the page's own empty-bubble reference of "B" must not be taken from marked bubbles
    answers = {q: "B" for q in range(1, 13)}
    assert {q: s for q, (s, _) in _read(make_sheet(answers), manifest).items()} == {
        q: "marked" for q in range(1, 13)
    }


def _pencil(image: np.ndarray, manifest: Manifest, answers: dict[int, str], level: int) -> None:
    rng = np.random.default_rng(3)
    for q, letter in answers.items():
        (x, y), r = _bubble_px(manifest, q, letter)
        patch = image[y - round(r) : y + round(r) + 1, x - round(r) : x + round(r) + 1]
        yy, xx = np.mgrid[: patch.shape[0], : patch.shape[1]] - round(r)
        inside = (xx**2 + yy**2) <= (0.9 * r) ** 2
        grain = rng.uniform(-25, 25, patch.shape)
        patch[inside] = np.minimum(patch[inside], np.clip(level + grain[inside], 0, 255))


def _one_bit(image: np.ndarray) -> np.ndarray:
    return np.where(image >= 128, 255, 0).astype(np.uint8)


def test_a_1_bit_scan_of_a_pencil_sheet_is_flagged_for_rescan(
    make_sheet: SheetFactory, manifest: Manifest
) -> None:
    answers = {q: "ABCD"[q % 4] for q in range(1, 13)}
    image = make_sheet({})
    _pencil(image, manifest, answers, 175)  # HB: lighter than the scanner's threshold
    result = read_page(_one_bit(image), manifest, SOURCE).result
    assert result.bilevel and BILEVEL_FLAG in result.flags and result.status == "flagged"
    assert result.whole_page_flagged
    # 2B survives as specks: read, but held for a person when anything is blank
    image = make_sheet({})
    _pencil(image, manifest, {q: a for q, a in answers.items() if q != 5}, 120)
    result = read_page(_one_bit(image), manifest, SOURCE).result
    assert BILEVEL_FLAG in result.flags, [q.state for q in result.questions]


def test_an_error_diffused_1_bit_scan_reads_its_qr_code(
    make_sheet: SheetFactory, manifest: Manifest
) -> None:
    # a bulk scanner's dithered page: light grey paper becomes scattered black dots, in the
    # QR code's white modules too (plain decoding of the located box fails on it)
    from PIL import Image

    answers = {q: "ABCD"[q % 4] for q in range(1, 13)}
    grey = (make_sheet(answers).astype(np.float32) * (215 / 255) + 20).astype(np.uint8)
    dithered = np.asarray(Image.fromarray(grey).convert("1"), dtype=np.uint8) * 255
    result = read_page(dithered, manifest, SOURCE).result
    assert result.status != "refused", result.reason
    assert result.bilevel and result.answers() == answers


def test_a_1_bit_scan_of_a_pen_sheet_reads(make_sheet: SheetFactory, manifest: Manifest) -> None:
    answers = {q: "ABCD"[q % 4] for q in range(1, 13)}
    result = read_page(_one_bit(make_sheet(answers)), manifest, SOURCE).result
    assert result.bilevel and result.status == "ok", result.flags
    assert result.answers() == answers


def test_writing_beside_a_question_flags_the_sheet(
    make_sheet: SheetFactory, manifest: Manifest
) -> None:
    image = make_sheet({q: "A" for q in range(1, 13)})
    (x, y), r = _bubble_px(manifest, 6, "D")
    cv2.putText(image, "B!", (x + round(1.9 * r), y + round(0.5 * r)), 0, 0.5, 0, 2)
    result = read_page(image, manifest, SOURCE).result
    assert "q6: writing beside the bubbles - check" in result.flags


HAND_DRAWN = Path(__file__).parent / "hand_drawn" / "marks.yaml"


def test_hand_drawn_marks_are_never_read_wrong_silently(
    make_sheet: SheetFactory, manifest: Manifest
) -> None:
    """A second opinion beside the simulator: marks whose strokes a person typed by hand.

    Each is drawn alone in its question: the tick, the cross and the circle read as their
    letter (what the person meant), the rest as their first expected reading."""
    marks = yaml.safe_load(HAND_DRAWN.read_text(encoding="utf-8"))
    per_sheet = manifest.layout_of_kind("anonymous").questions
    wrong, reads = {}, {}
    for start in range(0, len(marks), per_sheet):  # one mark per question, sheets as needed
        image = make_sheet({})
        chunk = marks[start : start + per_sheet]
        for question, mark in enumerate(chunk, start=1):
            (x, y), r = _bubble_px(manifest, question, "A")
            for stroke in mark["strokes"]:
                pts = (np.array(stroke) * r + (x, y)) * 16
                width = max(1, round(mark["width"] * r))
                cv2.polylines(
                    image, [pts.round().astype(np.int32)], False, mark["grey"], width,
                    cv2.LINE_AA, 4,
                )  # fmt: skip
        read = read_page(image, manifest, SOURCE).result.answers()
        for question, mark in enumerate(chunk, start=1):
            reads[mark["name"]] = read[question]
            if read[question] not in mark["expect"]:
                wrong[mark["name"]] = read[question]
    assert wrong == {}, reads
