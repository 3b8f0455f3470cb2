"""Merge of live and remote results, overrides, item analysis alerts, history and growth."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scoring_helpers import generated_spec, planned_manifest, sheet_line

from common.errors import ToolError
from common.vocabulary import Stage
from scoring.analysis import (
    department_history,
    growth,
    item_analysis,
    load_results,
    status_report,
    teacher_results,
    topic_scores,
)
from scoring.ingest import add_override, import_files, import_roster
from scoring.store import Store
from testgen.manifest import write_manifest

TEST = "math-2026-acc"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _live_and_remote(tmp_path: Path) -> tuple[Path, Path]:
    live = _write(
        tmp_path,
        "results.jsonl",
        sheet_line(TEST, 1, "100001", ["A", "D", "AC", "C"], file="a.png")  # 4 right
        + "\n"
        + sheet_line(TEST, 2, "100002", ["C", "B", "AB", "B"], file="b.png")
        + "\n",
    )
    remote = _write(
        tmp_path,
        "remote.csv",
        "ID,Variant,1,2,3,4\n100001,A,A,A,A,A\n100003,B,A,B,BD,C\n",
    )
    return live, remote


@pytest.mark.parametrize(
    ("prefer", "channel", "score"), [("live", "live", 4.0), ("remote", "remote", 0.0)]
)
def test_prefer_rule_and_conflict_listed(
    store: Store, test_dir: Path, tmp_path: Path, prefer: str, channel: str, score: float
) -> None:
    live, remote = _live_and_remote(tmp_path)
    report = import_files(store, [live, remote], test_dir, prefer=prefer)
    assert [c.teacher_id for c in report.conflicts] == ["100001"]
    assert report.conflicts[0].describe() == (
        f"teacher 100001: live and remote results (answers differ); {channel} used, "
        f"{'remote' if channel == 'live' else 'live'} kept (--prefer {prefer})"
    )
    r = {t.teacher_id: t for t in teacher_results(load_results(store, TEST))}
    assert (r["100001"].channel, r["100001"].score) == (channel, score)
    # provenance of the chosen result is kept, and the conflict with both sides
    assert r["100001"].conflict is not None
    assert r["100001"].conflict.remote.locator == "row 2"
    assert r["100001"].sources[0].channel == channel


def test_latest_rule_uses_the_later_import(store: Store, test_dir: Path, tmp_path: Path) -> None:
    live, remote = _live_and_remote(tmp_path)
    import_files(store, [live, remote], test_dir, prefer="latest")
    r = {t.teacher_id: t for t in teacher_results(load_results(store, TEST))}
    assert r["100001"].channel == "remote"


def test_pages_of_a_two_page_sheet_are_combined(
    store: Store, test_dir: Path, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        "pages.jsonl",
        sheet_line(TEST, 1, "100001", ["A", "D"], file="p.pdf", page=1, sheet_page=1)
        + "\n"
        + sheet_line(
            TEST, 1, "100001", ["AC", "C"], file="p.pdf", page=2, first_position=3, sheet_page=2
        )
        + "\n",
    )
    import_files(store, [path], test_dir)
    (r,) = teacher_results(load_results(store, TEST))
    assert (r.answers, r.score, len(r.sources)) == (("A", "D", "AC", "C"), 4.0, 2)


def test_override_is_audited_and_survives_reimport(
    store: Store, test_dir: Path, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        "r.jsonl",
        sheet_line(TEST, 2, "100002", ["C", "?", "AB", "A"], flags=("question 2: ambiguous",))
        + "\n",
    )
    import_files(store, [path], test_dir)
    [flagged] = status_report(store, TEST).flagged
    assert flagged.describe() == (
        "100002 Петров Борис Ильич (scan.png page 1): question 2: ambiguous; unresolved "
        "question(s) 2"
    )
    ov = add_override(store, TEST, "100002", 2, "a", "read by hand from the sheet", "tutor")
    assert (ov.before, ov.after, ov.who, ov.why) == (
        "?",
        "A",
        "tutor",
        "read by hand from the sheet",
    )
    import_files(store, [path], test_dir)  # re-import changes nothing
    (r,) = teacher_results(load_results(store, TEST))
    assert r.answers == ("C", "A", "AB", "A")
    assert r.questions[1].overridden and r.questions[1].correct
    assert r.score == 3.0
    assert [o.after for o in r.overrides] == ["A"]
    assert status_report(store, TEST).flagged == []


def test_override_errors(store: Store, test_dir: Path, tmp_path: Path) -> None:
    path = _write(tmp_path, "r.jsonl", sheet_line(TEST, 2, "100002", ["C", "A", "AB", "A"]) + "\n")
    import_files(store, [path], test_dir)
    with pytest.raises(ToolError) as info:
        add_override(store, TEST, "100003", 2, "A", "x", "me")
    assert str(info.value) == (
        "teacher 100003 has no result for test math-2026-acc (check the ID with `scoring status`)"
    )
    with pytest.raises(ToolError) as info:
        add_override(store, TEST, "100002", 9, "A", "x", "me")
    assert str(info.value) == "question 9 is not in test math-2026-acc (1..4)"
    with pytest.raises(ToolError) as info:
        add_override(store, TEST, "100002", 1, "F", "x", "me")
    assert str(info.value) == (
        "answer 'F' is not an option of question 1: 'F' is not one of its letters (use letters "
        "A-D, or - for none)"
    )
    with pytest.raises(ToolError) as info:
        add_override(store, TEST, "100002", 1, "Ф", "x", "me")
    assert "'Ф' (U+0424) is not one of its letters" in str(info.value)
    # Cyrillic А В С Е typed on a Russian keyboard are the Latin letters
    assert add_override(store, TEST, "100002", 1, "с", "typed in Russian", "me").after == "C"


def test_status_lists_missing_and_outside_department(
    store: Store, test_dir: Path, tmp_path: Path
) -> None:
    path = _write(tmp_path, "r.csv", "ID,Variant,1,2,3,4\n100001,A,C,B,AC,B\n200001,A,C,B,AC,B\n")
    import_files(store, [path], test_dir)
    st = status_report(store, TEST)
    assert (st.roster, st.results, st.remote) == (6, 2, 2)
    assert [t.id for t in st.missing] == ["100002", "100003", "100004", "100005", "100006"]
    assert st.outside_department == ["200001"]


def test_topic_scores(store: Store, test_dir: Path, tmp_path: Path) -> None:
    path = _write(tmp_path, "r.csv", "ID,Variant,1,2,3,4\n100001,A,C,A,AC,A\n100002,B,A,B,B,C\n")
    import_files(store, [path], test_dir)
    ts = topic_scores(load_results(store, TEST))
    assert ts.topics == ["Арифметика", "Уравнения", "Геометрия"]
    assert ts.percent.tolist() == [[100.0, 0.0, 50.0], [100.0, 100.0, 50.0]]
    assert ts.mean_percent.tolist() == [100.0, 50.0, 50.0]


def _generated_store(
    tmp_path: Path, store: Store, n_teachers: int = 120, seed: int = 5, misprint: int = 0
) -> Path:
    """A 12-task test with 4 planned variants; variant 3's key of its first question is
    printed wrong (teachers of variant 3 who know the answer are marked wrong). With
    ``misprint`` = v, question 2 of variant v is unreadable: everyone gets it wrong."""
    spec = generated_spec(12, test_id="gen-acc")
    manifest = planned_manifest(spec, 4, seed=7)
    folder = tmp_path / "build" / "gen-acc"
    folder.mkdir(parents=True)
    write_manifest(manifest, folder / "manifest.json")
    rng = np.random.default_rng(seed)
    roster = ["id,name,department,school,email"]
    rows = ["ID,Variant," + ",".join(str(q + 1) for q in range(12))]
    ability = rng.normal(0, 1.2, n_teachers)
    for t in range(n_teachers):
        tid = f"{300000 + t}"
        roster.append(f"{tid},Учитель {t},mathematics,Школа {t % 5},")
        v = manifest.variants[t % 4]
        answers = []
        for item in v.items:
            p_right = 1 / (1 + math.exp(-(ability[t] + 0.3)))
            right = rng.random() < p_right
            key = item.key
            if right:
                answers.append(key)
            else:
                answers.append(next(c for c in "ABCD" if c != key))
        if v.number == 3:
            # the printed key of the task at position 1 is wrong: good teachers "miss" it
            answers[0] = (
                next(c for c in "ABCD" if c != v.items[0].key) if ability[t] > 0 else v.items[0].key
            )
        if v.number == misprint:
            answers[1] = next(c for c in "ABCD" if c != v.items[1].key)
        rows.append(f"{tid},{v.number}," + ",".join(answers))
    (tmp_path / "roster-gen.csv").write_text("\n".join(roster) + "\n", encoding="utf-8")
    import_roster(store, tmp_path / "roster-gen.csv")
    (tmp_path / "gen.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_files(store, [tmp_path / "gen.csv"], folder)
    return folder


def test_item_analysis_alerts_a_variant_with_a_broken_key(store: Store, tmp_path: Path) -> None:
    _generated_store(tmp_path, store)
    results = load_results(store, "gen-acc")
    ia = item_analysis(results)
    v3 = results.manifest.variant(3).items[0]
    label = f"{v3.version}{v3.source_position}"
    kinds = {(a.kind, a.label, a.form) for a in ia.alerts}
    # the broken key drags the task's discrimination far below zero in variant 3 alone while
    # the other variant printing it is fine; over both (-0.10 from 60 answers) the interval
    # reaches zero, so the source key itself is not called into question
    assert kinds == {("variant-wrong-key", label, "V3")}
    # per-form statistics cover every printed position; per-task columns everyone saw
    assert set(ia.by_form) == {"V1", "V2", "V3", "V4"}
    assert ia.by_form["V3"].n.tolist() == [30] * 12
    assert int(ia.tasks.n.sum()) == 120 * 12
    assert 0.5 < ia.reliability.alpha < 1.0


def test_history_and_growth(store: Store, tmp_path: Path) -> None:
    spec_a = generated_spec(4, test_id="m-acc", stage="acceptance")
    spec_f = generated_spec(4, test_id="m-fin", stage="final")
    folders = []
    for spec in (spec_a, spec_f):
        folder = tmp_path / spec.id
        folder.mkdir()
        write_manifest(planned_manifest(spec, 2, seed=1), folder / "manifest.json")
        folders.append(folder)
    key_a = [t.correct for t in spec_a.sources["A"].tasks]
    wrong = ["A" if k != "A" else "B" for k in key_a]

    def answers(right: int) -> str:
        return ",".join(key_a[:right] + wrong[right:])

    # acceptance: 100001 25 %, 100002 50 %, 100003 75 %; final: 100001 75 %, 100002 100 %,
    # 100004 50 % (keys of A are the same in both generated specs)
    acc = (
        f"ID,Variant,1,2,3,4\n100001,A,{answers(1)}\n100002,A,{answers(2)}\n100003,A,{answers(3)}\n"
    )
    fin = (
        f"ID,Variant,1,2,3,4\n100001,A,{answers(3)}\n100002,A,{answers(4)}\n100004,A,{answers(2)}\n"
    )
    import_files(store, [_write(tmp_path, "acc.csv", acc)], folders[0])
    import_files(store, [_write(tmp_path, "fin.csv", fin)], folders[1])
    history = department_history(store, "mathematics", 2026)
    assert [s.test_id for s in history.stages] == ["m-acc", None, None, None, "m-fin"]
    assert history.stages[0].mean_percent == 50.0
    assert history.percent["100004"][0] != history.percent["100004"][0]  # NaN: not taken
    g = growth(store, "mathematics", 2026)
    assert (g.start, g.end) == (Stage.ACCEPTANCE, Stage.FINAL)
    assert g.matched_teachers == ("100001", "100002")
    assert (g.matched.difference, g.matched.n) == (50.0, 2)
    # paired differences 50 and 50: no spread, so the interval is the point itself... NaN
    # only below 2 pairs
    assert g.matched.ci_low == pytest.approx(50.0)
    assert g.cohort.difference == pytest.approx(75.0 - 50.0)
    assert (g.cohort.n_start, g.cohort.n_end) == (3, 3)


def test_item_analysis_alerts_a_task_that_differs_in_one_variant(
    store: Store, tmp_path: Path
) -> None:
    _generated_store(tmp_path, store, misprint=2)
    results = load_results(store, "gen-acc")
    ia = item_analysis(results)
    item = results.manifest.variant(2).items[1]
    label = f"{item.version}{item.source_position}"
    (alert,) = [a for a in ia.alerts if a.kind == "variant-differs"]
    assert (alert.label, alert.form) == (label, "V2")
    language = results.test.language  # the alert speaks the test's language
    task = f"{label} ({item.task_id})"
    start = {
        "ru": f"форма V2, вопрос 2 = задание {task}: верно 0% ",
        "en": f"form V2 question 2 = task {task}: 0% ",
    }[language]
    assert alert.message.startswith(start), alert.message
    q = list(ia.form_columns["V2"]).index(ia.labels.index(label))
    assert ia.by_form["V2"].facility[q] == 0.0


def test_a_key_is_questioned_only_on_evidence() -> None:
    from scoring.analysis import clearly_negative

    assert not clearly_negative(-0.10, 60)  # the interval reaches zero
    assert not clearly_negative(-0.50, 20)  # too few answers to say
    assert clearly_negative(-0.40, 30)
    assert clearly_negative(-0.78, 30)
    assert not clearly_negative(0.2, 400) and not clearly_negative(float("nan"), 400)
