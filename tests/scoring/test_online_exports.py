"""Imports of online exports written the way Moodle 4.x, Google Forms and Microsoft Forms
write them (tests/scoring/online_exports.py), against the small test of scoring_helpers."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from click.testing import CliRunner
from online_exports import (
    Attempt,
    google_forms,
    moodle_grades,
    moodle_responses,
    ms_forms,
    write_moodle_csv,
    write_moodle_json,
    write_ods,
    write_plain_csv,
    write_xlsx_inline,
)
from scoring_helpers import SMALL_SPEC, SMALL_VARIANTS, manifest_from_plan, merged_rows

from scoring.cli import main
from scoring.imports import detect_format
from scoring.imports._table import HEADER_BYTES, read_header, read_table
from scoring.ingest import import_files, import_roster
from scoring.store import Store
from testgen.manifest import write_manifest
from testgen.spec import parse_spec

# The small test's version A: what a teacher who knows everything answers.
RIGHT_A: list[str | list[str] | None] = ["4", "x = 2", ["Ромб", "Квадрат"], "180°"]


def _import(store: Store, test_dir: Path, *paths: Path, **options: str):
    report = import_files(store, list(paths), test_dir, **options)  # type: ignore[arg-type]
    return report, report.files[0]


# -- Moodle responses ---------------------------------------------------------------------


def test_moodle_45_english_email_only_imports_finished_attempts_only(
    store: Store, test_dir: Path, tmp_path: Path
) -> None:
    rows = moodle_responses(
        [
            Attempt("Иванова", "Анна", "ivanova@school1.ru", responses=RIGHT_A),
            # a half-done second attempt, later in the file, must not replace the first
            Attempt(
                "Иванова",
                "Анна",
                "ivanova@school1.ru",
                state="inprogress",
                started=(25, 9, 0),
                completed=None,
                responses=["2", None, None, None],
            ),
            Attempt(
                "Петров",
                "Борис",
                "petrov@school1.ru",
                state="overdue",
                completed=None,
                responses=["4", None, None, None],
            ),
            Attempt(
                "Кузнецов",
                "Глеб",
                "kuznetsov@school2.ru",
                state="abandoned",
                completed=None,
                responses=[None] * 4,
            ),
            # another Moodle account: e-mail unknown, the name finds the teacher
            Attempt(
                "Орлова", "Дарья", "d.orlova@gmail.com", responses=["4", "x = 1", ["Круг"], None]
            ),
            Attempt("Doe", "Jane", "jane@nowhere.org", responses=RIGHT_A),
        ]
    )
    path = write_moodle_csv(rows, tmp_path / "quiz-responses.csv")
    assert rows[0][:9] == [
        "Last name",
        "First name",
        "Email address",
        "Status",
        "Started",
        "Completed",
        "Duration",
        "Grade/10.00",
        "Response 1",
    ]
    assert detect_format(path) == "moodle-responses"
    report, f = _import(store, test_dir, path)
    assert (f.format, f.form, f.new) == ("moodle-responses", "A", 2)
    assert f.problems == [
        f"{path}: row 3: attempt not finished (In progress), skipped",
        f"{path}: row 4: attempt not finished (Overdue), skipped",
        f"{path}: row 5: attempt not finished (Never submitted), skipped",
        f"{path}: row 7: unknown teacher jane@nowhere.org / Doe Jane, skipped "
        "(check the ID, e-mail or name)",
    ]
    assert [m.describe() for m in f.matches] == [
        f"{path}: row 2: matched to 100001 Иванова Анна Петровна by e-mail (ivanova@school1.ru)",
        f"{path}: row 6: matched to 100006 Орлова Дарья Сергеевна by name (Орлова Дарья)",
    ]
    scores = merged_rows(store)
    assert scores["100001"] == ("A", ("C", "B", "AC", "B"), 4.0)  # bold "РОМБ" matched too
    assert scores["100006"] == ("A", ("C", "A", "B", ""), 1.0)
    assert set(scores) == {"100001", "100006"}
    assert report.several == []


def test_a_file_without_a_state_column_is_refused(
    store: Store, test_dir: Path, tmp_path: Path
) -> None:
    rows = moodle_responses([Attempt("Иванова", "Анна", "ivanova@school1.ru", responses=RIGHT_A)])
    state = rows[0].index("Status")
    path = write_moodle_csv([r[:state] + r[state + 1 :] for r in rows], tmp_path / "r.csv")
    report, f = _import(store, test_dir, path)
    assert f.refused == (
        f"{path}: no attempt state column (Status / State / Состояние), so unfinished attempts "
        "cannot be told from finished ones (download the report again with the attempt state "
        "shown)"
    )
    assert report.nothing_imported


def test_cli_says_nothing_was_imported_and_exits_non_zero(
    db: Path, roster_file: Path, test_dir: Path, tmp_path: Path
) -> None:
    rows = moodle_responses(
        [Attempt("Иванова", "Анна", "x@y.z", state="inprogress", completed=None, responses=RIGHT_A)]
    )
    path = write_moodle_csv(rows, tmp_path / "r.csv")
    runner = CliRunner()
    assert (
        runner.invoke(main, ["roster", "import", str(roster_file), "--db", str(db)]).exit_code == 0
    )
    result = runner.invoke(main, ["import", str(path), "--test", str(test_dir), "--db", str(db)])
    assert result.exit_code == 12, result.output  # nothing done
    assert result.output.splitlines()[-1] == (
        "Error: nothing was imported (see the problems above; check --test, the roster and "
        "the export)"
    )


def test_unfinished_then_finished_in_a_later_download(
    store: Store, test_dir: Path, tmp_path: Path
) -> None:
    early = Attempt(
        "Петров",
        "Борис",
        "petrov@school1.ru",
        state="inprogress",
        completed=None,
        responses=["2", None, None, None],
    )
    first = write_moodle_csv(moodle_responses([early]), tmp_path / "early.csv")
    assert _import(store, test_dir, first)[0].nothing_imported
    done = Attempt(
        "Петров", "Борис", "petrov@school1.ru", completed=(24, 10, 50), responses=RIGHT_A
    )
    later = write_moodle_csv(moodle_responses([done]), tmp_path / "later.csv")
    _, f = _import(store, test_dir, later)
    assert f.new == 1
    assert merged_rows(store)["100002"][2] == 4.0


@pytest.mark.parametrize(("rule", "score"), [("first", 4.0), ("last", 1.0), ("highest", 4.0)])
def test_attempt_rule_decides_between_finished_attempts(
    store: Store, test_dir: Path, tmp_path: Path, rule: str, score: float
) -> None:
    attempts = [
        # listed out of order: the completion time decides, not the row
        Attempt(
            "Петров",
            "Борис",
            "petrov@school1.ru",
            started=(25, 9, 0),
            completed=(25, 9, 30),
            responses=["4", "x = 1", ["Круг"], None],
        ),
        Attempt(
            "Петров",
            "Борис",
            "petrov@school1.ru",
            started=(24, 9, 0),
            completed=(24, 9, 30),
            responses=RIGHT_A,
        ),
    ]
    path = write_moodle_csv(moodle_responses(attempts), tmp_path / "r.csv")
    report, _ = _import(store, test_dir, path, attempts=rule)
    assert merged_rows(store)["100002"][2] == score
    [several] = report.several
    assert several.count == 2
    assert several.describe().endswith(f"counts (--attempts {rule})")


def test_an_untimed_attempt_never_passes_for_the_latest(
    store: Store, test_dir: Path, tmp_path: Path
) -> None:
    timed = write_moodle_csv(
        moodle_responses([Attempt("Петров", "Борис", "petrov@school1.ru", responses=RIGHT_A)]),
        tmp_path / "moodle.csv",
    )
    untimed = write_plain_csv(
        [["ID", "1", "2", "3", "4"], ["100002", "A", "A", "A", "A"]], tmp_path / "plain.csv"
    )
    _import(store, test_dir, timed, attempts="last")
    _import(store, test_dir, untimed)  # imported later, no completion time
    assert merged_rows(store)["100002"][2] == 4.0


def test_moodle_45_russian_with_id_number(store: Store, test_dir: Path, tmp_path: Path) -> None:
    rows = moodle_responses(
        [
            Attempt(
                "Сидорова",
                "Вера",
                "",
                idnumber="100003",
                responses=["6", "\u22123", ["Шар", "Конус"], "«Прямой»"],
            ),
            Attempt(
                "Кузнецов",
                "Глеб",
                "kuznetsov@school2.ru",
                idnumber="",
                responses=["7", None, ["Куб"], "Острый"],
            ),
            Attempt(
                "Орлова", "Дарья", "", state="inprogress", completed=None, responses=[None] * 4
            ),
        ],
        version="ru-4.5",
        identity=("email", "idnumber"),
        grades=[7.5, 0.0, None],
    )
    assert rows[0][:10] == [
        "Фамилия",
        "Имя",
        "Адрес электронной почты",
        "Индивидуальный номер",
        "Состояние",
        "Тест начат",
        "Завершено",
        "Затраченное время",
        "Оценка/10,00",
        "Ответ 1",
    ]
    path = write_moodle_csv(rows, tmp_path / "ответы.csv")
    _, f = _import(store, test_dir, path)
    assert (f.form, f.new) == ("B", 2)
    assert f.problems == [f"{path}: row 4: attempt not finished (В процессе), skipped"]
    assert [m.describe() for m in f.matches] == [
        f"{path}: row 3: matched to 100004 Кузнецов Глеб Андреевич by e-mail (kuznetsov@school2.ru)"
    ]
    scores = merged_rows(store)
    # "−3" (U+2212) is the option "-3"; «Прямой» matches the option written «Прямой»
    assert scores["100003"] == ("B", ("A", "B", "BD", "C"), 4.0)
    assert scores["100004"] == ("B", ("B", "", "A", "A"), 0.0)


def test_moodle_41_headers_and_question_columns(
    store: Store, test_dir: Path, tmp_path: Path
) -> None:
    rows = moodle_responses(
        [Attempt("Smith", "John", "john.smith@gmail.com", responses=RIGHT_A)],
        version="en-4.1",
        questions=["Сколько будет 2 + 2?: 2; 3; 4; 5", "q2", "q3", "q4"],
        right_answers=["4", "x = 2", "Квадрат; Ромб", "180°"],
    )
    assert "State" in rows[0] and "Started on" in rows[0] and "Right answer 1" in rows[0]
    path = write_moodle_csv(rows, tmp_path / "r.csv")
    _, f = _import(store, test_dir, path)
    assert (f.new, f.problems) == (1, [])
    assert merged_rows(store)["100005"][2] == 4.0


def test_moodle_right_answer_other_than_the_key_is_a_problem(
    store: Store, test_dir: Path, tmp_path: Path
) -> None:
    rows = moodle_responses(
        [Attempt("Иванова", "Анна", "ivanova@school1.ru", responses=RIGHT_A)],
        right_answers=["4", "x = 1", "Квадрат; Ромб", "180°"],
    )
    path = write_moodle_csv(rows, tmp_path / "r.csv")
    _, f = _import(store, test_dir, path)
    assert f.problems == [
        f"{path}: question 2: Moodle's right answer 'x = 1' is A, the test's key is B "
        "(check the quiz or the form)"
    ]


def test_typography_is_folded_before_matching(store: Store, test_dir: Path, tmp_path: Path) -> None:
    responses: list[str | list[str] | None] = ["4", "x\u00a0=\u00a02", ["Ромб", "Квадрат"], "180°"]
    other: list[str | list[str] | None] = [
        "4",
        "x\u202f= \u2212 1".replace(" \u2212 ", " \u2212"),
        None,
        None,
    ]
    path = write_moodle_csv(
        moodle_responses(
            [
                Attempt("Иванова", "Анна", "ivanova@school1.ru", responses=responses),
                Attempt("Петров", "Борис", "petrov@school1.ru", responses=other),
            ]
        ),
        tmp_path / "r.csv",
    )
    _, f = _import(store, test_dir, path)
    assert f.problems == []
    scores = merged_rows(store)
    assert scores["100001"][1] == ("C", "B", "AC", "B")
    assert scores["100002"][1] == ("C", "C", "", "")  # "x = −1" is the option "x = -1"


def test_two_response_columns_with_one_number_are_refused(
    store: Store, test_dir: Path, tmp_path: Path
) -> None:
    rows = moodle_responses([Attempt("Иванова", "Анна", "ivanova@school1.ru", responses=RIGHT_A)])
    rows = [[*r, r[-1]] for r in rows]  # "Response 4" twice
    path = write_moodle_csv(rows, tmp_path / "r.csv")
    _, f = _import(store, test_dir, path)
    assert f.refused == (
        f"{path}: two columns are headed 'response 4' (download the export again; a column "
        "must not be repeated)"
    )


# -- Moodle grades --------------------------------------------------------------------------


@pytest.mark.parametrize(("version", "quiz_grade"), [("en-4.5", 10.0), ("ru-4.5", 400.0)])
def test_grades_marks_are_read_against_each_rescaled_maximum(
    store: Store, test_dir: Path, tmp_path: Path, version: str, quiz_grade: float
) -> None:
    rows = moodle_grades(
        [
            Attempt("Иванова", "Анна", "ivanova@school1.ru", marks=[1.0, 1.0, 1.0, 1.0]),
            Attempt("Петров", "Борис", "petrov@school1.ru", marks=[1.0, 0.0, 0.5, None]),
            Attempt(
                "Сидорова",
                "Вера",
                "sidorova@school2.ru",
                state="inprogress",
                completed=None,
                marks=[None] * 4,
            ),
        ],
        [1.0, 1.0, 1.0, 1.0],
        version=version,
        quiz_grade=quiz_grade,
    )
    qmax = "2.50" if version == "en-4.5" else "100,00"
    assert rows[0][-4] == ("Q. 1 /" if version == "en-4.5" else "В. 1 /") + qmax
    path = write_moodle_csv(rows, tmp_path / "grades.csv")
    assert detect_format(path) == "moodle-grades"
    _, f = _import(store, test_dir, path)
    assert f.new == 2
    # the average rows at the foot are no problem; the unfinished attempt is listed
    assert f.problems == [
        f"{path}: row 4: attempt not finished ("
        + ("In progress" if version == "en-4.5" else "В процессе")
        + "), skipped"
    ]
    half = "1.25" if version == "en-4.5" else "50,00"
    assert f.notes == [
        f"{path}: row 3: question 3: partial mark {half} of {float(qmax.replace(',', '.')):g} "
        "in Moodle; wrong by this test's rule (all or nothing)"
    ]
    scores = merged_rows(store)
    assert scores["100001"][2] == 4.0
    assert scores["100002"][2] == 1.0


def test_grades_header_without_a_maximum_is_refused(
    store: Store, test_dir: Path, tmp_path: Path
) -> None:
    rows = moodle_grades(
        [Attempt("Иванова", "Анна", "ivanova@school1.ru", marks=[1.0] * 4)],
        [1.0] * 4,
        average_rows=False,
    )
    rows[0] = [h.split(" /")[0] if h.startswith("Q.") else h for h in rows[0]]
    rows[0][-1] = "Q. 4 /2.50"  # one column keeps its maximum: the format is still told
    path = write_moodle_csv(rows, tmp_path / "grades.csv")
    _, f = _import(store, test_dir, path, fmt="moodle-grades")
    assert f.refused == (
        f"{path}: column 'q. 1' gives no maximum mark, so its marks cannot be read (download "
        "the grades report as Moodle writes it ('Q. 1 /0.29'))"
    )


# -- other containers of the same report ----------------------------------------------------


def _en_rows() -> list[list[str]]:
    return moodle_responses(
        [
            Attempt("Иванова", "Анна", "ivanova@school1.ru", responses=RIGHT_A),
            Attempt(
                "Петров",
                "Борис",
                "petrov@school1.ru",
                responses=["4", "x = -1", ["Круг"], "Нет верного ответа"],
            ),
        ]
    )


def test_xlsx_ods_and_json_twins_of_a_csv_add_nothing(
    store: Store, test_dir: Path, tmp_path: Path
) -> None:
    rows = _en_rows()
    csv_path = write_moodle_csv(rows, tmp_path / "r.csv")
    assert _import(store, test_dir, csv_path)[1].new == 2
    before = merged_rows(store)
    for path in (
        write_xlsx_inline(rows, tmp_path / "r.xlsx"),
        write_ods(rows, tmp_path / "r.ods"),
        write_moodle_json(rows, tmp_path / "r.json"),
    ):
        assert detect_format(path) == "moodle-responses", path
        _, f = _import(store, test_dir, path)
        assert (f.new, f.unchanged, f.problems) == (0, 2, []), path
    assert merged_rows(store) == before


def test_ods_reads_like_csv(tmp_path: Path) -> None:
    rows = _en_rows()
    rows[1][0] = "Иванова  Мария"  # two spaces: written as text:s in ODS
    assert read_table(write_ods(rows, tmp_path / "r.ods")) == read_table(
        write_moodle_csv(rows, tmp_path / "r.csv")
    )


def test_russian_json_download_is_refused_with_what_to_do(
    store: Store, test_dir: Path, tmp_path: Path
) -> None:
    rows = moodle_responses(
        [Attempt("Иванова", "Анна", "ivanova@school1.ru", responses=RIGHT_A)], version="ru-4.5"
    )
    path = write_moodle_json(rows, tmp_path / "r.json")
    _, f = _import(store, test_dir, path)
    assert f.refused == (
        f"{path}: the JSON download lost the column names (Moodle drops non-Latin letters from "
        "them) (download the report as CSV or Excel)"
    )


def test_format_detection_reads_a_cyrillic_header_at_every_size(tmp_path: Path) -> None:
    rows = moodle_responses(
        [Attempt("Сидорова", "Вера", "sidorova@school2.ru", responses=["6", "0", ["Куб"], "Тупой"])]
        * 500,
        version="ru-4.5",
    )
    base = write_moodle_csv(rows, tmp_path / "base.csv").read_bytes()
    assert len(base) > HEADER_BYTES
    # pad the first data row so that byte 65,536 falls on every byte of the letters around it
    for pad in range(24):
        path = tmp_path / f"r{pad}.csv"
        rows[1][7] = "мин." + "ж" * (pad // 2) + "x" * (pad % 2)
        write_moodle_csv(rows, path)
        assert detect_format(path) == "moodle-responses", pad
        assert read_header(path)[0] == "Фамилия"


# -- Google Forms and Microsoft Forms -------------------------------------------------------


@pytest.fixture
def comma_test(tmp_path: Path) -> Path:
    """The small test with an option that holds a comma."""
    spec = copy.deepcopy(SMALL_SPEC)
    spec["sources"]["A"]["tasks"][2]["options"] = ["Квадрат", "Круг, овал", "Ромб", "Треугольник"]
    spec["sources"]["A"]["tasks"][2]["correct"] = "AC"
    manifest = manifest_from_plan(parse_spec(spec), SMALL_VARIANTS)
    folder = tmp_path / "build" / "comma"
    folder.mkdir(parents=True)
    write_manifest(manifest, folder / "manifest.json")
    return folder


STEMS_A = [
    "Сколько будет 2 + 2?",
    "Решите уравнение 2x = 4",
    "Какие фигуры являются четырёхугольниками?",
    "Сумма углов треугольника",
]


def test_google_forms_columns_by_stem_identity_questions_and_commas(
    store: Store, comma_test: Path, tmp_path: Path
) -> None:
    titles = ["1. " + STEMS_A[0], STEMS_A[1], STEMS_A[2].upper(), STEMS_A[3] + " (1 балл)"]
    rows = google_forms(
        titles,
        [
            {
                "email": "",
                "ФИО": "Иванова Анна Петровна",
                "Школа": "СОШ 1",
                "Табельный номер": "100001",
            },
            {"email": "petrov@school1.ru", "ФИО": "Петров Б. И."},
            {"email": "", "ФИО": "Кузнецов Г.А."},
        ],
        [
            ["4", "x = 2", ["Квадрат", "Ромб"], "180°"],
            ["4", "x = 1", ["Круг, овал", "Квадрат"], None],
            ["5", "x = 2", ["Круг, овал"], "90°"],
        ],
        extra=["ФИО", "Школа", "Табельный номер", "Комментарий"],
    )
    # an extra question between the tasks: columns cannot be taken by position
    rows = [r[:4] + r[6:8] + r[4:6] + r[8:] for r in rows]
    path = write_plain_csv(rows, tmp_path / "Тест (ответы).csv")
    assert detect_format(path) == "google-forms"
    _, f = _import(store, comma_test, path)
    assert (f.form, f.new, f.problems) == ("A", 3, [])
    assert f.notes == [f"{path}: column 'Комментарий' is not a task of the test; ignored"]
    assert [m.describe() for m in f.matches] == [
        f"{path}: row 3: matched to 100002 Петров Борис Ильич by e-mail (petrov@school1.ru)",
        f"{path}: row 4: matched to 100004 Кузнецов Глеб Андреевич by name (Кузнецов Г.А.)",
    ]
    scores = merged_rows(store, "math-2026-acc")
    assert scores["100001"] == ("A", ("C", "B", "AC", "B"), 4.0)
    assert scores["100002"] == ("A", ("C", "A", "AB", ""), 1.0)  # "Круг, овал" is one option
    assert scores["100004"] == ("A", ("D", "B", "B", "A"), 1.0)


def test_google_forms_missing_question_column_is_refused(
    store: Store, test_dir: Path, tmp_path: Path
) -> None:
    rows = google_forms(
        [*STEMS_A[:3], "Что-то другое"],
        [{"email": "ivanova@school1.ru"}],
        [["4", "x = 2", ["Квадрат"], "180°"]],
    )
    path = write_plain_csv(rows, tmp_path / "g.csv")
    _, f = _import(store, test_dir, path)
    assert f.refused is not None
    assert f.refused.startswith(f"{path}: no column for question(s) 4 of form A")


def test_microsoft_forms_with_an_id_question_and_anonymous_email(
    store: Store, test_dir: Path, tmp_path: Path
) -> None:
    rows = ms_forms(
        STEMS_A,
        [
            {"Табельный номер": "100003", "name": "Vera S."},
            {"email": "orlova.d@school-corp.ru", "name": "Орлова Дарья Сергеевна"},
        ],
        [
            ["4", "x = 2", ["Квадрат", "Ромб"], "180°"],
            ["4", None, ["Круг"], "90°"],
        ],
        extra=["Табельный номер"],
    )
    path = write_xlsx_inline(rows, tmp_path / "Quiz.xlsx")
    assert detect_format(path) == "ms-forms"
    _, f = _import(store, test_dir, path)
    assert (f.form, f.new, f.problems) == ("A", 2, [])
    scores = merged_rows(store)
    assert scores["100003"] == ("A", ("C", "B", "AC", "B"), 4.0)
    assert scores["100006"] == ("A", ("C", "", "B", "A"), 1.0)


def test_a_file_where_most_rows_fail_is_refused_whole(
    store: Store, test_dir: Path, tmp_path: Path
) -> None:
    rows = moodle_responses(
        [Attempt("Иванова", "Анна", "ivanova@school1.ru", responses=RIGHT_A)]
        + [Attempt(f"Чужой{k}", "Учитель", f"t{k}@other.ru", responses=RIGHT_A) for k in range(3)]
    )
    path = write_moodle_csv(rows, tmp_path / "other-cluster.csv")
    report, f = _import(store, test_dir, path)
    assert f.refused == (
        f"{path}: 3 of 4 rows could not be mapped, so nothing was imported from this file "
        "(first: row 3: unknown teacher t0@other.ru / Чужой0 Учитель, skipped (check the ID, "
        "e-mail or name)) (check that the export belongs to this test and that the roster is "
        "imported)"
    )
    assert report.nothing_imported
    assert merged_rows(store) == {}


def test_ambiguous_name_is_not_guessed(store: Store, test_dir: Path, tmp_path: Path) -> None:
    extra = tmp_path / "more.csv"
    extra.write_text(
        "id,name,department,school,email\n100007,Иванова Анна Сергеевна,mathematics,Lyceum 3,\n",
        encoding="utf-8",
    )
    import_roster(store, extra)
    rows = moodle_responses(
        [
            Attempt("Иванова", "Анна", "anna@gmail.com", responses=RIGHT_A),
            Attempt("Петров", "Борис", "petrov@school1.ru", responses=RIGHT_A),
        ]
    )
    path = write_moodle_csv(rows, tmp_path / "r.csv")
    _, f = _import(store, test_dir, path)
    assert f.problems == [
        f"{path}: row 2: name 'Иванова Анна' fits 2 teachers (100001, 100007), skipped (add "
        "the ID or e-mail to the export or the roster)"
    ]


def test_a_shifted_row_is_listed_not_read_under_the_wrong_titles(
    store: Store, test_dir: Path, tmp_path: Path
) -> None:
    rows = _en_rows()
    rows[2] = [*rows[2][:1], "Борис, мл.", *rows[2][1:]]  # an unquoted comma in the name
    path = write_moodle_csv(rows, tmp_path / "r.csv")
    _, f = _import(store, test_dir, path)
    assert f.new == 1
    assert f.problems == [
        f"{path}: row 3: more cells than the header has columns (a comma or quote out of "
        "place?); skipped"
    ]


def test_cli_lists_name_matches_and_e_mail_matches_compactly(
    db: Path, roster_file: Path, test_dir: Path, tmp_path: Path
) -> None:
    rows = moodle_responses(
        [
            Attempt("Иванова", "Анна", "ivanova@school1.ru", responses=RIGHT_A),
            Attempt("Петров", "Борис", "petrov@school1.ru", responses=RIGHT_A),
            Attempt("Орлова", "Дарья", "d.orlova@gmail.com", responses=RIGHT_A),
        ]
    )
    path = write_moodle_csv(rows, tmp_path / "r.csv")
    runner = CliRunner()
    runner.invoke(main, ["roster", "import", str(roster_file), "--db", str(db)])
    result = runner.invoke(main, ["import", str(path), "--test", str(test_dir), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{path} (moodle-responses, form A): 3 new, 0 unchanged, 0 problem(s)",
        f"  {path}: row 4: matched to 100006 Орлова Дарья Сергеевна by name (Орлова Дарья)",
        "  matched by e-mail (2): row 2 → 100001, row 3 → 100002",
    ]


def test_excel_unicode_text_utf16_tab_separated_is_read(tmp_path: Path) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes("ID\tВариант\t1\r\n100001\t1\tА\r\n".encode("utf-16"))
    assert read_table(path) == [["ID", "Вариант", "1"], ["100001", "1", "А"]]
