"""The fillable electronic answer sheet of one variant (a PDF AcroForm).

Field names are a contract with ``omr`` (which reads filled forms with pypdf); see
``docs/formats.md``:

- ``respondent_id``: text field, the teacher's ID (digits); ``respondent_name``: the name,
  typed by the teacher. On a teacher's personalised e-sheet the ID is filled in and locked and
  the name is printed (there is no name field).
- ``qNN`` (``q01`` .. ``q99``, ``q100`` ..): one radio group per single-answer question; the
  export value of each button is the printed letter (``A``, ``B``, ...).
- ``qNN_L`` (e.g. ``q07_A``, ``q07_C``): one check box per option of a multi-answer question,
  export value ``Yes`` when ticked.
- ``test_identity``: hidden read-only text field holding the signed QR payload of the
  variant's anonymous sheet (``MON1|test|variant|1|layout-hash|respondent|signature``; the
  respondent only on a personalised e-sheet); the same text is the document's Subject and
  Keywords. It is never printed on the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportlab.lib.colors import black, white
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from common.fonts import register_fonts
from common.vocabulary import LETTERS
from testgen.manifest import (
    IDENTITY_FIELD,
    RESPONDENT_FIELD,
    RESPONDENT_NAME_FIELD,
    Manifest,
    qr_payload,
    question_field,
)
from testgen.numbers import variant_in_words
from testgen.sheet import Respondent

ROWS_PER_COLUMN = 28
COLUMNS = 2
ROW_PITCH = 22.0
OPTION_PITCH = 27.0
BUTTON = 13.0
LETTER_GAP = 8.0  # a letter's left edge to its own button
TOP = 200.0  # first question row, points from the page top
# a field the teacher types into (or sees filled in): black on white, a form font
TYPED_FIELD: dict[str, Any] = {
    "borderColor": black,
    "fillColor": white,
    "textColor": black,
    "fontName": "Helvetica",
    "fontSize": 11,
}
TEXT = {
    "ru": {
        "title": "Электронный бланк ответов",
        "variant": "Вариант",
        "id": "Номер участника",
        "name": "Фамилия, имя, отчество",
        "how": "Отметьте один ответ в каждом вопросе (в вопросах с флажками — все верные). "
        "Сохраните файл и отправьте его организаторам.",
        "page": "стр.",
    },
    "en": {
        "title": "Electronic answer sheet",
        "variant": "Variant",
        "id": "Respondent ID",
        "name": "Full name",
        "how": "Choose one answer per question (tick every correct one where boxes are "
        "shown). Save the file and send it to the organisers.",
        "page": "page",
    },
}


def render_esheet(
    path: Path,
    manifest: Manifest,
    number: int,
    layout_hash: str,
    key: bytes | None = None,
    respondent: Respondent | None = None,
) -> None:
    """Write the fillable answer sheet of variant ``number``; ``layout_hash`` is the
    anonymous sheet layout's hash, carried in the identity field (signed with ``key``). With
    ``respondent`` it is that teacher's own e-sheet: name and ID filled in and locked, and
    the ID inside the signed identity."""
    fonts = register_fonts()
    test = manifest.test
    text = TEXT[test.language]
    variant = manifest.variant(number)
    identity = qr_payload(test.id, number, 1, layout_hash, respondent.id if respondent else "", key)
    width, height = A4
    c = Canvas(str(path), pagesize=A4, invariant=1)
    c.setTitle(f"{test.title} — {text['title']} — {text['variant']} {number}")
    c.setAuthor("testgen")
    c.setSubject(identity)
    c.setKeywords(identity)
    form = c.acroForm
    per_page = ROWS_PER_COLUMN * COLUMNS
    pages = max(1, -(-len(variant.items) // per_page))
    words = variant_in_words(number, test.language)
    for page in range(pages):
        c.setFillColor(black)
        c.setFont(fonts.bold, 14)
        c.drawString(50, height - 60, test.title)
        c.setFont(fonts.bold, 12)
        c.drawString(50, height - 80, f"{text['title']} · {text['variant']} {number} ({words})")
        c.setFont(fonts.regular, 8)
        c.drawRightString(width - 50, 30, f"{text['page']} {page + 1} / {pages}")
        if page == 0:
            locked = "readOnly" if respondent is not None else ""
            c.setFillColor(black)
            c.setFont(fonts.regular, 10)
            c.drawString(50, height - 112, f"{text['name']}:")
            c.drawString(50, height - 136, f"{text['id']}:")
            if respondent is not None:
                # printed, not a field: PDF form fields draw with Latin-1 fonts only
                c.setFont(fonts.bold, 11)
                c.drawString(200, height - 113, respondent.name)
            else:
                form.textfield(
                    name=RESPONDENT_NAME_FIELD,
                    tooltip=text["name"],
                    x=200,
                    y=height - 118,
                    width=345,
                    height=18,
                    **TYPED_FIELD,
                )
            form.textfield(
                name=RESPONDENT_FIELD,
                tooltip=text["id"],
                value=respondent.id if respondent else "",
                x=200,
                y=height - 142,
                width=140,
                height=18,
                maxlen=12,
                fieldFlags=locked,
                **TYPED_FIELD,
            )
            # the identity travels with the file for the reader, unseen by the teacher
            form.textfield(
                name=IDENTITY_FIELD,
                value=identity,
                x=330,
                y=height - 142,
                width=1,
                height=1,
                fieldFlags="readOnly",
                annotationFlags="hidden",
                borderWidth=0,
                fontName="Helvetica",
                fontSize=1,
            )
            c.setFont(fonts.regular, 8.5)
            c.setFillColor(black)
            _wrap(c, text["how"], 50, height - 162, width - 100, fonts.regular, 8.5)
        items = variant.items[page * per_page : (page + 1) * per_page]
        for index, item in enumerate(items):
            column, row = divmod(index, ROWS_PER_COLUMN)
            x = 50 + column * 250
            y = height - TOP - row * ROW_PITCH
            task = manifest.source_task(item.version, item.source_position)
            c.setFillColor(black)
            c.setFont(fonts.bold, 10)
            c.drawRightString(x + 22, y + 3, f"{item.position}.")
            multi = len(item.key) > 1
            for p in range(len(task.options)):
                letter = LETTERS[p]
                # the letter just before its own button, a wider gap before the next letter:
                # "A ○   B ○   C ○", never "○ A○ B○ C"
                lx = x + 30 + p * OPTION_PITCH
                bx = lx + LETTER_GAP
                c.setFont(fonts.bold, 9)
                c.setFillColor(black)
                c.drawString(lx, y + 2, letter)
                common = {
                    "x": bx,
                    "y": y - 1,
                    "size": BUTTON,
                    "borderColor": black,
                    "fillColor": white,
                    "textColor": black,
                    "borderWidth": 1,
                }
                if multi:
                    form.checkbox(
                        name=f"{question_field(item.position)}_{letter}",
                        tooltip=f"{item.position} {letter}",
                        checked=False,
                        buttonStyle="check",
                        **common,
                    )
                else:
                    form.radio(
                        name=question_field(item.position),
                        tooltip=f"{item.position} {letter}",
                        value=letter,
                        selected=False,
                        buttonStyle="circle",
                        shape="circle",
                        **common,
                    )
        c.showPage()
    c.save()


def _wrap(c: Canvas, text: str, x: float, y: float, width: float, font: str, size: float) -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if stringWidth(candidate, font, size) > width and line:
            c.drawString(x, y, line)
            y -= size * 1.3
            line = word
        else:
            line = candidate
    if line:
        c.drawString(x, y, line)
