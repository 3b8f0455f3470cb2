"""Reading on a Dask distributed cluster (``omr scan --scheduler tcp://host:8786``).

Workers run :func:`omr.worker.read_job`, the same function as the local pool, and send back
outcomes; only this coordinator writes results, so the files are the same bit for bit. PDF
pages are rasterised inside the worker processes; :mod:`omr.pdf` serialises PDFium calls
within a process, so a worker with several threads never runs PDFium concurrently.

Workers must see the input files and the test package at the same absolute paths (a shared
file system), and have this package installed.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator
from itertools import islice
from urllib.parse import urlsplit

from common.errors import ExitCode, ToolError
from common.i18n import tr
from omr.inputs import Job
from omr.worker import ManifestRef, Outcome, read_job

IN_FLIGHT_PER_THREAD = 2
CONNECT_TIMEOUT = "15s"


class SchedulerUnreachable(ToolError):
    """The Dask scheduler named by ``--scheduler`` cannot be reached."""

    exit_code = ExitCode.SCHEDULER_UNREACHABLE


def _probe(address: str) -> None:
    """Fail at once on a refused TCP address (the client itself retries until its timeout)."""
    parsed = urlsplit(address)
    if parsed.scheme == "tcp" and parsed.hostname and parsed.port:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=5):
            pass


def run_dask(jobs: Iterable[Job], ref: ManifestRef, scheduler: str) -> Iterator[Outcome]:
    """Outcomes as they complete on the cluster; a few jobs per worker thread in flight."""
    from distributed import Client, as_completed

    try:
        _probe(scheduler)
        client = Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise SchedulerUnreachable(
            tr("cannot reach the Dask scheduler: {error}", error=error),
            where=scheduler,
            hint=tr("check the address, or leave out --scheduler to read on this machine"),
        ) from None
    with client:
        from omr.batch import prepare_reader

        # As in the local pool: the workers are the parallelism, not OpenCV's own threads.
        client.run(prepare_reader)
        threads = max(1, sum(client.nthreads().values()))
        queue = iter(jobs)
        by_key: dict[object, Job] = {}
        running = as_completed(loop=client.loop)

        def submit(batch: Iterable[Job]) -> None:
            for job in batch:
                future = client.submit(read_job, job, ref, pure=False)
                by_key[future.key] = job
                running.add(future)

        submit(islice(queue, threads * IN_FLIGHT_PER_THREAD))
        for future in running:
            job = by_key.pop(future.key)
            try:
                outcome = future.result()
            except Exception as error:  # a worker died or the task was lost
                outcome = Outcome(job, error=f"{job.file} p.{job.page}: worker failed: {error}")
            future.release()
            yield outcome
            submit(islice(queue, 1))
