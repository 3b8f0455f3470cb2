"""The whole day end to end, as ``make demo`` runs it, on a small test and roster.

Each step is the installed command in a subprocess (testgen build, omr scan, scoring import,
scoring report); only the inputs are generated. This is the test that keeps ``make demo``
working.
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import yaml
from pypdf import PdfReader

from common.roster import load_roster
from demo.paths import SAMPLE_ROSTER, SAMPLE_TESTS_DIR
from demo.session import run_session

TASKS = 8
TEACHERS = 8


def _small_inputs(folder: Path) -> tuple[Path, Path]:
    """The sample mathematics test cut to its first tasks, and eight of its teachers."""
    data = yaml.safe_load((SAMPLE_TESTS_DIR / "math-2026-acceptance.yaml").read_text("utf-8"))
    for source in data["sources"].values():
        source["tasks"] = source["tasks"][:TASKS]
        source["groups"] = []
    data["id"] = "math-mini"
    spec = folder / "math-mini.yaml"
    spec.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    lines = SAMPLE_ROSTER.read_text(encoding="utf-8").splitlines()
    maths = [line for line in lines[1:] if ",mathematics," in line][:TEACHERS]
    roster = folder / "roster.csv"
    roster.write_text("\n".join([lines[0], *maths]) + "\n", encoding="utf-8")
    return spec, roster


def test_the_day_from_spec_to_reports(tmp_path: Path) -> None:
    spec, roster = _small_inputs(tmp_path)
    work = tmp_path / "day"
    times, reports = run_session(work, spec=spec, roster=roster, workers=1, seed=7)

    labels = [label for label, _ in times.steps]
    assert labels[0] == "testgen build" and labels[-1] == "scoring report"
    teachers, _ = load_roster(roster)
    scanned = list(csv.DictReader((work / "results" / "math-mini" / "results.csv").open()))
    assert len(scanned) == round(TEACHERS * 0.75)
    assert {row["respondent"] for row in scanned} <= {t.id for t in teachers}

    with sqlite3.connect(work / "monitoring.db") as con:
        channels = dict(
            con.execute("SELECT channel, COUNT(*) FROM attempts GROUP BY channel").fetchall()
        )
    assert channels == {"live": len(scanned), "remote": TEACHERS - len(scanned)}

    for teacher in teachers:
        pdf = reports / "teachers" / f"{teacher.id}.pdf"
        text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
        assert teacher.name in text
        others = [t for t in teachers if t.id != teacher.id]
        assert not any(t.name in text for t in others)
    assert (reports / "site" / "index.html").is_file()
    assert (reports / "summary.pdf").is_file()
