"""Reading on a Dask cluster gives the local pool's files, bit for bit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from omr_fixtures import write_batch

from omr.batch import ScanOptions, scan
from omr.results_folder import RESULTS_CSV, RESULTS_JSONL


def test_local_cluster_with_two_worker_processes_matches_the_local_pool(
    package: Path, tmp_path: Path
) -> None:
    distributed = pytest.importorskip("distributed")
    scans = tmp_path / "scans"
    write_batch(scans)
    local, dask = tmp_path / "local", tmp_path / "dask"
    expected = scan(ScanOptions([scans], package, local, workers=2))
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_port=0,
        ) as cluster,
    ):
        summary = scan(ScanOptions([scans], package, dask, scheduler=cluster.scheduler_address))
    assert summary.pages == expected.pages == 6
    assert summary.errors == expected.errors and len(summary.errors) == 2
    for name in (RESULTS_JSONL, RESULTS_CSV):
        assert (dask / name).read_bytes() == (local / name).read_bytes()
    shutil.rmtree(scans)
