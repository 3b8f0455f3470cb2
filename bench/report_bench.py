"""Benchmark ``scoring report``: all reports of one test for 405 teachers, five tests stored.

A store in a temporary folder is filled through the store API with 405 teachers of one
department (the worst case for one command: every teacher gets a report) and the five tests
of the year (60 tasks, eight variants, live and remote results, overrides). Then the same call
as ``scoring report --site`` runs: collect through the scoring library, render in a process
pool, then the website of the whole store (five tests, a page per teacher and test) with the
same processes; then the school packs (``scoring packs``). Target: all of it under 30 s on
2 cores.

    python -m bench.report_bench [--teachers 405] [--tasks 60] [--workers 2] [--serial]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from scoring.report.collect import collect
from scoring.report.packs import write_packs
from scoring.report.render import render_reports, report_test
from testkit.reports import fill_store

TARGET_S = 30.0


def _cpu_seconds() -> float:
    """User + system CPU of this process and of its finished children (the pool workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teachers", type=int, default=405)
    parser.add_argument("--tasks", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--serial", action="store_true", help="also time one worker, for a ratio")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = root / "monitoring.db"
        started = time.perf_counter()
        fill_store(store, teachers={"mathematics": args.teachers}, tasks=args.tasks, stages=5)
        fill_s = time.perf_counter() - started

        load_before = os.getloadavg()[0]
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        # the call behind `scoring report --site site/`: collect, render, then the website
        # of the whole store with the same worker processes
        summary = report_test(
            store,
            "math-2026-final",
            root / "reports",
            workers=args.workers,
            allow_unresolved=True,
            site=root / "site",
        )
        report_site_s = time.perf_counter() - started
        collect_s = summary.collect_seconds
        total_s = collect_s + summary.seconds
        site_s = report_site_s - total_s
        cpu_s = _cpu_seconds() - cpu_before
        size = sum(p.stat().st_size for p in (root / "reports").rglob("*") if p.is_file())
        site = summary.site
        assert site is not None

        print(
            f"cores: {os.cpu_count()}, workers: {summary.workers}, load average before/after: "
            f"{load_before:.1f} / {os.getloadavg()[0]:.1f} (other work on the machine slows "
            "the wall times below; the CPU time does not depend on it)"
        )
        print(
            f"store: {args.teachers} teachers, 5 tests x {args.tasks} tasks, "
            f"filled in {fill_s:.2f} s (setup, not timed below)"
        )
        print(f"collect (merge, score, item analysis, history, summary): {collect_s:.2f} s")
        print(
            f"render: {summary.seconds:.2f} s for {summary.files} files "
            f"({summary.teacher_pdfs} teacher PDFs, {summary.schools} schools), "
            f"{size / 1e6:.1f} MB"
        )
        print(f"per teacher (wall): {1000 * summary.seconds / max(summary.teacher_pdfs, 1):.1f} ms")
        print(f"report total (collect + render): {total_s:.2f} s")
        print(
            f"CPU time of report + website (this process and the workers): {cpu_s:.2f} s; on "
            f"{summary.workers} idle cores at best {cpu_s / summary.workers:.2f} s"
        )
        started = time.perf_counter()
        packs = write_packs(store, root / "packs")
        packs_s = time.perf_counter() - started
        print(
            f"website of the whole store ({site.tests} tests, same processes): {site_s:.2f} s for "
            f"{site.pages} pages; school packs (scoring packs): {packs_s:.2f} s for "
            f"{packs.schools} schools"
        )
        everything = total_s + site_s + packs_s
        print(
            f"report + website + packs: {everything:.2f} s against {TARGET_S:.0f} s "
            f"({everything / TARGET_S:.2f} of target)"
        )
        if args.serial:
            data = collect(store, "math-2026-final")
            serial = render_reports(data, root / "serial", workers=1)
            print(
                f"render with 1 worker: {serial.seconds:.2f} s; "
                f"speed-up with {summary.workers}: {serial.seconds / summary.seconds:.2f}x"
            )


if __name__ == "__main__":
    main()
