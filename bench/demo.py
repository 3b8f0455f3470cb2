"""``make demo``: the monitoring team's whole day on the shipped sample test.

Builds the Russian mathematics acceptance test with personalised sheets for the department,
simulates filled and scanned sheets for three quarters of its teachers and a Moodle export
for the rest, then runs ``omr scan``, ``scoring import`` and ``scoring report``, printing each
command, what it said and how long it took. Everything is written under ``demo-out/``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from bench.session import run_session

OUT = Path("demo-out")


def main() -> int:
    if OUT.exists():
        shutil.rmtree(OUT)
    print(f"Running the monitoring day on the sample test in {OUT}/ ...", flush=True)
    try:
        times, reports = run_session(OUT, log=lambda line: print(line, flush=True))
    except RuntimeError as error:
        print(f"Demo failed: {error}", file=sys.stderr)
        return 1
    print("\nStep times:")
    for label, seconds in times.steps:
        print(f"  {label:<32} {seconds:6.1f} s")
    print(f"  {'total':<32} {times.total:6.1f} s  (target: well under 3600 s)")
    print(f"\nReports are in {reports.resolve()}/")
    site = reports / "site" / "index.html"
    if site.exists():
        print(f"Website: {site.resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
