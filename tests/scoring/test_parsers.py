"""Each export parser on its own, without the store: one tiny exact file per format in,
records out (printed letters and states per question)."""

from __future__ import annotations

from pathlib import Path

import pytest
from online_exports import (
    Attempt,
    google_forms,
    moodle_grades,
    moodle_responses,
    ms_forms,
    write_moodle_csv,
    write_plain_csv,
    write_xlsx_inline,
)
from scoring_helpers import ROSTER, sheet_line

from common.roster import parse_roster
from scoring.forms import TestForms
from scoring.imports import PARSERS
from scoring.imports.base import ImportContext
from testgen.manifest import Manifest

RIGHT = ["4", "x = 2", ["Квадрат", "Ромб"], "180°"]
STEMS = [
    "Сколько будет 2 + 2?",
    "Решите уравнение 2x = 4",
    "Какие фигуры являются четырёхугольниками?",
    "Сумма углов треугольника",
]


@pytest.fixture
def ctx(small_manifest: Manifest) -> ImportContext:
    teachers, _ = parse_roster(ROSTER)
    return ImportContext(TestForms(small_manifest), {t.id: t for t in teachers})


def _file(fmt: str, tmp_path: Path) -> Path:
    who = Attempt("Иванова", "Анна", "ivanova@school1.ru", responses=RIGHT)  # type: ignore[arg-type]
    if fmt == "moodle-responses":
        return write_moodle_csv(moodle_responses([who]), tmp_path / "r.csv")
    if fmt == "moodle-grades":
        who.marks = [1.0, 1.0, 1.0, 1.0]
        return write_moodle_csv(moodle_grades([who], [1.0] * 4), tmp_path / "g.csv")
    if fmt == "google-forms":
        rows = google_forms(STEMS, [{"email": "ivanova@school1.ru"}], [RIGHT])  # type: ignore[list-item]
        return write_plain_csv(rows, tmp_path / "g.csv")
    if fmt == "ms-forms":
        rows = ms_forms(STEMS, [{"email": "ivanova@school1.ru"}], [RIGHT])  # type: ignore[list-item]
        return write_xlsx_inline(rows, tmp_path / "m.xlsx")
    if fmt == "csv":
        return write_plain_csv([["ID", "1", "2", "3", "4"], ["100001", "C", "B", "A,C", "B"]],
                               tmp_path / "p.csv")  # fmt: skip
    path = tmp_path / "results.jsonl"
    path.write_text(sheet_line("math-2026-acc", 1, "100001", ["A", "D", "AC", "C"]) + "\n")
    return path


@pytest.mark.parametrize(
    ("fmt", "form", "answers"),
    [
        ("moodle-responses", "A", ("C", "B", "AC", "B")),
        ("moodle-grades", "A", ("C", "B", "AC", "B")),
        ("google-forms", "A", ("C", "B", "AC", "B")),
        ("ms-forms", "A", ("C", "B", "AC", "B")),
        ("csv", "A", ("C", "B", "AC", "B")),
        ("omr", "V1", ("A", "D", "AC", "C")),
    ],
)
def test_each_parser_reads_its_tiny_file_exactly(
    ctx: ImportContext, tmp_path: Path, fmt: str, form: str, answers: tuple[str, ...]
) -> None:
    parsed = PARSERS[fmt](_file(fmt, tmp_path), ctx)
    assert parsed.problems == []
    [record] = parsed.records
    assert (record.teacher_id, record.form, record.answers) == ("100001", form, answers)
    assert record.states == ("marked", "marked", "multiple", "marked")
    assert record.channel == ("live" if fmt == "omr" else "remote")
