"""The scoring library's public API: what reports (``scoring report``) read.

Entry points, each typed and documented below:

- :func:`load_results` -> :class:`TestResults`: the merged, scored results of one test
  (matrices teachers × source tasks, scores, percent, rank) with the manifest.
- :func:`teacher_results` -> list of :class:`TeacherResult`: per teacher, the variant, the
  answers in printed order, per question the source task, key, correctness and points, the
  score, percent, rank in the department, flags, overrides, provenance and any conflict.
- :func:`topic_scores` -> :class:`scoring.scores.TopicScores`.
- :func:`item_analysis` -> :class:`ItemAnalysis`: per source task across variants and per
  task × variant, reliability, and alerts.
- :func:`department_history` -> :class:`DepartmentHistory` across the five stages.
- :func:`estimate_growth` (the one growth computation) and :func:`growth` ->
  :class:`DepartmentGrowth` (cohort and matched differences with N and 95 % CI).
- :func:`status_report` -> :class:`TestStatus` (roster vs results).

Percentages are 0..100. Matrices use T teachers (``TestResults.teacher_ids`` order), N
printed questions, K = 2N source-task columns (``TestForms.column_labels``: "A1".."BN").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from common.i18n import tr
from common.roster import Teacher
from common.vocabulary import LETTERS, STAGE_ORDER, Stage
from omr.results import describe_flag
from scoring.forms import TestForms
from scoring.merge import Conflict, MergedSet, Provenance, answer_text, merge_test
from scoring.scores import ScoreMatrix, TopicScores, score_matrix
from scoring.scores import topic_scores as _topic_scores
from scoring.stats import (
    ItemStats,
    MeanDifference,
    Reliability,
    cohort_difference,
    item_stats,
    paired_difference,
    reliability,
)
from scoring.store import STATE_NAMES, Override, Roster, Store
from testgen.manifest import Manifest, TestInfo

# Alert thresholds. A variant's facility must differ from the other variants' by both a
# clear margin and a significant z (p < 0.001) before we call it different; small groups
# (under MIN_N) are never alerted on, their statistics are too noisy to act on.
MIN_N = 10
VARIANT_DIFF = 0.15
VARIANT_Z = 3.29
# A key is called into question only on evidence: a negative discrimination whose 95 %
# confidence interval (Fisher's z) lies below zero, from at least KEY_MIN_N answers. With
# fewer, or an interval that reaches zero, a correct key often shows a small negative value.
KEY_MIN_N = 30
Z_95 = 1.96


def clearly_negative(r: float, n: int) -> bool:
    """The correlation ``r`` of ``n`` pairs is below zero with 95 % confidence."""
    if n < KEY_MIN_N or math.isnan(r) or r >= 0:
        return False
    r = max(r, -0.999999)
    return math.tanh(math.atanh(r) + Z_95 / math.sqrt(n - 3)) < 0


@dataclass
class TestResults:
    """Merged and scored results of one test (see :mod:`scoring.scores` for the arrays)."""

    __test__ = False  # not a pytest test class

    test: TestInfo
    manifest: Manifest
    forms: TestForms
    merged: MergedSet
    matrix: ScoreMatrix
    teachers: Roster  # the whole roster, by ID (a Mapping[str, Teacher])

    @property
    def teacher_ids(self) -> list[str]:
        return self.merged.teacher_ids


def load_results(store: Store, test_id: str, prefer: str | None = None) -> TestResults:
    """Merge (``prefer``: None = the rule stored with the test) and score one test."""
    manifest = store.manifest(test_id)
    forms = TestForms(manifest)
    merged = merge_test(store, test_id, forms, prefer)
    return TestResults(
        manifest.test, manifest, forms, merged, score_matrix(forms, merged), store.teachers()
    )


@dataclass(frozen=True)
class QuestionResult:
    """One printed question of a teacher's form."""

    position: int  # printed, 1-based
    version: str  # source version "A" or "B"
    source_position: int
    task_id: str
    topic: str
    answer: str  # printed letters chosen; "" none; "?" in doubt
    key: str  # printed letters of the correct answer
    answer_source: str  # the chosen options as source letters
    key_source: str  # the task's correct source letters
    state: str  # marked | blank | multiple | ambiguous | unmatched | incorrect
    correct: bool
    points: float
    max_points: float
    overridden: bool


@dataclass(frozen=True)
class TeacherResult:
    teacher_id: str
    teacher: Teacher | None  # None when the roster no longer has the ID
    form: str  # "A", "B" or "V<n>"
    variant: int | None
    channel: str  # live | remote
    answers: tuple[str, ...]  # printed order
    questions: tuple[QuestionResult, ...]
    score: float
    max_score: float
    percent: float
    rank: int  # within the test's department, 1 = best, ties share
    rank_of: int
    flags: tuple[str, ...]
    overrides: tuple[Override, ...]
    sources: tuple[Provenance, ...]
    conflict: Conflict | None


def _letters(mask: int) -> str:
    return "".join(LETTERS[b] for b in range(8) if mask >> b & 1)


def teacher_results(results: TestResults, *, questions: bool = True) -> list[TeacherResult]:
    """Per-teacher detail, in ``results.teacher_ids`` order. ``questions=False`` leaves
    ``answers`` and ``questions`` empty (a fifth of the time of a page that shows none)."""
    forms, merged, mx = results.forms, results.merged, results.matrix
    conflicts = {c.teacher_id: c for c in merged.conflicts}
    out: list[TeacherResult] = []
    t_count = len(merged.teacher_ids)
    for t, tid in enumerate(merged.teacher_ids):
        form = forms.forms[int(merged.form_index[t])]
        overridden = {o.question for o in merged.overrides.get(tid, [])}
        rows: list[QuestionResult] = []
        answers: list[str] = []
        for q, item in enumerate(form.items if questions else ()):
            c = item.column
            answer = answer_text(int(merged.marks[t, q]), int(merged.states[t, q]))
            answers.append(answer)
            rows.append(
                QuestionResult(
                    position=item.position,
                    version=item.version,
                    source_position=item.source_position,
                    task_id=item.task.id,
                    topic=item.task.topic,
                    answer=answer,
                    key=item.key,
                    answer_source=_letters(int(mx.chosen[t, c])),
                    key_source=item.task.correct,
                    state=STATE_NAMES[int(merged.states[t, q])],
                    correct=bool(mx.correct[t, c]),
                    points=float(mx.points[t, c]),
                    max_points=float(mx.max_points[t, c]),
                    overridden=item.position in overridden,
                )
            )
        out.append(
            TeacherResult(
                teacher_id=tid,
                teacher=results.teachers.get(tid),
                form=form.name,
                variant=form.variant,
                channel=merged.channel[t],
                answers=tuple(answers),
                questions=tuple(rows),
                score=float(mx.score[t]),
                max_score=float(mx.max_score[t]),
                percent=float(mx.percent[t]),
                rank=int(mx.rank[t]),
                rank_of=t_count,
                flags=merged.flags[t],
                overrides=tuple(merged.overrides.get(tid, [])),
                sources=merged.sources_of(t),
                conflict=conflicts.get(tid),
            )
        )
    return out


def topic_scores(results: TestResults) -> TopicScores:
    """Sub-scores per topic: arrays of shape (T, n_topics), see :class:`TopicScores`."""
    return _topic_scores(results.forms, results.matrix)


# -- item analysis -------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    """Something a tutor should look at. ``kind``: ``wrong-key`` (negative discrimination
    across variants), ``variant-wrong-key`` (negative in one variant only) or
    ``variant-differs`` (facility in one variant far from the others)."""

    kind: str
    column: int
    task_id: str
    label: str  # "A7"
    form: str | None
    message: str


@dataclass
class ItemAnalysis:
    """Item statistics of one test.

    ``tasks`` is per source-task column (arrays of shape (K,), K = 2N; columns nobody was
    presented have n = 0 and NaN statistics); ``by_form[name]`` is per printed position of
    that form (arrays of shape (N,)) over the teachers who answered that form, with
    ``form_columns[name]`` (shape (N,)) giving the source column of each position.
    ``labels``/``task_ids``/``topics``/``keys`` describe the K columns (keys as source
    letters); ``n_options`` is the option count per column.
    """

    labels: tuple[str, ...]
    task_ids: tuple[str, ...]
    topics: tuple[str, ...]
    keys: tuple[str, ...]
    n_options: np.ndarray
    tasks: ItemStats
    by_form: dict[str, ItemStats]
    form_columns: dict[str, np.ndarray]
    reliability: Reliability
    alerts: list[Alert]


def item_analysis(results: TestResults) -> ItemAnalysis:
    """Facility, discrimination (corrected item-total r and 27 % index), option frequencies,
    reliability (alpha, KR-20, SEM) and alerts, per source task and per task × form."""
    forms, mx = results.forms, results.matrix
    weights = forms.column_points
    tasks = item_stats(mx.correct, mx.presented, mx.chosen, mx.score, weights)
    by_form: dict[str, ItemStats] = {}
    form_columns: dict[str, np.ndarray] = {}
    fi = results.merged.form_index
    for f, form in enumerate(forms.forms):
        rows = np.flatnonzero(fi == f)
        if rows.size == 0:
            continue
        cols = forms.position_column[f]
        by_form[form.name] = item_stats(
            mx.correct[np.ix_(rows, cols)],
            mx.presented[np.ix_(rows, cols)],
            mx.chosen[np.ix_(rows, cols)],
            mx.score[rows],
            weights[cols],
        )
        form_columns[form.name] = cols
    n = forms.n_positions
    position_correct = mx.correct[:, :n] | mx.correct[:, n:]
    rel = reliability(mx.position_points, position_correct)
    ia = ItemAnalysis(
        labels=forms.column_labels,
        task_ids=tuple(t.id for t in forms.column_tasks),
        topics=tuple(t.topic for t in forms.column_tasks),
        keys=tuple(t.correct for t in forms.column_tasks),
        n_options=forms.column_n_options,
        tasks=tasks,
        by_form=by_form,
        form_columns=form_columns,
        reliability=rel,
        alerts=[],
    )
    ia.alerts = alerts(ia, results.test.language)
    return ia


def _top_upper_option(stats: ItemStats, k: int, n_options: int) -> str:
    counts = stats.upper_option_counts[k, :n_options]
    return LETTERS[int(np.argmax(counts))] if counts.sum() else ""


# The alerts' sentences in the test's language: they are printed in its department report.
ALERT_WORDS = {
    "ru": {
        "hint": "; сильнейшие педагоги чаще выбирали вариант {top} исходника",
        "wrong-key": "задание {label} ({task}): отрицательная различающая способность {d:.2f} "
        "(ключ исходника {key}{hint}); проверьте ключ",
        "variant-wrong-key": "форма {form}, вопрос {q} = задание {label}: отрицательная "
        "различающая способность {d:.2f} только в этой форме; проверьте ключ формы",
        "variant-differs": "форма {form}, вопрос {q} = задание {label}: верно {p1:.0f}% против "
        "{p2:.0f}% в других формах; проверьте печать и ключ",
    },
    "en": {
        "hint": "; the strongest teachers mostly chose source option {top}",
        "wrong-key": "task {label} ({task}): negative discrimination {d:.2f} (source key "
        "{key}{hint}); check the key",
        "variant-wrong-key": "form {form} question {q} = task {label}: negative discrimination "
        "{d:.2f} in this form only; check this form's key",
        "variant-differs": "form {form} question {q} = task {label}: {p1:.0f}% correct against "
        "{p2:.0f}% in the other forms; check its printing and key",
    },
}


def alerts(ia: ItemAnalysis, language: str = "ru") -> list[Alert]:
    """Probable wrong keys and tasks that behave differently in one form."""
    words = ALERT_WORDS.get(language, ALERT_WORDS["en"])
    out: list[Alert] = []
    tasks = ia.tasks
    for k in range(len(ia.labels)):
        d = tasks.discrimination[k]
        if clearly_negative(float(d), int(tasks.n[k])):
            top = _top_upper_option(tasks, k, int(ia.n_options[k]))
            hint = words["hint"].format(top=top) if top and top not in ia.keys[k] else ""
            out.append(
                Alert(
                    "wrong-key",
                    k,
                    ia.task_ids[k],
                    ia.labels[k],
                    None,
                    words["wrong-key"].format(
                        label=ia.labels[k], task=ia.task_ids[k], d=d, key=ia.keys[k], hint=hint
                    ),
                )
            )
    # Discrimination of every column in every form, to compare one form with the others.
    per_column: dict[int, list[tuple[str, float]]] = {}
    for name, stats in ia.by_form.items():
        for q, k in enumerate(ia.form_columns[name]):
            if stats.n[q] >= MIN_N:
                per_column.setdefault(int(k), []).append((name, float(stats.discrimination[q])))
    candidates: dict[int, list[tuple[tuple[float, float], str, str]]] = {}
    for name, stats in ia.by_form.items():
        cols = ia.form_columns[name]
        for q, k in enumerate(cols):
            n1 = int(stats.n[q])
            n_all = int(tasks.n[k])
            n2 = n_all - n1
            if n1 < MIN_N:
                continue
            d = stats.discrimination[q]
            label = f"{ia.labels[k]} ({ia.task_ids[k]})"
            others_fine = any(
                other != name and od >= 0.1 for other, od in per_column.get(int(k), [])
            )
            if clearly_negative(float(d), n1) and others_fine:
                out.append(
                    Alert(
                        "variant-wrong-key",
                        int(k),
                        ia.task_ids[k],
                        ia.labels[k],
                        name,
                        words["variant-wrong-key"].format(form=name, q=q + 1, label=label, d=d),
                    )
                )
            if n2 < MIN_N:
                continue
            x1 = stats.facility[q] * n1
            x_all = tasks.facility[k] * n_all
            p1 = stats.facility[q]
            p2 = (x_all - x1) / n2
            pooled = x_all / n_all
            se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
            if se > 0 and abs(p1 - p2) >= VARIANT_DIFF and abs(p1 - p2) / se >= VARIANT_Z:
                # rank: largest gap first, then the harder form (a misprint makes it harder)
                key = (-abs(p1 - p2), p1)
                message = words["variant-differs"].format(
                    form=name, q=q + 1, label=label, p1=100 * p1, p2=100 * p2
                )
                candidates.setdefault(int(k), []).append((key, name, message))
    # One alert per task: when only two forms print it, both differ from "the other" and
    # only the odd one out should be named.
    for k, found in sorted(candidates.items()):
        _, name, message = min(found)
        out.append(Alert("variant-differs", k, ia.task_ids[k], ia.labels[k], name, message))
    return out


# -- history and growth -----------------------------------------------------------------


def _tests_of(store: Store, department: str, year: int) -> dict[Stage, str]:
    """Stage -> test id of a department's year (the first id when a stage has several)."""
    found: dict[Stage, str] = {}
    for tid, dept, yr, stage in store.tests():
        if dept == str(department) and yr == year and Stage(stage) not in found:
            found[Stage(stage)] = tid
    return found


@dataclass(frozen=True)
class StageSummary:
    stage: Stage
    test_id: str | None  # None when the stage's test is not in the store yet
    n: int
    mean_percent: float
    sd_percent: float
    median_percent: float


@dataclass
class DepartmentHistory:
    """A department's year across :data:`common.vocabulary.STAGE_ORDER`.

    ``percent[teacher_id]`` has one entry per stage (NaN where the teacher has no result).
    """

    department: str
    year: int
    stages: list[StageSummary]
    percent: dict[str, list[float]]


def department_history(store: Store, department: str, year: int) -> DepartmentHistory:
    tests = _tests_of(store, department, year)
    stages: list[StageSummary] = []
    percent: dict[str, list[float]] = {}
    nan = float("nan")
    for s, stage in enumerate(STAGE_ORDER):
        tid = tests.get(stage)
        if tid is None:
            stages.append(StageSummary(stage, None, 0, nan, nan, nan))
            continue
        res = load_results(store, tid)
        p = res.matrix.percent
        stages.append(
            StageSummary(
                stage,
                tid,
                int(p.size),
                float(p.mean()) if p.size else nan,
                float(p.std(ddof=1)) if p.size > 1 else nan,
                float(np.median(p)) if p.size else nan,
            )
        )
        for teacher, value in zip(res.teacher_ids, p.tolist(), strict=True):
            percent.setdefault(teacher, [nan] * len(STAGE_ORDER))[s] = value
    return DepartmentHistory(str(department), year, stages, percent)


@dataclass(frozen=True)
class GrowthEstimate:
    """Growth from one test to another, in percentage points of the percent-correct score.

    ``cohort``: difference of the two cohorts' means (all who took each test), Welch 95 % CI.
    ``matched``: mean of paired differences of teachers who took both, t 95 % CI.
    """

    cohort: MeanDifference
    matched: MeanDifference
    matched_teachers: tuple[str, ...]
    start_n: int
    end_n: int


def estimate_growth(start: Mapping[str, float], end: Mapping[str, float]) -> GrowthEstimate:
    """The one growth computation: ``start`` and ``end`` map teacher -> percent (teachers
    without a result are absent, not NaN)."""
    both = tuple(sorted(set(start) & set(end)))
    return GrowthEstimate(
        cohort_difference(np.array(list(start.values())), np.array(list(end.values()))),
        paired_difference(np.array([start[t] for t in both]), np.array([end[t] for t in both])),
        both,
        len(start),
        len(end),
    )


@dataclass(frozen=True)
class DepartmentGrowth:
    """A department's growth over a year from stage ``start`` to ``end``."""

    department: str
    year: int
    start: Stage
    end: Stage
    start_test: str | None
    end_test: str | None
    cohort: MeanDifference
    matched: MeanDifference
    matched_teachers: tuple[str, ...]


def growth(
    store: Store,
    department: str,
    year: int,
    start: Stage = Stage.ACCEPTANCE,
    end: Stage = Stage.FINAL,
) -> DepartmentGrowth:
    history = department_history(store, department, year)
    i, j = STAGE_ORDER.index(start), STAGE_ORDER.index(end)
    estimate = estimate_growth(
        {t: v[i] for t, v in history.percent.items() if not math.isnan(v[i])},
        {t: v[j] for t, v in history.percent.items() if not math.isnan(v[j])},
    )
    return DepartmentGrowth(
        history.department,
        year,
        start,
        end,
        history.stages[i].test_id,
        history.stages[j].test_id,
        estimate.cohort,
        estimate.matched,
        estimate.matched_teachers,
    )


# -- status -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FlaggedResult:
    """A teacher's result that needs a person: who, where it came from, what is open."""

    teacher_id: str
    name: str
    sources: tuple[str, ...]  # "scans/a.png page 1", "moodle.csv row 7"
    notes: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.teacher_id} {self.name} ({', '.join(self.sources)}): {'; '.join(self.notes)}"


@dataclass
class TestStatus:
    """Roster vs results of one test: who is missing, flagged, conflicting."""

    __test__ = False  # not a pytest test class

    test_id: str
    department: str
    roster: int  # teachers of the department in the roster
    results: int
    live: int
    remote: int
    missing: list[Teacher]
    flagged: list[FlaggedResult]
    conflicts: list[Conflict]
    outside_department: list[str]  # results of teachers of another department
    overrides: int


def status_report(store: Store, test_id: str) -> TestStatus:
    results = load_results(store, test_id)
    dept = str(results.test.department)
    roster = [
        results.teachers[tid]
        for tid in results.teachers
        if results.teachers.department_of(tid) == dept
    ]
    have = set(results.teacher_ids)
    merged = results.merged
    problem_states = {STATE_NAMES.index("ambiguous"), STATE_NAMES.index("unmatched")}
    flagged = []
    for t, tid in enumerate(merged.teacher_ids):
        open_questions = [
            q + 1 for q, s in enumerate(merged.states[t].tolist()) if s in problem_states
        ]
        notes = [describe_flag(f) for f in merged.flags[t]]
        if open_questions:
            notes.append(
                tr(
                    "unresolved question(s) {questions}",
                    questions=", ".join(map(str, open_questions)),
                )
            )
        # Sheet flags count as resolved once someone has overridden an answer of that sheet.
        if open_questions or (notes and tid not in merged.overrides):
            name = results.teachers[tid].name if tid in results.teachers else "(not in roster)"
            sources = tuple(f"{p.source_file} {p.locator}" for p in merged.sources_of(t))
            flagged.append(FlaggedResult(tid, name, sources, tuple(notes)))
    return TestStatus(
        test_id=test_id,
        department=dept,
        roster=len(roster),
        results=len(have),
        live=merged.channel.count("live"),
        remote=merged.channel.count("remote"),
        missing=[t for t in roster if t.id not in have],
        flagged=flagged,
        conflicts=merged.conflicts,
        outside_department=[
            tid
            for tid in merged.teacher_ids
            if tid in results.teachers and results.teachers.department_of(tid) != dept
        ],
        overrides=sum(len(v) for v in merged.overrides.values()),
    )
