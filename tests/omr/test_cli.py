"""``omr scan`` through click: one-line errors with exit codes, the summary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
from click.testing import CliRunner
from omr_fixtures import sheet_image

from omr.cli import main

BIN = Path(sys.executable).parent


def test_scan_prints_the_summary(package: Path, tmp_path: Path) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), sheet_image({1: "A"}, "123456"))
    (folder / "empty.png").write_bytes(b"")
    out = tmp_path / "results"
    result = CliRunner().invoke(
        main, ["scan", str(folder), "--test", str(package), "--out", str(out), "--workers", "1"]
    )
    assert result.exit_code == 11, result.output  # a file could not be read; the rest was
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Read 1 page(s) in ")
    assert lines[1] == (f"  results in {out}: 1 read, 0 flagged, 0 refused, 0 duplicates, 1 errors")
    assert lines[2] == f"  error: {folder / 'empty.png'}: file is empty (rescan it)"
    again = CliRunner().invoke(
        main, ["scan", str(folder), "--test", str(package), "--out", str(out), "--workers", "1"]
    )
    assert "skipped 1 already read (use --force to read again)" in again.stdout


def test_missing_input_is_one_line_with_exit_code_2(package: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["scan", str(tmp_path / "nope"), "--test", str(package), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: input not found: {tmp_path / 'nope'} (name scan files or folders)\n"
    )


def test_missing_test_package_is_one_line_with_exit_code_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["scan", str(tmp_path), "--test", str(tmp_path / "build" / "x")]
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {tmp_path / 'build' / 'x'}: test package manifest not found "
        "(run `testgen build` first)\n"
    )


def test_unwritable_output_is_one_line_with_exit_code_4(package: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    scans = tmp_path / "scans"
    scans.mkdir()
    result = CliRunner().invoke(
        main, ["scan", str(scans), "--test", str(package), "--out", str(blocker / "out")]
    )
    assert result.exit_code == 4
    assert result.stderr.startswith(f"Error: {blocker / 'out'}: cannot write the output folder")
    assert len(result.stderr.splitlines()) == 1


def test_unreachable_scheduler_is_one_line(package: Path, tmp_path: Path) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), sheet_image({1: "A"}, "123456"))
    result = CliRunner().invoke(
        main,
        [
            "scan",
            str(folder),
            "--test",
            str(package),
            "--out",
            str(tmp_path / "r"),
            "--scheduler",
            "tcp://127.0.0.1:9",
        ],
    )
    assert result.exit_code == 9
    assert result.stderr.startswith("Error: tcp://127.0.0.1:9: cannot reach the Dask scheduler")
    assert len(result.stderr.splitlines()) == 1


def _scan(folder: Path, package: Path, out: Path):
    return CliRunner().invoke(
        main, ["scan", str(folder), "--test", str(package), "--out", str(out), "--workers", "1"]
    )


def test_sheets_of_another_test_exit_non_zero_saying_why(package: Path, tmp_path: Path) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    for k in range(2):
        image = sheet_image({1: "A"}, f"12345{k}", test_id="other-2026")
        cv2.imwrite(str(folder / f"s{k}.png"), image)
    result = _scan(folder, package, tmp_path / "results")
    assert result.exit_code == 12, result.output  # nothing done
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: no sheet was read: all 2 refused (")
    assert "other-2026" in line
    assert line.endswith("(check --test: the sheets must belong to that test package)")


def test_results_folder_inside_the_scans_is_refused(package: Path, tmp_path: Path) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    result = _scan(folder, package, folder / "results")
    assert result.exit_code == 4
    assert result.stderr == (
        f"Error: the results folder {folder / 'results'} is inside the input folder {folder} "
        "(choose an --out folder outside the scans)\n"
    )
    assert not (folder / "results").exists()


def test_a_named_pipe_among_the_scans_is_listed_and_hangs_nothing(
    package: Path, tmp_path: Path
) -> None:
    import os

    folder = tmp_path / "scans"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), sheet_image({1: "A"}, "123456"))
    os.mkfifo(folder / "pipe.png")
    result = _scan(folder, package, tmp_path / "results")
    assert result.exit_code == 11, result.output  # done with problems
    assert (
        f"  error: {folder / 'pipe.png'}: not a regular file (a named pipe, socket or device)"
        in result.stdout.splitlines()
    )
    assert "1 read" in result.stdout


def test_respondents_file_that_is_not_text_is_one_line(package: Path, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_bytes(b"\xff\xfe\x00\x01")
    result = CliRunner().invoke(
        main, ["simulate", "--test", str(package), "--respondents", str(ids), "--out",
               str(tmp_path / "sim")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"Invalid value for '--respondents': {ids}: not a UTF-8 list of IDs" in result.output


def test_scans_inside_the_results_folder_are_refused(package: Path, tmp_path: Path) -> None:
    out = tmp_path / "results"
    (out / "scans").mkdir(parents=True)
    result = _scan(out / "scans", package, out)
    assert result.exit_code == 4
    assert result.stderr == (
        f"Error: the input {out / 'scans'} is inside the results folder {out} (choose an --out "
        "folder outside the scans)\n"
    )


def test_messages_made_in_worker_processes_speak_russian(tmp_path: Path, package: Path) -> None:
    scans = tmp_path / "scans"
    scans.mkdir()
    (scans / "empty.png").write_bytes(b"")
    (scans / "also-empty.png").write_bytes(b"")
    result = subprocess.run(
        [BIN / "omr", "--lang", "ru", "scan", str(scans), "--test", str(package),
         "--out", str(tmp_path / "results"), "--workers", "2"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 12, result.stderr
    assert result.stdout.count("файл пуст (пересканируйте его)") == 2, result.stdout
    assert "Прочитано страниц: 0" in result.stdout
    assert (
        result.stderr.strip().splitlines()[-1].startswith("Ошибка: не прочитано ни одной страницы")
    )
