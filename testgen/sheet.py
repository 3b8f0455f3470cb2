"""Draw answer sheets (reportlab) exactly where :mod:`testgen.layout` says things are.

The static part of a layout page (markers, bubbles, labels, instructions) is drawn once as a
PDF form XObject and reused on every sheet, so hundreds of personalised sheets stay fast;
only the header text and the QR code change from sheet to sheet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from reportlab.lib.colors import Color, black, white
from reportlab.pdfgen.canvas import Canvas

from common.fonts import register_fonts
from testgen.layout import GEOMETRY
from testgen.manifest import Box, Marker, SheetLayout, SheetPage, TestInfo, qr_payload
from testgen.numbers import variant_in_words

OUTLINE = Color(0.25, 0.25, 0.25)
LETTER_GREY = Color(0.62, 0.62, 0.62)

INSTRUCTIONS = {
    "ru": [
        "Полностью закрасьте кружок ручкой или карандашом: ● — так; ✓ ✗ • — не так.",
        "Чтобы отменить ответ, полностью сотрите метку. Два закрашенных кружка — два ответа;",
        "неясная метка проверяется вручную. Не пишите рядом с маркерами и QR-кодом.",
    ],
    "en": [
        "Fill the circle completely with pen or pencil: ● is right; ✓ ✗ • are not.",
        "To cancel an answer, erase the mark completely. Two filled circles are two answers;",
        "an unclear mark is checked by hand. Do not write near the markers or the QR code.",
    ],
}
LABELS = {
    "ru": {"variant": "Вариант", "page": "Лист", "id": "Номер участника", "name": "Участник"},
    "en": {"variant": "Variant", "page": "Sheet", "id": "Respondent ID", "name": "Respondent"},
}


@dataclass(frozen=True)
class Respondent:
    """A teacher printed on a personalised sheet."""

    id: str
    name: str
    school: str = ""


def _top(layout: SheetLayout, y: float) -> float:
    """Layout y (down from the top) -> reportlab y (up from the bottom)."""
    return layout.page_height - y


@cache
def _aruco_cells(marker_id: int, dictionary: str) -> np.ndarray:
    """The marker's black/white cells (border included), as a bool array of shape (6, 6)."""
    aruco = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, dictionary))
    bits = int(aruco.markerSize) + 2
    image = cv2.aruco.generateImageMarker(aruco, marker_id, bits)
    return image < 128


def _draw_marker(c: Canvas, layout: SheetLayout, marker: Marker) -> None:
    cells = _aruco_cells(marker.id, layout.aruco_dictionary)
    n = cells.shape[0]
    cell = marker.size / n
    c.setFillColor(black)
    for row in range(n):
        for col in range(n):
            if cells[row, col]:
                x = marker.x + col * cell
                y = _top(layout, marker.y + (row + 1) * cell)
                # A hair of overlap so adjacent cells print as one solid area.
                c.rect(x - 0.05, y - 0.05, cell + 0.1, cell + 0.1, stroke=0, fill=1)


def _draw_static(c: Canvas, layout: SheetLayout, page: SheetPage, language: str) -> None:
    fonts = register_fonts()
    for marker in page.markers:
        _draw_marker(c, layout, marker)
    c.setLineWidth(0.8)
    rows: dict[tuple[int, float], float] = {}
    for b in page.bubbles:
        c.setStrokeColor(OUTLINE)
        c.setFillColor(white)
        c.circle(b.x, _top(layout, b.y), b.r, stroke=1, fill=0)
        c.setFillColor(LETTER_GREY)
        label = b.option if b.kind == "answer" else str(b.value)
        c.setFont(fonts.regular, b.r * 1.05)
        c.drawCentredString(b.x, _top(layout, b.y) - b.r * 0.36, label or "")
        if b.kind == "answer" and b.question is not None:
            key = (b.question, b.y)
            rows[key] = min(rows.get(key, b.x), b.x)
    c.setFillColor(black)
    c.setFont(fonts.bold, 9)
    for (question, y), x in rows.items():
        c.drawRightString(x - layout.bubble_radius - 4, _top(layout, y) - 3.2, str(question))
    ids = [b for b in page.bubbles if b.kind == "id"]
    if ids:
        labels = LABELS[language]
        left = min(b.x for b in ids) - layout.bubble_radius
        right = max(b.x for b in ids) + layout.bubble_radius
        top = min(b.y for b in ids)
        c.setFont(fonts.bold, 8)
        c.drawString(left, _top(layout, top - 26), labels["id"])
        c.setStrokeColor(OUTLINE)
        for b in ids:
            if b.value == 0:  # a box above each column to write the digit in
                c.rect(b.x - 6.5, _top(layout, top - 9), 13, 14, stroke=1, fill=0)
        c.rect(
            left - 4,
            _top(layout, max(b.y for b in ids) + 10),
            right - left + 8,
            max(b.y for b in ids) - top + 44,
            stroke=1,
            fill=0,
        )
    c.setFillColor(black)
    c.setFont(fonts.regular, 7.2)
    first_question = min((b.y for b in page.bubbles if b.kind == "answer"), default=300.0)
    y = first_question - 52
    for line in INSTRUCTIONS[language]:
        c.drawString(layout.pages[0].markers[0].x, _top(layout, y), line)
        y += 10


def _draw_header(
    c: Canvas,
    layout: SheetLayout,
    page: SheetPage,
    test: TestInfo,
    variant: int,
    respondent: Respondent | None,
    key: bytes | None,
) -> None:
    fonts = register_fonts()
    labels = LABELS[test.language]
    x = page.markers[0].x + page.markers[0].size + 12
    width = page.qr.x - x - GEOMETRY.qr_quiet
    c.setFillColor(black)
    c.setFont(fonts.bold, 11)
    c.drawString(x, _top(layout, 36), _fit(test.title, fonts.bold, 11, width))
    c.setFont(fonts.regular, 8)
    c.drawString(x, _top(layout, 50), f"{test.id} · {test.year}")
    c.setFont(fonts.bold, 15)
    words = variant_in_words(variant, test.language)
    c.drawString(x, _top(layout, 72), f"{labels['variant']} {variant} ({words})")
    c.setFont(fonts.regular, 8)
    if len(layout.pages) > 1:
        c.drawString(x, _top(layout, 86), f"{labels['page']} {page.page} / {len(layout.pages)}")
    if respondent is not None:
        # Below the QR's quiet zone, so the name may run the full width.
        top = page.qr.y + page.qr.height + GEOMETRY.qr_quiet + 10
        c.setFont(fonts.bold, 10)
        c.drawString(
            x, _top(layout, top), _fit(f"{labels['name']}: {respondent.name}", fonts.bold, 10, 430)
        )
        c.setFont(fonts.regular, 9)
        c.drawString(x, _top(layout, top + 14), f"{labels['id']}: {respondent.id}")
        if respondent.school:
            c.drawString(x, _top(layout, top + 28), _fit(respondent.school, fonts.regular, 9, 430))
    payload = qr_payload(
        test.id, variant, page.page, layout.hash, respondent.id if respondent else "", key
    )
    _draw_qr(c, layout, page.qr, qr_modules(payload))


def qr_modules(payload: str) -> np.ndarray:
    """The QR code's dark modules, quiet zone excluded: a bool array of shape (M, M).

    OpenCV's encoder (error correction M) returns one pixel per module with a border;
    the border is cut off here because the layout's box holds the symbol itself.
    """
    params = cv2.QRCodeEncoder.Params()
    params.correction_level = cv2.QRCodeEncoder_CORRECT_LEVEL_M
    image = cv2.QRCodeEncoder.create(params).encode(payload)
    dark = image < 128
    rows = np.flatnonzero(dark.any(axis=1))
    cols = np.flatnonzero(dark.any(axis=0))
    return dark[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _draw_qr(c: Canvas, layout: SheetLayout, box: Box, modules: np.ndarray) -> None:
    """Draw the modules into ``box`` as one filled path of horizontal and vertical runs.

    Every two adjacent dark modules share one rectangle, so anti-aliased rasterisers leave
    no white seams between them (seams broke decoding at 200 dpi). The path is written as
    PDF operators directly: reportlab's per-number formatting was 80% of the drawing time.
    """
    size = modules.shape[0]
    cell = box.width / size
    top = layout.page_height - box.y  # reportlab y of the box's top edge
    ops = []
    for horizontal in (True, False):
        grid = modules if horizontal else modules.T
        padded = np.zeros((size, size + 2), dtype=np.int8)
        padded[:, 1:-1] = grid
        edges = np.diff(padded, axis=1)
        lines, starts = np.nonzero(edges == 1)
        _, ends = np.nonzero(edges == -1)  # row-major order pairs every start with its end
        for line, start, end in zip(lines.tolist(), starts.tolist(), ends.tolist(), strict=True):
            if horizontal:
                x, y, w, h = start * cell, line * cell, (end - start) * cell, cell
            else:
                x, y, w, h = line * cell, start * cell, cell, (end - start) * cell
            ops.append(f"{box.x + x:.3f} {top - y - h:.3f} {w:.3f} {h:.3f} re")
    # q/Q keep the fill colour local; "f" fills with the non-zero rule, so the overlapping
    # rectangles fill as their union.
    c.addLiteral("q 0 g\n" + "\n".join(ops) + "\nf Q")


def _fit(text: str, font: str, size: float, width: float) -> str:
    """Shorten ``text`` with an ellipsis so it fits ``width`` points."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def render_sheets(
    path: Path,
    layout: SheetLayout,
    test: TestInfo,
    sheets: Iterable[tuple[int, Respondent | None]],
    key: bytes | None = None,
) -> int:
    """Write one PDF holding a full answer sheet (every layout page) per ``(variant, respondent)``;
    with the package's identity ``key`` every QR code carries its signature.

    Returns the number of PDF pages written.
    """
    c = Canvas(str(path), pagesize=(layout.page_width, layout.page_height), invariant=1)
    c.setTitle(f"{test.title} — answer sheets")
    c.setAuthor("testgen")
    forms: set[int] = set()
    count = 0
    for variant, respondent in sheets:
        for page in layout.pages:
            name = f"static{page.page}"
            if page.page not in forms:
                c.beginForm(name)
                _draw_static(c, layout, page, test.language)
                c.endForm()
                forms.add(page.page)
            c.doForm(name)
            _draw_header(c, layout, page, test, variant, respondent, key)
            c.showPage()
            count += 1
    c.save()
    return count
