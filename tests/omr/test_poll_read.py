"""Rating sheets of a poll, simulated at every capture profile and read back by the real
reader: no silent misread, the department row and the comment box picture come through, and
an anonymous sheet asks for no ID."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest
import yaml

from omr.batch import ScanOptions, scan
from omr.sim.accuracy import compare, read_simulated
from omr.sim.capture import PROFILES
from omr.sim.run import simulate
from omr.sim.truth import load_truth
from testgen.manifest import PollManifest, load_identity_key, load_poll_manifest
from testgen.poll import build_poll, parse_poll

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "templates" / "polls" / "cluster-poll-2026.yaml"


@pytest.fixture(scope="module")
def poll(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PollManifest]:
    folder = tmp_path_factory.mktemp("poll") / "package"
    spec = parse_poll(yaml.safe_load(SAMPLE.read_text(encoding="utf-8")))
    build_poll(spec, SAMPLE.read_bytes(), folder)
    return folder, load_poll_manifest(folder)


def test_rating_sheets_read_back_at_every_capture_profile(
    poll: tuple[Path, PollManifest], tmp_path: Path
) -> None:
    folder, manifest = poll
    out = tmp_path / "sim"
    for profile in PROFILES:
        simulate(manifest, folder, 3, profile, 11, out)
    truth = load_truth(out)
    results = read_simulated(out, truth, manifest, key=load_identity_key(folder))
    report = compare(results, truth)
    assert report.total.missing == 0
    assert report.errors == [], report.errors
    assert report.total.silent_errors == 0
    clean = report.profiles["clean"]
    assert clean.refused == 0 and clean.correct >= 0.9 * clean.questions
    for result in results:
        if result.status != "refused":
            assert result.test_id == "cluster-poll-2026" and result.respondent is None
            assert not any("respondent ID" in f or "no respondent" in f for f in result.flags)
            assert not any(f.startswith(f"q{manifest.department_position}:") and "beside" in f
                           for f in result.flags)  # fmt: skip
            assert len(result.questions) == 21  # 20 rated rows and the department row


def test_a_scan_keeps_the_comment_box_as_a_picture(
    poll: tuple[Path, PollManifest], tmp_path: Path
) -> None:
    folder, manifest = poll
    simulate(manifest, folder, 2, "clean", 5, tmp_path / "sim")
    summary = scan(ScanOptions([tmp_path / "sim" / "sheets"], folder, tmp_path / "results",
                               workers=1))  # fmt: skip
    assert summary.totals is not None and summary.totals.refused == 0
    records = [json.loads(line) for line in (tmp_path / "results" / "results.jsonl").open()]
    assert len(records) == 2
    for record in records:
        crop = tmp_path / "results" / record["evidence"]["comment"]
        image = cv2.imread(str(crop), cv2.IMREAD_GRAYSCALE)
        assert image is not None and image.shape[1] > 3 * image.shape[0]  # the wide box


def test_a_filled_electronic_poll_sheet_is_read_with_its_comment(
    poll: tuple[Path, PollManifest], tmp_path: Path
) -> None:
    import pypdf

    folder, _manifest = poll
    writer = pypdf.PdfWriter(clone_from=str(folder / "form-v01.pdf"))
    values = {"q01": "/J", "q02": "/C", "q21": "/B", "comment": "Больше семинаров, пожалуйста"}
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    scans = tmp_path / "scans"
    scans.mkdir()
    writer.write(str(scans / "filled.pdf"))
    scan(ScanOptions([scans], folder, tmp_path / "results", workers=1))
    (record,) = [json.loads(line) for line in (tmp_path / "results" / "results.jsonl").open()]
    assert (record["channel"], record["status"], record["respondent"]) == ("electronic", "ok", None)
    answers = {q["position"]: q["letters"] for q in record["questions"]}
    assert answers[1] == "J" and answers[2] == "C" and answers[21] == "B" and answers[3] == ""
    assert record["comment"] == "Больше семинаров, пожалуйста"
