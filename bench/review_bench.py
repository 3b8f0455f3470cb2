"""The review of a 400-sheet session, settled by a scripted browser.

Builds the mathematics sample test, fills 400 anonymous sheets with the roster's IDs (the hand
model's office scans, `omr.sim`), reads them with ``omr scan``'s library, imports them, then
serves ``scoring review`` and drives it in headless Chromium (Playwright) the way a reviewer
would: for a question the letter the person meant (from the simulator's truth) and Enter,
Enter for a flagged page, Alt+R for a sheet to rescan, the teacher's ID and Enter for an
unknown sheet. Prints the items, keystrokes per item, the server's time per decision (goal
median <= 50 ms) and the estimated human time at 2 s an item (goal: 60 items in <= 3 min).

    python -m bench.review_bench [--sheets 400] [--profile office] [--work DIR]
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import click

from common.roster import load_roster
from demo.paths import SAMPLE_ROSTER, SAMPLE_TESTS_DIR
from demo.session import meant_answers
from omr.batch import ScanOptions, scan
from omr.sim.run import simulate
from scoring.ingest import import_files, import_roster
from scoring.review import build_queue
from scoring.review_web import ReviewServer
from scoring.store import open_store
from testgen.build import build_test
from testgen.manifest import load_manifest
from testkit.browser import BROWSER_ARGS, chromium_path, serving

SECONDS_PER_ITEM = 2.0


def prepare(
    work: Path, sheets: int, profile: str, workers: int
) -> tuple[Path, str, dict[tuple[str, int], str]]:
    """The session up to the import; returns the store, the test id and the truth by
    (respondent, question)."""
    package = work / "package"
    build_test(SAMPLE_TESTS_DIR / "math-2026-acceptance.yaml", package, variants=8, seed=2011)
    manifest = load_manifest(package)
    teachers, _ = load_roster(SAMPLE_ROSTER)
    ids = [t.id for t in teachers][:sheets]
    ids += [ids[k % len(ids)] for k in range(sheets - len(ids))]
    simulated = work / "simulated"
    simulate(manifest, package, len(ids), profile, 2026, simulated, respondents=ids,
             workers=workers)  # fmt: skip
    results = work / "results"
    scan(ScanOptions([simulated / "sheets"], package, results, workers=workers))
    db = work / "monitoring.db"
    with open_store(db) as store:
        import_roster(store, SAMPLE_ROSTER)
        import_files(store, [results / "results.jsonl"], package)
    meant = meant_answers(simulated)
    return db, manifest.test.id, meant


def drive(db: Path, test_id: str, meant: dict) -> tuple[Counter, list[int], list[float], float]:
    """Settle the whole queue in Chromium; returns items by kind, keystrokes per item,
    server milliseconds per decision and the wall time."""
    from playwright.sync_api import sync_playwright

    with open_store(db, create=False) as store:
        kinds = Counter(i.kind for i in build_queue(store, test_id).open)
    keys: list[int] = []
    timings: list[float] = []
    started = time.perf_counter()
    with serving(ReviewServer(db, test_id)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=BROWSER_ARGS)
        page = browser.new_page()

        def timing(response) -> None:  # type: ignore[no-untyped-def]
            header = response.headers.get("server-timing", "")
            if header.startswith("decide;dur="):
                timings.append(float(header.split("=", 1)[1]))

        page.on("response", timing)
        page.goto(url)
        page.fill("#name", "bench")
        page.press("#name", "Enter")
        total = sum(kinds.values())
        for done in range(1, total + 1):
            kind = page.get_attribute("#card", "data-kind")
            key = str(page.get_attribute("#card", "data-key"))
            if kind in ("question", "double"):
                _, teacher, question = key.split(":")
                letters = meant.get((teacher, int(question)), "-")
                for letter in letters:
                    page.keyboard.press("Space" if letter == "-" else letter)
                page.keyboard.press("Enter")
                keys.append(len(letters) + 1)
            elif kind == "page":
                page.keyboard.press("Enter")
                keys.append(1)
            else:
                page.keyboard.press("Alt+r")
                keys.append(1)
            page.wait_for_function(
                "(n) => document.getElementById('progress').textContent.startsWith(n + ' of')",
                arg=done,
            )
        browser.close()
    return kinds, keys, timings, time.perf_counter() - started


@click.command()
@click.option("--sheets", default=400, show_default=True)
@click.option("--profile", default="office", show_default=True)
@click.option("--work", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--workers", default=os.cpu_count() or 1, show_default=True)
def main(sheets: int, profile: str, work: Path | None, workers: int) -> None:
    if chromium_path() is None:
        raise click.ClickException("needs Debian's chromium (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="review-bench-") as tmp:
        root = work or Path(tmp)
        if root.exists() and work is not None:
            shutil.rmtree(root)
        root.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        db, test_id, meant = prepare(root, sheets, profile, workers)
        click.echo(f"{sheets} {profile} sheets simulated, scanned, imported in "
                   f"{time.perf_counter() - t0:.0f} s")  # fmt: skip
        kinds, keys, timings, wall = drive(db, test_id, meant)
    items = sum(kinds.values())
    click.echo(f"queue: {items} item(s): " + ", ".join(f"{k} {v}" for k, v in kinds.items()))
    if not items:
        return
    click.echo(f"keystrokes per item: mean {statistics.mean(keys):.2f}, max {max(keys)} "
               "(goal <= 2 for a question)")  # fmt: skip
    if timings:
        median = statistics.median(timings)
        p90 = sorted(timings)[int(0.9 * (len(timings) - 1))]
        click.echo(f"server time per decision: median {median:.1f} ms, p90 {p90:.1f} ms "
                   f"(goal median <= 50 ms)")  # fmt: skip
    human = items * SECONDS_PER_ITEM
    click.echo(f"estimated human time at {SECONDS_PER_ITEM:.0f} s an item: {human / 60:.1f} min "
               f"({60 * SECONDS_PER_ITEM / 60:.1f} min per 60 items; goal <= 3 min); "
               f"the scripted browser took {wall:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
