"""Vectorised scoring: merged answers -> teachers × source-tasks matrices -> scores.

Shapes: T teachers, N printed questions (= source positions), K = 2N source-task columns
(version A positions then version B positions, see :mod:`scoring.forms`). Each teacher is
presented exactly one of the two parallel tasks at every source position.

A question is correct when its state is *marked* or *multiple* and the chosen source options
equal the key exactly (so a two-answer task needs both, and only both). Ambiguous, unmatched,
blank and graded-wrong questions score 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from scoring.forms import TestForms
from scoring.merge import MergedSet
from scoring.store import STATE_CODES

_ANSWERED = np.array(
    [name in ("marked", "multiple") for name in STATE_CODES], dtype=bool
)  # indexed by state code


@dataclass
class ScoreMatrix:
    """Scores of one test.

    Attributes
    ----------
    chosen : ndarray of shape (T, K), int16
        Bitmask of the chosen **source** options (bit i = source option i); 0 for none.
    presented : ndarray of shape (T, K), bool
        The task of that column was on the teacher's form.
    state : ndarray of shape (T, K), uint8
        State code of the answer (``scoring.store.STATE_CODES``); 0 where not presented.
    correct : ndarray of shape (T, K), bool
    points, max_points : ndarray of shape (T, K), float64 (properties, made on first use)
        Points earned and points available per column (0 where not presented).
    score, max_score, percent : ndarray of shape (T,), float64
        Total points, points available, and 100 * score / max_score ("quality").
    rank : ndarray of shape (T,), int64
        Competition rank by percent within the test's department (1 = best; ties share).
    position_points : ndarray of shape (T, N), float64
        Points per source position (A and B parallel tasks pooled), for reliability.
    """

    chosen: np.ndarray
    presented: np.ndarray
    state: np.ndarray
    correct: np.ndarray
    column_points: np.ndarray  # (K,) points of each source task
    score: np.ndarray
    max_score: np.ndarray
    percent: np.ndarray
    rank: np.ndarray
    position_points: np.ndarray

    # (T, K) float matrices are made on first use: scores and statistics do not need them.
    @cached_property
    def points(self) -> np.ndarray:
        """Points earned, shape (T, K), float64."""
        return self.correct * self.column_points[None, :]

    @cached_property
    def max_points(self) -> np.ndarray:
        """Points available (0 where not presented), shape (T, K), float64."""
        return self.presented * self.column_points[None, :]


def source_masks(forms: TestForms, form_index: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """Printed-letter masks -> source-option masks, shape (T, N), int16."""
    n = marks.shape[1]
    return forms.mask_lut[form_index[:, None], np.arange(n)[None, :], marks]


def competition_rank(values: np.ndarray) -> np.ndarray:
    """Rank by value, highest first; equal values share the better rank (1, 2, 2, 4)."""
    ordered = np.sort(values)
    return values.size - np.searchsorted(ordered, values, side="right") + 1


def score_matrix(forms: TestForms, merged: MergedSet) -> ScoreMatrix:
    """Build the teachers × source-tasks matrices and the scores of ``merged``."""
    t_count, n = merged.marks.shape
    k = forms.n_columns
    fi = merged.form_index.astype(np.intp)
    src = source_masks(forms, fi, merged.marks)
    cols = forms.position_column[fi]  # (T, N)
    # one flat index per (teacher, printed question): scatter into the (T, K) matrices
    flat = (np.arange(t_count, dtype=np.intp)[:, None] * k + cols).ravel()
    chosen = np.zeros((t_count, k), dtype=np.int16)
    presented = np.zeros((t_count, k), dtype=bool)
    state = np.zeros((t_count, k), dtype=np.uint8)
    chosen.ravel()[flat] = src.ravel()
    presented.ravel()[flat] = True
    state.ravel()[flat] = merged.states.ravel()
    correct = _ANSWERED[state]
    correct &= chosen == forms.column_key_mask[None, :]  # state 0 (not presented) is False
    col_points = forms.column_points
    score = correct @ col_points
    max_score = presented @ col_points
    with np.errstate(invalid="ignore", divide="ignore"):
        percent = np.where(max_score > 0, 100.0 * score / max_score, 0.0)
    position_points = correct[:, :n] * col_points[:n] + correct[:, n:] * col_points[n:]
    return ScoreMatrix(
        chosen,
        presented,
        state,
        correct,
        col_points,
        score,
        max_score,
        percent,
        competition_rank(percent),
        position_points,
    )


@dataclass
class TopicScores:
    """Sub-scores per topic.

    ``topics`` lists the topics in first-appearance order over the source tasks (A then B);
    ``points``, ``max_points`` and ``percent`` have shape (T, n_topics);
    ``mean_percent`` has shape (n_topics,) (the department's mean over its teachers).
    """

    topics: list[str]
    points: np.ndarray
    max_points: np.ndarray
    percent: np.ndarray
    mean_percent: np.ndarray


def topic_scores(forms: TestForms, matrix: ScoreMatrix) -> TopicScores:
    topics: list[str] = []
    for task in forms.column_tasks:
        if task.topic not in topics:
            topics.append(task.topic)
    one_hot = np.zeros((forms.n_columns, len(topics)))
    for c, task in enumerate(forms.column_tasks):
        one_hot[c, topics.index(task.topic)] = 1.0
    weighted = one_hot * forms.column_points[:, None]
    pts = matrix.correct @ weighted
    mx = matrix.presented @ weighted
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(mx > 0, 100.0 * pts / np.where(mx > 0, mx, 1), np.nan)
        mean = (
            100.0 * pts.sum(axis=0) / mx.sum(axis=0) if len(pts) else np.full(len(topics), np.nan)
        )
    return TopicScores(topics, pts, mx, pct, mean)
