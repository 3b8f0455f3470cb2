"""``omr scan``: read every page of the inputs into a results folder.

The coordinator plans pages (headers only), hands them to workers (a local process pool by
default, a Dask cluster with ``scheduler``), and writes each result the moment it arrives.
At most a few pages per worker are in flight, so memory stays bounded however large the
batch. Everything is validated (manifest, inputs, output folder) before the first page.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from common.errors import ValidationFailed
from omr.inputs import Job, PlanError, discover, plan
from omr.results_folder import Appender, Totals, ensure_folder, finalise, load_results
from omr.worker import ManifestRef, Outcome, annotate_again, read_job
from testgen.manifest import Manifest, load_manifest

Progress = Callable[[int, int], None]  # (pages done, pages to do)
IN_FLIGHT_PER_WORKER = 2


@dataclass(frozen=True)
class ScanOptions:
    inputs: list[Path]
    test: Path
    out: Path = Path("results")
    workers: int = 0  # 0: one per core
    force: bool = False
    scheduler: str | None = None


@dataclass
class ScanSummary:
    """What a run did (``pages`` read this run, ``skipped`` already in the results) and the
    folder's totals after it."""

    out: Path
    pages: int = 0
    skipped: int = 0
    totals: Totals | None = None
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def _no_progress(done: int, total: int) -> None:
    return None


def quiet_opencv() -> None:
    """Silence OpenCV's own stderr warnings (libpng on a damaged file, say): every damaged
    file is already reported once, by name, as an :class:`ImageError`."""
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


def single_threaded() -> None:
    """Pool worker start-up: one OpenCV thread per process; the pool is the parallelism, and
    OpenCV's own threads in every worker would only oversubscribe the cores."""
    import cv2

    cv2.setNumThreads(1)
    quiet_opencv()


def run_local(jobs: Iterable[Job], ref: ManifestRef, workers: int) -> Iterator[Outcome]:
    """Outcomes as they complete: in this process for one worker, else a process pool.

    Pool workers start by *forkserver*: never forked from a coordinator that may hold PDFium
    or thread state.
    """
    if workers <= 1:
        for job in jobs:
            yield read_job(job, ref)
        return
    context = multiprocessing.get_context("forkserver")
    # the server imports the reader once; each worker forks from it ready to read
    context.set_forkserver_preload(["omr.worker"])
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=single_threaded
    ) as pool:
        pending: set[Future[Outcome]] = set()
        for job in jobs:
            pending.add(pool.submit(read_job, job, ref))
            if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()


def manifest_ref(test: Path) -> tuple[Manifest, ManifestRef]:
    """Load and validate the test package's manifest; workers get its path and hash."""
    manifest = load_manifest(test)
    path = (test / "manifest.json" if test.is_dir() else test).resolve()
    if not manifest.layouts:
        raise ValidationFailed(
            ["layouts: the manifest has no answer-sheet layout"], where=str(path)
        )
    return manifest, ManifestRef(str(path), hashlib.sha256(path.read_bytes()).hexdigest())


def scan(options: ScanOptions, progress: Progress = _no_progress) -> ScanSummary:
    """Read every page of ``options.inputs`` into ``options.out``; see the module docstring."""
    started = time.perf_counter()
    quiet_opencv()
    manifest, ref = manifest_ref(options.test)
    files = discover(options.inputs, exclude=options.out)
    ensure_folder(options.out)
    summary = ScanSummary(out=options.out)
    done_hashes = (
        set() if options.force else {r.source.sha256 for r in load_results(options.out).values()}
    )
    jobs: list[Job] = []
    for item in plan(files):
        if isinstance(item, PlanError):
            summary.errors.append(f"{item.file}: {item.message}")
        elif item.sha256 in done_hashes:
            summary.skipped += 1
        else:
            jobs.append(item)
    workers = options.workers or default_workers()
    total = len(jobs)
    progress(0, total)
    if options.scheduler:
        from omr.distributed import run_dask  # dask is imported only when asked for

        outcomes = run_dask(jobs, ref, options.scheduler)
    else:
        outcomes = run_local(jobs, ref, min(workers, max(total, 1)))
    failed: list[str] = []
    with Appender(options.out) as appender:
        for done, outcome in enumerate(outcomes, start=1):
            if outcome.result is not None:
                appender.add(outcome.result, outcome.annotated)
                summary.pages += 1
            else:
                failed.append(outcome.error or f"{outcome.job.file}: unknown error")
            progress(done, total)
    summary.errors.extend(sorted(failed))
    summary.totals = finalise(options.out, manifest, partial(annotate_again, ref=ref))
    summary.seconds = time.perf_counter() - started
    return summary
