"""The SQLite store: pragmas, migrations, and an import killed part-way by SIGKILL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from scoring_helpers import sheet_line

from common.errors import StoreError
from scoring.ingest import import_files, import_roster
from scoring.store import SCHEMA_VERSION, open_store
from testgen.manifest import Manifest, write_manifest

REPO = Path(__file__).resolve().parents[2]


def test_new_store_is_wal_full_and_versioned(db: Path) -> None:
    with open_store(db) as store:
        con = store.con
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert con.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"schools", "teachers", "tests", "attempts", "overrides", "imports"} <= tables
    with open_store(db) as store:  # reopening migrates nothing and keeps one version row
        assert store.con.execute("SELECT count(*) FROM schema_version").fetchone()[0] == 1


def test_newer_store_is_refused(db: Path) -> None:
    with open_store(db) as store:
        store.con.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StoreError) as info, open_store(db):
        pass
    assert str(info.value) == (
        f"{db}: store schema version 99 is newer than this tool's {SCHEMA_VERSION} "
        "(upgrade the tool)"
    )


def test_a_different_build_of_a_test_with_results_is_refused(
    db: Path, roster_file: Path, test_dir: Path, small_manifest: Manifest, tmp_path: Path
) -> None:
    results = tmp_path / "r.csv"
    results.write_text("ID,Variant,1,2,3,4\n100001,A,C,B,AC,B\n")
    with open_store(db) as store:
        import_roster(store, roster_file)
        import_files(store, [results], test_dir)
        changed = small_manifest.model_copy(deep=True)
        changed.variants.reverse()
        write_manifest(changed, test_dir / "manifest.json")
        with pytest.raises(StoreError) as info:
            import_files(store, [results], test_dir)
    assert "has results from a different build" in str(info.value)


# -- killed import --------------------------------------------------------------------------

KILLER = """
import os, signal, sys
from pathlib import Path
from scoring.ingest import import_files
from scoring.store import open_store

db, test, limit, *files = sys.argv[1:]
calls = 0

def progress(event, file, done):
    global calls
    calls += 1
    if calls >= int(limit):
        os.kill(os.getpid(), signal.SIGKILL)

with open_store(Path(db)) as store:
    import_files(store, [Path(f) for f in files], Path(test), progress=progress)
"""


def _snapshot(db: Path) -> list[tuple]:
    """The store's content without import times and row ids (they differ run to run)."""
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        attempts = con.execute(
            "SELECT test_id, teacher_id, channel, format, source_file, source_sha256, locator, "
            "fingerprint, taken_at, form, sheet_page, answers, states, flags, marks, state_codes "
            "FROM attempts ORDER BY fingerprint"
        ).fetchall()
        teachers = con.execute("SELECT * FROM teachers ORDER BY id").fetchall()
        tests = con.execute("SELECT id, manifest, prefer FROM tests").fetchall()
    finally:
        con.close()
    return [*attempts, *teachers, *tests]


@pytest.fixture
def big_inputs(tmp_path: Path, test_dir: Path) -> tuple[Path, list[Path]]:
    roster = ["id,name,department,school,email"]
    csv_rows = ["ID,Variant,1,2,3,4"]
    for t in range(1300):
        roster.append(f"{400000 + t},Учитель {t},mathematics,Школа {t % 7},")
        csv_rows.append(f"{400000 + t},{'AB'[t % 2]},{'ABCD'[t % 4]},B,AC,{'ABCD'[t % 3]}")
    (tmp_path / "roster-big.csv").write_text("\n".join(roster) + "\n", encoding="utf-8")
    files = []
    for k in range(2):
        path = tmp_path / f"scan{k}.jsonl"
        path.write_text(
            "".join(
                sheet_line("math-2026-acc", 1 + t % 2, f"{400000 + t}", ["A", "D", "AC", "C"],
                           file=f"box{k}/s{t}.png") + "\n"
                for t in range(k * 40, k * 40 + 40)
            )
        )  # fmt: skip
        files.append(path)
    big = tmp_path / "online.csv"
    big.write_text("\n".join(csv_rows) + "\n")
    files.insert(1, big)
    return tmp_path / "roster-big.csv", files


def test_killed_import_then_rerun_equals_uninterrupted(
    tmp_path: Path, test_dir: Path, big_inputs: tuple[Path, list[Path]]
) -> None:
    roster, files = big_inputs
    reference = tmp_path / "reference.db"
    with open_store(reference) as store:
        import_roster(store, roster)
        import_files(store, files, test_dir)
    expected = _snapshot(reference)
    # progress events: file, rows x1, done (scan0); file, rows x3, done (online: 1300 rows in
    # chunks of 500); file, rows, done (scan1). Kill before the first commit, inside the
    # big file's transaction, between files, and in the last file.
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    # attempts committed when killed: only whole files, never part of one
    committed = {2: 0, 5: 40, 7: 40, 10: 1340}
    for limit in (2, 5, 7, 10):
        db = tmp_path / f"killed-{limit}.db"
        with open_store(db) as store:
            import_roster(store, roster)
        proc = subprocess.run(
            [sys.executable, "-c", KILLER, str(db), str(test_dir), str(limit), *map(str, files)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        con = sqlite3.connect(db)
        assert con.execute("SELECT count(*) FROM attempts").fetchone()[0] == committed[limit]
        con.close()
        with open_store(db) as store:  # the next run completes it
            report = import_files(store, files, test_dir)
        assert sum(f.new + f.unchanged for f in report.files) == 1380
        assert _snapshot(db) == expected, f"killed after {limit} progress events"


def test_a_full_disk_during_import_is_one_line_and_leaves_the_store_as_it_was(
    tmp_path: Path, roster_file: Path, test_dir: Path
) -> None:
    from online_exports import Attempt, moodle_responses, write_moodle_csv

    from common.errors import StoreError
    from scoring.ingest import import_files, import_roster

    rows = moodle_responses(
        [
            Attempt("Иванова", "Анна", "ivanova@school1.ru", responses=["4"] * 4,
                    completed=(1 + k // 1440, k // 60 % 24, k % 60))
            for k in range(3000)
        ]
    )  # fmt: skip
    export = write_moodle_csv(rows, tmp_path / "big.csv")
    with open_store(tmp_path / "full.db") as store:
        import_roster(store, roster_file)
        pages = store.con.execute("PRAGMA page_count").fetchone()[0]
        # SQLite's own size cap raises the same SQLITE_FULL a full disk does
        store.con.execute(f"PRAGMA max_page_count = {pages + 8}")
        with pytest.raises(StoreError) as info:
            import_files(store, [export], test_dir)
        assert str(info.value) == (
            f"{tmp_path / 'full.db'}: cannot write the store (database or disk is full); "
            "nothing of this step was written (free disk space and run again)"
        )
        assert store.con.execute("SELECT COUNT(*) FROM attempts").fetchone() == (0,)
        assert not store.con.in_transaction
