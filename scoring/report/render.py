"""Render every report of one test in parallel: a process pool over small jobs.

The per-teacher PDFs are the bulk (one per teacher), so they are cut into chunks; the
department, school, summary, website and export jobs run beside them. Each worker receives the
:class:`ReportData` once, through the pool initializer, instead of once per job.

:func:`report_test` is the one call behind ``scoring report``: collect from the store, then
render. Output layout under ``out_dir`` (``reports/<test-id>/`` from the CLI)::

    teachers/<teacher-id>.pdf        one per teacher
    department-<department>.pdf
    schools/<school>.pdf, .csv       one pair per school
    summary.pdf                      monitoring summary
    site/index.html, site/department-<department>.html
    exports/results-teachers.csv, results-tasks.csv, results.xlsx
"""

from __future__ import annotations

import multiprocessing
import re
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import ExitStack
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from common.errors import OutputError, Unresolved
from common.files import ensure_writable_folder
from common.i18n import speaking, tr
from scoring.ingest import resolve_test_id
from scoring.report import exports, html, pdf
from scoring.report.collect import collect
from scoring.report.data import ReportData
from scoring.report.recommendations import load_recommendations
from scoring.report.site import SiteSummary, build_site
from scoring.store import open_store

Progress = Callable[[int, int], None]  # (jobs done, jobs in all)
TEACHER_CHUNK = 16


class ReportSummary(BaseModel):
    """What ``render_reports`` wrote, for the CLI to print."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = 1
    out_dir: str
    test_id: str
    teachers: int
    teacher_pdfs: int
    schools: int
    files: int
    workers: int
    seconds: float  # rendering
    collect_seconds: float = 0.0  # reading and scoring the store (report_test only)
    site: SiteSummary | None = None  # the whole-store website, when asked (report_test only)


def school_file_stem(school: str) -> str:
    """A file name for a school that keeps its Cyrillic but drops quotes, № and spaces."""
    stem = re.sub(r"[^\w-]+", "_", school).strip("_-")
    return stem[:80] or "school"


def school_file_stems(schools: list[str]) -> dict[str, str]:
    """A distinct file stem per school: two names that give the same stem (``"№ 5"`` and
    ``"№5"``) get ``-2``, ``-3`` in the order of their names, so no pack overwrites another."""
    stems: dict[str, str] = {}
    taken: set[str] = set()
    for school in sorted(schools):
        base = school_file_stem(school)
        stem, k = base, 1
        while stem.casefold() in taken:  # case-insensitive file systems too
            k += 1
            stem = f"{base}-{k}"
        taken.add(stem.casefold())
        stems[school] = stem
    return stems


# Set in each worker by the pool initializer: the pool's one shared input, and the
# worker's table cells shared by the teacher reports it renders.
_worker_data: ReportData | None = None
_worker_cells = pdf.CellCache()


def _init_worker(data: ReportData) -> None:
    global _worker_data, _worker_cells
    _worker_data = data
    _worker_cells = pdf.CellCache()


def _data() -> ReportData:
    if _worker_data is None:  # pragma: no cover - only if a job runs outside the pool
        raise RuntimeError("report worker started without its data")
    return _worker_data


def _job_teachers(out_dir: str, start: int, stop: int) -> list[str]:
    data = _data()
    written = []
    for teacher in data.teachers[start:stop]:
        path = Path(out_dir) / "teachers" / f"{teacher.id}.pdf"
        pdf.render_teacher_pdf(data, teacher, path, _worker_cells)
        written.append(str(path))
    return written


def _job_department(out_dir: str) -> list[str]:
    data = _data()
    path = Path(out_dir) / f"department-{data.test.department}.pdf"
    pdf.render_department_pdf(data, path)
    return [str(path)]


def _job_summary(out_dir: str) -> list[str]:
    path = Path(out_dir) / "summary.pdf"
    pdf.render_summary_pdf(_data(), path)
    return [str(path)]


def _job_schools(out_dir: str, schools: list[tuple[str, str]]) -> list[str]:
    data = _data()
    written = []
    for school, file_stem in schools:
        teachers = [t for t in data.teachers if t.school == school]
        stem = Path(out_dir) / "schools" / file_stem
        pdf.render_school_pdf(data, school, teachers, stem.with_suffix(".pdf"))
        with speaking(data.test.language):  # the administrators read it: the test's words
            header, rows = exports.school_header(data), exports.school_rows(data, teachers)
        exports.write_csv(stem.with_suffix(".csv"), header, rows)
        written += [str(stem.with_suffix(".pdf")), str(stem.with_suffix(".csv"))]
    return written


def _job_site(out_dir: str, pseudonymise: bool, salt: str) -> list[str]:
    paths = html.write_site(_data(), Path(out_dir) / "site", pseudonymise=pseudonymise, salt=salt)
    return [str(p) for p in paths]


def _job_exports(out_dir: str) -> list[str]:
    return [str(p) for p in exports.write_exports(_data(), Path(out_dir) / "exports")]


def _prepare(out_dir: Path) -> None:
    for sub in ("teachers", "schools", "site", "exports"):
        ensure_writable_folder(out_dir / sub)


def _school_groups(data: ReportData) -> list[list[tuple[str, str]]]:
    """(school, file stem) in groups of similar size, so the school jobs balance across
    workers."""
    schools = data.schools()
    stems = school_file_stems(schools)
    pairs = [(school, stems[school]) for school in schools]
    size = 8
    return [pairs[k : k + size] for k in range(0, len(pairs), size)]


def report_pool(data: ReportData, workers: int) -> ProcessPoolExecutor:
    """The processes that render ``data``'s reports (each receives it once); the website of
    the same run can use them too (:func:`scoring.report.site.build_site`)."""
    # "spawn": workers start clean, whatever threads the caller runs (forking a threaded
    # process can deadlock, and Python 3.12+ warns about it).
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(data,),
    )


def render_reports(
    data: ReportData,
    out_dir: Path,
    *,
    pseudonymise: bool = False,
    salt: str = "",
    workers: int = 2,
    progress: Progress | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> ReportSummary:
    """Render all reports of ``data`` into ``out_dir`` with ``workers`` processes, or with
    ``pool`` (from :func:`report_pool` for the same ``data``) when given.

    ``workers=1`` without a pool renders in this process, which is also what small sessions
    want.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    _prepare(out_dir)
    groups = _school_groups(data)
    target = str(out_dir)
    n = len(data.teachers)
    # Longest jobs first (the exports workbook, then the department report), so no worker
    # idles at the end while another finishes a big one; teacher chunks fill the gaps.
    jobs: list[tuple[Callable[..., list[str]], tuple[object, ...]]] = [
        (_job_exports, (target,)),
        (_job_department, (target,)),
    ]
    jobs += [
        (_job_teachers, (target, k, min(k + TEACHER_CHUNK, n))) for k in range(0, n, TEACHER_CHUNK)
    ]
    jobs += [(_job_schools, (target, group)) for group in groups]
    jobs += [(_job_summary, (target,)), (_job_site, (target, pseudonymise, salt))]
    written: list[str] = []
    done = 0
    try:
        if workers <= 1 and pool is None:
            _init_worker(data)
            try:
                for func, args in jobs:
                    written += func(*args)
                    done += 1
                    if progress:
                        progress(done, len(jobs))
            finally:
                _init_worker(None)  # type: ignore[arg-type]
        else:
            with ExitStack() as stack:
                if pool is None:
                    pool = stack.enter_context(report_pool(data, workers))
                futures: list[Future[list[str]]] = [pool.submit(f, *a) for f, a in jobs]
                for future in as_completed(futures):
                    written += future.result()
                    done += 1
                    if progress:
                        progress(done, len(jobs))
    except OSError as error:
        raise OutputError(
            tr("cannot write a report ({strerror})", strerror=error.strerror),
            where=str(error.filename or out_dir),
            hint=tr("check the free space and permissions of the output folder"),
        ) from None
    return ReportSummary(
        out_dir=str(out_dir),
        test_id=data.test.id,
        teachers=n,
        teacher_pdfs=sum(1 for w in written if Path(w).parent.name == "teachers"),
        schools=len(data.schools()),
        files=len(written),
        workers=max(1, workers),
        seconds=round(time.perf_counter() - started, 3),
    )


def report_test(
    store_path: str | Path | None,
    test_id: str,
    out_root: Path,
    *,
    pseudonymise: bool = False,
    salt: str = "",
    workers: int = 2,
    prefer: str | None = None,
    progress: Progress | None = None,
    allow_unresolved: bool = False,
    standing: str | None = None,
    recommendations: Path | None = None,
    site: Path | None = None,
) -> ReportSummary:
    """Collect ``test_id`` from the store and render all its reports into
    ``out_root/<test-id>/``, so the reports of the year's five tests sit side by side; with
    ``site``, then bring the whole-store website in that folder up to date, with the same
    worker processes.

    Refuses (:class:`Unresolved`) while review items of the test are open, unless
    ``allow_unresolved``; then every report says how many were open."""
    started = time.perf_counter()
    if standing is not None:  # the rule is kept with the test, as --prefer is
        with open_store(store_path, create=False) as store:
            resolved = resolve_test_id(store, test_id)
            store.manifest(resolved)  # a clear line for a test that is not in the store
            with store.write() as con:
                store.set_rules(con, resolved, standing=standing)
    advice = load_recommendations(recommendations) if recommendations is not None else None
    data = collect(store_path, test_id, prefer=prefer, recommendations=advice)
    if data.unresolved and not allow_unresolved:
        raise Unresolved(
            tr(
                "{unresolved} review item(s) of test {id} still need a person, so "
                "nothing was published",
                unresolved=data.unresolved,
                id=data.test.id,
            ),
            hint=tr(
                "settle them with `scoring review --test {id}`, or publish anyway with "
                "--allow-unresolved",
                id=data.test.id,
            ),
        )
    if advice is not None:  # kept with the test: the website and later runs show the same
        with open_store(store_path, create=False) as store, store.write() as con:
            texts = {t.id: t.recommendation for t in data.teachers}
            store.set_recommendations(con, data.test.id, texts)
    if pseudonymise and not salt:
        with open_store(store_path) as store:
            salt = store.pseudonym_key()
    collected = time.perf_counter() - started
    with ExitStack() as stack:
        pool = stack.enter_context(report_pool(data, workers)) if workers > 1 else None
        summary = render_reports(
            data,
            Path(out_root) / school_file_stem(data.test.id),
            pseudonymise=pseudonymise,
            salt=salt,
            workers=workers,
            progress=progress,
            pool=pool,
        )
        whole = (
            build_site(store_path, site, pseudonymise=pseudonymise, salt=salt, pool=pool)
            if site is not None
            else None
        )
    return summary.model_copy(update={"collect_seconds": round(collected, 3), "site": whole})
