"""``scan``: mixed inputs, errors isolated, resumable, idempotent, duplicates resolved."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import cv2
import pytest
from omr_fixtures import BATCH_ANSWERS, QUESTIONS, sheet_image, write_batch

from omr.batch import ScanOptions, manifest_ref, scan
from omr.inputs import plan_file
from omr.results import SheetResult
from omr.results_folder import RESULTS_CSV, RESULTS_JSONL, annotation_name
from omr.worker import read_job


@pytest.fixture(scope="module")
def batch_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("batch") / "scans"
    write_batch(folder)
    return folder


@pytest.fixture
def scans(tmp_path: Path, batch_folder: Path) -> Path:
    copy = tmp_path / "scans"
    shutil.copytree(batch_folder, copy)
    return copy


def _cells(answers: dict[int, str]) -> list[str]:
    return [answers.get(q, "") for q in range(1, QUESTIONS + 1)]


def _records(out: Path) -> list[SheetResult]:
    lines = (out / RESULTS_JSONL).read_text(encoding="utf-8").splitlines()
    return [SheetResult.model_validate_json(line) for line in lines]


def test_mixed_batch_reads_everything_and_reports_bad_files(
    scans: Path, package: Path, tmp_path: Path
) -> None:
    out = tmp_path / "results"
    seen: list[tuple[int, int]] = []
    summary = scan(ScanOptions([scans], package, out, workers=1), lambda d, t: seen.append((d, t)))
    assert summary.errors == [
        f"{scans / 'notes.txt'}: not a PNG, JPEG, TIFF or PDF file",
        f"{scans / 'broken.jpg'}: JPEG data is truncated (no end marker) (rescan it)",
    ]
    assert summary.pages == 6 and seen[-1] == (7, 7)  # 6 pages read + the broken JPEG
    assert summary.totals is not None
    assert (summary.totals.read, summary.totals.flagged, summary.totals.refused) == (6, 0, 0)
    rows = (out / RESULTS_CSV).read_text(encoding="utf-8").splitlines()
    header = "file,page,test,variant,respondent,status,reason," + ",".join(
        f"q{q}" for q in range(1, QUESTIONS + 1)
    )
    assert rows[0] == header
    body = {tuple(r.split(",")[:5]): r.split(",")[5:] for r in rows[1:]}

    def row(name: str, page: int, variant: int, respondent: str) -> list[str]:
        return body[(str(scans / name), str(page), "t-2026", str(variant), respondent)]

    assert row("sub/one.png", 1, 1, "100001") == ["ok", "", *_cells(BATCH_ANSWERS[1])]
    assert row("sub/two.jpg", 1, 2, "100002") == ["ok", "", *_cells(BATCH_ANSWERS[2])]
    assert row("three.tif", 1, 1, "100003") == ["ok", "", *_cells(BATCH_ANSWERS[3])]
    assert row("three.tif", 2, 2, "100004") == ["ok", "", *_cells(BATCH_ANSWERS[4])]
    assert row("scan.pdf", 1, 1, "100005") == ["ok", "", *_cells(BATCH_ANSWERS[1])]
    assert row("form.pdf", 1, 2, "555555") == ["ok", "", "B", "C", *[""] * (QUESTIONS - 2)]
    records = _records(out)
    assert [r.channel for r in records].count("electronic") == 1
    assert len({r.source.sha256 for r in records}) == 6


def test_rerun_skips_what_was_read_and_changes_nothing(
    scans: Path, package: Path, tmp_path: Path
) -> None:
    out = tmp_path / "results"
    scan(ScanOptions([scans], package, out, workers=1))
    before = {name: (out / name).read_bytes() for name in (RESULTS_JSONL, RESULTS_CSV)}
    again = scan(ScanOptions([scans], package, out, workers=1))
    assert (again.pages, again.skipped, len(again.errors)) == (0, 6, 2)
    assert {name: (out / name).read_bytes() for name in before} == before
    forced = scan(ScanOptions([scans], package, out, workers=1, force=True))
    assert (forced.pages, forced.skipped) == (6, 0)
    assert {name: (out / name).read_bytes() for name in before} == before


def test_killed_run_resumes_with_nothing_lost_or_doubled(
    scans: Path, package: Path, tmp_path: Path
) -> None:
    full = tmp_path / "full"
    scan(ScanOptions([scans], package, full, workers=1))
    killed = tmp_path / "killed"
    killed.mkdir()
    lines = (full / RESULTS_JSONL).read_text(encoding="utf-8").splitlines(keepends=True)
    # two sheets written, the third cut off mid-line by the kill
    (killed / RESULTS_JSONL).write_text("".join(lines[:2]) + lines[2][:40], encoding="utf-8")
    resumed = scan(ScanOptions([scans], package, killed, workers=1))
    assert (resumed.pages, resumed.skipped) == (4, 2)
    assert (killed / RESULTS_JSONL).read_bytes() == (full / RESULTS_JSONL).read_bytes()
    assert (killed / RESULTS_CSV).read_bytes() == (full / RESULTS_CSV).read_bytes()


def test_process_pool_gives_the_same_files_as_one_process(
    scans: Path, package: Path, tmp_path: Path
) -> None:
    one, pool = tmp_path / "one", tmp_path / "pool"
    scan(ScanOptions([scans], package, one, workers=1))
    summary = scan(ScanOptions([scans], package, pool, workers=2))
    assert len(summary.errors) == 2
    for name in (RESULTS_JSONL, RESULTS_CSV):
        assert (one / name).read_bytes() == (pool / name).read_bytes()


def test_same_sheet_twice_is_one_result_and_different_marks_a_conflict(
    package: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    first = sheet_image(BATCH_ANSWERS[1], "200001")
    cv2.imwrite(str(folder / "a.png"), first)
    ok, jpeg = cv2.imencode(".jpg", first, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    (folder / "b-rescan.jpg").write_bytes(jpeg.tobytes())  # same sheet, scanned again
    cv2.imwrite(str(folder / "c.png"), sheet_image(BATCH_ANSWERS[3], "200002"))
    cv2.imwrite(str(folder / "d-changed.png"), sheet_image(BATCH_ANSWERS[4], "200002"))
    out = tmp_path / "results"
    summary = scan(ScanOptions([folder], package, out, workers=1))
    assert summary.totals is not None
    assert (summary.totals.read, summary.totals.flagged, summary.totals.duplicates) == (1, 2, 1)
    by_file = {Path(r.source.file).name: r for r in _records(out)}
    assert by_file["b-rescan.jpg"].duplicate_of == by_file["a.png"].source
    assert by_file["b-rescan.jpg"].flags == [f"duplicate of {folder / 'a.png'} p.1 (same marks)"]
    for name, other in (("c.png", "d-changed.png"), ("d-changed.png", "c.png")):
        record = by_file[name]
        assert record.status == "flagged"
        assert record.flags == [
            f"conflict: same sheet scanned again with different marks ({folder / other} p.1)"
        ]
    csv_files = [r.split(",")[0] for r in (out / RESULTS_CSV).read_text().splitlines()[1:]]
    assert sorted(Path(f).name for f in csv_files) == ["a.png", "c.png", "d-changed.png"]
    # both readings of the conflict are pictured, each headed by its conflict (though each read
    # well); the plain duplicate is not
    conflicts = [by_file[n] for n in ("c.png", "d-changed.png")]
    pictures = {p.name: p.read_bytes() for p in (out / "annotated").iterdir()}
    assert sorted(pictures) == sorted(annotation_name(r) for r in conflicts)
    _, ref = manifest_ref(package)
    for record in conflicts:
        (job,) = plan_file(Path(record.source.file))
        as_read = record.model_copy(update={"status": "ok", "flags": []})
        headed = read_job(job, ref, annotate_as=record).annotated
        assert headed is not None and headed != read_job(job, ref, annotate_as=as_read).annotated
        assert pictures[annotation_name(record)] == headed
    # finalising again (a re-run) derives the same flags, never stacks them, and rewrites a
    # conflict page's image (an older one would not name the conflict)
    stale = out / "annotated" / annotation_name(by_file["c.png"])
    stale.write_bytes(b"older picture")
    scan(ScanOptions([folder], package, out, workers=1))
    assert [r.flags for r in _records(out)] == [by_file[n].flags for n in sorted(by_file)]
    assert stale.read_bytes() == pictures[stale.name]
    # a copy whose file has gone since keeps its record; only the other is pictured
    shutil.rmtree(out / "annotated")
    (folder / "d-changed.png").unlink()
    scan(ScanOptions([folder], package, out, workers=1))
    assert [r.flags for r in _records(out)] == [by_file[n].flags for n in sorted(by_file)]
    assert [p.name for p in (out / "annotated").iterdir()] == [stale.name]


def test_refused_and_flagged_sheets_get_annotated_images(package: Path, tmp_path: Path) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    cv2.imwrite(str(folder / "other.png"), sheet_image({1: "A"}, "300001", test_id="x-2026"))
    cv2.imwrite(str(folder / "noid.png"), sheet_image({1: "A"}, ""))
    cv2.imwrite(str(folder / "fine.png"), sheet_image({1: "A"}, "300002"))
    out = tmp_path / "results"
    summary = scan(ScanOptions([folder], package, out, workers=1))
    assert summary.totals is not None
    assert (summary.totals.read, summary.totals.flagged, summary.totals.refused) == (1, 1, 1)
    names = sorted(p.name.split("-p1-")[0] for p in (out / "annotated").iterdir())
    assert names == ["noid", "other"]
    refused = next(r for r in _records(out) if r.status == "refused")
    assert refused.reason.startswith("sheet belongs to test 'x-2026'")
    json.loads((out / RESULTS_JSONL).read_text().splitlines()[0])


def _deep_fields_pdf(path: Path, depth: int = 3000) -> None:
    """A PDF whose form field tree is a chain ``depth`` fields deep (pypdf recurses into it)."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    child = writer._add_object(DictionaryObject({NameObject("/T"): TextStringObject("leaf")}))
    for k in range(depth):
        node = DictionaryObject(
            {NameObject("/T"): TextStringObject(f"f{k}"), NameObject("/Kids"): ArrayObject([child])}
        )
        child = writer._add_object(node)
    form = DictionaryObject({NameObject("/Fields"): ArrayObject([child])})
    writer._root_object[NameObject("/AcroForm")] = writer._add_object(form)
    with path.open("wb") as handle:
        writer.write(handle)


def _encrypted_copy(source: Path, target: Path) -> None:
    """``source`` with an owner password only (RC4): opens without a password, as many
    scanner PDFs do."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    with target.open("wb") as handle:
        writer.write(handle)


def test_hostile_pdfs_are_their_own_error_and_the_batch_goes_on(
    scans: Path, package: Path, tmp_path: Path
) -> None:
    _deep_fields_pdf(scans / "deep.pdf")
    _encrypted_copy(scans / "scan.pdf", scans / "locked.pdf")
    (scans / "scan.pdf").unlink()
    out = tmp_path / "results"
    summary = scan(ScanOptions([scans], package, out, workers=1))
    deep = [e for e in summary.errors if e.startswith(str(scans / "deep.pdf"))]
    assert deep == [f"{scans / 'deep.pdf'}: PDF structure is nested too deeply to read"]
    records = _records(out)
    locked = [r for r in records if r.source.file.endswith("locked.pdf")]
    assert [(r.status, r.respondent) for r in locked] == [("ok", "100005")]
    assert summary.totals is not None and summary.totals.read == 6


def _sheet_folder(folder: Path, count: int, answers: dict[int, str], prefix: str) -> Path:
    """``count`` filled sheets ``sNN.png`` whose respondents are ``prefix`` + NN."""
    folder.mkdir()
    for k in range(count):
        cv2.imwrite(str(folder / f"s{k:02d}.png"), sheet_image(answers, f"{prefix}{k:02d}"))
    return folder


def _wait_for_first_result(process: subprocess.Popen[bytes], out: Path) -> None:
    """Until the running scan has saved its first sheet (it must not have ended)."""
    deadline = time.monotonic() + 60
    while not (out / RESULTS_JSONL).is_file() or not (out / RESULTS_JSONL).stat().st_size:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)


def _omr() -> str:
    import sys

    return str(Path(sys.executable).with_name("omr"))


def test_two_scans_into_one_folder_one_waits_and_kill_9_loses_nothing(
    package: Path, tmp_path: Path
) -> None:
    import os
    import signal
    import subprocess

    folder = _sheet_folder(tmp_path / "scans", 40, {1: "A"}, "1000")
    out = tmp_path / "results"
    argv = [_omr(), "scan", str(folder), "--test", str(package), "--out", str(out)]
    first = subprocess.Popen(
        [*argv, "--workers", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        _wait_for_first_result(first, out)
        second = subprocess.run([*argv, "--workers", "1"], capture_output=True, text=True)
        assert second.returncode == 4
        assert second.stderr.startswith(
            f"Error: {out}: another `omr scan` is writing to this results folder (process "
        )
        os.kill(first.pid, signal.SIGKILL)  # the lock dies with the process
    finally:
        first.kill()
        first.wait()
    again = subprocess.run([*argv, "--workers", "2"], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    records = _records(out)
    assert sorted(r.respondent for r in records) == [f"1000{k:02d}" for k in range(40)]


def test_killing_the_scan_kills_its_workers(package: Path, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess

    import psutil

    folder = _sheet_folder(tmp_path / "scans", 60, {1: "B"}, "2000")
    out = tmp_path / "results"
    argv = [_omr(), "scan", str(folder), "--test", str(package), "--out", str(out)]
    main = subprocess.Popen(
        [*argv, "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        _wait_for_first_result(main, out)
        helpers = psutil.Process(main.pid).children(recursive=True)
        assert helpers  # the forkserver and its workers
        os.kill(main.pid, signal.SIGKILL)
    finally:
        main.kill()
        main.wait()
    _, alive = psutil.wait_procs(helpers, timeout=10)
    assert alive == []


def test_a_full_disk_during_a_scan_is_one_line_and_a_rerun_finishes(
    package: Path, tmp_path: Path
) -> None:
    import resource
    import subprocess

    folder = _sheet_folder(tmp_path / "scans", 30, {2: "C"}, "3000")
    out = tmp_path / "results"
    argv = [
        _omr(),
        "scan",
        str(folder),
        "--test",
        str(package),
        "--out",
        str(out),
        "--workers",
        "1",
    ]

    def small_disk() -> None:  # files this process writes stop growing at 20 kB (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    full = subprocess.run(argv, capture_output=True, text=True, preexec_fn=small_disk)
    assert full.returncode == 4, full.stderr
    [line] = full.stderr.splitlines()
    assert line.startswith(f"Error: {out}: cannot write the results (File too large) (free ")
    again = subprocess.run(argv, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert sorted(r.respondent for r in _records(out)) == [f"3000{k:02d}" for k in range(30)]
