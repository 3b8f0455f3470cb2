"""The spec's inline markup -> reportlab paragraph markup.

Spec text may use ``**bold**``, ``*italic*``, ``^{superscript}`` and ``_{subscript}``;
everything else is literal, so ``<``, ``>`` and ``&`` are escaped first (``x < 3 & y > 2``
prints as written). Markers that are not closed print literally.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\*\*(.+?)\*\*", re.S), r"<b>\1</b>"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", re.S), r"<i>\1</i>"),
    (re.compile(r"\^\{([^{}]*)\}"), r"<super>\1</super>"),
    (re.compile(r"_\{([^{}]*)\}"), r"<sub>\1</sub>"),
)


def to_paragraph(text: str) -> str:
    """Spec markup -> reportlab ``Paragraph`` markup; line breaks become ``<br/>``.

    >>> to_paragraph("**x**^{2} < 5 & H_{2}O")
    '<b>x</b><super>2</super> &lt; 5 &amp; H<sub>2</sub>O'
    """
    out = escape(text)
    for pattern, replacement in _RULES:
        out = pattern.sub(replacement, out)
    return out.replace("\n", "<br/>")


def to_plain(text: str) -> str:
    """Markup removed, for places that print plain text (form tooltips, CSV)."""
    out = re.sub(r"\*\*(.+?)\*\*", r"\1", text, flags=re.S)
    out = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", out, flags=re.S)
    out = re.sub(r"\^\{([^{}]*)\}", r"^\1", out)
    return re.sub(r"_\{([^{}]*)\}", r"\1", out)
