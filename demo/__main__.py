"""``make demo``: the monitoring team's whole day on the shipped sample test.

Two tests of the year for the mathematics department, the acceptance test and the final test:
for each, builds the Russian test with personalised sheets for the department, simulates filled
and scanned sheets for three quarters of its teachers and a Moodle export for the rest, then
runs ``omr scan``, ``scoring import`` and ``scoring report``, printing each command, what it
said and how long it took. The final test's reports show the growth since the acceptance test.
Everything is written under ``demo-out/``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from demo.paths import SAMPLE_TESTS_DIR
from demo.session import SessionTimes, open_review_items, run_session
from scoring.report.site import build_site

OUT = Path("demo-out")
TESTS = (("math-2026-acceptance", 0.0), ("math-2026-final", 0.08))  # (spec, skill bonus)


def main() -> int:
    if OUT.exists():
        shutil.rmtree(OUT)
    print(f"Running the monitoring day on the sample test in {OUT}/ ...", flush=True)
    done: list[tuple[str, SessionTimes, Path]] = []
    for name, bonus in TESTS:
        print(f"\n=== {name}", flush=True)
        try:
            times, reports = run_session(
                OUT,
                spec=SAMPLE_TESTS_DIR / f"{name}.yaml",
                skill_bonus=bonus,
                log=lambda line: print(line, flush=True),
            )
        except RuntimeError as error:
            print(f"Demo failed: {error}", file=sys.stderr)
            return 1
        done.append((name, times, reports))
    for name, times, _ in done:
        print(f"\nStep times, {name}:")
        for label, seconds in times.steps:
            print(f"  {label:<32} {seconds:6.1f} s")
        print(f"  {'total':<32} {times.total:6.1f} s  (target: well under 3600 s)")
    print()
    for name, _, reports in done:
        print(f"Reports of {name}: {reports.resolve()}/")
        site = reports / "site" / "index.html"
        if site.exists():
            print(f"  website: {site.resolve()}")
    whole = build_site(OUT / "monitoring.db", OUT / "site")
    index = (OUT / "site" / "index.html").resolve()
    print(f"\nWebsite of the whole store ({whole.tests} tests): {index}")
    print("\nThe reports above are preliminary: the review queue has not been settled.")
    for name, _, _ in done:
        count = open_review_items(OUT / "monitoring.db", name)
        print(
            f"  {name}: {count} item(s) wait for a person: "
            f"MONITORING_DB={OUT}/monitoring.db .venv/bin/scoring review --test {name}"
        )
    print(
        "\nNext: open a teacher's PDF or the website above; then run the day yourself, command"
        '\nby command: `. .venv/bin/activate` and follow "The day of the monitoring team" in'
        "\nREADME.md (README.ru.md in Russian). `make test` runs the tests."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
