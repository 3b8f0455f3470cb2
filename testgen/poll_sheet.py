"""Draw a poll's rating sheet and its fillable electronic version (reportlab), exactly where
:mod:`testgen.poll` placed everything; markers and QR code are drawn as on the test sheets."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.colors import black, white
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from common.fonts import register_fonts
from testgen.esheet import TYPED_FIELD
from testgen.manifest import (
    IDENTITY_FIELD,
    RESPONDENT_FIELD,
    PollManifest,
    qr_payload,
    question_field,
)
from testgen.poll import LEFT, LINE, TEXT_SIZE, TEXT_WIDTH, _lines, _Placed
from testgen.sheet import LETTER_GREY, OUTLINE, _draw_marker, _draw_qr, _fit, _top, qr_modules

COMMENT_FIELD = "comment"  # the e-sheet's free-text field
DEPARTMENT_SHORT = {
    "ru": {
        "mathematics": "Математика",
        "russian": "Русский язык",
        "english": "Английский яз.",
        "history-social": "История, общ.",
        "economics": "Экономика",
    },
    "en": {
        "mathematics": "Mathematics",
        "russian": "Russian",
        "english": "English",
        "history-social": "History, social",
        "economics": "Economics",
    },
}
WORDS = {
    "ru": {
        "department": "Кафедра:",
        "page": "Лист",
        "scale": "Оценка от {low} до {high} (закрасьте один кружок в строке)",
        "comment": "Комментарий, предложения:",
        "anonymous": "Анонимно: не пишите на бланке своё имя.",
        "id": "Номер участника",
        "form": "Электронный бланк опроса",
    },
    "en": {
        "department": "Department:",
        "page": "Sheet",
        "scale": "Rate from {low} to {high} (fill one circle per row)",
        "comment": "Comments, suggestions:",
        "anonymous": "Anonymous: do not write your name on the sheet.",
        "id": "Respondent ID",
        "form": "Electronic poll sheet",
    },
}


def _header(c: Canvas, manifest: PollManifest, page: int, pages: int, key: bytes) -> None:
    fonts = register_fonts()
    layout = next(iter(manifest.layouts.values()))
    sheet_page = layout.pages[page - 1]
    words = WORDS[manifest.poll.language]
    for marker in sheet_page.markers:
        _draw_marker(c, layout, marker)
    x = sheet_page.markers[0].x + sheet_page.markers[0].size + 12
    width = sheet_page.qr.x - x - 12
    c.setFillColor(black)
    c.setFont(fonts.bold, 11)
    title = simpleSplit(manifest.poll.title, fonts.bold, 11, width)
    for k, line in enumerate(title[:2]):
        text = line if k == 0 or len(title) <= 2 else _fit(line + " …", fonts.bold, 11, width)
        c.drawString(x, _top(layout, 36 + 13 * k), text)
    y = 36 + 13 * min(len(title), 2) + 2
    c.setFont(fonts.regular, 8)
    c.drawString(x, _top(layout, y), f"{manifest.poll.id} · {manifest.poll.year}")
    if pages > 1:
        c.drawString(x, _top(layout, y + 12), f"{words['page']} {page} / {pages}")
    payload = qr_payload(manifest.poll.id, 1, page, layout.hash, "", key)
    _draw_qr(c, layout, sheet_page.qr, qr_modules(payload))


def _instructions(c: Canvas, manifest: PollManifest) -> None:
    fonts = register_fonts()
    layout = next(iter(manifest.layouts.values()))
    words = WORDS[manifest.poll.language]
    lines = [words["scale"].format(low=manifest.poll.scale_min, high=manifest.poll.scale_max)]
    if manifest.poll.instructions:
        lines += _lines(manifest.poll.instructions)
    if manifest.poll.anonymous:
        lines.append(words["anonymous"])
    c.setFont(fonts.regular, 8)
    y = 118.0
    for line in lines[:5]:
        c.drawString(LEFT, _top(layout, y), line)
        y += 10


def render_poll_sheet(path: Path, manifest: PollManifest, placed: _Placed, key: bytes) -> None:
    """The printable rating sheet, every page."""
    fonts = register_fonts()
    layout = next(iter(manifest.layouts.values()))
    words = WORDS[manifest.poll.language]
    c = Canvas(str(path), pagesize=(layout.page_width, layout.page_height), invariant=1)
    c.setTitle(manifest.poll.title)
    c.setAuthor("testgen")
    pages = len(layout.pages)
    for page in layout.pages:
        _header(c, manifest, page.page, pages, key)
        if page.page == 1:
            _instructions(c, manifest)
            if manifest.department_position is not None:
                c.setFont(fonts.bold, 9)
                c.drawString(LEFT, _top(layout, 178 + 3), words["department"])
        c.setLineWidth(0.8)
        for b in page.bubbles:
            c.setStrokeColor(OUTLINE)
            c.setFillColor(white)
            c.circle(b.x, _top(layout, b.y), b.r, stroke=1, fill=0)
            c.setFillColor(LETTER_GREY)
            if b.kind == "id":
                label = str(b.value)
            elif b.question == manifest.department_position:
                label = b.option or ""
            else:
                label = str(manifest.score(b.option or "A"))
            c.setFont(fonts.regular, b.r * (0.95 if len(label) < 2 else 0.8))
            c.drawCentredString(b.x, _top(layout, b.y) - b.r * 0.36, label)
            if b.question == manifest.department_position and b.option:
                department = manifest.departments[ord(b.option) - ord("A")]
                c.setFillColor(black)
                c.setFont(fonts.regular, 7.5)
                c.drawString(
                    b.x + b.r + 3,
                    _top(layout, b.y) - 2.6,
                    DEPARTMENT_SHORT[manifest.poll.language][department.value],
                )
        ids = [b for b in page.bubbles if b.kind == "id"]
        if ids:
            c.setFillColor(black)
            c.setFont(fonts.bold, 8)
            c.drawString(
                min(b.x for b in ids) - 6, _top(layout, min(b.y for b in ids) - 14), words["id"]
            )
        heading = None
        for row, (row_page, y, _height) in zip(manifest.rows, placed.row_pages, strict=True):
            if row_page != page.page:
                heading = row.heading
                continue
            if row.heading and row.heading != heading:
                c.setFillColor(black)
                c.setFont(fonts.bold, 9)
                c.drawString(LEFT, _top(layout, y - 6), row.heading)
            heading = row.heading
            c.setFillColor(black)
            c.setFont(fonts.bold if not row.rated else fonts.regular, TEXT_SIZE)
            for k, line in enumerate(_lines(f"{row.number}. {row.text}", not row.rated)):
                c.drawString(LEFT, _top(layout, y + 12 + k * LINE), line)
        if manifest.comment is not None and manifest.comment.page == page.page:
            box = manifest.comment.box
            c.setFillColor(black)
            c.setFont(fonts.bold, 9)
            c.drawString(box.x, _top(layout, box.y - 6), words["comment"])
            c.setStrokeColor(OUTLINE)
            c.rect(box.x, _top(layout, box.y + box.height), box.width, box.height, stroke=1, fill=0)
        c.showPage()
    c.save()


def render_poll_esheet(path: Path, manifest: PollManifest, key: bytes) -> None:
    """The fillable version: one radio group per rated row (``qNN``, export value the option
    letter, labelled with the score), the department (anonymous) or the ID (named), a
    comment field, and the signed identity of the paper sheet in ``test_identity``."""
    fonts = register_fonts()
    layout = next(iter(manifest.layouts.values()))
    words = WORDS[manifest.poll.language]
    identity = qr_payload(manifest.poll.id, 1, 1, layout.hash, "", key)
    width, height = layout.page_width, layout.page_height
    c = Canvas(str(path), pagesize=(width, height), invariant=1)
    c.setTitle(f"{manifest.poll.title} — {words['form']}")
    c.setSubject(identity)
    c.setKeywords(identity)
    form = c.acroForm
    span = manifest.poll.scale_max - manifest.poll.scale_min + 1
    y = height - 60

    def new_page() -> float:
        c.showPage()
        return height - 60

    c.setFont(fonts.bold, 13)
    c.drawString(LEFT, y, _fit(manifest.poll.title, fonts.bold, 13, width - 2 * LEFT))
    y -= 18
    c.setFont(fonts.regular, 9)
    c.drawString(
        LEFT, y, words["scale"].format(low=manifest.poll.scale_min, high=manifest.poll.scale_max)
    )
    form.textfield(
        name=IDENTITY_FIELD,
        value=identity,
        x=width - 60,
        y=y,
        width=1,
        height=1,
        fieldFlags="readOnly",
        annotationFlags="hidden",
        borderWidth=0,
        fontName="Helvetica",
        fontSize=1,
    )
    y -= 26
    if manifest.department_position is not None:
        c.setFont(fonts.bold, 9)
        c.drawString(LEFT, y + 3, words["department"])
        for k, department in enumerate(manifest.departments):
            x = LEFT + 70 + k * 88
            form.radio(
                name=question_field(manifest.department_position),
                value=chr(65 + k),
                selected=False,
                x=x,
                y=y,
                size=11,
                buttonStyle="circle",
                shape="circle",
                borderColor=black,
                fillColor=white,
                textColor=black,
                tooltip=department.value,
            )
            c.setFont(fonts.regular, 7.5)
            c.drawString(x + 13, y + 2, DEPARTMENT_SHORT[manifest.poll.language][department])
    else:
        c.setFont(fonts.bold, 9)
        c.drawString(LEFT, y + 3, words["id"])
        form.textfield(
            name=RESPONDENT_FIELD,
            x=LEFT + 110,
            y=y - 2,
            width=120,
            height=16,
            maxlen=12,
            **TYPED_FIELD,
        )
    y -= 28
    for row in manifest.rows:
        lines = _lines(f"{row.number}. {row.text}", not row.rated)
        need = max(20.0, len(lines) * LINE + 8)
        if y - need < 60:
            y = new_page()
        c.setFillColor(black)
        c.setFont(fonts.bold if not row.rated else fonts.regular, TEXT_SIZE)
        for k, line in enumerate(lines):
            c.drawString(LEFT, y - k * LINE, line)
        if row.rated and row.position is not None:
            for k in range(span):
                x = LEFT + TEXT_WIDTH + 20 + k * 19
                c.setFont(fonts.regular, 6.5)
                c.drawCentredString(x + 5.5, y + 8, str(manifest.poll.scale_min + k))
                form.radio(
                    name=question_field(row.position),
                    value=chr(65 + k),
                    selected=False,
                    x=x,
                    y=y - 2,
                    size=11,
                    buttonStyle="circle",
                    shape="circle",
                    borderColor=black,
                    fillColor=white,
                    textColor=black,
                    tooltip=f"{row.number}: {manifest.poll.scale_min + k}",
                )
        y -= need
    if manifest.comment is not None:
        if y - 130 < 60:
            y = new_page()
        c.setFont(fonts.bold, 9)
        c.drawString(LEFT, y, words["comment"])
        form.textfield(
            name=COMMENT_FIELD,
            x=LEFT,
            y=y - 110,
            width=width - 2 * LEFT,
            height=100,
            fieldFlags="multiline",
            **TYPED_FIELD,
        )
    c.showPage()
    c.save()
