"""Text from outside (roster cells, export cells, QR and form contents) made printable."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def printable(text: str) -> str:
    """``text`` with control characters (NUL, a Word line break ``\\v``, tabs, newlines, line
    and paragraph separators) turned into spaces, and spaces collapsed: what a PDF, a web page
    and a spreadsheet can all show, and a person can read."""
    if text.isprintable():
        return text
    cleaned = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    return _SPACES.sub(" ", cleaned).strip()
