"""The hostile corpus (hostile_corpus.py) among good sheets, through ``omr scan`` as a user
runs it, under a memory limit: each bad file is one error line saying what is wrong, every
good sheet is read, and the whole run stays within its time."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import cv2
from hostile_corpus import write_corpus
from omr_fixtures import sheet_image

from omr.results import SheetResult
from omr.results_folder import RESULTS_JSONL

MEMORY_LIMIT = 3 << 30  # the coordinator's address space; each worker has its own budget


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def test_hostile_files_are_one_line_each_and_the_good_sheets_are_read(
    package: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "scans"
    expected = write_corpus(folder)
    good = {}
    for k in range(3):
        respondent = f"40000{k}"
        cv2.imwrite(str(folder / f"good{k}.png"), sheet_image({1: "A", 2: "B"}, respondent))
        good[f"good{k}.png"] = respondent
    # a phone's JPEG with bytes after its end marker: a good sheet too
    ok, jpeg = cv2.imencode(".jpg", sheet_image({3: "C"}, "400009"), [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    (folder / "phone.jpg").write_bytes(jpeg.tobytes() + b"\x00" * 16 + b"trailer" * 50)
    good["phone.jpg"] = "400009"
    out = tmp_path / "results"
    omr = str(Path(sys.executable).with_name("omr"))
    started = time.monotonic()
    done = subprocess.run(
        [omr, "scan", str(folder), "--test", str(package), "--out", str(out), "--workers", "2"],
        capture_output=True,
        text=True,
        preexec_fn=_limited,
        timeout=300,
    )
    seconds = time.monotonic() - started
    assert done.returncode == 11, done.stderr  # done with problems
    assert "Traceback" not in done.stdout + done.stderr
    errors = [line.removeprefix("  error: ") for line in done.stdout.splitlines()
              if line.startswith("  error: ")]  # fmt: skip
    for name, text in expected.items():
        mine = [e for e in errors if e.startswith(str(folder / name))]
        if text is None:
            assert mine == [], name
        else:
            assert len(mine) == 1 and text in mine[0], (name, mine)
    assert len(errors) == sum(text is not None for text in expected.values())
    records = [
        SheetResult.model_validate_json(line)
        for line in (out / RESULTS_JSONL).read_text(encoding="utf-8").splitlines()
    ]
    read = {Path(r.source.file).name: r.respondent for r in records if r.status == "ok"}
    assert read == good
    refused = {Path(r.source.file).name for r in records if r.status == "refused"}
    assert refused == {name for name, text in expected.items() if text is None}
    assert seconds < 120


def test_with_one_worker_a_pdf_bomb_is_still_stopped(package: Path, tmp_path: Path) -> None:
    from hostile_corpus import xobject_bomb

    from omr.batch import ScanOptions, scan

    folder = tmp_path / "scans"
    folder.mkdir()
    name, text = xobject_bomb(folder)
    cv2.imwrite(str(folder / "good.png"), sheet_image({1: "A"}, "400100"))
    started = time.monotonic()
    summary = scan(ScanOptions([folder], package, tmp_path / "out", workers=1))
    assert time.monotonic() - started < 60
    [error] = summary.errors
    assert error.startswith(str(folder / name)) and text is not None and text in error
    assert summary.totals is not None and summary.totals.read == 1
