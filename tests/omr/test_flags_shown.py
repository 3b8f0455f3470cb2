"""Flags stay English in results.jsonl and the store (they are data, matched by their words)
and are shown to a person in the current language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from common import i18n
from omr.results import BILEVEL_FLAG, describe_flag

WRITTEN = [  # what omr.read, omr.esheet and omr.results_folder write
    "q7: unclear mark (BC)",
    "respondent ID digit 3: ambiguous",
    "respondent ID digit 1: blank",
    "respondent ID not filled in",
    BILEVEL_FLAG,
    "low contrast (paper 180, ink 120): light marks may be lost",
    "many answers blank (20 of 30): check that no light marks were lost",
    "q12: writing beside the bubbles - check",
    "duplicate of scans/a.png p.2 (same marks)",
    "conflict: same sheet scanned again with different marks (scans/b.png p.1)",
    "the ID field says 123456, the sheet was made for 100001",
]


@pytest.fixture
def russian() -> Iterator[None]:
    restore = i18n.use("ru")
    yield
    restore()


@pytest.mark.usefixtures("russian")
@pytest.mark.parametrize("flag", WRITTEN)
def test_every_written_flag_is_shown_in_russian_with_its_values(flag: str) -> None:
    shown = describe_flag(flag)
    assert shown != flag and any("а" <= c <= "я" for c in shown.lower()), shown
    numbers = [w for w in flag.replace("(", " ").replace(")", " ").split() if w.isdigit()]
    assert all(n in shown for n in numbers), (flag, shown)


def test_flags_are_unchanged_in_english_and_unknown_ones_everywhere() -> None:
    assert [describe_flag(f) for f in WRITTEN] == WRITTEN
    restore = i18n.use("ru")
    try:
        assert describe_flag("something new") == "something new"
    finally:
        restore()
