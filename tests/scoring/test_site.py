"""``scoring site``: one website from the whole store. Every page after five tests of two
departments, earlier pages unchanged after a sixth, Table 2 over the years, no roster name or
ID on the pseudonymised site, and tables that sort in a real browser."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from common.i18n import speaking
from scoring.cli import main
from scoring.report.collect import collect
from scoring.report.site import build_site, table_two
from scoring.store import open_store
from testkit.browser import BROWSER_ARGS, chromium_path
from testkit.reports import fill_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("site") / "monitoring.db"
    fill_store(path, teachers={"mathematics": 14, "russian": 7}, tasks=8, stages=5, seed=9)
    return path


def _pages(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_every_page_and_a_sixth_test_only_adds(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = build_site(store, out)
    pages = _pages(out)
    assert first.tests == 10 and first.written == first.pages == len(pages)
    with open_store(store) as s:
        tests = [t[0] for t in s.tests()]
        teachers = {t: {a.teacher_id for a in s.attempts(t)} for t in tests}
    for test_id in tests:
        assert f"tests/{test_id}.html" in pages
        for teacher in teachers[test_id]:
            assert f"tests/{test_id}/{teacher}.html" in pages
    for name in ("index.html", "site.js", "departments/mathematics.html",
                 "departments/russian.html"):  # fmt: skip
        assert name in pages
    assert build_site(store, out).written == 0  # nothing changed, nothing written
    # a sixth test: next year's acceptance test of mathematics, in the same store
    fill_store(store, teachers={"mathematics": 14}, tasks=8, stages=1, year=2027, seed=10)
    again = build_site(store, out)
    after = _pages(out)
    assert again.tests == 11
    assert set(pages) <= set(after)
    changed = sorted(k for k in pages if after[k] != pages[k])
    assert changed == ["departments/mathematics.html", "index.html"], changed
    assert any(k.startswith("tests/math-2027-acceptance/") for k in after)


def test_worker_processes_write_the_same_site(store: Path, tmp_path: Path) -> None:
    build_site(store, tmp_path / "one", workers=1)
    build_site(store, tmp_path / "two", workers=2)
    assert _pages(tmp_path / "two") == _pages(tmp_path / "one")


def test_table_two_has_every_year_and_the_average_growth(store: Path) -> None:
    summary = collect(store, "math-2026-final").summary
    with speaking("ru"):  # the site of a Russian cluster
        years, rows = table_two(summary)
    assert 2026 in years
    maths = next(r for r in rows if r[0] == "Математика")
    row = next(r for r in summary if r.department == "mathematics" and r.year == 2026)
    assert row.acceptance_percent is not None and row.final_percent is not None
    k = 1 + 4 * years.index(2026)
    growth = row.final_percent - row.acceptance_percent
    assert maths[k + 2].lstrip("+−") == f"{abs(growth):.1f}".replace(".", ",")
    assert len(maths) == 1 + 4 * len(years) + 1


def test_the_pseudonymised_site_names_no_one(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    done = CliRunner().invoke(main, ["site", "--db", str(store), "--out", str(out),
                                     "--pseudonymise", "-q"])  # fmt: skip
    assert done.exit_code == 0, done.output
    with open_store(store) as s:
        roster = [(t.id, t.name) for t in s.teachers().values()]
    for path in out.rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        for tid, name in roster:
            assert tid not in text and tid not in path.name, (path, tid)
            assert name not in text, (path, name)


def test_the_ranking_sorts_and_filters_in_a_browser(store: Path, tmp_path: Path) -> None:
    browser_path = chromium_path()
    if browser_path is None:
        if os.environ.get("CI"):
            raise RuntimeError("CI must have chromium (.ci/run installs it)")
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    out = tmp_path / "site"
    build_site(store, out)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=BROWSER_ARGS)
        page = browser.new_page()
        page.goto((out / "tests" / "math-2026-final.html").as_uri())
        table = "#rank-math-2026-final"
        ranks = page.eval_on_selector_all(f"{table} tbody tr td:first-child",
                                          "cells => cells.map(c => +c.textContent)")  # fmt: skip
        assert ranks == sorted(ranks)
        page.click(f"{table} th:first-child")
        page.click(f"{table} th:first-child")  # the second click sorts descending
        again = page.eval_on_selector_all(f"{table} tbody tr td:first-child",
                                          "cells => cells.map(c => +c.textContent)")  # fmt: skip
        assert again == sorted(ranks, reverse=True)
        name = page.text_content(f"{table} tbody tr:first-child td:nth-child(2)") or ""
        page.fill('input[data-for="rank-math-2026-final"]', name.strip()[:8])
        visible = page.eval_on_selector_all(f"{table} tbody tr", "rows => rows.filter(r => "
                                            "!r.hidden).length")  # fmt: skip
        assert 1 <= visible < len(ranks)
        browser.close()
