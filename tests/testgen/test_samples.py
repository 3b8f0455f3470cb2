"""The sample inputs shipped in templates/ validate and have the sizes the demo relies on."""

from __future__ import annotations

import re
import runpy
from collections import Counter
from pathlib import Path

import pytest

from common.roster import load_roster
from testgen import spec as spec_model
from testgen.spec import load_spec, units

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SPECS = sorted((TEMPLATES / "tests").glob("*.yaml"))
ROSTER = TEMPLATES / "roster-sample.csv"

# file stem -> (department, stage, language) that the demo and the docs name
EXPECTED_SPECS = {
    "math-2026-acceptance": ("mathematics", "acceptance", "ru"),
    "math-2026-final": ("mathematics", "final", "ru"),
    "english-2026-acceptance": ("english", "acceptance", "en"),
}
DEPARTMENT_COUNTS = {
    "mathematics": 102,
    "russian": 103,
    "english": 119,
    "history-social": 65,
    "economics": 16,
}
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def test_expected_specs_are_shipped() -> None:
    assert set(EXPECTED_SPECS) <= {p.stem for p in SPECS}


@pytest.fixture(scope="module", params=SPECS, ids=[p.stem for p in SPECS])
def spec(request: pytest.FixtureRequest) -> spec_model.TestSpec:
    return load_spec(request.param)


def test_spec_metadata_matches_file_name(spec: spec_model.TestSpec) -> None:
    assert spec.id in EXPECTED_SPECS
    department, stage, language = EXPECTED_SPECS[spec.id]
    assert (spec.department.value, spec.stage.value, spec.language) == (
        department,
        stage,
        language,
    )
    assert spec.year == 2026


def test_spec_has_30_parallel_tasks(spec: spec_model.TestSpec) -> None:
    a, b = spec.sources["A"].tasks, spec.sources["B"].tasks
    assert spec.task_count == 30
    for k, (ta, tb) in enumerate(zip(a, b, strict=True), start=1):
        assert ta.topic == tb.topic, f"position {k}"
        assert ta.points == tb.points, f"position {k}"
        assert len(ta.options) == len(tb.options), f"position {k}"
        assert len(ta.correct) == len(tb.correct), f"position {k}"
        assert [o.pin for o in ta.options] == [o.pin for o in tb.options], f"position {k}"


def test_spec_uses_every_feature(spec: spec_model.TestSpec) -> None:
    for version in ("A", "B"):
        tasks = spec.sources[version].tasks
        assert all(t.explanation.strip() for t in tasks), "every task needs an explanation"
        assert all(t.points in (1, 2) for t in tasks)
        assert {len(t.options) for t in tasks} <= {4, 5}
        assert any(len(t.correct) > 1 for t in tasks), "a multi-answer task"
        assert any(o.pin == "last" for t in tasks for o in t.options), "a pinned option"
        assert any("**" in t.stem for t in tasks), "bold markup"
        # Correct answers are spread over the letters, not all on one.
        singles = Counter(t.correct for t in tasks if len(t.correct) == 1)
        assert len(singles) >= 4
        assert max(singles.values()) <= 10
    group_sizes = [len(u) for u in units(spec) if len(u) > 1]
    assert group_sizes == [3]
    # Tasks move between variants, so a passage must not name task numbers.
    passages = [g.text for s in spec.sources.values() for g in s.groups]
    assert not any(re.search(r"задани|tasks? \d", p, re.IGNORECASE) for p in passages)


def test_spec_language_matches_text(spec: spec_model.TestSpec) -> None:
    stems = " ".join(t.stem for s in spec.sources.values() for t in s.tasks)
    cyrillic_share = len(CYRILLIC.findall(stems)) / len(stems)
    if spec.language == "ru":
        assert cyrillic_share > 0.4
    else:
        assert cyrillic_share == 0


def test_roster_sample_counts() -> None:
    teachers, problems = load_roster(ROSTER)
    assert problems == []
    assert len(teachers) == 405
    assert len({t.school for t in teachers}) == 53
    assert Counter(t.department.value for t in teachers) == DEPARTMENT_COUNTS
    assert all(re.fullmatch(r"[1-9]\d{5}", t.id) for t in teachers)
    assert len({t.id for t in teachers}) == 405


def test_roster_sample_names_and_emails() -> None:
    teachers, _ = load_roster(ROSTER)
    for t in teachers:
        parts = t.name.split(" ")
        assert len(parts) == 3, t.name
        assert all(re.fullmatch(r"[А-ЯЁ][а-яё]+(-[А-ЯЁ][а-яё]+)?", p) for p in parts), t.name
    assert any("ё" in t.name for t in teachers)
    assert any("-" in t.name for t in teachers)
    emails = [t.email for t in teachers if t.email]
    assert 0 < len(emails) < len(teachers)
    assert len(set(emails)) == len(emails)
    assert all(re.fullmatch(r"[a-z0-9._-]+@[a-z0-9-]+(\.[a-z]+)+", e) for e in emails)


def test_roster_sample_is_what_the_script_generates() -> None:
    script = runpy.run_path(str(TEMPLATES / "make_roster.py"), run_name="make_roster")
    generated = script["render_csv"](script["make_roster"]())
    assert generated == ROSTER.read_text(encoding="utf-8")
