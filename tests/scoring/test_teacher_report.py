"""What a teacher's own report says: the option texts beside the letters, the growth since
the year's first test, the standing and its rule, and the tutor's recommendations."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from common.errors import ValidationFailed
from common.i18n import speaking
from scoring.cli import main
from scoring.report.collect import collect
from scoring.report.recommendations import load_recommendations
from scoring.report.words import pct
from testkit.reports import fill_store

TEST_ID = "math-2026-final"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("teacher") / "monitoring.db"
    fill_store(path, teachers={"mathematics": 10}, tasks=8, stages=5, seed=5)
    return path


def _text(path: Path) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(path).pages)


def test_the_report_shows_texts_growth_standing_and_advice(store: Path, tmp_path: Path) -> None:
    data = collect(store, TEST_ID)
    teacher = next(t for t in data.teachers if t.mistakes and t.growth() is not None)
    weak = next((t.topic for t in teacher.topics if t.troublesome), None)
    advice = tmp_path / "advice.csv"
    rows = [f"{teacher.id},,Разберите задания на проценты ещё раз"]
    if weak:
        rows.append(f",{weak},Повторите тему по учебнику")
    advice.write_text("номер участника,тема,рекомендация\n" + "\n".join(rows) + "\n",
                      encoding="utf-8")  # fmt: skip
    out = tmp_path / "r"
    done = CliRunner().invoke(main, ["report", "--test", TEST_ID, "--db", str(store), "--out",
                                     str(out), "-q", "--allow-unresolved",
                                     "--recommendations", str(advice)])  # fmt: skip
    assert done.exit_code == 0, done.output
    text = _text(out / TEST_ID / "teachers" / f"{teacher.id}.pdf")
    assert "Рекомендации преподавателя" in text and "Разберите задания на проценты" in text
    if weak:
        assert "Повторите тему по учебнику" in text
    _stage, points = teacher.growth() or ("", 0.0)
    with speaking("ru"):  # a Russian test: a decimal comma
        assert f"{pct(abs(points))} п.п." in text and "статус" in text
    assert "нижняя четверть рейтинга" in text  # the rule is printed
    mistake = teacher.mistakes[0]
    assert mistake.correct_text and mistake.correct_text[:20] in text
    others = [t for t in data.teachers if t.id != teacher.id]
    other_text = _text(out / TEST_ID / "teachers" / f"{others[0].id}.pdf")
    assert "Разберите задания на проценты" not in other_text  # a teacher's own advice only
    # kept with the test: the website's teacher page and a later run without the file
    site = tmp_path / "site"
    done = CliRunner().invoke(main, ["site", "--db", str(store), "--out", str(site), "-q"])
    assert done.exit_code == 0, done.output
    page = (site / "tests" / TEST_ID / f"{teacher.id}.html").read_text(encoding="utf-8")
    assert "Рекомендации преподавателя" in page and "Разберите задания на проценты" in page
    other_page = (site / "tests" / TEST_ID / f"{others[0].id}.html").read_text(encoding="utf-8")
    assert "Разберите задания на проценты" not in other_page
    again = tmp_path / "again"
    done = CliRunner().invoke(main, ["report", "--test", TEST_ID, "--db", str(store), "--out",
                                     str(again), "-q", "--allow-unresolved"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "Разберите задания" in _text(again / TEST_ID / "teachers" / f"{teacher.id}.pdf")


def test_a_bad_recommendations_file_lists_every_row(store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("teacher_id,topic,text\n123,Дроби,both\n,,\n,Дроби,\n999999,,кто это\n",
                   encoding="utf-8")  # fmt: skip
    with pytest.raises(ValidationFailed) as caught:
        load_recommendations(bad)
    assert len(caught.value.problems) == 2  # row 2: both; row 4: empty text
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("teacher_id,topic,text\n999999,,кто это\n,Нет такой темы,текст\n",
                       encoding="utf-8")  # fmt: skip
    result = CliRunner().invoke(main, ["report", "--test", TEST_ID, "--db", str(store), "--out",
                                       str(tmp_path / "r"), "-q", "--allow-unresolved",
                                       "--recommendations", str(unknown)])  # fmt: skip
    assert result.exit_code == 3
    assert "row 2: teacher 999999 is not a teacher of this test" in result.output
    assert "and 1 more" in result.output


def test_a_paper_attempt_shows_the_teachers_own_sheet(
    tmp_path: Path, roster_file: Path, test_dir: Path
) -> None:
    import cv2
    import numpy as np
    from scoring_helpers import sheet_line

    from scoring.ingest import import_files, import_roster
    from scoring.report.pdf import render_teacher_pdf
    from scoring.store import open_store

    scan = tmp_path / "scans" / "s1.png"
    scan.parent.mkdir()
    page = np.full((400, 300), 255, np.uint8)
    cv2.circle(page, (150, 200), 40, 0, -1)
    cv2.imwrite(str(scan), page)
    results = tmp_path / "results.jsonl"
    results.write_text(
        sheet_line("math-2026-acc", 1, "100001", ["A", "D", "AC", "C"], file=str(scan)) + "\n",
        encoding="utf-8",
    )
    db = tmp_path / "monitoring.db"
    with open_store(db) as store:
        import_roster(store, roster_file)
        import_files(store, [results], test_dir)
    data = collect(db, "math-2026-acc")
    (teacher,) = [t for t in data.teachers if t.id == "100001"]
    assert teacher.sheet_image == str(scan.resolve())
    render_teacher_pdf(data, teacher, tmp_path / "t.pdf")
    reader = PdfReader(tmp_path / "t.pdf")
    assert any(page.images for page in reader.pages)
    assert "Ваш бланк ответов" in _text(tmp_path / "t.pdf")


@pytest.mark.parametrize("review_doubles", [False, True])
def test_doubts_counted_over_the_matrix_agree_with_each_question(
    store: Path, review_doubles: bool
) -> None:
    from scoring.analysis import load_results, teacher_results
    from scoring.report.collect import _doubts, _in_doubt
    from scoring.store import STATE_CODES, open_store

    with open_store(store) as s:
        results = load_results(s, TEST_ID, None)
    states = results.merged.states  # some doubts and double marks of every kind
    states[::3, 1] = STATE_CODES["ambiguous"]
    states[1::4, 2] = STATE_CODES["unmatched"]
    states[::2, 4] = STATE_CODES["multiple"]
    per_question = [
        sum(_in_doubt(q, review_doubles) for q in one.questions) for one in teacher_results(results)
    ]
    assert _doubts(results, review_doubles) == per_question
    assert sum(per_question) >= 5
