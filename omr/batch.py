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
import select
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from common.errors import OutputError, ValidationFailed
from common.i18n import tr
from omr.imageio import MAX_PAGES, Limits
from omr.inputs import Job, PlanError, discover, plan
from omr.results_folder import (
    Appender,
    Totals,
    ensure_folder,
    finalise,
    folder_lock,
    load_results,
)
from omr.worker import (
    PAGE_MEMORY_BYTES,
    PAGE_SECONDS,
    ManifestRef,
    Outcome,
    annotate_again,
    keep_page_buffers,
    limit_memory,
    read_job,
    read_job_budgeted,
)
from testgen.manifest import IDENTITY_KEY_FILE, SheetPackage, load_identity_key, load_package

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
    max_pages: int = MAX_PAGES  # per input file


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
    refusal: str | None = None  # the commonest reason, when no sheet of the folder was read

    @property
    def nothing_read(self) -> bool:
        """Sheets were there, and every one was refused: the wrong --test, or not sheets."""
        t = self.totals
        return t is not None and t.sheets > 0 and t.refused == t.sheets


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def _no_progress(done: int, total: int) -> None:
    return None


def quiet_opencv() -> None:
    """Silence OpenCV's own stderr warnings (libpng on a damaged file, say): every damaged
    file is already reported once, by name, as an :class:`ImageError`."""
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


def _exit_with(coordinator: int) -> None:
    """End this worker when the coordinator ends, however it ends (``kill -9`` included).

    A pool worker's parent is the forkserver, which outlives a killed coordinator while its
    workers hold its liveness pipe, and a worker waits on its task queue for ever: so each
    worker watches the coordinator itself, through a pidfd that becomes readable when the
    process exits (polling where there is none)."""
    try:
        handle: int | None = os.pidfd_open(coordinator)
    except (AttributeError, OSError):
        handle = None

    def watch() -> None:
        if handle is not None:
            select.select([handle], [], [])
        else:
            while _alive(coordinator):
                time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="coordinator-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prepare_reader() -> None:
    """Set up a process that reads pages (a pool or Dask worker, the speed bench): one
    OpenCV thread, since the pool is the parallelism and OpenCV's own threads in every worker
    would only oversubscribe the cores; freed page buffers kept for the next page
    (:func:`omr.worker.keep_page_buffers`); OpenCV's warnings quiet."""
    import cv2

    cv2.setNumThreads(1)
    keep_page_buffers()
    quiet_opencv()


def _pool_worker(coordinator: int) -> None:
    _exit_with(coordinator)
    prepare_reader()
    limit_memory(PAGE_MEMORY_BYTES)


def _pool(workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("forkserver")
    # the server imports the reader once; each worker forks from it ready to read
    context.set_forkserver_preload(["omr.worker"])
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_pool_worker,
        initargs=(os.getpid(),),
    )


def run_local(jobs: Iterable[Job], ref: ManifestRef, workers: int) -> Iterator[Outcome]:
    """Outcomes as they complete: in this process for one worker (PDF pages in one budgeted
    worker), else a process pool.

    Pool workers start by *forkserver*: never forked from a coordinator that may hold PDFium
    or thread state. Each page in the pool has a memory and a time budget
    (:func:`omr.worker.read_job_budgeted`); a page that breaks them kills its worker, which
    breaks the pool. Then the pages that were in flight are read again one at a time, each in
    a pool of its own, so the one that did it gets the error line and the others are read;
    the rest of the batch goes on in a new pool.
    """
    if workers <= 1:
        # images are bounded by their checked sizes and read here; PDF pages (a renderer can
        # be sent into a loop by the file) still go through a budgeted worker of their own
        pdfs: list[Job] = []
        for job in jobs:
            if job.kind == "image":
                yield read_job(job, ref)
            else:
                pdfs.append(job)
        if pdfs:
            yield from _run_pool(pdfs, ref, 1)
        return
    yield from _run_pool(jobs, ref, workers)


def _run_pool(jobs: Iterable[Job], ref: ManifestRef, workers: int) -> Iterator[Outcome]:
    todo = deque(jobs)
    while todo:
        suspects: list[Job] = []
        with _pool(workers) as pool:
            pending: dict[Future[Outcome], Job] = {}
            try:
                while todo or pending:
                    while todo and len(pending) < workers * IN_FLIGHT_PER_WORKER:
                        job = todo.popleft()
                        pending[pool.submit(read_job_budgeted, job, ref)] = job
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        job = pending.pop(future)
                        try:
                            outcome = future.result()
                        except BrokenProcessPool:
                            suspects.append(job)
                            raise
                        yield outcome
            except BrokenProcessPool:
                suspects += pending.values()
        for job in suspects:
            yield _alone(job, ref)


def _alone(job: Job, ref: ManifestRef) -> Outcome:
    """Read one page in a pool of its own: the page that broke a pool is found this way."""
    with _pool(1) as pool:
        try:
            return pool.submit(read_job_budgeted, job, ref).result()
        except BrokenProcessPool:
            where = f"{job.file} p.{job.page}" if job.kind == "pdf" or job.page > 1 else job.file
            return Outcome(
                job,
                error=tr(
                    "{where}: reading this page was stopped: it needed more than {value} GiB "
                    "of memory or {PAGE_SECONDS} s (not an answer sheet, or a damaged or "
                    "hostile file)",
                    where=where,
                    value=PAGE_MEMORY_BYTES >> 30,
                    PAGE_SECONDS=PAGE_SECONDS,
                ),
            )


def manifest_ref(test: Path) -> tuple[SheetPackage, ManifestRef]:
    """Load and validate the test package's manifest; workers get its path and hash."""
    manifest: SheetPackage = load_package(test)
    path = (test / "manifest.json" if test.is_dir() else test).resolve()
    if not manifest.layouts:
        raise ValidationFailed(
            [tr("layouts: the manifest has no answer-sheet layout")], where=str(path)
        )
    key = load_identity_key(path)
    if manifest.identity_signed and key is None:
        raise ValidationFailed(
            [
                tr(
                    "{IDENTITY_KEY_FILE} is missing beside manifest.json: this package's "
                    "sheets are signed, and their identity cannot be checked without it",
                    IDENTITY_KEY_FILE=IDENTITY_KEY_FILE,
                )
            ],
            where=str(path.parent),
            hint=tr(
                "copy {IDENTITY_KEY_FILE} from the folder testgen build wrote",
                IDENTITY_KEY_FILE=IDENTITY_KEY_FILE,
            ),
        )
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return manifest, ManifestRef(str(path), sha, key.hex() if key else None)


def scan(options: ScanOptions, progress: Progress = _no_progress) -> ScanSummary:
    """Read every page of ``options.inputs`` into ``options.out``; see the module docstring."""
    started = time.perf_counter()
    quiet_opencv()
    manifest, ref = manifest_ref(options.test)
    files = discover(options.inputs, exclude=options.out)
    ensure_folder(options.out)
    with folder_lock(options.out):
        return _scan_locked(options, progress, manifest, ref, files, started)


def _scan_locked(
    options: ScanOptions,
    progress: Progress,
    manifest: SheetPackage,
    ref: ManifestRef,
    files: list[Path],
    started: float,
) -> ScanSummary:
    summary = ScanSummary(out=options.out)
    done_hashes = (
        set() if options.force else {r.source.sha256 for r in load_results(options.out).values()}
    )
    jobs: list[Job] = []
    for item in plan(files, Limits(max_pages=options.max_pages)):
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
    try:
        with Appender(options.out) as appender:
            for done, outcome in enumerate(outcomes, start=1):
                if outcome.result is not None:
                    appender.add(outcome.result, outcome.annotated, outcome.crops)
                    summary.pages += 1
                else:
                    failed.append(outcome.error or f"{outcome.job.file}: unknown error")
                progress(done, total)
        summary.errors.extend(sorted(failed))
        summary.totals = finalise(options.out, manifest, partial(annotate_again, ref=ref))
    except OSError as error:  # a full disk, a folder made read-only or removed meanwhile
        raise OutputError(
            tr("cannot write the results ({value})", value=error.strerror or error),
            where=str(options.out),
            hint=tr(
                "free disk space or fix the folder, then run again: the pages saved so "
                "far are kept and not read twice"
            ),
        ) from None
    if summary.nothing_read:
        reasons = Counter(r.reason or "" for r in load_results(options.out).values())
        summary.refusal = reasons.most_common(1)[0][0] if reasons else None
    summary.seconds = time.perf_counter() - started
    return summary
