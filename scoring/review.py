"""The review queue: everything of a test that needs a person, and the decisions that settle it.

One queue holds, ordered by doubt (the reader's confidence, least sure first):

- ``question``: a question the reader could not decide (``?``), or an online answer that
  matched no option; settled with the letters on the sheet (or blank);
- ``double``: two clear marks on a one-answer task, when the test's policy is ``review``
  (``scoring review --double-marks review``; by default they are simply wrong and nobody is
  asked, and the reports do not call them doubtful either);
- ``page``: a page with a whole-page flag (a 1-bit pencil scan, low contrast, many blanks,
  writing beside a question, a rescan that differs): confirm the reading, or set the page
  aside for a rescan;
- ``respondent``: a sheet whose ID was not read or is not in the roster, a form with a
  mistyped ID, an online row that matched no teacher: assign a teacher of the roster (the
  source is imported again with that assignment), or set it aside;
- ``refused``: a sheet the reader refused: set aside for a rescan, or assign teacher, variant
  and answers by hand when a person can read it;
- ``conflict``: a teacher with a live and a remote result that differ: choose one.

Every decision is one row of ``decisions`` (who, when, before, after, why), unique per item:
the second decision on an item is refused with who made the first. Answers go in as audited
overrides, which survive re-imports.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from common.errors import OutputError, ToolError, ValidationFailed
from common.i18n import tr
from common.spreadsheet import neutralise
from common.vocabulary import LETTERS
from omr.results import describe_flag, is_page_flag, is_whole_page
from scoring.forms import TestForms, recordable_letters, typed_letters
from scoring.ingest import reimport
from scoring.merge import MergedSet, answer_text, merge_test, state_for
from scoring.polls import poll_items, settle_poll_item
from scoring.store import (
    STATE_CODES,
    AlreadyDecided,
    AttemptRecord,
    Decision,
    Pending,
    Store,
    now_utc,
)
from testgen.manifest import Manifest

REVIEW_SCHEMA_VERSION: Final = 1
ItemKind = Literal["question", "double", "page", "respondent", "refused", "conflict"]
SET_ASIDE = "rescan"
_DOUBT_STATES = (STATE_CODES["ambiguous"], STATE_CODES["unmatched"])


class ReviewItem(BaseModel):
    """One thing a person must settle, with what the reader or importer saw."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = REVIEW_SCHEMA_VERSION
    key: str  # "q:<teacher>:<position>", "page:<attempt>", "who:<pending>", ...
    kind: ItemKind
    doubt: float  # 1 - the reader's confidence; the queue shows the most doubtful first
    teacher_id: str = ""
    teacher_name: str = ""
    question: int | None = None
    reading: str = ""  # what is recorded now: letters, "" blank, "?" undecided
    options: str = ""  # letters a person may choose
    several: bool = False  # a multi-answer task: several letters allowed
    fills: list[float] = Field(default_factory=list)
    reason: str = ""
    source: str = ""  # "scans/s-0001.jpg page 1"
    pictures: list[str] = Field(default_factory=list)  # picture ids (see Queue.pictures)
    live: str = ""  # conflict: the live answers, one cell per question ("-" blank)
    remote: str = ""
    variants: list[int] = Field(default_factory=list)  # refused: variants to choose from
    labels: list[str] = Field(default_factory=list)  # a poll row: what each option stands for
    settled: Decision | None = None


@dataclass
class Queue:
    """The review queue of one test: open items first (most doubtful first), then settled
    ones. ``pictures`` maps the ids items name to files recorded in the store."""

    test_id: str
    items: list[ReviewItem]
    pictures: dict[str, Path] = field(default_factory=dict)

    @property
    def open(self) -> list[ReviewItem]:
        return [i for i in self.items if i.settled is None]

    @property
    def settled(self) -> int:
        return sum(i.settled is not None for i in self.items)

    def item(self, key: str) -> ReviewItem:
        for i in self.items:
            if i.key == key:
                return i
        raise ToolError(
            tr("no review item {key!r} in test {test_id}", key=key, test_id=self.test_id),
            hint=tr("reload the queue"),
        )


def _picture_id(path: str) -> str:
    return hashlib.sha256(path.encode()).hexdigest()[:16]


class _Pictures:
    def __init__(self) -> None:
        self.paths: dict[str, Path] = {}

    def add(self, *paths: object) -> list[str]:
        ids = []
        for p in paths:
            if isinstance(p, str) and p:
                pid = _picture_id(p)
                self.paths[pid] = Path(p)
                ids.append(pid)
        return ids


def _mapping(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _sequence(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _row_text(marks: np.ndarray, states: np.ndarray) -> str:
    return " ".join(answer_text(int(m), int(s)) or "-" for m, s in zip(marks, states, strict=True))


@lru_cache(maxsize=8)
def _forms(manifest_json: str) -> TestForms:
    """The forms of a stored manifest, parsed once per manifest text: parsing costs more than
    the whole rest of a decision."""
    return TestForms(Manifest.model_validate_json(manifest_json))


def build_queue(store: Store, test_id: str, teacher: str | None = None) -> Queue:
    """Everything of ``test_id`` that needs a person, and what was settled already.

    ``teacher``: only that teacher's questions and pages (what a decision on one of them needs
    to look up, at a fraction of the cost)."""
    if store.is_poll(test_id):
        return _poll_queue(store, test_id)
    forms = _forms(store.manifest_json(test_id))
    merged = merge_test(store, test_id, forms)
    roster = store.teachers()
    # an undone decision stays in the audit under "<item>#undone-<id>"; it settles nothing
    decided = {d.item: d for d in store.decisions(test_id) if "#undone-" not in d.item}
    pictures = _Pictures()
    items: list[ReviewItem] = []

    def name(tid: str) -> str:
        return roster[tid].name if tid in roster else ""

    # evidence only of what can become an item: attempts of teachers with a doubt, and
    # attempts with flags (reading every attempt's pictures and fills costs per decision)
    doubtful_rows = np.flatnonzero(
        np.isin(merged.states, (*_DOUBT_STATES, STATE_CODES["multiple"])).any(axis=1)
    )
    if teacher is not None:
        doubtful_rows = doubtful_rows[[merged.teacher_ids[t] == teacher for t in doubtful_rows]]
    wanted = {merged.attempt_rows[r].id for t in doubtful_rows for r in merged.source_rows[t]}
    wanted |= {
        r.id
        for r in merged.attempt_rows
        if r.flags != "[]" and (teacher is None or r.teacher_id == teacher)
    }
    evidence = store.evidence(sorted(wanted))
    mine = [i for i in range(len(merged.teacher_ids)) if teacher in (None, merged.teacher_ids[i])]
    items += _question_items(merged, forms, evidence, pictures, name, store, test_id, rows=mine)
    items += _page_items(merged, evidence, pictures, name, rows=mine)
    if teacher is None:
        items += _pending_items(store, test_id, pictures, forms)
        items += _conflict_items(merged, name)
    open_items = [i for i in items if i.key not in decided]
    open_items.sort(key=lambda i: (-i.doubt, i.key))
    settled = [
        ReviewItem(key=d.item, kind=d.kind, doubt=0.0, settled=d)  # type: ignore[arg-type]
        for d in decided.values()
    ]
    return Queue(test_id, open_items + settled, pictures.paths)


def _poll_queue(store: Store, poll_id: str) -> Queue:
    """A poll's rows in doubt as question items; options are letters, ``labels`` the scale
    values (or departments) they stand for."""
    manifest = store.poll_manifest(poll_id)
    pictures = _Pictures()
    items = [
        ReviewItem(
            key=p.key,
            kind="question",
            doubt=1.0,
            question=p.position,
            reading=p.reading,
            options=p.options,
            labels=p.labels,
            reason=tr("{label}: one mark per row", label=p.label),
            source=p.source,
            pictures=pictures.add(*p.pictures),
        )
        for p in poll_items(store, manifest)
    ]
    settled = [
        ReviewItem(
            key=item,
            kind="question",
            doubt=0.0,
            settled=Decision(0, poll_id, item, "question", before, after, who, at, ""),
        )
        for item, before, after, who, at in store.poll_decisions(poll_id)
    ]
    return Queue(poll_id, items + settled, pictures.paths)


def _question_items(
    merged: MergedSet,
    forms: TestForms,
    evidence: dict[int, dict[str, object]],
    pictures: _Pictures,
    name: Callable[[str], str],
    store: Store,
    test_id: str,
    rows: list[int],
) -> list[ReviewItem]:
    review_doubles = store.double_marks(test_id) == "review"
    multiple = STATE_CODES["multiple"]
    doubt = np.isin(merged.states, _DOUBT_STATES)
    candidates = doubt | (merged.states == multiple) if review_doubles else doubt
    if len(rows) != len(merged.teacher_ids):
        keep = np.zeros(len(merged.teacher_ids), dtype=bool)
        keep[rows] = True
        candidates = candidates & keep[:, None]
    out = []
    for t, q in zip(*np.nonzero(candidates), strict=True):
        tid = merged.teacher_ids[int(t)]
        form = forms.forms[int(merged.form_index[t])]
        item = form.items[int(q)]
        state = int(merged.states[t, q])
        is_double = state == multiple
        if is_double and len(item.key) != 1:
            continue  # several letters on a multi-answer task are an answer, not a doubt
        position = int(q) + 1
        shown: dict[str, object] = {}
        fills: list[float] = []
        confidence = 0.0
        source = ""
        for row in merged.source_rows[int(t)]:
            attempt = merged.attempt_rows[row]
            source = source or f"{attempt.source_file} {attempt.locator}"
            ev = evidence.get(attempt.id, {})
            per_question = _mapping(ev.get("fills"))
            if f"q{position}" in ev or str(position) in per_question:
                shown = ev
                source = f"{attempt.source_file} {attempt.locator}"
                fills = [_number(v) for v in _sequence(per_question.get(str(position)))]
                confidence = _number(_mapping(ev.get("confidence")).get(str(position)))
        reason = (
            tr("two marks on a one-answer task")
            if is_double
            else tr("online answer matched no option")
            if state == STATE_CODES["unmatched"]
            else tr("the reader could not decide")
        )
        out.append(
            ReviewItem(
                key=f"{'double' if is_double else 'q'}:{tid}:{position}",
                kind="double" if is_double else "question",
                doubt=1.0 - confidence if not is_double else 0.5,
                teacher_id=tid,
                teacher_name=name(tid),
                question=position,
                reading=answer_text(int(merged.marks[t, q]), state),
                options=recordable_letters(forms.manifest, item),
                several=len(item.key) > 1,
                fills=fills,
                reason=reason,
                source=source,
                pictures=pictures.add(shown.get(f"q{position}"), shown.get("page")),
            )
        )
    return out


def _page_items(
    merged: MergedSet,
    evidence: dict[int, dict[str, object]],
    pictures: _Pictures,
    name: Callable[[str], str],
    rows: list[int],
) -> list[ReviewItem]:
    """Attempts that went into a result and carry a flag about the page as a whole."""
    out = []
    for t in rows:
        for row in merged.source_rows[t]:
            attempt = merged.attempt_rows[row]
            flags = [] if attempt.flags == "[]" else json.loads(attempt.flags)
            page_flags = [f for f in flags if is_page_flag(f)]
            if not page_flags:
                continue
            ev = evidence.get(attempt.id, {})
            tid = merged.teacher_ids[t]
            out.append(
                ReviewItem(
                    key=f"page:{attempt.id}",
                    kind="page",
                    doubt=1.0 if any(is_whole_page(f) for f in page_flags) else 0.6,
                    teacher_id=tid,
                    teacher_name=name(tid),
                    reason="; ".join(map(describe_flag, page_flags)),
                    source=f"{attempt.source_file} {attempt.locator}",
                    pictures=pictures.add(ev.get("page")),
                )
            )
    return out


def _pending_items(
    store: Store, test_id: str, pictures: _Pictures, forms: TestForms
) -> list[ReviewItem]:
    variants = [v.number for v in forms.manifest.variants]
    out = []
    for p in store.pending(test_id):
        kind: ItemKind = "refused" if p.kind == "refused" else "respondent"
        shown = str(p.record.get("shown", "")) or str(p.record.get("respondent") or "")
        out.append(
            ReviewItem(
                key=f"{'refused' if kind == 'refused' else 'who'}:{p.id}",
                kind=kind,
                doubt=0.9 if kind == "respondent" else 0.8,
                reason=p.reason + (tr(" (the source says: {shown})", shown=shown) if shown else ""),
                source=f"{p.source_file} {p.locator}",
                pictures=pictures.add(p.evidence.get("id"), p.evidence.get("page")),
                variants=variants if kind == "refused" else [],
                options=LETTERS[: max((len(t.options) for t in forms.column_tasks), default=4)],
            )
        )
    return out


def _conflict_items(merged: MergedSet, name: Callable[[str], str]) -> list[ReviewItem]:
    out = []
    rows = merged.attempt_rows
    by_id = {r.id: r for r in rows}
    for c in merged.conflicts:
        if c.same_answers:
            continue
        n = merged.marks.shape[1]

        def cells(attempt_ids: Iterable[int], n: int = n) -> str:
            marks = np.zeros(n, np.uint8)
            states = np.full(n, STATE_CODES["absent"], np.uint8)
            for aid in attempt_ids:
                r = by_id[aid]
                m = np.frombuffer(r.marks, np.uint8)
                s = np.frombuffer(r.state_codes, np.uint8)
                present = s != STATE_CODES["absent"]
                marks[present] = m[present]
                states[present] = s[present]
            return _row_text(marks, states)

        out.append(
            ReviewItem(
                key=f"conflict:{c.teacher_id}",
                kind="conflict",
                doubt=0.7,
                teacher_id=c.teacher_id,
                teacher_name=name(c.teacher_id),
                reason=tr(
                    "live and remote answers differ; {chosen} is used now", chosen=tr(c.chosen)
                ),
                source="; ".join(p.describe() for p in (*c.live, c.remote)),
                reading=c.chosen,
                live=cells(p.attempt_id for p in c.live),
                remote=cells([c.remote.attempt_id]),
            )
        )
    return out


# -- deciding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one decision did, and how long the store took."""

    decision: Decision
    seconds: float
    note: str = ""


def _letters(value: str, item: ReviewItem) -> str:
    text = typed_letters(value)
    wrong = [c for c in text if c not in item.options]
    if wrong:
        raise ToolError(
            tr(
                "{value!r} is not an answer of question {question}",
                value=value,
                question=item.question,
            ),
            where=item.key,
            hint=tr(
                "letters {options}-{options2}, or - for blank",
                options=item.options[0],
                options2=item.options[-1],
            ),
        )
    # two letters on a one-answer task are recorded as on the sheet: they score wrong
    return text


def settle(store: Store, test_id: str, key: str, value: str, who: str, why: str = "") -> Outcome:
    """Settle one open item with ``value``; see the module docstring for what each kind takes.

    Raises :class:`scoring.store.AlreadyDecided` when someone settled it first, and
    :class:`ToolError` for a value the item cannot take.
    """
    started = time.perf_counter()
    who = who.strip()
    if not who:
        raise ToolError(tr("a decision needs the reviewer's name"), where=key)
    if store.is_poll(test_id):
        manifest = store.poll_manifest(test_id)
        after = settle_poll_item(store, manifest, key, value, who, why.strip() or "review")
        decision = Decision(0, test_id, key, "question", "", after, who, now_utc(), why)
        return Outcome(decision, time.perf_counter() - started)
    kind, _, rest = key.partition(":")
    # a question or page names its teacher: look up only that teacher's items
    owner = rest.split(":")[0] if kind in ("q", "double") else None
    queue = build_queue(store, test_id, teacher=owner)
    item = queue.item(key)
    if item.settled is not None:
        d = item.settled
        raise AlreadyDecided(tr("already settled by {who} at {at}", who=d.who, at=d.at), where=key)
    why = why.strip() or "review"
    note = ""
    if item.kind in ("question", "double"):
        letters = _letters(value, item)
        assert item.question is not None
        with store.write() as con:
            decision = store.add_decision(
                con, test_id, key, item.kind, item.reading, letters, who, why
            )
            store.add_override(
                con, test_id, item.teacher_id, item.question, item.reading, letters, who, why
            )
    elif item.kind == "page":
        choice = value.strip().lower()
        if choice not in ("confirm", SET_ASIDE):
            raise ToolError(
                tr("{value!r}: a page is confirmed or set aside", value=value),
                hint=tr("confirm or rescan"),
            )
        with store.write() as con:
            decision = store.add_decision(con, test_id, key, "page", "", choice, who, why)
            if choice == SET_ASIDE:
                store.exclude_attempt(con, int(key.split(":", 1)[1]))
    elif item.kind == "conflict":
        choice = value.strip().lower()
        if choice not in ("live", "remote"):
            raise ToolError(tr("{value!r}: choose live or remote", value=value), where=key)
        with store.write() as con:
            decision = store.add_decision(
                con, test_id, key, "conflict", item.reading, choice, who, why
            )
    elif item.kind == "respondent":
        decision, note = _assign(store, test_id, item, value.strip(), who, why)
    else:
        decision, note = _refused(store, test_id, item, value.strip(), who, why)
    return Outcome(decision, time.perf_counter() - started, note)


def _pending_of(store: Store, test_id: str, key: str) -> Pending:
    pid = int(key.split(":", 1)[1])
    return next(p for p in store.pending(test_id) if p.id == pid)


def _teacher(store: Store, teacher_id: str, key: str) -> str:
    roster = store.teachers()
    tid = teacher_id.strip()
    if tid not in roster:
        raise ToolError(
            tr("teacher {tid!r} is not in the roster", tid=tid),
            where=key,
            hint=tr("search by name"),
        )
    return tid


def _assign(
    store: Store, test_id: str, item: ReviewItem, value: str, who: str, why: str
) -> tuple[Decision, str]:
    pending = _pending_of(store, test_id, item.key)
    if value.lower() == SET_ASIDE:
        with store.write() as con:
            return store.add_decision(
                con, test_id, item.key, "respondent", "", SET_ASIDE, who, why
            ), ""
    tid = _teacher(store, value, item.key)
    with store.write() as con:
        decision = store.add_decision(con, test_id, item.key, "respondent", "", tid, who, why)
        store.add_alias(con, test_id, pending.identity, tid)
    origin = pending.record.get("import_file")
    if not origin:
        return decision, tr("assigned; import the source again to bring its answers in")
    found = reimport(store, test_id, Path(str(origin)))
    return decision, tr("assigned; {n} result(s) added from {origin}", n=found.new, origin=origin)


def _refused(
    store: Store, test_id: str, item: ReviewItem, value: str, who: str, why: str
) -> tuple[Decision, str]:
    """``rescan``, or ``TEACHER VARIANT ANSWERS`` (answers: one letter or ``-`` per question,
    or comma-separated cells)."""
    pending = _pending_of(store, test_id, item.key)
    if value.lower() == SET_ASIDE:
        with store.write() as con:
            return store.add_decision(
                con, test_id, item.key, "refused", "", SET_ASIDE, who, why
            ), ""
    parts = value.split(maxsplit=2)
    if len(parts) != 3:
        raise ToolError(
            tr("a refused sheet is set aside (rescan) or read by hand: TEACHER VARIANT ANSWERS"),
            where=item.key,
        )
    tid = _teacher(store, parts[0], item.key)
    forms = _forms(store.manifest_json(test_id))
    form = f"V{parts[1].lstrip('Vv')}"
    if form not in forms.index:
        raise ToolError(tr("variant {parts!r} is not in the test", parts=parts[1]), where=item.key)
    raw = parts[2].strip()
    cells = [c.strip() for c in raw.split(",")] if "," in raw else list(raw.replace(" ", ""))
    n = forms.n_positions
    if len(cells) != n:
        raise ToolError(
            tr("{n_cells} answers given, the test has {n}", n_cells=len(cells), n=n), where=item.key
        )
    answers = tuple(_letters(c, item) for c in cells)
    states = tuple(state_for(a) for a in answers)
    record = AttemptRecord(
        teacher_id=tid,
        channel=pending.channel,
        format="omr-manual",
        source_file=pending.source_file,
        source_sha256=pending.source_sha256,
        locator=pending.locator,
        fingerprint=pending.fingerprint,
        form=form,
        answers=answers,
        states=states,
        evidence={k: v for k, v in pending.evidence.items() if k == "page"},
    )
    after = f"{tid} {form} {' '.join(a or '-' for a in answers)}"
    with store.write() as con:
        decision = store.add_decision(con, test_id, item.key, "refused", "", after, who, why)
        store.insert_attempts(con, test_id, [record])
    return decision, tr(
        "read by hand as {teacher}, variant {variant}", teacher=tid, variant=form[1:]
    )


UNDOABLE = ("question", "double", "conflict", "page")


def undo(store: Store, test_id: str, key: str, who: str) -> None:
    """Undo one's own decision on an item (the audit keeps it, marked undone); decisions
    that assigned or read a sheet by hand are not undone here."""
    if store.is_poll(test_id):
        raise ToolError(
            tr("a poll's rows are not undone here"), where=key, hint=tr("ask the team lead")
        )
    found = next((d for d in store.decisions(test_id) if d.item == key), None)
    if found is None:
        raise ToolError(tr("nothing to undo: the item is not settled"), where=key)
    if found.who != who.strip():
        raise ToolError(tr("only {who} can undo this decision", who=found.who), where=key)
    if found.kind not in UNDOABLE:
        raise ToolError(
            tr("an assignment is not undone here"), where=key, hint=tr("ask the team lead")
        )
    parts = key.split(":")
    override = (parts[1], int(parts[2])) if found.kind in ("question", "double") else None
    restore = int(parts[1]) if found.kind == "page" and found.after == SET_ASIDE else None
    with store.write() as con:
        store.revoke_decision(con, found, who.strip(), override=override, restore_attempt=restore)


# -- offline: CSV ------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "key", "kind", "teacher_id", "teacher_name", "question", "reading", "options", "fills",
    "reason", "source", "pictures", "decision", "why",
)  # fmt: skip


def export_csv(queue: Queue) -> str:
    """The open items as CSV (UTF-8 with BOM, Excel opens it); fill ``decision`` and give it
    back to :func:`apply_csv`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for i in queue.open:
        writer.writerow(
            [
                neutralise(str(v))
                for v in (
                    i.key,
                    i.kind,
                    i.teacher_id,
                    i.teacher_name,
                    i.question or "",
                    i.reading,
                    i.options,
                    " ".join(f"{f:.2f}" for f in i.fills),
                    i.reason,
                    i.source,
                    " ".join(str(queue.pictures[p]) for p in i.pictures),
                    "",
                    "",
                )
            ]
        )
    return "\ufeff" + out.getvalue()


def write_export(queue: Queue, path: Path) -> None:
    """Write :func:`export_csv` to ``path`` (one clear line when it cannot be written)."""
    try:
        path.write_text(export_csv(queue), encoding="utf-8")
    except OSError as error:
        raise OutputError(
            tr("cannot write: {strerror}", strerror=error.strerror), where=str(path)
        ) from None


@dataclass
class Applied:
    applied: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def apply_csv(store: Store, test_id: str, path: Path, who: str) -> Applied:
    """Settle the items of an exported queue whose ``decision`` column is filled in."""
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and ("key" not in rows[0] or "decision" not in rows[0]):
        raise ValidationFailed([tr("the file needs the columns key and decision")], where=str(path))
    result = Applied()
    for line, row in enumerate(rows, start=2):
        key = (row.get("key") or "").strip()
        value = row.get("decision") or ""
        if not key or not value.strip():
            continue
        try:
            settle(store, test_id, key, value, who, row.get("why") or "review (CSV)")
            result.applied.append(key)
        except (AlreadyDecided, ToolError) as error:
            result.problems.append(
                tr("{path}: line {line}: {error}", path=path, line=line, error=error)
            )
    return result


def unresolved(store: Store, test_id: str) -> int:
    """How many items of the test still need a person."""
    return len(build_queue(store, test_id).open)


__all__ = [
    "Queue",
    "ReviewItem",
    "apply_csv",
    "build_queue",
    "export_csv",
    "settle",
    "undo",
    "unresolved",
    "write_export",
]
