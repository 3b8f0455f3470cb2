"""The ``scoring`` commands end to end, with their output and error lines word for word."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from scoring_helpers import FIXTURES, sheet_line

from scoring.cli import main


@pytest.fixture
def run(db: Path):
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(main, [*args, "--db", str(db)])
        return result.exit_code, result.stdout, result.stderr

    return invoke


def test_roster_import_reports_counts_and_bad_rows(run, tmp_path: Path, roster_file: Path) -> None:
    code, out, _ = run("roster", "import", str(roster_file))
    assert (code, out) == (0, "Roster: 7 new, 0 updated, 0 unchanged, 0 bad row(s)\n")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,name,department,school,email\n"
        "100001,Иванова Анна Петровна,mathematics,МБОУ СОШ № 7,ivanova@school1.ru\n"
        "abc,Кто-то,mathematics,Школа,\n",
        encoding="utf-8",
    )
    code, out, _ = run("roster", "import", str(bad))
    assert code == 11  # done with problems: the good row is in, the bad one listed
    assert out.splitlines()[0] == "Roster: 0 new, 1 updated, 0 unchanged, 1 bad row(s)"
    assert out.splitlines()[1].startswith(f"  {bad}: row 3: id:")
    worse = tmp_path / "worse.csv"
    worse.write_text("id,name,department,school,email\nabc,Кто-то,mathematics,Школа,\n")
    code, out, _ = run("roster", "import", str(worse))
    assert code == 12  # nothing done
    assert out.splitlines()[0] == "Roster: 0 new, 0 updated, 0 unchanged, 1 bad row(s)"


def test_import_twice_says_zero_new(run, roster_file: Path, test_dir: Path) -> None:
    run("roster", "import", str(roster_file))
    path = FIXTURES / "moodle-responses-ru.csv"
    code, out, _ = run("import", str(path), "--test", str(test_dir))
    assert code == 0
    assert out == f"{path} (moodle-responses, form B): 3 new, 0 unchanged, 0 problem(s)\n"
    code, out, _ = run("import", str(path), "--test", str(test_dir))
    assert out == f"{path} (moodle-responses, form B): 0 new, 3 unchanged, 0 problem(s)\n"


def test_import_lists_conflicts(run, roster_file: Path, test_dir: Path, tmp_path: Path) -> None:
    run("roster", "import", str(roster_file))
    live = tmp_path / "results.jsonl"
    live.write_text(sheet_line("math-2026-acc", 1, "100001", ["A", "D", "AC", "C"]) + "\n")
    remote = tmp_path / "r.csv"
    remote.write_text("ID,Variant,1,2,3,4\n100001,1,A,D,AC,C\n")
    code, out, _ = run("import", str(live), str(remote), "--test", str(test_dir))
    assert code == 0
    assert out.splitlines()[-2:] == [
        "Conflicts (live and remote, --prefer live):",
        "  teacher 100001: live and remote results (same answers); live used, remote kept "
        "(--prefer live)",
    ]


def test_override_and_status(run, roster_file: Path, test_dir: Path, tmp_path: Path) -> None:
    run("roster", "import", str(roster_file))
    live = tmp_path / "results.jsonl"
    live.write_text(
        sheet_line(
            "math-2026-acc", 2, "100002", ["C", "?", "AB", "B"], flags=("q2: unclear mark (A)",)
        )
        + "\n"
    )
    run("import", str(live), "--test", str(test_dir))
    code, out, _ = run("status", "--test", "math-2026-acc")
    assert code == 0
    assert out.splitlines()[0] == (
        "Test math-2026-acc (mathematics): 1 result(s) (1 live, 0 remote) of 6 teacher(s) in "
        "the roster; 0 override(s)"
    )
    assert (
        "  100002 Петров Борис Ильич (scan.png page 1): q2: unclear mark (A); unresolved "
        "question(s) 2" in out.splitlines()
    )
    assert out.splitlines()[-1].startswith("Next: settle what needs a person in the browser")
    code, out, _ = run(
        "override", "--test", "math-2026-acc", "--teacher", "100002", "--question", "2",
        "--answer", "A", "--reason", "checked on paper", "--by", "tutor",
    )  # fmt: skip
    assert (code, out) == (
        0,
        "Override 1: test math-2026-acc, teacher 100002, question 2: ? -> A by tutor "
        "(checked on paper)\n",
    )
    code, out, _ = run("status", "--test", str(test_dir))
    assert "Flagged (0):" in out.splitlines()
    assert out.splitlines()[-1] == "Next: `scoring report --test math-2026-acc`."


def test_errors_are_one_line(run, tmp_path: Path, test_dir: Path, roster_file: Path) -> None:
    run("roster", "import", str(roster_file))  # the store exists from the roster on
    code, _, err = run("status", "--test", "nope")
    assert code == 7
    assert err == (
        f"Error: {tmp_path / 'monitoring.db'}: test nope is not in the store (import results "
        "with `scoring import FILE --test build/<test-id>` first)\n"
    )
    code, _, err = run("import", str(tmp_path / "missing.csv"), "--test", str(test_dir))
    assert (code, err) == (2, f"Error: {tmp_path / 'missing.csv'}: file not found\n")
    code, _, err = run("import", str(FIXTURES / "plain.csv"), "--test", str(tmp_path / "x"))
    assert (code, err) == (
        2,
        f"Error: {tmp_path / 'x'}: test package manifest not found (run `testgen build` first)\n",
    )
    not_db = tmp_path / "notadb.db"
    not_db.write_text("hello, this is not sqlite" * 100)
    result = CliRunner().invoke(main, ["status", "--test", "t", "--db", str(not_db)])
    assert (result.exit_code, result.stderr) == (
        7,
        f"Error: {not_db}: cannot open the store (file is not a database) (is it an SQLite "
        "file written by `scoring`?)\n",
    )


def test_form_option_checked(run, roster_file: Path, test_dir: Path) -> None:
    run("roster", "import", str(roster_file))
    code, _, err = run(
        "import", str(FIXTURES / "plain.csv"), "--test", str(test_dir), "--form", "V9"
    )
    assert (code, err) == (1, "Error: unknown form 'V9' (use one of A, B, V1, V2)\n")


def test_db_from_environment(tmp_path: Path, roster_file: Path, monkeypatch) -> None:
    env_db = tmp_path / "env.db"
    monkeypatch.setenv("MONITORING_DB", str(env_db))
    result = CliRunner().invoke(main, ["roster", "import", str(roster_file)])
    assert result.exit_code == 0
    assert env_db.is_file()


def test_a_misspelt_db_is_refused_not_made(tmp_path: Path, test_dir: Path) -> None:
    from scoring.cli import main as scoring_main

    missing = tmp_path / "monitoring-typo.db"
    runner = CliRunner()
    export = tmp_path / "x.csv"
    export.write_text("ID,1,2,3,4\n100001,A,B,C,D\n", encoding="utf-8")
    for argv in (
        ["import", str(export), "--test", str(test_dir), "--db", str(missing)],
        ["status", "--test", str(test_dir), "--db", str(missing)],
        ["override", "--test", "t", "--teacher", "1", "--question", "1", "--answer", "A",
         "--reason", "r", "--db", str(missing)],
    ):  # fmt: skip
        result = runner.invoke(scoring_main, argv)
        assert result.exit_code == 2, (argv, result.output)
        assert result.stderr == (
            f"Error: {missing}: results store not found (check --db; a new store is made by "
            "`scoring roster import ROSTER` (or `scoring import --create`))\n"
        )
        assert not missing.exists()
    made = runner.invoke(
        scoring_main,
        ["import", str(export), "--test", str(test_dir), "--db", str(missing), "--create"],
    )
    assert missing.exists() and made.exit_code == 12  # made, but no roster: nothing imported


def test_review_offline_and_the_report_that_waits_for_it(
    run, roster_file: Path, test_dir: Path, tmp_path: Path
) -> None:
    run("roster", "import", str(roster_file))
    live = tmp_path / "results.jsonl"
    live.write_text(
        sheet_line(
            "math-2026-acc", 2, "100002", ["C", "?", "AB", "B"], flags=("q2: unclear mark (A)",)
        )
        + "\n"
    )
    run("import", str(live), "--test", str(test_dir))
    reports = tmp_path / "reports"
    code, out, err = run("report", "--test", "math-2026-acc", "--out", str(reports), "-q")
    assert code == 10 and out == ""
    assert err == (
        "Error: 1 review item(s) of test math-2026-acc still need a person, so nothing was "
        "published (settle them with `scoring review --test math-2026-acc`, or publish anyway "
        "with --allow-unresolved)\n"
    )
    assert not reports.exists()
    queue = tmp_path / "queue.csv"
    code, out, _ = run("review", "--test", "math-2026-acc", "--export", str(queue))
    assert (code, out) == (0, f"Wrote 1 open item(s) of math-2026-acc to {queue}\n")
    header, row = queue.read_text(encoding="utf-8-sig").splitlines()
    assert row.startswith("q:100002:2,question,100002,Петров Борис Ильич,2,?,ABCD,")
    queue.write_text(header + "\n" + row[: -len(",,")] + ",A,on paper\n", encoding="utf-8")
    code, out, _ = run("review", "--test", "math-2026-acc", "--apply", str(queue), "--by", "tutor")
    assert (code, out) == (
        0,
        "Applied 1 decision(s) to math-2026-acc; 0 refused; 0 item(s) still open\n",
    )
    code, out, _ = run("review", "--test", "math-2026-acc", "--apply", str(queue), "--by", "other")
    assert code == 12 and "already settled by tutor" in out  # nothing applied
    code, out, err = run("report", "--test", "math-2026-acc", "--out", str(reports), "-q")
    assert code == 0, err


def test_a_report_over_open_items_says_so(
    run, roster_file: Path, test_dir: Path, tmp_path: Path
) -> None:
    run("roster", "import", str(roster_file))
    live = tmp_path / "results.jsonl"
    live.write_text(sheet_line("math-2026-acc", 2, "100002", ["C", "?", "AB", "B"]) + "\n")
    run("import", str(live), "--test", str(test_dir))
    reports = tmp_path / "reports"
    code, _, err = run(
        "report", "--test", "math-2026-acc", "--out", str(reports), "-q", "--allow-unresolved"
    )
    assert code == 0, err
    pages = list((reports / "math-2026-acc").rglob("*.html"))
    assert pages and all(
        "ПРЕДВАРИТЕЛЬНО: не проверено вручную 1" in p.read_text(encoding="utf-8") for p in pages
    )
