"""Register the shipped DejaVu fonts with reportlab so every PDF can print Cyrillic.

reportlab keeps registered fonts in a process-wide registry; registering is idempotent here,
so any module that draws text calls :func:`register_fonts` first and uses the names it returns.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from common.errors import InputNotFound
from common.i18n import tr


@dataclass(frozen=True)
class FontNames:
    regular: str = "DejaVuSans"
    bold: str = "DejaVuSans-Bold"
    italic: str = "DejaVuSans-Oblique"
    bold_italic: str = "DejaVuSans-BoldOblique"


FONTS = resources.files("common.resources") / "fonts"


def _font_bytes(file_name: str) -> bytes:
    font = FONTS / file_name
    try:
        return font.read_bytes()
    except OSError:
        raise InputNotFound(
            tr("font file missing"), where=str(font), hint=tr("reinstall the package")
        ) from None


@cache
def register_fonts() -> FontNames:
    """Register DejaVu Sans (four faces) once per process and return their names."""
    names = FontNames()
    for name in (names.regular, names.bold, names.italic, names.bold_italic):
        pdfmetrics.registerFont(TTFont(name, io.BytesIO(_font_bytes(f"{name}.ttf"))))
    addMapping(names.regular, 0, 0, names.regular)
    addMapping(names.regular, 1, 0, names.bold)
    addMapping(names.regular, 0, 1, names.italic)
    addMapping(names.regular, 1, 1, names.bold_italic)
    return names
