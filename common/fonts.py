"""Register the shipped DejaVu fonts with reportlab so every PDF can print Cyrillic.

reportlab keeps registered fonts in a process-wide registry; registering is idempotent here,
so any module that draws text calls :func:`register_fonts` first and uses the names it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from common.errors import InputNotFound
from common.paths import FONTS_DIR


@dataclass(frozen=True)
class FontNames:
    regular: str = "DejaVuSans"
    bold: str = "DejaVuSans-Bold"
    italic: str = "DejaVuSans-Oblique"
    bold_italic: str = "DejaVuSans-BoldOblique"


@cache
def register_fonts() -> FontNames:
    """Register DejaVu Sans (four faces) once per process and return their names."""
    names = FontNames()
    for name in (names.regular, names.bold, names.italic, names.bold_italic):
        path = FONTS_DIR / f"{name}.ttf"
        if not path.is_file():
            raise InputNotFound(
                "font file missing", where=str(path), hint="the checkout is incomplete"
            )
        pdfmetrics.registerFont(TTFont(name, str(path)))
    addMapping(names.regular, 0, 0, names.regular)
    addMapping(names.regular, 1, 0, names.bold)
    addMapping(names.regular, 0, 1, names.italic)
    addMapping(names.regular, 1, 1, names.bold_italic)
    return names
