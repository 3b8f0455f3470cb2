"""Collect a :class:`ReportData` for one test from the store, through the scoring library.

Scores, ranks, topic sub-scores, item statistics, reliability, growth and alerts all come from
``scoring.analysis`` / ``scoring.stats``; this module only arranges them for the reports. Each
test of the store is loaded (merged and scored) at most once, because the history of the
department and the monitoring summary both need every test of a year.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np

from common.errors import InputNotFound, ToolError
from common.i18n import speaking, tr
from common.markup import to_plain
from common.text import printable
from common.vocabulary import DEPARTMENT_TITLES, LETTERS, department_title, stage_title
from scoring.analysis import (
    QuestionResult,
    TeacherResult,
    TestResults,
    estimate_growth,
    item_analysis,
    load_results,
    teacher_results,
    topic_scores,
)
from scoring.forms import FormItem
from scoring.ingest import resolve_test_id
from scoring.report.data import (
    STAGES,
    GrowthFigure,
    HistoryPoint,
    ItemAlert,
    ItemRow,
    ReportData,
    StageMeta,
    StandingRule,
    SummaryRow,
    TaskRow,
    TeacherReport,
    TestMeta,
    TestStatistics,
    TopicMean,
    TopicScore,
    histogram,
    pseudonym,
)
from scoring.report.recommendations import Recommendations
from scoring.review import unresolved as open_review_items
from scoring.stats import MeanDifference
from scoring.store import STATE_CODES, Store, default_db_path, open_store

# States a person must look at: the reader could not decide, or an online answer matched no
# option. A "multiple" answer on a one-answer task is flagged too when the test's double-mark
# policy is "review" (scoring.review): reports and the review queue say the same thing.
_DOUBT = {"ambiguous", "unmatched"}
_IN_DOUBT_CODES = (STATE_CODES["ambiguous"], STATE_CODES["unmatched"])


def _num(value: float) -> float | None:
    """NaN (the library's "not enough data") -> None (the report model's "not available")."""
    return None if value is None or math.isnan(value) else float(value)


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


class _Tests:
    """Each test of the store loaded once (merged and scored by the library)."""

    def __init__(self, store: Store):
        self.store = store
        self.index = store.tests()  # (id, department, year, stage)
        self._cache: dict[str, TestResults] = {}

    def results(self, test_id: str) -> TestResults:
        if test_id not in self._cache:
            self._cache[test_id] = load_results(self.store, test_id)
        return self._cache[test_id]

    def year_tests(self, department: str, year: int) -> dict[str, str]:
        """Stage -> test id (the first id when a stage has several, as the library does)."""
        found: dict[str, str] = {}
        for tid, dept, yr, stage in self.index:
            if dept == department and yr == year and stage not in found:
                found[stage] = tid
        return found

    def review_doubles(self, test_id: str) -> bool:
        return self.store.double_marks(test_id) == "review"

    def percents_of(self, test_id: str) -> dict[str, float]:
        """{teacher id: percent correct} of one test."""
        res = self.results(test_id)
        return dict(zip(res.teacher_ids, res.matrix.percent.tolist(), strict=True))

    def stage_percents(self, department: str, year: int) -> dict[str, dict[str, float]]:
        """Stage -> {teacher id: percent correct} for a department's year."""
        return {s: self.percents_of(t) for s, t in self.year_tests(department, year).items()}


def _growth(diff: MeanDifference, n: int) -> GrowthFigure:
    return GrowthFigure(
        difference=_round(_num(diff.difference)),
        n=n,
        ci_low=_round(_num(diff.ci_low)),
        ci_high=_round(_num(diff.ci_high)),
    )


def _summary_row(tests: _Tests, department: str, year: int, language: str) -> SummaryRow:
    percents = tests.stage_percents(department, year)
    start = percents.get("acceptance", {})
    end = percents.get("final", {})
    estimate = estimate_growth(start, end)
    live = remote = flags = overrides = 0
    for tid in tests.year_tests(department, year).values():
        merged = tests.results(tid).merged
        live += merged.channel.count("live")
        remote += merged.channel.count("remote")
        in_doubt = np.asarray(np.isin(merged.states, _IN_DOUBT_CODES).any(axis=1)).tolist()
        flags += int(sum(bool(f) or bool(d) for f, d in zip(merged.flags, in_doubt, strict=True)))
        overrides += sum(len(v) for v in merged.overrides.values())
    have = bool(start) and bool(end)
    return SummaryRow(
        department=department,
        department_title=department_title(department, language),
        year=year,
        acceptance_percent=_round(float(np.mean(list(start.values())))) if start else None,
        acceptance_n=len(start),
        final_percent=_round(float(np.mean(list(end.values())))) if end else None,
        final_n=len(end),
        cohort=_growth(estimate.cohort, estimate.end_n) if have else GrowthFigure(),
        matched=(
            _growth(estimate.matched, len(estimate.matched_teachers))
            if estimate.matched_teachers
            else GrowthFigure()
        ),
        stage_means=[
            _round(float(np.mean(list(percents[s].values())))) if percents.get(s) else None
            for s in STAGES
        ],
        live=live,
        remote=remote,
        flags=flags,
        overrides=overrides,
    )


def _sheet_images(store: Store, teachers: list[TeacherResult]) -> dict[str, str]:
    """Teacher -> the picture of their paper sheet that still exists: the reader's annotated
    page (flagged pages have one), else the scan itself (single-page PNG or JPEG)."""
    live = {
        p.attempt_id: t.teacher_id
        for t in teachers
        for p in t.sources
        if p.channel == "live" and (p.sheet_page or 1) == 1
    }
    out: dict[str, str] = {}
    for attempt, evidence in store.evidence(sorted(live)).items():
        for name in ("page", "scan"):
            path = evidence.get(name)
            if isinstance(path, str) and Path(path).is_file():
                out.setdefault(live[attempt], path)
                break
    return out


@lru_cache(maxsize=8192)
def _plain(text: str) -> str:
    """An option's text without markup (the same few hundred texts for every teacher)."""
    return to_plain(text)


def _in_doubt(q: QuestionResult, review_doubles: bool) -> bool:
    """Whether the report calls the question doubtful. Two marks on a one-answer task are a
    doubt only where the test's policy sends them to the review; otherwise they are simply
    wrong, as the queue says too."""
    multiple_on_single = review_doubles and q.state == "multiple" and len(q.key_source) == 1
    return (q.state in _DOUBT or multiple_on_single) and not q.overridden


def _doubts(results: TestResults, review_doubles: bool) -> list[int]:
    """Per teacher, in ``merged.teacher_ids`` order: how many questions the reports call
    doubtful (:func:`_in_doubt`), counted over the state matrix."""
    merged = results.merged
    doubt = np.isin(merged.states, _IN_DOUBT_CODES)
    if review_doubles:
        single = np.array(
            [[len(item.task.correct) == 1 for item in form.items] for form in results.forms.forms],
            dtype=bool,
        )
        doubt |= (merged.states == STATE_CODES["multiple"]) & single[merged.form_index]
    for t, teacher_id in enumerate(merged.teacher_ids):
        for override in merged.overrides.get(teacher_id, []):
            doubt[t, override.question - 1] = False
    return [int(n) for n in doubt.sum(axis=1)]


def _task_rows(
    results: TestResults, tr: TeacherResult, review_doubles: bool = False
) -> list[TaskRow]:
    form = results.forms.form(tr.form)
    rows = []

    def texts(letters: str, item: FormItem) -> str:
        out = []
        for letter in letters:
            k = LETTERS.find(letter)
            if 0 <= k < len(item.permutation):
                out.append(_plain(item.task.options[item.permutation[k]].text))
        return "; ".join(out)

    for q, item in zip(tr.questions, form.items, strict=True):
        # built unvalidated: every field comes from validated results and the manifest, and
        # validating a row per teacher per task was a tenth of the whole site's build
        rows.append(
            TaskRow.model_construct(
                position=q.position,
                source_position=q.source_position,
                version=q.version,
                task_id=q.task_id,
                topic=q.topic,
                stem=item.task.stem,
                answer=q.answer,
                correct=q.key,
                answer_text=texts(q.answer, item) if q.answer != "?" else "",
                correct_text=texts(q.key, item),
                is_correct=q.correct,
                points=q.points,
                max_points=q.max_points,
                flagged=_in_doubt(q, review_doubles),
                overridden=q.overridden,
                explanation=item.task.explanation,
            )
        )
    return rows


def _items(results: TestResults) -> tuple[list[ItemRow], list[ItemAlert], TestStatistics]:
    ia = item_analysis(results)
    n_pos = results.forms.n_positions
    stats = ia.tasks
    rows = []
    for k, label in enumerate(ia.labels):
        n = int(stats.n[k])
        if n == 0:
            continue  # a source task nobody was given (e.g. version B in a single-form quiz)
        options = int(ia.n_options[k])
        rows.append(
            ItemRow(
                source_position=k % n_pos + 1,
                label=label,
                task_id=ia.task_ids[k],
                topic=ia.topics[k],
                key=ia.keys[k],
                n=n,
                difficulty=float(stats.facility[k]),
                discrimination=_round(_num(stats.discrimination[k]), 3),
                upper_lower=_round(_num(stats.upper_lower[k]), 3),
                option_shares={
                    LETTERS[o]: float(stats.option_counts[k, o] / n) for o in range(options)
                },
                blank_share=float(stats.blank[k] / n),
            )
        )
    alerts = [
        ItemAlert(
            source_position=a.column % n_pos + 1,
            label=a.label,
            task_id=a.task_id,
            kind=a.kind,
            form=a.form,
            message=a.message,
        )
        for a in ia.alerts
    ]
    percent = results.matrix.percent
    rel = ia.reliability
    statistics = TestStatistics(
        n=int(percent.size),
        mean_percent=round(float(percent.mean()), 1) if percent.size else 0.0,
        sd_percent=round(float(percent.std(ddof=1)), 1) if percent.size > 1 else 0.0,
        alpha=_round(_num(rel.alpha), 3),
        sem=_round(_num(rel.sem), 2),
    )
    return rows, alerts, statistics


def collect(
    store_path: str | Path | None,
    test_id: str,
    *,
    prefer: str | None = None,
    now: Callable[[], datetime] | None = None,
    recommendations: Recommendations | None = None,
    tasks: bool = True,
) -> ReportData:
    """Everything the reports of ``test_id`` need, from the store at ``store_path``.

    ``test_id`` may also be a test package folder. ``prefer`` overrides the live/remote rule
    stored with the test (``None``: the stored one). ``recommendations``: the tutors' file;
    without it, the recommendations last published with the test (kept in the store).
    ``tasks=False`` leaves every teacher's task rows out (the website and the school packs
    show none; they were most of the work).
    """
    path = default_db_path(store_path)
    if not path.is_file():
        raise InputNotFound(
            tr("results store not found"),
            where=str(path),
            hint=tr("give the store with --db, or import results with `scoring import` first"),
        )
    with open_store(path) as store:
        tests = _Tests(store)
        resolved = resolve_test_id(store, test_id)
        if store.is_poll(resolved):
            raise ToolError(
                tr("{poll} is a poll, not a test", poll=resolved),
                hint=tr("write its table with `scoring poll-report --poll {poll}`", poll=resolved),
            )
        results = load_results(store, resolved, prefer)
        if not results.teacher_ids:
            raise ToolError(
                tr("test {id} has no results yet", id=results.test.id),
                where=str(path),
                hint=tr(
                    "import them with `scoring import FILE --test build/{id}`", id=results.test.id
                ),
            )
        tests._cache[results.test.id] = results  # the rule asked for wins for this test
        if recommendations is not None:
            recommendations.check(
                set(results.teacher_ids), {t.topic for v in results.manifest.sources.values()
                                           for t in v.tasks},
            )  # fmt: skip
        generated = (now or (lambda: datetime.now(UTC)))()
        stored = store.recommendations(results.test.id) if recommendations is None else {}
        data = _assemble(tests, results, generated, recommendations, tasks, stored)
        waiting = open_review_items(store, results.test.id)
        return data.model_copy(update={"unresolved": waiting}) if waiting else data


def _assemble(
    tests: _Tests,
    results: TestResults,
    generated: datetime,
    recommendations: Recommendations | None = None,
    with_tasks: bool = True,
    stored_advice: dict[str, str] | None = None,
) -> ReportData:
    """``recommendations``: the tutors' file given now; else ``stored_advice``, what the
    store kept from the last report that had one."""
    info = results.test
    department, year, stage = str(info.department), info.year, str(info.stage)
    year_tests = tests.year_tests(department, year)
    year_tests[stage] = info.id
    percents = {s: tests.percents_of(tid) for s, tid in year_tests.items()}
    means = {s: float(np.mean(list(p.values()))) if p else None for s, p in percents.items()}
    stages = [
        StageMeta(
            stage=s,
            title=stage_title(s, info.language, short=True),
            test_id=year_tests.get(s),
            department_mean=_round(means.get(s)),
            n=len(percents.get(s, {})),
        )
        for s in STAGES
    ]
    topics = topic_scores(results)
    means_list = topics.mean_percent.tolist()
    topic_mean = {t: _num(m) for t, m in zip(topics.topics, means_list, strict=True)}
    per_teacher = teacher_results(results, questions=with_tasks)
    rule = StandingRule.parse(tests.store.standing_rule(info.id))
    key = tests.store.pseudonym_key()
    sheets = _sheet_images(tests.store, per_teacher)
    doubles = tests.review_doubles(results.test.id)
    doubts = _doubts(results, doubles)
    with speaking(info.language):  # a name for a teacher the roster lost, in the test's words
        not_listed = tr("teacher {id} (not in the roster)")
    rows: list[TeacherReport] = []
    for t, one in enumerate(per_teacher):
        person = one.teacher
        topic_rows = [
            TopicScore(
                topic=name,
                score=float(topics.points[t, j]),
                max_score=float(topics.max_points[t, j]),
                percent=round(float(topics.percent[t, j]), 1),
                department_percent=_round(topic_mean[name]),
            )
            for j, name in enumerate(topics.topics)
            if topics.max_points[t, j] > 0
        ]
        history = [
            HistoryPoint(
                stage=s,
                percent=_round(percents.get(s, {}).get(one.teacher_id)),
                department_mean=_round(means.get(s)),
            )
            for s in STAGES
        ]
        tasks = _task_rows(results, one, doubles) if with_tasks else []
        rows.append(
            TeacherReport(
                id=one.teacher_id,
                name=printable(person.name) if person else not_listed.format(id=one.teacher_id),
                school=printable(person.school) if person else "—",
                department=str(person.department) if person else department,
                email=person.email if person else "",
                variant=one.variant,
                form=one.form,
                channel="remote" if one.channel == "remote" else "live",
                score=one.score,
                max_score=one.max_score,
                percent=round(one.percent, 1),
                rank=one.rank,
                rank_of=one.rank_of,
                standing=rule.standing(one.rank, one.rank_of, one.percent),
                taken_at=next((p.taken_at for p in one.sources if p.taken_at), "") or "",
                code=pseudonym(one.teacher_id, key),
                sheet_image=sheets.get(one.teacher_id, ""),
                recommendation=(
                    recommendations.for_teacher(one.teacher_id, topic_rows)
                    if recommendations is not None
                    else (stored_advice or {}).get(one.teacher_id, "")
                ),
                # Sheet flags usually restate the questions in doubt: count the larger.
                flags=max(doubts[t], len(one.flags)),
                overrides=len(one.overrides),
                tasks=tasks,
                history=history,
                topics=topic_rows,
            )
        )
    rows.sort(key=lambda r: (r.rank, r.name, r.id))
    items, alerts, statistics = _items(results)
    per_topic_tasks: dict[str, int] = {}
    for task in results.manifest.sources["A"].tasks:
        per_topic_tasks[task.topic] = per_topic_tasks.get(task.topic, 0) + 1
    order = list(DEPARTMENT_TITLES)
    summary_keys = sorted(
        {(d, y) for _, d, y, _ in tests.index},
        key=lambda k: (-k[1], order.index(k[0]) if k[0] in order else len(order), k[0]),
    )
    return ReportData(
        standing_rule=rule,
        generated=generated.isoformat(timespec="seconds"),
        test=TestMeta(
            id=info.id,
            title=info.title,
            department=department,
            department_title=department_title(department, info.language),
            year=year,
            stage=stage,
            stage_title=stage_title(stage, info.language),
            language=info.language,
            task_count=results.forms.n_positions,
            max_score=float(results.forms.column_points[: results.forms.n_positions].sum()),
            variants=len(results.manifest.variants),
        ),
        stages=stages,
        teachers=rows,
        topics=[
            TopicMean(topic=name, tasks=per_topic_tasks.get(name, 0), percent=round(m, 1))
            for name, m in topic_mean.items()
            if m is not None
        ],
        distribution=histogram([r.percent for r in rows]),
        statistics=statistics,
        items=items,
        alerts=alerts,
        summary=[_summary_row(tests, d, y, info.language) for d, y in summary_keys],
    )
