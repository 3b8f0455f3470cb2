"""Hostile and broken export files, written here by code, in one ``scoring import`` with a
good export: each is refused with one line saying why, the good one is imported, and the run
stays within a memory limit and a time limit."""

from __future__ import annotations

import resource
import subprocess
import sys
import zipfile
from pathlib import Path

from online_exports import Attempt, moodle_responses, write_moodle_csv

RIGHT = ["4", "x = 2", ["Квадрат", "Ромб"], "180°"]


def _xlsx(path: Path, sheet_xml: str, extra: dict[str, str] | None = None) -> Path:
    files = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.'
        'openxmlformats.org/package/2006/content-types"/>',
        "xl/worksheets/sheet1.xml": sheet_xml,
        **(extra or {}),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def corpus(folder: Path) -> dict[str, str]:
    """File name -> text its refusal must contain."""
    folder.mkdir()
    (folder / "nul.csv").write_bytes(b"ID,1,2,3,4\n100001,A,\x00B,C,D\n")
    (folder / "huge-cell.csv").write_text(
        "Last name,First name,Email address,Status,Response 1\n"
        + "Иванова,Анна,ivanova@school1.ru,Finished,"
        + "x" * 200_000
        + "\n",
        encoding="utf-8",
    )
    (folder / "garbage.csv").write_bytes(bytes(range(256)) * 40)
    (folder / "empty.csv").write_bytes(b"")
    # a zip bomb: a tiny file that declares a gigabyte of sheet XML
    bomb = folder / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "<a>" + " " * (300 << 20) + "</a>")
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{k} "{("&lol" + (str(k - 1) if k > 1 else "") + ";") * 10}">'
            for k in range(1, 10)
        )
        + ']><worksheet><sheetData><row><c t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    _xlsx(folder / "laughs.xlsx", laughs)
    (folder / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 512)
    return {
        "nul.csv": "is not an option letter",
        "huge-cell.csv": "cannot read the CSV",
        "garbage.csv": "",
        "empty.csv": "the file is empty",
        "bomb.xlsx": "more than the 256 MB an export can hold",
        "laughs.xlsx": "cannot read the workbook",
        "old.xls": "old Excel .xls workbooks cannot be read",
    }


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def test_hostile_exports_are_refused_one_line_each_and_the_good_one_imported(
    db: Path, roster_file: Path, test_dir: Path, tmp_path: Path
) -> None:
    expected = corpus(tmp_path / "exports")
    good = write_moodle_csv(
        moodle_responses([Attempt("Иванова", "Анна", "ivanova@school1.ru", responses=RIGHT)]),  # type: ignore[arg-type]
        tmp_path / "exports" / "good.csv",
    )
    scoring = str(Path(sys.executable).with_name("scoring"))
    subprocess.run([scoring, "roster", "import", str(roster_file), "--db", str(db)], check=True,
                   capture_output=True)  # fmt: skip
    files = [str(tmp_path / "exports" / name) for name in expected] + [str(good)]
    done = subprocess.run(
        [scoring, "import", *files, "--test", str(test_dir), "--db", str(db)],
        capture_output=True,
        text=True,
        preexec_fn=_limited,
        timeout=120,
    )
    assert done.returncode == 11, done.stderr  # done with problems
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for name, text in expected.items():
        mine = [line for line in lines if line.startswith(f"{tmp_path / 'exports' / name}: ")]
        assert len(mine) == 1 and ": refused: " in mine[0] and text in mine[0], (name, mine)
    assert f"{good} (moodle-responses, form A): 1 new, 0 unchanged, 0 problem(s)" in lines
    assert done.stderr.splitlines()[-1] == (
        f"Done with problems: {len(expected)} of {len(expected) + 1} file(s) refused; "
        "the rest was imported (see above)"
    )
