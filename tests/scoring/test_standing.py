"""Who is a leader and who lags: the rule kept with each test, applied and printed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from scoring.cli import main
from scoring.report.collect import collect
from scoring.report.data import StandingRule
from testkit.reports import fill_store

TEST_ID = "math-2026-final"


@pytest.mark.parametrize("text", ["", "quarter", "below:60", "below:60,above:85", "BELOW:55%"])
def test_rules_parse_and_print_back(text: str) -> None:
    rule = StandingRule.parse(text)
    assert StandingRule.parse(rule.text()) == rule


@pytest.mark.parametrize("text", ["below", "below:x", "above:80", "below:90,above:80", "top:3"])
def test_bad_rules_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        StandingRule.parse(text)


@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=60))
def test_the_quarter_rule_marks_a_quarter_each_way(percents: list[float]) -> None:
    ranked = sorted(percents, reverse=True)
    n = len(ranked)
    rule = StandingRule()
    marks = [rule.standing(k + 1, n, p) for k, p in enumerate(ranked)]
    share = max(1, round(0.25 * n))
    assert marks.count("leader") == share
    assert marks.count("lagging") == (min(share, n - share))


@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=60), st.floats(1, 99))
def test_a_threshold_lags_exactly_those_below_it(percents: list[float], below: float) -> None:
    ranked = sorted(percents, reverse=True)
    rule = StandingRule(below=below)
    for k, p in enumerate(ranked):
        mark = rule.standing(k + 1, len(ranked), p)
        if mark != "leader":
            assert (mark == "lagging") == (p < below)


def test_the_rule_is_kept_with_the_test_and_printed(tmp_path: Path) -> None:
    store = tmp_path / "monitoring.db"
    fill_store(store, teachers={"mathematics": 16}, tasks=8, stages=5, seed=3)
    runner = CliRunner()
    base = ["report", "--test", TEST_ID, "--db", str(store), "--out", str(tmp_path / "r"), "-q",
            "--allow-unresolved"]  # fmt: skip
    lowest = min(t.percent for t in collect(store, TEST_ID).teachers)
    done = runner.invoke(main, [*base, "--standing", f"below:{lowest:.0f}"])
    assert done.exit_code == 0, done.output
    data = collect(store, TEST_ID)  # the rule stays with the test
    assert data.standing_rule == StandingRule(below=float(f"{lowest:.0f}"))
    assert all(t.standing != "lagging" or t.percent < lowest for t in data.teachers)
    page = tmp_path / "r" / TEST_ID / "site" / "mathematics.html"
    text = next((tmp_path / "r" / TEST_ID / "site").glob("*.html")).read_text(encoding="utf-8")
    pages = " ".join(p.read_text(encoding="utf-8") for p in page.parent.glob("*.html"))
    assert f"отстающие — результат ниже {lowest:.0f} %" in pages, text[:200]
    refused = runner.invoke(main, [*base, "--standing", "bottom"])
    assert refused.exit_code == 2 and "use quarter, below:60" in refused.output
