"""Fixtures of the scoring tests; the data and helpers live in scoring_helpers.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from scoring_helpers import ROSTER, SMALL_SPEC, SMALL_VARIANTS, manifest_from_plan

from scoring.ingest import import_roster
from scoring.store import Store, open_store
from testgen.manifest import Manifest, write_manifest
from testgen.spec import parse_spec


@pytest.fixture
def small_manifest() -> Manifest:
    return manifest_from_plan(parse_spec(SMALL_SPEC), SMALL_VARIANTS)


@pytest.fixture
def test_dir(tmp_path: Path, small_manifest: Manifest) -> Path:
    """A test package folder holding only manifest.json (what `scoring` reads)."""
    folder = tmp_path / "build" / small_manifest.test.id
    folder.mkdir(parents=True)
    write_manifest(small_manifest, folder / "manifest.json")
    return folder


@pytest.fixture
def roster_file(tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "monitoring.db"


@pytest.fixture
def store(db: Path, roster_file: Path) -> Iterator[Store]:
    """A store holding the small roster."""
    with open_store(db) as s:
        import_roster(s, roster_file)
        yield s
