"""Where the checkout's sample inputs live (sample test specs and roster)."""

from __future__ import annotations

from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
SAMPLE_TESTS_DIR = TEMPLATES_DIR / "tests"
SAMPLE_ROSTER = TEMPLATES_DIR / "roster-sample.csv"
