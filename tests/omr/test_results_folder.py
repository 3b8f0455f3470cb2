"""Duplicate resolution and the CSV cells, on hand-built records."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from omr.results import QuestionRead, SheetResult, SourceRef
from omr.results_folder import csv_text, is_plain_duplicate, resolve_duplicates


def record(name: str, respondent: str | None, letters: str, status: str = "ok") -> SheetResult:
    questions = [
        QuestionRead(
            position=i + 1,
            state="blank" if c == "-" else "ambiguous" if c == "?" else "marked",
            letters="" if c == "-" else "B" if c == "?" else c,
            fills=[0.0],
        )
        for i, c in enumerate(letters)
    ]
    return SheetResult(
        source=SourceRef(file=name, page=1, sha256=f"sha-{name}"),
        status=status,  # type: ignore[arg-type]
        test_id="t",
        variant=1,
        sheet_page=1,
        respondent=respondent,
        questions=questions,
    )


def test_csv_cells_use_printed_letters() -> None:
    text = csv_text([record("a.png", "1", "A-?"), record("b.png", None, "", "refused")], 3)
    assert text.splitlines() == [
        "file,page,test,variant,respondent,status,reason,q1,q2,q3",
        "a.png,1,t,1,1,ok,,A,,?",
        "b.png,1,t,1,,refused,,,,",
    ]


records = st.lists(
    st.tuples(st.sampled_from(["1", "2", "3"]), st.text(alphabet="AB-", min_size=2, max_size=2)),
    max_size=8,
)


@given(records)
def test_resolving_is_idempotent_and_keeps_one_result_per_sheet(
    items: list[tuple[str, str]],
) -> None:
    batch = [record(f"f{i:02d}.png", who, marks) for i, (who, marks) in enumerate(items)]
    once = resolve_duplicates(batch)
    assert resolve_duplicates(once) == once
    kept = [r for r in once if not is_plain_duplicate(r)]
    for who in {who for who, _ in items}:
        sheets = [r for r in kept if r.respondent == who]
        distinct = {tuple((q.state, q.letters) for q in r.questions) for r in sheets}
        # one result per distinct reading; several only when they conflict, all flagged
        assert len(sheets) == len(distinct)
        if len(sheets) > 1:
            assert all(r.status == "flagged" for r in sheets)


def test_csv_cells_from_outside_text_never_run_as_formulas() -> None:
    forged = record("=cmd|' /C calc'!A0.png", '=HYPERLINK("http://x","click")', "A")
    line = csv_text([forged], 1).splitlines()[1]
    assert line == ('\'=cmd|\' /C calc\'!A0.png,1,t,1,"\'=HYPERLINK(""http://x"",""click"")",ok,,A')
