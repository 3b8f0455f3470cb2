"""The committed sample scans, read through the whole batch path, against their ground truth."""

from __future__ import annotations

from pathlib import Path

from omr.batch import ScanOptions, scan
from omr.results import SheetResult
from omr.results_folder import RESULTS_JSONL
from omr.sim.accuracy import compare
from omr.sim.truth import load_truth

SAMPLES = Path(__file__).resolve().parents[2] / "sample_sheets"


def test_sample_sheets_read_with_no_silent_errors(tmp_path: Path) -> None:
    truth = load_truth(SAMPLES / "truth.jsonl")
    assert len(truth) == 17
    out = tmp_path / "results"
    summary = scan(ScanOptions([SAMPLES / "sheets"], SAMPLES / "test", out, workers=1))
    assert summary.errors == [] and summary.pages == len(truth)
    lines = (out / RESULTS_JSONL).read_text(encoding="utf-8").splitlines()
    results = [SheetResult.model_validate_json(line) for line in lines]
    report = compare(results, truth)
    assert report.total.silent_errors == 0 and report.total.silent_id_errors == 0
    assert report.errors == []
    clean = report.profiles["clean"]
    assert clean.exact_sheets == clean.sheets == 2 and clean.flagged == 0
    for profile in ("scan", "photo"):
        figures = report.profiles[profile]
        assert figures.refused == 0 and figures.flagged_must_read == 0
    # beyond tolerance: refused, or read with nothing wrong (an acceptable reading of a
    # deliberately faint mark is not an error; silent errors are asserted 0 above)
    harsh = report.profiles["harsh"]
    assert harsh.sheets == 4 and harsh.refused >= 2
    assert harsh.correct + harsh.accepted + harsh.flagged == harsh.questions
    # the hand model's office scans read; the 1-bit pencil and gel pages are held for a rescan
    assert report.profiles["office"].refused == 0
    one_bit = [r for r in results if r.source.file.rsplit("/", 1)[-1].startswith("bilevel")]
    assert len(one_bit) == 3 and all(r.bilevel and r.whole_page_flagged for r in one_bit)
    assert summary.totals is not None and summary.totals.bilevel_flagged == 3
