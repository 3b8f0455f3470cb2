"""Where the project's shipped templates live (fonts, sample specs, roster, report templates)."""

from __future__ import annotations

from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
FONTS_DIR = TEMPLATES_DIR / "fonts"
SAMPLE_TESTS_DIR = TEMPLATES_DIR / "tests"
SAMPLE_ROSTER = TEMPLATES_DIR / "roster-sample.csv"
