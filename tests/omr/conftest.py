"""Fixtures of the reader's tests live in omr_fixtures.py (importable by the test modules)."""

from omr_fixtures import make_sheet, manifest, package

__all__ = ["make_sheet", "manifest", "package"]
