"""``scoring report`` end to end: a real SQLite store filled through the store API, collected
with the scoring library, rendered, and checked against the raw attempts in the store."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from scoring.cli import main
from scoring.report.collect import collect
from scoring.report.data import STAGES, ReportData, pseudonym
from scoring.report.render import render_reports
from scoring.store import open_store
from testkit.reports import fill_store, sample_manifest

TEST_ID = "math-2026-final"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "monitoring.db"
    fill_store(path, teachers={"mathematics": 30, "russian": 8}, tasks=12, stages=5, seed=4)
    return path


@pytest.fixture(scope="module")
def data(store_path: Path) -> ReportData:
    return collect(store_path, TEST_ID)


def expected_answers(store_path: Path, test_id: str) -> dict[str, tuple[list[str], list[str]]]:
    """Teacher -> (answers, keys) in printed order, straight from the stored attempts, the
    manifest and the overrides (no scoring code involved)."""
    with open_store(store_path) as store:
        manifest = store.manifest(test_id)
        attempts = store.attempts(test_id)
        overrides = store.overrides(test_id)
    out = {}
    for attempt in attempts:
        if attempt.form.startswith("V"):
            keys = manifest.variant(int(attempt.form[1:])).key
        else:
            keys = [t.correct for t in manifest.sources[attempt.form].tasks]  # type: ignore[index]
        out[attempt.teacher_id] = (list(attempt.answers), keys)
    for ov in overrides:
        out[ov.teacher_id][0][ov.question - 1] = ov.after
    return out


def pdf_lines(path: Path) -> list[str]:
    reader = PdfReader(path)
    return [
        " ".join(line.split())
        for page in reader.pages
        for line in (page.extract_text() or "").splitlines()
        if line.strip()
    ]


def test_collected_scores_and_answers_match_the_store(store_path: Path, data: ReportData) -> None:
    truth = expected_answers(store_path, TEST_ID)
    assert {t.id for t in data.teachers} == set(truth)
    for teacher in data.teachers:
        answers, keys = truth[teacher.id]
        shown = [(t.answer, t.correct) for t in teacher.tasks]
        assert shown == list(zip(answers, keys, strict=True))
        right = sum(a == k for a, k in zip(answers, keys, strict=True))
        assert teacher.score == right
        assert teacher.percent == pytest.approx(100 * right / len(keys), abs=0.05)
        assert [t.position for t in teacher.mistakes] == [
            q + 1 for q, (a, k) in enumerate(zip(answers, keys, strict=True)) if a != k
        ]


def test_history_ranks_and_summary_are_consistent(data: ReportData) -> None:
    assert [s.stage for s in data.stages] == list(STAGES)
    assert all(s.test_id for s in data.stages)
    ranks = [t.rank for t in data.teachers]
    assert ranks == sorted(ranks) and ranks[0] == 1
    for teacher in data.teachers:
        assert teacher.history[-1].percent == pytest.approx(teacher.percent, abs=0.05)
    taken_both = sum(
        t.history[0].percent is not None and t.history[-1].percent is not None
        for t in data.teachers
    )
    maths = next(r for r in data.summary if r.department == "mathematics")
    # Everyone with a final result is in this report, so the matched pairs are exactly those
    # of its teachers with an acceptance result too.
    assert maths.matched.n == taken_both > 0
    assert maths.final_n == len(data.teachers)
    assert maths.live + maths.remote > 0 and maths.overrides == 5
    assert {r.department for r in data.summary} == {"mathematics", "russian"}


def test_overridden_answer_is_marked_in_the_teachers_report(
    tmp_path: Path, store_path: Path, data: ReportData
) -> None:
    with open_store(store_path) as store:
        override = store.overrides(TEST_ID)[0]
    teacher = next(t for t in data.teachers if t.id == override.teacher_id)
    assert teacher.tasks[override.question - 1].overridden
    render_reports(data.model_copy(update={"teachers": [teacher]}), tmp_path, workers=1)
    lines = pdf_lines(tmp_path / "teachers" / f"{teacher.id}.pdf")
    assert "исправлено" in lines


def test_teacher_pdf_mistakes_match_the_store(
    tmp_path: Path, store_path: Path, data: ReportData
) -> None:
    truth = expected_answers(store_path, TEST_ID)
    some = data.teachers[:: max(1, len(data.teachers) // 5)]
    render_reports(data.model_copy(update={"teachers": some}), tmp_path, workers=1)
    for teacher in some:
        lines = pdf_lines(tmp_path / "teachers" / f"{teacher.id}.pdf")
        text = " ".join(lines)
        assert teacher.name in text
        answers, keys = truth[teacher.id]
        verdicts = [line for line in lines if line in ("✓ верно", "✗ ошибка")]
        assert verdicts == [
            "✓ верно" if a == k else "✗ ошибка" for a, k in zip(answers, keys, strict=True)
        ]
        wrong = sum(a != k for a, k in zip(answers, keys, strict=True))
        assert f"Ошибок: {wrong} из {len(keys)}" in text


def test_report_command_writes_everything(tmp_path: Path, store_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main,
        # the store has two review items open (test_cli checks the refusal that makes)
        ["report", "--test", TEST_ID, "--db", str(store_path), "--out", str(tmp_path), "-q",
         "--allow-unresolved"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{TEST_ID}: ")
    folder = tmp_path / TEST_ID
    with open_store(store_path) as store:
        have = {a.teacher_id for a in store.attempts(TEST_ID)}
    assert {p.stem for p in (folder / "teachers").glob("*.pdf")} == have
    for name in ("department-mathematics.pdf", "summary.pdf", "site/index.html"):
        assert (folder / name).is_file()
    assert (folder / "exports" / "results.xlsx").is_file()


def test_report_command_pseudonymised_site_has_no_names(
    tmp_path: Path, store_path: Path, data: ReportData
) -> None:
    result = CliRunner().invoke(
        main,
        [
            "report", "--test", TEST_ID, "--db", str(store_path), "--out", str(tmp_path),
            "--pseudonymise", "--workers", "1", "-q", "--allow-unresolved",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    site = "".join(
        p.read_text(encoding="utf-8") for p in (tmp_path / TEST_ID / "site").glob("*.html")
    )
    for teacher in data.teachers:
        assert teacher.name not in site
        assert teacher.id not in site
    # the codes come from the store's own random key, made once and kept: not from the ID alone
    with open_store(store_path) as store:
        key = store.pseudonym_key()
        assert store.pseudonym_key() == key and len(key) == 64
    codes = set(re.findall(r"T-[0-9A-F]{8}", site))
    assert codes and codes <= {pseudonym(t.id, key) for t in data.teachers}
    assert not codes & {f"T-{hashlib.sha256(f':{t.id}'.encode()).hexdigest()[:8].upper()}"
                        for t in data.teachers}  # fmt: skip


def test_report_command_unknown_test_is_one_line_and_exit_code(
    tmp_path: Path, store_path: Path
) -> None:
    result = CliRunner().invoke(
        main, ["report", "--test", "nope", "--db", str(store_path), "--out", str(tmp_path)]
    )
    assert result.exit_code == 7
    assert result.output.strip().count("\n") == 0
    assert "test nope is not in the store" in result.output


def test_report_command_missing_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["report", "--test", TEST_ID, "--db", str(tmp_path / "none.db")]
    )
    assert result.exit_code == 2
    assert "results store not found" in result.output
    assert not (tmp_path / "none.db").exists()


def test_a_test_without_results_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "monitoring.db"
    with open_store(path) as store:
        store.register_test(sample_manifest("economics", 2026, "acceptance", tasks=4))
    result = CliRunner().invoke(
        main,
        ["report", "--test", "econ-2026-acceptance", "--db", str(path), "--out", str(tmp_path)],
    )
    assert result.exit_code == 1
    assert "has no results yet" in result.output
    assert not (tmp_path / "econ-2026-acceptance").exists()
