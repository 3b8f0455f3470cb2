"""Merge the stored attempts of a test into one result per teacher, then apply overrides.

Rules, in order:

1. **Live** candidate: the teacher's scanned pages of the most recently imported live form;
   the pages are combined question by question (a page rescanned later replaces the earlier
   read of the same questions).
2. **Remote** candidate: one of the teacher's online attempts, by the test's attempt rule
   (``scoring import --attempts``): ``first`` (default: the first finished attempt, what a
   monitoring test measures), ``last``, or ``highest`` (Moodle's default grading method; the
   earlier of equal scores). Attempts are ordered by their completion time; an attempt whose
   export gave no time comes after every timed one, in import order, so it can never pass
   itself off as the latest. Every teacher with several online attempts is listed.
3. When both exist, a reviewer's choice for that teacher decides (``scoring review``), else
   ``prefer``: ``live`` (default), ``remote``, or ``latest`` (the later of the two); the pair
   is listed as a :class:`Conflict`. Provenance of every attempt
   that went into the result is kept.
4. Overrides are applied last, in the order they were made, so they survive re-imports.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import numpy as np

from common.i18n import mark, tr
from scoring.forms import TestForms
from scoring.store import STATE_CODES, AttemptRow, Override, Store, letters_mask
from scoring.timeparse import sortable_time

Prefer = Literal["live", "remote", "latest"]
PREFER_CHOICES: tuple[str, ...] = ("live", "remote", "latest")
ATTEMPT_CHOICES: tuple[str, ...] = ("first", "last", "highest")
_ABSENT = STATE_CODES["absent"]
_ANSWERED = (STATE_CODES["marked"], STATE_CODES["multiple"])


class Provenance(NamedTuple):
    """Where one attempt came from. (A named tuple: 100,000 of them are made per merge.)"""

    attempt_id: int
    channel: str
    format: str
    source_file: str
    source_sha256: str
    locator: str  # "page 2" or "row 7"
    imported_at: str
    taken_at: str | None
    form: str
    sheet_page: int | None

    def describe(self) -> str:
        return f"{self.source_file} {self.locator} ({self.channel}, {self.format})"


CHANNEL_WORDS = (mark("live"), mark("remote"))  # shown as tr(channel)


@dataclass(frozen=True)
class Conflict:
    """A teacher with both a live and a remote result; ``chosen`` is the channel used."""

    teacher_id: str
    chosen: str
    rule: str
    live: tuple[Provenance, ...]
    remote: Provenance
    same_answers: bool

    def describe(self) -> str:
        other = "remote" if self.chosen == "live" else "live"
        same = tr("same answers") if self.same_answers else tr("answers differ")
        why = tr("chosen in the review") if self.rule == "review" else f"--prefer {self.rule}"
        return tr(
            "teacher {teacher}: live and remote results ({same}); {chosen} used, {other} kept "
            "({why})",
            teacher=self.teacher_id,
            same=same,
            chosen=tr(self.chosen),
            other=tr(other),
            why=why,
        )


@dataclass(frozen=True)
class SeveralAttempts:
    """A teacher with several online attempts of one test, and the one that counts."""

    teacher_id: str
    count: int
    rule: str
    chosen: Provenance

    def describe(self) -> str:
        when = tr(", completed {at}", at=self.chosen.taken_at) if self.chosen.taken_at else ""
        return tr(
            "teacher {teacher}: {count} online attempts; {file} {locator}{when} counts "
            "(--attempts {rule})",
            teacher=self.teacher_id,
            count=self.count,
            file=self.chosen.source_file,
            locator=self.chosen.locator,
            when=when,
            rule=self.rule,
        )


@dataclass
class MergedSet:
    """One merged result per teacher of a test (T teachers, N printed questions).

    ``marks[t, q]`` is the bitmask of printed letters chosen at position q+1 of form
    ``forms[form_index[t]]``; ``states[t, q]`` its state code (see ``scoring.store``).
    """

    test_id: str
    prefer: str
    teacher_ids: list[str]
    form_index: np.ndarray  # (T,) int16, index into TestForms.forms
    marks: np.ndarray  # (T, N) uint8
    states: np.ndarray  # (T, N) uint8
    channel: list[str]  # (T,)
    source_rows: list[tuple[int, ...]]  # (T,) indices into ``attempt_rows``
    flags: list[tuple[str, ...]]  # (T,)
    conflicts: list[Conflict] = field(default_factory=list)
    several: list[SeveralAttempts] = field(default_factory=list)
    overrides: dict[str, list[Override]] = field(default_factory=dict)
    attempt_rows: list[AttemptRow] = field(default_factory=list)  # the attempts as read

    def sources_of(self, t: int) -> tuple[Provenance, ...]:
        """Provenance of every attempt that went into teacher row ``t`` (built on demand:
        a test with 100,000 results should not pay for 100,000 of them)."""
        return tuple(_provenance(self.attempt_rows[i]) for i in self.source_rows[t])

    def row_of(self, teacher_id: str) -> int:
        return self.teacher_ids.index(teacher_id)


def _provenance(r: AttemptRow) -> Provenance:
    return Provenance(
        r.id,
        r.channel,
        r.format,
        r.source_file,
        r.source_sha256,
        r.locator,
        r.imported_at,
        r.taken_at,
        r.form,
        r.sheet_page,
    )


class _Times:
    """When each attempt was taken (completion time, else import time), parsed on demand."""

    def __init__(self, rows: list[AttemptRow]):
        self.rows = rows

    def __getitem__(self, i: int) -> str:
        r = self.rows[i]
        return (sortable_time(r.taken_at) or r.imported_at) if r.taken_at else r.imported_at


def attempt_points(
    forms: TestForms, form_index: int, marks: np.ndarray, states: np.ndarray
) -> float:
    """Points of one attempt (``marks``, ``states`` of shape (N,)) on form ``form_index``,
    by the rule of :mod:`scoring.scores`."""
    n = forms.n_positions
    columns = forms.position_column[form_index]
    source = forms.mask_lut[form_index, np.arange(n), marks]
    right = np.isin(states, _ANSWERED) & (source == forms.column_key_mask[columns])
    return float(forms.column_points[columns][right].sum())


def _completion_key(rows: list[AttemptRow], i: int) -> tuple[bool, str]:
    """(has a completion time, the time): untimed attempts sort after every timed one."""
    taken = sortable_time(rows[i].taken_at)
    return (taken is None, taken or "")


def _pick_remote(
    remote: list[int], rule: str, rows: list[AttemptRow], points: Callable[[int], float]
) -> int:
    in_order = sorted(remote, key=lambda r: (*_completion_key(rows, r), rows[r].id))
    if rule == "first":
        return in_order[0]
    if rule == "highest":
        return max(in_order, key=lambda r: (points(r), -in_order.index(r)))
    timed = [r for r in in_order if not _completion_key(rows, r)[0]]
    return timed[-1] if timed else in_order[-1]


def merge_test(
    store: Store, test_id: str, forms: TestForms, prefer: str | None = None
) -> MergedSet:
    """Merge every attempt of ``test_id`` (whose forms are ``forms``).

    ``prefer=None`` uses the rule stored with the test (set by ``scoring import --prefer``).
    """
    stored_prefer, rule = store.rules(test_id)
    prefer = prefer or stored_prefer
    chosen_by_review = store.channel_choices(test_id)
    rows = store.attempt_rows(test_id)
    n_rows = len(rows)
    n = forms.n_positions
    form_names = forms.index
    channel = [r.channel for r in rows]
    times = _Times(rows)
    row_forms = [r.form for r in rows]
    all_marks = np.frombuffer(b"".join(r.marks for r in rows), dtype=np.uint8).reshape(n_rows, n)
    all_states = np.frombuffer(b"".join(r.state_codes for r in rows), dtype=np.uint8).reshape(
        n_rows, n
    )

    def prov(i: int) -> Provenance:
        return _provenance(rows[i])

    def flags_of(i: int) -> tuple[str, ...]:
        return () if rows[i].flags == "[]" else tuple(json.loads(rows[i].flags))

    # Most teachers have exactly one attempt: group with numpy, take those as they are, and
    # apply the rules in Python only to teachers with several attempts.
    teacher_col = np.array([r.teacher_id for r in rows], dtype=str)
    uniq, first_idx, inverse, counts = np.unique(
        teacher_col, return_index=True, return_inverse=True, return_counts=True
    )
    teacher_ids = uniq.tolist()
    first = first_idx.astype(np.int64)
    row_form_index = np.array([form_names[f] for f in row_forms], dtype=np.int16)
    form_out = row_form_index[first] if n_rows else np.zeros(0, np.int16)
    chan_out = [channel[i] for i in first.tolist()]
    sources: list[tuple[int, ...]] = [(i,) for i in first.tolist()]
    flags: list[tuple[str, ...]] = [flags_of(i) for i in first.tolist()]
    patched: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    conflicts: list[Conflict] = []
    several = np.flatnonzero(counts > 1)
    by_teacher: dict[int, list[int]] = {int(t): [] for t in several}
    if several.size:
        for i in np.flatnonzero(np.isin(inverse, several)).tolist():
            by_teacher[int(inverse[i])].append(i)
    several_attempts: list[SeveralAttempts] = []

    def points(r: int) -> float:
        return attempt_points(forms, int(row_form_index[r]), all_marks[r], all_states[r])

    for t, mine in by_teacher.items():
        teacher = teacher_ids[t]
        live = [r for r in mine if channel[r] == "live"]
        online = [r for r in mine if channel[r] == "remote"]
        remote = _pick_remote(online, rule, rows, points) if online else None
        if len(online) > 1 and remote is not None:
            several_attempts.append(SeveralAttempts(teacher, len(online), rule, prov(remote)))
        if live:
            live_form = row_forms[live[-1]]
            live = [r for r in live if row_forms[r] == live_form]
        use_live = bool(live)
        decided_by = prefer
        if live and remote is not None:
            if teacher in chosen_by_review:
                use_live = chosen_by_review[teacher] == "live"
                decided_by = "review"
            elif prefer == "remote":
                use_live = False
            elif prefer == "latest":
                use_live = max(times[r] for r in live) >= times[remote]
        if use_live:
            chosen = live
        else:
            assert remote is not None  # no live result means there is a remote one
            chosen = [remote]
        if len(chosen) == 1:
            first[t] = chosen[0]
        else:
            # Later imports of the same question replace earlier ones (a rescanned page).
            m = all_marks[chosen[0]].copy()
            s = all_states[chosen[0]].copy()
            for r in chosen[1:]:
                present = all_states[r] != _ABSENT
                m[present] = all_marks[r][present]
                s[present] = all_states[r][present]
            patched[t] = (m, s)
            first[t] = chosen[0]
        form_out[t] = form_names[row_forms[chosen[0]]]
        chan_out[t] = "live" if use_live else "remote"
        sources[t] = tuple(chosen)
        row_flags: list[str] = []
        for r in chosen:
            if rows[r].flags != "[]":
                row_flags.extend(json.loads(rows[r].flags))
        if live and remote is not None:
            live_marks = patched[t][0] if (use_live and t in patched) else all_marks[live[-1]]
            conflict = Conflict(
                teacher,
                "live" if use_live else "remote",
                decided_by,
                tuple(prov(r) for r in live),
                prov(remote),
                row_forms[live[-1]] == row_forms[remote]
                and bool(np.array_equal(live_marks, all_marks[remote])),
            )
            conflicts.append(conflict)
        flags[t] = tuple(row_flags)

    marks = all_marks[first] if n_rows else np.zeros((0, n), np.uint8)
    states = all_states[first] if n_rows else np.zeros((0, n), np.uint8)
    for t, (m, s) in patched.items():
        marks[t] = m
        states[t] = s
    merged = MergedSet(
        test_id,
        prefer,
        teacher_ids,
        form_out,
        marks,
        states,
        chan_out,
        sources,
        flags,
        conflicts,
        several_attempts,
        attempt_rows=rows,
    )
    apply_overrides(merged, store.overrides(test_id))
    return merged


def state_for(letters: str) -> str:
    if not letters:
        return "blank"
    return "marked" if len(letters) == 1 else "multiple"


def apply_overrides(merged: MergedSet, overrides: list[Override]) -> None:
    """Apply overrides in order (in place); each is kept with its teacher for the audit."""
    if not overrides:
        return
    position = {tid: i for i, tid in enumerate(merged.teacher_ids)}
    for ov in overrides:
        t = position.get(ov.teacher_id)
        if t is None or not 1 <= ov.question <= merged.marks.shape[1]:
            continue
        merged.marks[t, ov.question - 1] = letters_mask(ov.after)
        merged.states[t, ov.question - 1] = STATE_CODES[state_for(ov.after)]
        merged.overrides.setdefault(ov.teacher_id, []).append(ov)


def mask_letters(mask: int) -> str:
    return "".join(chr(65 + b) for b in range(8) if mask >> b & 1)


def answer_text(mark: int, state: int) -> str:
    """Printed answer as shown to people: letters, ``""`` for none, ``"?"`` when in doubt."""
    if state in (STATE_CODES["ambiguous"], STATE_CODES["unmatched"]):
        return "?"
    return mask_letters(mark)
