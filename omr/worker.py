"""What a worker process does with one job: decode the page, read it, return the outcome.

Workers never write files: the outcome (result record and, for flagged or refused sheets, an
annotated JPEG) goes back to the single coordinator. Any failure of one page becomes an error
outcome naming the file, so one bad file never stops the batch.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from common.errors import ToolError
from common.i18n import tr
from omr.esheet import esheet_fields, read_esheet
from omr.imageio import check_file, decode_image, map_file
from omr.inputs import Job, plan_file
from omr.pdf import pdf_page_bilevel, render_pdf_page
from omr.read import read_page
from omr.results import SheetResult, SourceRef
from testgen.manifest import SheetPackage, load_package


@dataclass(frozen=True)
class ManifestRef:
    """How a worker finds the manifest: a path it can read, and the file's hash (cache key)."""

    path: str
    sha256: str
    key: str | None = None  # the package's identity key, hex (signed sheets need it)

    @property
    def key_bytes(self) -> bytes | None:
        return bytes.fromhex(self.key) if self.key else None


@dataclass(frozen=True)
class Outcome:
    job: Job
    result: SheetResult | None = None
    annotated: bytes | None = None
    error: str | None = None
    crops: dict[str, bytes] | None = None


@lru_cache(maxsize=4)
def _manifest(path: str, sha256: str) -> SheetPackage:
    # keyed by hash too, so a rebuilt test package is reloaded by long-lived Dask workers
    return load_package(Path(path))


def read_job(job: Job, ref: ManifestRef, annotate_as: SheetResult | None = None) -> Outcome:
    """Read one page job. Never raises. ``annotate_as``: see :func:`omr.read.read_page`."""
    where = f"{job.file} p.{job.page}" if job.kind == "pdf" or job.page > 1 else job.file
    try:
        manifest = _manifest(ref.path, ref.sha256)
        source = SourceRef(file=job.file, page=job.page, sha256=job.sha256)
        path = Path(job.path)
        if job.kind == "form":
            check_file(path)
            fields = esheet_fields(path, where)
            if fields is None:
                return Outcome(
                    job, error=tr("{where}: the PDF form is not an answer sheet", where=where)
                )
            return Outcome(job, read_esheet(fields, manifest, source, ref.key_bytes))
        if job.kind == "pdf":
            check_file(path)
            image = render_pdf_page(path, job.page, where)
            bilevel: bool | None = pdf_page_bilevel(path, job.page, where)
        else:
            with map_file(path) as data:
                image = decode_image(data, job.page, where)
            bilevel = None
        page = read_page(
            image, manifest, source, annotate_as=annotate_as, key=ref.key_bytes, bilevel=bilevel
        )
        return Outcome(job, page.result, page.annotated, crops=page.crops or None)
    except ToolError as error:
        return Outcome(job, error=str(error) if error.where else f"{where}: {error}")
    except MemoryError:
        return Outcome(
            job,
            error=tr(
                "{where}: reading this page needed more memory than a page may use (not "
                "an answer sheet, or a damaged or hostile file)",
                where=where,
            ),
        )
    except Exception as error:  # one broken page must never stop the batch
        return Outcome(
            job,
            error=tr(
                "{where}: internal error {name}: {error}",
                where=where,
                name=type(error).__name__,
                error=error,
            ),
        )


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters
PAGE_BUFFER_BYTES = 32 << 20  # glibc's largest: a 300 dpi colour A4 page is 26 MB
KEPT_FREE_BYTES = 128 << 20  # freed memory a worker keeps: a few pages' buffers


def keep_page_buffers() -> None:
    """Let freed page-sized buffers go back to this process's heap instead of the kernel.

    glibc hands out buffers over 128 KiB (to begin with) as fresh mappings and unmaps them
    when freed, so every page's image and its copies would fault in fresh memory, zeroed by
    the kernel: on a virtual machine a third of a 300 dpi JPEG's decoding time, measured
    here. A worker allocates the same few sizes page after page; kept, they are reused.
    Elsewhere than glibc this does nothing.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, PAGE_BUFFER_BYTES)
    mallopt(_M_TRIM_THRESHOLD, KEPT_FREE_BYTES)


PAGE_SECONDS = 10  # a real page takes well under a second
PAGE_MEMORY_BYTES = 1 << 30  # beyond what the worker needs at rest


def limit_memory(extra: int) -> None:
    """Cap this process's address space at what it uses now plus ``extra`` bytes: a page that
    fans out (nested PDF XObjects, a decoder lied to) fails to allocate instead of taking the
    machine's memory."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            size = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):  # not Linux: no budget rather than no reading
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = size + extra
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def read_job_budgeted(job: Job, ref: ManifestRef) -> Outcome:
    """:func:`read_job` in a pool worker, within :data:`PAGE_SECONDS`: the alarm's default
    action ends the process even while PDFium or OpenCV hold it in C code, and the
    coordinator then finds the page (:func:`omr.batch.run_local`)."""
    signal.alarm(PAGE_SECONDS)
    try:
        return read_job(job, ref)
    finally:
        signal.alarm(0)


def annotate_again(result: SheetResult, ref: ManifestRef) -> bytes | None:
    """An annotated image of a page read before, headed by ``result`` (its final record).

    For the coordinator at finalisation, when a page's status changed after it was read (a
    duplicate conflict). The page is decoded and read again by :func:`read_job`. ``None`` when
    its file has vanished or changed since, or it is an electronic form (no image to draw on).
    """
    try:
        jobs = plan_file(Path(result.source.file))
    except (ToolError, OSError):
        return None
    job = next(
        (j for j in jobs if (j.page, j.sha256) == (result.source.page, result.source.sha256)),
        None,
    )
    if job is None or job.kind == "form":
        return None
    return read_job(job, ref, annotate_as=result).annotated
