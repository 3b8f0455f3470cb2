"""Booklet and tutor-commentary PDFs for one variant (reportlab platypus).

Everything is taken from the manifest (source tasks, the variant's order and option
permutations), so a booklet always matches the keys and the sheets of the same build.
Every page carries the variant number in digits and in words and "page N of M".
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from reportlab.lib.colors import Color, black
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
)

from common.fonts import FontNames, register_fonts
from common.markup import to_paragraph
from common.vocabulary import LETTERS
from testgen.manifest import Manifest, Variant, VariantItem
from testgen.numbers import variant_in_words
from testgen.spec import Group, Task

GREY = Color(0.35, 0.35, 0.35)
TEXT = {
    "ru": {
        "variant": "Вариант",
        "page": "стр.",
        "of": "из",
        "booklet": "Задания",
        "commentary": "Ключ и комментарии",
        "key": "Ответ",
        "points": "балл.",
        "topic": "Тема",
        "source": "исходная версия",
        "task": "задание",
        "no_explanation": "Комментарий не задан.",
        "comment": "Комментарий",
        "instructions": "Инструкция",
        "answers_on_sheet": "Ответы отмечайте на бланке ответов своего варианта.",
    },
    "en": {
        "variant": "Variant",
        "page": "page",
        "of": "of",
        "booklet": "Tasks",
        "commentary": "Key and commentary",
        "key": "Answer",
        "points": "pt",
        "topic": "Topic",
        "source": "source version",
        "task": "task",
        "no_explanation": "No explanation given.",
        "comment": "Comment",
        "instructions": "Instructions",
        "answers_on_sheet": "Mark your answers on the answer sheet of your variant.",
    },
}
MAX_IMAGE_WIDTH = 150 * mm
MAX_IMAGE_HEIGHT = 90 * mm


def _styles(fonts: FontNames) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "base", fontName=fonts.regular, fontSize=10.5, leading=14, alignment=TA_LEFT
    )
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontName=fonts.bold, fontSize=15, leading=19),
        "heading": ParagraphStyle(
            "heading",
            parent=base,
            fontName=fonts.bold,
            fontSize=12,
            leading=16,
            spaceBefore=6,
            spaceAfter=3,
        ),
        "passage": ParagraphStyle(
            "passage",
            parent=base,
            fontSize=10,
            leading=13.5,
            leftIndent=8,
            borderPadding=4,
            spaceAfter=6,
        ),
        "stem": ParagraphStyle("stem", parent=base, spaceBefore=8, spaceAfter=2),
        "option": ParagraphStyle("option", parent=base, leftIndent=34, firstLineIndent=-16),
        "note": ParagraphStyle("note", parent=base, fontSize=9.5, leading=12.5, textColor=GREY),
        "explain": ParagraphStyle("explain", parent=base, leftIndent=18, fontSize=10, leading=13),
    }


def _page_decoration(manifest: Manifest, variant: Variant, kind: str, fonts: FontNames) -> Any:
    """An ``onPage`` callback: variant in digits and words at the top and in the footer.

    The page number is not drawn here: "N of M" needs the page count, which only
    :class:`_PageCountCanvas` knows, once the whole story is laid out."""
    test = manifest.test
    text = TEXT[test.language]
    words = variant_in_words(variant.number, test.language)
    header = f"{test.id} · {text[kind]}"
    right = f"{text['variant']} {variant.number} ({words})"

    def draw(canvas: Any, doc: Any) -> None:
        width, height = A4
        canvas.saveState()
        canvas.setFillColor(black)
        canvas.setFont(fonts.regular, 8.5)
        canvas.drawString(doc.leftMargin, height - 12 * mm, header)
        canvas.setFont(fonts.bold, 10)
        canvas.drawRightString(width - doc.rightMargin, height - 12 * mm, right)
        canvas.setLineWidth(0.4)
        canvas.line(doc.leftMargin, height - 14 * mm, width - doc.rightMargin, height - 14 * mm)
        canvas.setFont(fonts.regular, 8.5)
        canvas.drawRightString(width - doc.rightMargin, 10 * mm, right)
        canvas.restoreState()

    return draw


PageLabel = Callable[[Canvas, int, int], None]


def _page_label(language: str, fonts: FontNames) -> PageLabel:
    """Draws "page N of M" centred in the footer of page N of M."""
    text = TEXT[language]

    def draw(canvas: Canvas, page: int, total: int) -> None:
        canvas.saveState()
        canvas.setFillColor(black)
        canvas.setFont(fonts.regular, 8.5)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"{text['page']} {page} {text['of']} {total}")
        canvas.restoreState()

    return draw


class _PageCountCanvas(Canvas):
    """A canvas that holds finished pages back until :meth:`save`, when the page count is
    known, then stamps each with ``label(canvas, page, total)`` and writes it out.

    This lays the story out once instead of building the document twice. A held page is a
    shallow copy of the canvas's attributes; ``Canvas._startPage`` gives the next page fresh
    accumulators (content stream, resources), so a held page's own are never overwritten
    and holding them is cheap. Nothing here depends on time or memory addresses, so the
    invariant-mode output stays byte-identical between builds."""

    def __init__(self, *args: Any, label: PageLabel, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._label = label
        self._held: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        if len(self._code):
            self.showPage()
        total = len(self._held)
        for state in self._held:
            self.__dict__.update(state)
            self._label(self, self._pageNumber, total)
            super().showPage()
        super().save()


def _build(
    path: Path, manifest: Manifest, variant: Variant, kind: str, story: list[Any], fonts: FontNames
) -> None:
    """Lay ``story`` out once into ``path`` with the header, the footer and "page N of M"."""
    decorate = _page_decoration(manifest, variant, kind, fonts)
    canvasmaker = partial(_PageCountCanvas, label=_page_label(manifest.test.language, fonts))
    _doc(path, manifest, variant, kind).build(
        story, onFirstPage=decorate, onLaterPages=decorate, canvasmaker=canvasmaker
    )


def _doc(path: Path, manifest: Manifest, variant: Variant, kind: str) -> SimpleDocTemplate:
    test = manifest.test
    text = TEXT[test.language]
    return SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=18 * mm,
        title=f"{test.title} — {text['variant']} {variant.number} — {text[kind]}",
        author="testgen",
        subject=f"{test.id} variant {variant.number}",
        invariant=1,
    )


def _group_of(manifest: Manifest, item: VariantItem) -> Group | None:
    task = manifest.source_task(item.version, item.source_position)
    if task.group is None:
        return None
    for group in manifest.sources[item.version].groups:
        if group.id == task.group:
            return group
    return None


def _image(task: Task, image_dir: Path | None) -> Image | None:
    if not task.image or image_dir is None:
        return None
    picture = Image(str(image_dir / task.image))
    scale = min(1.0, MAX_IMAGE_WIDTH / picture.imageWidth, MAX_IMAGE_HEIGHT / picture.imageHeight)
    picture.drawWidth = picture.imageWidth * scale
    picture.drawHeight = picture.imageHeight * scale
    picture.hAlign = "LEFT"
    return picture


def _option_lines(task: Task, item: VariantItem, style: ParagraphStyle) -> list[Paragraph]:
    return [
        Paragraph(f"{LETTERS[p]})&nbsp;&nbsp;{to_paragraph(task.options[s].text)}", style)
        for p, s in enumerate(item.permutation)
    ]


def render_booklet(path: Path, manifest: Manifest, number: int, image_dir: Path | None) -> None:
    """Write the task booklet of variant ``number``; images resolve against ``image_dir``."""
    fonts = register_fonts()
    styles = _styles(fonts)
    test = manifest.test
    text = TEXT[test.language]
    variant = manifest.variant(number)
    words = variant_in_words(number, test.language)
    story: list[Any] = [
        Paragraph(to_paragraph(test.title), styles["title"]),
        Paragraph(f"{text['variant']} {number} ({words}) · {test.year}", styles["heading"]),
    ]
    if test.instructions:
        story.append(Paragraph(text["instructions"], styles["heading"]))
        story.append(Paragraph(to_paragraph(test.instructions), styles["base"]))
    story.append(Paragraph(text["answers_on_sheet"], styles["note"]))
    story.append(Spacer(1, 6))
    current_group: str | None = None
    for item in variant.items:
        task = manifest.source_task(item.version, item.source_position)
        group = _group_of(manifest, item)
        if group is not None and group.id != current_group:
            # The passage starts on a fresh page part with at least its first lines visible.
            story.append(CondPageBreak(60 * mm))
            if group.title:
                story.append(Paragraph(to_paragraph(group.title), styles["heading"]))
            story.append(Paragraph(to_paragraph(group.text), styles["passage"]))
        current_group = group.id if group is not None else None
        block: list[Any] = [
            Paragraph(f"<b>{item.position}.</b>&nbsp;{to_paragraph(task.stem)}", styles["stem"])
        ]
        picture = _image(task, image_dir)
        if picture is not None:
            block.append(picture)
        block.extend(_option_lines(task, item, styles["option"]))
        story.append(KeepTogether(block))
    _build(path, manifest, variant, "booklet", story, fonts)


def render_commentary(path: Path, manifest: Manifest, number: int) -> None:
    """Write the tutor commentary of variant ``number``: key, correct option text and the
    explanation of every task, in printed order."""
    fonts = register_fonts()
    styles = _styles(fonts)
    test = manifest.test
    text = TEXT[test.language]
    variant = manifest.variant(number)
    words = variant_in_words(number, test.language)
    key_line = "  ".join(f"{item.position}–{item.key}" for item in variant.items)
    story: list[Any] = [
        Paragraph(to_paragraph(test.title), styles["title"]),
        Paragraph(
            f"{text['commentary']} · {text['variant']} {number} ({words})", styles["heading"]
        ),
        Paragraph(key_line, styles["base"]),
        Spacer(1, 6),
    ]
    for item in variant.items:
        task = manifest.source_task(item.version, item.source_position)
        letters = {LETTERS[p]: s for p, s in enumerate(item.permutation)}
        answer = "; ".join(
            f"{letter}) {to_paragraph(task.options[letters[letter]].text)}" for letter in item.key
        )
        block = [
            Paragraph(
                f"<b>{item.position}.</b> {text['key']}: <b>{answer}</b> "
                f"({item.points:g} {text['points']})",
                styles["stem"],
            ),
            Paragraph(
                f"{text['topic']}: {to_paragraph(task.topic)} · {text['source']} {item.version}, "
                f"{text['task']} {item.source_position} ({task.id})",
                styles["note"],
            ),
            Paragraph(f"<i>{to_paragraph(task.stem)}</i>", styles["explain"]),
            Paragraph(
                f"<b>{text['comment']}:</b> "
                + (to_paragraph(task.explanation) if task.explanation else text["no_explanation"]),
                styles["explain"],
            ),
        ]
        story.append(KeepTogether(block))
    _build(path, manifest, variant, "commentary", story, fonts)
