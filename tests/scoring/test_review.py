"""The review queue on a small session: what it holds, each kind of decision, the audit,
two reviewers on one item, the CSV round trip, and the double-mark policy."""

from __future__ import annotations

from pathlib import Path

import pytest
from scoring_helpers import merged_rows, sheet_line

from common.errors import ToolError
from scoring.analysis import load_results, teacher_results
from scoring.ingest import import_files
from scoring.review import apply_csv, build_queue, export_csv, settle, undo, unresolved
from scoring.store import AlreadyDecided, Store

TEST = "math-2026-acc"


@pytest.fixture
def session(store: Store, test_dir: Path, tmp_path: Path) -> Store:
    """Sheets of every kind a reviewer meets, and one online row per teacher for a conflict."""
    lines = [
        sheet_line(TEST, 1, "100001", ["A", "D", "AC", "C"], file="s1.png"),
        sheet_line(
            TEST, 2, "100002", ["C", "?", "AB", "A"], file="s2.png",
            flags=("q2: unclear mark (B)",),
        ),
        sheet_line(TEST, 2, None, ["C", "A", "AB", "A"], file="s3.png",
                   flags=("respondent ID digit 3: ambiguous",)),
        sheet_line(TEST, 1, "999999", ["A", "D", "AC", "C"], file="s4.png"),
        sheet_line(TEST, 1, "100003", [], file="s5.png", status="refused"),
        sheet_line(
            TEST, 1, "100004", ["A", "D", "AC", ""], file="s6.png",
            flags=("1-bit scan: pencil may be lost - rescan in greyscale",),
        ),
    ]  # fmt: skip
    results = tmp_path / "results" / "results.jsonl"
    results.parent.mkdir()
    results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    online = tmp_path / "online.csv"
    online.write_text("id,variant,1,2,3,4\n100001,1,A,A,AC,C\n", encoding="utf-8")
    import_files(store, [results, online], test_dir)
    return store


def test_the_queue_holds_everything_that_needs_a_person(session: Store) -> None:
    queue = build_queue(session, TEST)
    kinds = sorted(i.kind for i in queue.open)
    assert kinds == ["conflict", "page", "question", "refused", "respondent", "respondent"]
    question = next(i for i in queue.open if i.kind == "question")
    assert (question.teacher_id, question.question, question.reading) == ("100002", 2, "?")
    assert question.teacher_name == "Петров Борис Ильич" and question.options == "ABCD"
    conflict = next(i for i in queue.open if i.kind == "conflict")
    assert (conflict.teacher_id, conflict.live, conflict.remote) == (
        "100001", "A D AC C", "A A AC C"
    )  # fmt: skip
    page = next(i for i in queue.open if i.kind == "page")
    assert page.teacher_id == "100004" and "1-bit scan" in page.reason
    reasons = sorted(i.reason for i in queue.open if i.kind == "respondent")
    assert reasons[0].startswith("respondent ID not read")
    assert "unknown teacher 999999" in reasons[1]
    assert unresolved(session, TEST) == 6


def test_a_question_is_settled_once_with_an_audited_override(session: Store) -> None:
    outcome = settle(session, TEST, "q:100002:2", "b", "Анна")
    assert (outcome.decision.before, outcome.decision.after, outcome.decision.who) == (
        "?", "B", "Анна"
    )  # fmt: skip
    results = {r.teacher_id: r for r in teacher_results(load_results(session, TEST))}
    assert results["100002"].answers[1] == "B"
    [override] = session.overrides(TEST)
    assert (override.teacher_id, override.question, override.after) == ("100002", 2, "B")
    with pytest.raises(AlreadyDecided, match="already settled by Анна"):
        settle(session, TEST, "q:100002:2", "C", "Борис")
    queue = build_queue(session, TEST)
    assert len(queue.open) == 5 and queue.settled == 1
    with pytest.raises(ToolError, match="choose live or remote"):
        settle(session, TEST, "conflict:100001", "sideways", "Анна")
    with pytest.raises(ToolError, match="needs the reviewer's name"):
        settle(session, TEST, "conflict:100001", "live", " ")


def test_a_letter_that_is_not_an_option_is_refused(session: Store) -> None:
    with pytest.raises(ToolError, match="not an answer of question 2"):
        settle(session, TEST, "q:100002:2", "F", "Анна")
    assert unresolved(session, TEST) == 6  # nothing was written


def test_an_unknown_sheet_is_assigned_and_its_answers_come_in(session: Store) -> None:
    item = next(i for i in build_queue(session, TEST).open if "999999" in i.reason)
    outcome = settle(session, TEST, item.key, "100005", "Анна")
    assert "1 result(s) added" in outcome.note
    assert merged_rows(session)["100005"][1] == ("A", "D", "AC", "C")


def test_a_refused_sheet_is_read_by_hand_or_set_aside(session: Store) -> None:
    item = next(i for i in build_queue(session, TEST).open if i.kind == "refused")
    with pytest.raises(ToolError, match="3 answers given, the test has 4"):
        settle(session, TEST, item.key, "100003 1 ADA", "Анна")
    settle(session, TEST, item.key, "100003 1 AD-C", "Анна")
    assert merged_rows(session)["100003"][1] == ("A", "D", "", "C")
    other = next(i for i in build_queue(session, TEST).open if i.reason.startswith("respondent"))
    settle(session, TEST, other.key, "rescan", "Анна")
    assert other.key not in {i.key for i in build_queue(session, TEST).open}


def test_a_conflict_is_settled_by_choosing_one_result(session: Store) -> None:
    assert merged_rows(session)["100001"][1] == ("A", "D", "AC", "C")  # live, by default
    settle(session, TEST, "conflict:100001", "remote", "Анна")
    assert merged_rows(session)["100001"][1] == ("A", "A", "AC", "C")


def test_a_page_set_aside_leaves_the_results(session: Store) -> None:
    item = next(i for i in build_queue(session, TEST).open if i.kind == "page")
    settle(session, TEST, item.key, "rescan", "Анна")
    assert "100004" not in merged_rows(session)


def test_the_offline_path_exports_and_applies_decisions(session: Store, tmp_path: Path) -> None:
    text = export_csv(build_queue(session, TEST))
    assert text.startswith("\ufeffkey,kind,teacher_id")
    lines = text.lstrip("\ufeff").splitlines()
    assert len(lines) == 7
    filled = [lines[0]]
    for line in lines[1:]:
        if line.startswith("q:100002:2,"):
            line = line[: -len(",,")] + ",C,looked at the sheet"
        elif line.startswith("conflict:"):
            line = line[: -len(",,")] + ",live,"
        filled.append(line)
    decisions = tmp_path / "decisions.csv"
    decisions.write_text("\n".join(filled) + "\n", encoding="utf-8")
    applied = apply_csv(session, TEST, decisions, "Вера")
    assert sorted(applied.applied) == ["conflict:100001", "q:100002:2"] and applied.problems == []
    again = apply_csv(session, TEST, decisions, "Глеб")
    assert again.applied == [] and len(again.problems) == 2
    assert "already settled by Вера" in again.problems[0]
    assert unresolved(session, TEST) == 4


def test_double_marks_are_wrong_by_default_and_reviewed_on_request(
    store: Store, test_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text(sheet_line(TEST, 1, "100001", ["AB", "D", "AC", "C"]) + "\n", "utf-8")
    import_files(store, [path], test_dir)
    assert unresolved(store, TEST) == 0  # "AC" on the two-answer task 3 is an answer
    with store.write() as con:
        store.set_rules(con, TEST, double_marks="review")
    [item] = build_queue(store, TEST).open
    assert (item.kind, item.question, item.reading) == ("double", 1, "AB")
    settle(store, TEST, item.key, "AB", "Анна")  # it is what the sheet says: scored wrong
    assert unresolved(store, TEST) == 0


def test_undo_reopens_the_item_and_the_audit_keeps_it(session: Store) -> None:
    settle(session, TEST, "q:100002:2", "B", "Анна")
    with pytest.raises(ToolError, match="only Анна can undo"):
        undo(session, TEST, "q:100002:2", "Борис")
    undo(session, TEST, "q:100002:2", "Анна")
    assert "q:100002:2" in {i.key for i in build_queue(session, TEST).open}
    assert session.overrides(TEST) == []
    [kept] = session.decisions(TEST)
    assert kept.item.startswith("q:100002:2#undone-") and "undone by Анна" in kept.why
    settle(session, TEST, "q:100002:2", "C", "Борис")  # open again: anyone may settle it
