"""Property tests: scores stay within [0, max]; printed <-> source mapping round-trips through
the planner's real variants; merging and re-importing are idempotent."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scoring_helpers import ROSTER, generated_spec, planned_manifest

from common.vocabulary import LETTERS
from scoring.analysis import load_results, teacher_results
from scoring.forms import TestForms, printed_letters
from scoring.ingest import import_files, import_roster
from scoring.merge import MergedSet
from scoring.scores import score_matrix
from scoring.store import STATE_CODES, open_store
from testgen.manifest import write_manifest


@cache
def _forms(n: int, options: int, variants: int, seed: int) -> TestForms:
    return TestForms(planned_manifest(generated_spec(n, options=options), variants, seed))


form_params = st.tuples(st.integers(2, 12), st.integers(2, 6), st.integers(2, 6), st.integers(0, 3))


@settings(max_examples=40, deadline=None)
@given(form_params, st.data())
def test_scores_within_zero_and_max(params: tuple[int, int, int, int], data: st.DataObject) -> None:
    forms = _forms(*params)
    n = forms.n_positions
    t = data.draw(st.integers(1, 20))
    form_index = np.array(
        data.draw(st.lists(st.integers(0, len(forms.forms) - 1), min_size=t, max_size=t)),
        dtype=np.int16,
    )
    marks = np.array(
        data.draw(st.lists(st.lists(st.integers(0, 255), min_size=n, max_size=n), min_size=t,
                           max_size=t)),
        dtype=np.uint8,
    )  # fmt: skip
    states = np.array(
        data.draw(st.lists(st.lists(st.integers(1, 6), min_size=n, max_size=n), min_size=t,
                           max_size=t)),
        dtype=np.uint8,
    )  # fmt: skip
    merged = MergedSet("x", "live", [str(i) for i in range(t)], form_index, marks, states,
                       ["live"] * t, [()] * t, [()] * t)  # fmt: skip
    m = score_matrix(forms, merged)
    assert (m.score >= 0).all() and (m.score <= m.max_score).all()
    assert np.allclose(m.max_score, n)  # every form presents each source position once
    assert (m.presented[:, :n] ^ m.presented[:, n:]).all()
    assert ((m.percent >= 0) & (m.percent <= 100)).all()
    assert (m.rank >= 1).all() and (m.rank <= t).all()


@settings(max_examples=60, deadline=None)
@given(form_params, st.data())
def test_printed_to_source_round_trip(
    params: tuple[int, int, int, int], data: st.DataObject
) -> None:
    forms = _forms(*params)
    f = data.draw(st.integers(0, len(forms.forms) - 1))
    form = forms.forms[f]
    chosen = [
        sorted(data.draw(st.sets(st.integers(0, len(it.task.options) - 1), max_size=3)))
        for it in form.items
    ]
    printed = [printed_letters(it, c) for it, c in zip(form.items, chosen, strict=True)]
    marks = np.array([[sum(1 << LETTERS.index(ch) for ch in p) for p in printed]], dtype=np.uint8)
    answered = np.array([[STATE_CODES["multiple"]] * len(printed)], dtype=np.uint8)
    merged = MergedSet("x", "live", ["1"], np.array([f], np.int16), marks, answered,
                       ["live"], [()], [()])  # fmt: skip
    m = score_matrix(forms, merged)
    for it, c in zip(form.items, chosen, strict=True):
        assert m.chosen[0, it.column] == sum(1 << i for i in c)
        # the printed key maps back to the source task's correct options
        assert printed_letters(it, it.task.correct_indices) == it.key
        assert m.correct[0, it.column] == (c == it.task.correct_indices)


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["100001", "100002", "100003"]), st.sampled_from(["A", "B"]),
                  st.lists(st.sampled_from(["A", "B", "C", "D", "AC", "-"]), min_size=4,
                           max_size=4)),
        min_size=1,
        max_size=6,
    ),
    st.permutations([0, 1]),
)  # fmt: skip
def test_reimport_and_merge_are_idempotent(rows: list, order: list[int]) -> None:
    from scoring_helpers import SMALL_SPEC, SMALL_VARIANTS, manifest_from_plan

    from testgen.spec import parse_spec

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        test_dir = base / "t"
        test_dir.mkdir()
        write_manifest(manifest_from_plan(parse_spec(SMALL_SPEC), SMALL_VARIANTS),
                       test_dir / "manifest.json")  # fmt: skip
        (base / "roster.csv").write_text(ROSTER, encoding="utf-8")
        half = len(rows) // 2
        files = []
        for k, part in enumerate((rows[:half], rows[half:])):
            path = base / f"r{k}.csv"
            path.write_text(
                "ID,Variant,1,2,3,4\n" + "".join(f"{t},{v},{','.join(a)}\n" for t, v, a in part)
            )
            files.append(path)
        with open_store(base / "db.sqlite") as store:
            import_roster(store, base / "roster.csv")
            import_files(store, [files[i] for i in order], test_dir)
            first = [(r.teacher_id, r.answers, r.score) for r in
                     teacher_results(load_results(store, "math-2026-acc"))]  # fmt: skip
            count = store.con.execute("SELECT count(*) FROM attempts").fetchone()[0]
            report = import_files(store, files, test_dir)
            assert all(f.new == 0 for f in report.files)
            again = [(r.teacher_id, r.answers, r.score) for r in
                     teacher_results(load_results(store, "math-2026-acc"))]  # fmt: skip
            assert again == first
            assert store.con.execute("SELECT count(*) FROM attempts").fetchone()[0] == count
        assert {t for t, *_ in first} == {t for t, *_ in rows}
