"""Imports of hand-written exports (tests/scoring/fixtures) against the small test."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from scoring_helpers import FIXTURES, merged_rows, sheet_line

from common.errors import ImportFailed
from scoring.analysis import load_results, teacher_results
from scoring.imports import detect_format
from scoring.imports._table import read_table, unguard
from scoring.ingest import import_files
from scoring.store import Store
from scoring.timeparse import sortable_time


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("moodle-responses-en.csv", "moodle-responses"),
        ("moodle-responses-ru.csv", "moodle-responses"),
        ("moodle-grades-en.csv", "moodle-grades"),
        ("google-forms.csv", "google-forms"),
        ("ms-forms.csv", "ms-forms"),
        ("plain.csv", "csv"),
    ],
)
def test_format_is_detected(name: str, fmt: str) -> None:
    assert detect_format(FIXTURES / name) == fmt


def test_moodle_responses_english(store: Store, test_dir: Path) -> None:
    report = import_files(store, [FIXTURES / "moodle-responses-en.csv"], test_dir)
    f = report.files[0]
    assert (f.format, f.form, f.new, f.unchanged) == ("moodle-responses", "A", 4, 0)
    path = FIXTURES / "moodle-responses-en.csv"
    assert f.problems == [
        f"{path}: row 5: unknown teacher 999999 / jane@nowhere.org / Doe Jane, skipped "
        "(check the ID, e-mail or name)",
        f"{path}: row 6: attempt not finished (In progress), skipped",
        f"{path}: row 7: question 2: answer 'x = 3' matches no option; kept as unmatched",
    ]
    rows = merged_rows(store)
    assert rows["100001"] == ("A", ("C", "B", "AC", "B"), 4.0)
    # matched by e-mail; spacing normalised; "'-" is Moodle's guarded "-" = no answer
    assert rows["100002"] == ("A", ("C", "A", "B", ""), 1.0)
    # case-insensitive; several choices in another order
    assert rows["100005"] == ("A", ("D", "B", "AC", "D"), 2.0)
    assert rows["100004"] == ("A", ("C", "?", "", "C"), 1.0)


def test_moodle_responses_russian_bom_semicolons(store: Store, test_dir: Path) -> None:
    report = import_files(store, [FIXTURES / "moodle-responses-ru.csv"], test_dir)
    assert (report.files[0].form, report.files[0].new, report.files[0].problems) == ("B", 3, [])
    rows = merged_rows(store)
    # "'-3" unguarded to "-3"; "Шар; Конус" two choices; quotes ignored in «Прямой»
    assert rows["100003"] == ("B", ("A", "B", "BD", "C"), 4.0)
    assert rows["100006"] == ("B", ("B", "B", "A", "A"), 1.0)  # no e-mail: matched by ID
    assert rows["200001"] == ("B", ("D", "C", "C", ""), 0.0)


def test_moodle_grades_right_or_wrong_and_overall_average(store: Store, test_dir: Path) -> None:
    report = import_files(store, [FIXTURES / "moodle-grades-en.csv"], test_dir)
    assert (report.files[0].new, report.files[0].problems) == (2, [])  # average row skipped
    results = {r.teacher_id: r for r in teacher_results(load_results(store, "math-2026-acc"))}
    ivanova = results["100001"]
    assert [q.state for q in ivanova.questions] == ["marked", "marked", "incorrect", "marked"]
    assert ivanova.score == 3.0  # 0.50 on a two-answer task is not full marks
    assert [q.state for q in results["100002"].questions] == [
        "incorrect",
        "marked",
        "blank",
        "incorrect",
    ]
    assert results["100002"].score == 1.0


def test_google_forms_variant_detected_from_texts(store: Store, test_dir: Path) -> None:
    report = import_files(store, [FIXTURES / "google-forms.csv"], test_dir)
    assert (report.files[0].form, report.files[0].new) == ("V2", 2)
    rows = merged_rows(store)
    assert rows["100004"] == ("V2", ("C", "A", "AB", "C"), 3.0)  # "Шар, Конус" -> AB
    assert rows["100005"] == ("V2", ("A", "", "D", "B"), 1.0)  # e-mail case ignored


def test_ms_forms(store: Store, test_dir: Path) -> None:
    report = import_files(store, [FIXTURES / "ms-forms.csv"], test_dir)
    assert report.files[0].new == 1
    assert len(report.files[0].problems) == 1
    assert merged_rows(store)["100003"] == ("A", ("C", "B", "AC", "A"), 3.0)


def test_plain_csv_letters_variants_and_lookalikes(store: Store, test_dir: Path) -> None:
    report = import_files(store, [FIXTURES / "plain.csv"], test_dir)
    path = FIXTURES / "plain.csv"
    assert report.files[0].problems == [
        f"{path}: row 4: question 4: 'Z' is not an option letter, row skipped"
    ]
    rows = merged_rows(store)
    assert rows["100001"] == ("V1", ("A", "D", "AC", "C"), 4.0)
    assert rows["100002"] == ("V2", ("C", "A", "AB", ""), 3.0)  # Cyrillic С, lower-case a
    assert rows["100004"] == ("A", ("C", "B", "AC", "B"), 4.0)


def test_xlsx_with_russian_headers(store: Store, test_dir: Path, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Табельный номер", "Вариант", "Задание 1", "Задание 2", "Задание 3", "Задание 4"])
    sheet.append([100003, 2, "C", "A", "A,B", "B"])
    sheet.append(["sidorova@school2.ru", "B", "A", "B", "BD", "D"])
    sheet.append([999, 1, "A", "A", "A", "A"])
    path = tmp_path / "results.xlsx"
    book.save(path)
    report = import_files(store, [path], test_dir)
    assert report.files[0].format == "csv"
    assert report.files[0].new == 2
    assert report.files[0].problems == [
        f"{path}: row 4: unknown teacher 999, skipped (check the ID, e-mail or name)"
    ]
    # rows 2 (by ID) and 3 (by e-mail) are both teacher 100003: the first attempt counts
    # by default, the later one with --attempts last; both say which
    assert merged_rows(store)["100003"] == ("V2", ("C", "A", "AB", "B"), 4.0)
    assert [s.describe() for s in report.several] == [
        f"teacher 100003: 2 online attempts; {path} row 2 counts (--attempts first)"
    ]
    again = import_files(store, [path], test_dir, attempts="last")
    assert again.attempts == "last"
    assert merged_rows(store)["100003"] == ("B", ("A", "B", "BD", "D"), 3.0)


def test_omr_results(store: Store, test_dir: Path, tmp_path: Path) -> None:
    lines = [
        sheet_line("math-2026-acc", 1, "100001", ["A", "D", "AC", "C"], file="s1.png"),
        sheet_line(
            "math-2026-acc",
            2,
            "100002",
            ["C", "?", "AB", "A"],
            file="s2.png",
            flags=("question 2: ambiguous",),
        ),
        sheet_line("math-2026-acc", 2, None, ["C", "A", "AB", "A"], file="s3.png"),
        sheet_line("other-test", 1, "100003", ["A", "A", "A", "A"], file="s4.png"),
        sheet_line("math-2026-acc", 1, "100003", [], file="s5.png", status="refused"),
        "{not json",
    ]
    path = tmp_path / "results.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_files(store, [path], test_dir)
    f = report.files[0]
    assert (f.format, f.new) == ("omr", 2)
    assert [p.split(": ", 2)[1] for p in f.problems] == ["line 3", "line 4", "line 5", "line 6"]
    results = {r.teacher_id: r for r in teacher_results(load_results(store, "math-2026-acc"))}
    assert results["100001"].channel == "live"
    assert results["100001"].score == 4.0
    assert results["100002"].answers == ("C", "?", "AB", "A")
    assert results["100002"].questions[1].state == "ambiguous"
    assert results["100002"].score == 2.0
    assert results["100002"].flags == ("question 2: ambiguous",)


def test_reimport_adds_nothing(store: Store, test_dir: Path) -> None:
    files = sorted(FIXTURES.glob("*.csv"))
    first = import_files(store, files, test_dir)
    before = merged_rows(store)
    again = import_files(store, files, test_dir)
    assert [f.new for f in again.files] == [0] * len(files)
    assert [f.unchanged for f in again.files] == [f.new for f in first.files]
    assert merged_rows(store) == before


def test_reexport_with_more_rows_adds_only_the_new(
    store: Store, test_dir: Path, tmp_path: Path
) -> None:
    src = FIXTURES / "moodle-responses-ru.csv"
    head = tmp_path / "early.csv"
    lines = src.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    head.write_text("".join(lines[:3]), encoding="utf-8")
    assert import_files(store, [head], test_dir).files[0].new == 2
    full = tmp_path / "full.csv"
    shutil.copy(src, full)
    f = import_files(store, [full], test_dir).files[0]
    assert (f.new, f.unchanged) == (1, 2)


def test_unguard_only_formula_starts() -> None:
    assert [unguard(c) for c in ["'-", "'=A1", "'+7", "'@x", "'text", "-"]] == [
        "-",
        "=A1",
        "+7",
        "@x",
        "'text",
        "-",
    ]


def test_cp1251_csv_is_read(tmp_path: Path) -> None:
    path = tmp_path / "ansi.csv"
    path.write_bytes("ID;Вариант;1\n100001;1;А\n".encode("cp1251"))
    assert read_table(path) == [["ID", "Вариант", "1"], ["100001", "1", "А"]]


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as info:
        detect_format(path)
    assert str(info.value) == (
        f"{path}: cannot tell the export format from the header row (name it with --format "
        "(omr, moodle-responses, moodle-grades, google-forms, ms-forms, csv))"
    )


def test_texts_of_another_test_are_refused(store: Store, test_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text(
        "Surname,First name,ID number,State,Response 1,Response 2,Response 3,Response 4\n"
        "Иванова,Анна,100001,Finished,Paris,London,Rome,Berlin\n",
        encoding="utf-8",
    )
    report = import_files(store, [path], test_dir)
    assert report.nothing_imported
    assert report.files[0].refused == (
        f"{path}: no answer text matches the options of test math-2026-acc (versions A, B or "
        "any variant) (check that the export belongs to this test)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("23 November 2026  10:21 AM", "2026-11-23T10:21:00"),
        ("23 November 2026, 12:05 PM", "2026-11-23T12:05:00"),
        ("23 ноября 2026  10:25", "2026-11-23T10:25:00"),
        ("2026/11/23 10:15:02 PM GMT+3", "2026-11-23T22:15:02"),
        ("11/23/26 10:20:44", "2026-11-23T10:20:44"),
        ("23.11.2026 09:05", "2026-11-23T09:05:00"),
        ("вчера", None),
        ("", None),
    ],
)
def test_completion_times_sort(text: str, expected: str | None) -> None:
    assert sortable_time(text) == expected


def test_ms_forms_as_xlsx_reads_like_the_csv(store: Store, test_dir: Path, tmp_path: Path) -> None:
    # Microsoft Forms downloads .xlsx: the same sheet saved as a workbook imports the same
    book = openpyxl.Workbook()
    for row in read_table(FIXTURES / "ms-forms.csv"):
        book.active.append(row)
    path = tmp_path / "ms-forms.xlsx"
    book.save(path)
    assert detect_format(path) == "ms-forms"
    report = import_files(store, [path], test_dir)
    assert (report.files[0].new, len(report.files[0].problems)) == (1, 1)
    assert merged_rows(store)["100003"] == ("A", ("C", "B", "AC", "A"), 3.0)
