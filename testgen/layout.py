"""Answer-sheet geometry: where every marker, QR code and bubble goes, in points from the
page's top-left corner (y down). Pure functions; :mod:`testgen.sheet` draws what this computes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4

from common.i18n import tr
from common.vocabulary import LETTERS
from testgen.manifest import Box, Bubble, Marker, SheetLayout, SheetPage

PAGE_WIDTH, PAGE_HEIGHT = A4
MAX_QUESTIONS_PER_PAGE = 100


@dataclass(frozen=True)
class Geometry:
    """The fixed measures of our sheet design, in points."""

    margin: float = 22.0
    marker_size: float = 40.0
    qr_size: float = 76.0
    # A QR code needs a quiet zone of 4 modules; a payload of up to ~60 characters is a
    # version-4 code (33 modules, 2.3 pt each at 76 pt), so 12 pt of white on every side.
    qr_quiet: float = 12.0
    bubble_radius: float = 6.0
    option_pitch: float = 17.0
    row_pitch: float = 19.0
    label_width: float = 24.0
    column_gap: float = 14.0
    id_pitch_x: float = 16.0
    id_pitch_y: float = 14.0
    id_top: float = 146.0  # first ID row's centre; the ID box starts below the QR's quiet zone
    questions_top: float = 300.0  # first question row's centre
    max_rows: int = 25


GEOMETRY = Geometry()


def markers(g: Geometry = GEOMETRY) -> list[Marker]:
    """Four ArUco markers with distinct ids 0..3 clockwise from the top-left corner."""
    s, m = g.marker_size, g.margin
    return [
        Marker(id=0, corner="tl", x=m, y=m, size=s),
        Marker(id=1, corner="tr", x=PAGE_WIDTH - m - s, y=m, size=s),
        Marker(id=2, corner="br", x=PAGE_WIDTH - m - s, y=PAGE_HEIGHT - m - s, size=s),
        Marker(id=3, corner="bl", x=m, y=PAGE_HEIGHT - m - s, size=s),
    ]


def qr_box(g: Geometry = GEOMETRY) -> Box:
    """The QR code sits at the top, left of the top-right marker."""
    x = PAGE_WIDTH - g.margin - g.marker_size - g.qr_quiet - g.qr_size
    return Box(x=x, y=g.margin, width=g.qr_size, height=g.qr_size)


def id_bubbles(digits: int, g: Geometry = GEOMETRY) -> list[Bubble]:
    """ID grid: one column per digit, values 0..9 downwards, right-aligned under the QR."""
    right = PAGE_WIDTH - g.margin - g.marker_size - g.qr_quiet
    left = right - digits * g.id_pitch_x + g.id_pitch_x / 2
    return [
        Bubble(
            kind="id",
            x=round(left + d * g.id_pitch_x, 3),
            y=round(g.id_top + v * g.id_pitch_y, 3),
            r=g.bubble_radius * 0.85,
            digit=d,
            value=v,
        )
        for d in range(digits)
        for v in range(10)
    ]


def columns_for(options: int, g: Geometry = GEOMETRY) -> int:
    """How many question columns fit across the page for this many options."""
    usable = PAGE_WIDTH - 2 * g.margin
    width = g.label_width + options * g.option_pitch + g.column_gap
    return max(1, int(usable // width))


def question_bubbles(first: int, count: int, options: int, g: Geometry = GEOMETRY) -> list[Bubble]:
    """Bubbles of questions ``first .. first+count-1`` laid out column by column."""
    cols = columns_for(options, g)
    rows = min(g.max_rows, max(1, math.ceil(count / cols)))
    col_width = g.label_width + options * g.option_pitch + g.column_gap
    total = cols * col_width - g.column_gap
    left = (PAGE_WIDTH - total) / 2 + g.label_width + g.option_pitch / 2
    out = []
    for i in range(count):
        col, row = divmod(i, rows)
        for o in range(options):
            out.append(
                Bubble(
                    kind="answer",
                    x=round(left + col * col_width + o * g.option_pitch, 3),
                    y=round(g.questions_top + row * g.row_pitch, 3),
                    r=g.bubble_radius,
                    question=first + i,
                    option=LETTERS[o],
                )
            )
    return out


def per_page(options: int, g: Geometry = GEOMETRY) -> int:
    return min(MAX_QUESTIONS_PER_PAGE, columns_for(options, g) * g.max_rows)


def compute_layout(
    questions: int, options: int, id_digits: int, kind: str, g: Geometry = GEOMETRY
) -> SheetLayout:
    """The whole layout of an answer sheet; personal sheets carry no ID grid."""
    if not 1 <= options <= 8:
        raise ValueError(tr("options must be 1..8, got {options}", options=options))
    capacity = per_page(options, g)
    pages = []
    first = 1
    page_no = 1
    while first <= questions:
        count = min(capacity, questions - first + 1)
        bubbles = question_bubbles(first, count, options, g)
        if kind == "anonymous" and page_no == 1:
            bubbles = id_bubbles(id_digits, g) + bubbles
        pages.append(SheetPage(page=page_no, markers=markers(g), qr=qr_box(g), bubbles=bubbles))
        first += count
        page_no += 1
    layout = SheetLayout(
        kind=kind,  # type: ignore[arg-type]
        page_width=round(PAGE_WIDTH, 4),
        page_height=round(PAGE_HEIGHT, 4),
        bubble_radius=g.bubble_radius,
        options=LETTERS[:options],
        questions=questions,
        id_digits=id_digits if kind == "anonymous" else 0,
        pages=pages,
    )
    return layout.model_copy(update={"hash": layout.geometry_hash()})
