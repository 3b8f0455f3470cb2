"""Statistics against hand-computed values, with Moodle's quiz-statistics definitions.

The 5 respondents × 3 items example (1 = right):

    R1 1 1 1 (3)   R2 1 1 0 (2)   R3 1 0 0 (1)   R4 0 1 0 (1)   R5 0 0 0 (0)

Worked by hand: facility 60 %, 60 %, 20 %; discrimination index (Moodle: 100 × r(item,
rest of quiz)) 0.6/sqrt(1.2·2.8) = 32.73, 32.73 and 0.8/sqrt(0.8·2.8) = 53.45; item
variances 0.3, 0.3, 0.2, total variance 1.3, so the coefficient of internal consistency is
1.5 · (1 − 0.8/1.3) = 57.69 %, error ratio sqrt(1 − 0.5769) = 65.04 % and standard error
sqrt(1.3) · 0.6504 = 0.7416.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from scoring.scores import competition_rank
from scoring.stats import (
    cohort_difference,
    item_stats,
    paired_difference,
    reliability,
    t_quantile,
)

CORRECT = np.array(
    [[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0]],
    dtype=bool,
)


def _stats():
    chosen = np.where(CORRECT, 1, 2).astype(np.int16)  # option A right, B wrong
    total = CORRECT.sum(axis=1).astype(float)
    return item_stats(CORRECT, np.ones_like(CORRECT), chosen, total, np.ones(3))


def test_facility_and_discrimination_match_moodle() -> None:
    s = _stats()
    assert np.round(100 * s.facility, 2).tolist() == [60.0, 60.0, 20.0]
    assert np.round(100 * s.discrimination, 2).tolist() == [32.73, 32.73, 53.45]
    assert s.n.tolist() == [5, 5, 5]


def test_upper_lower_index_and_option_counts() -> None:
    s = _stats()
    # round(0.27 * 5) = 1 respondent per group: R1 (3) on top, R5 (0) at the bottom
    assert s.group_size.tolist() == [1, 1, 1]
    assert s.upper_lower.tolist() == [1.0, 1.0, 1.0]
    assert s.option_counts[:, :2].tolist() == [[3, 2], [3, 2], [1, 4]]
    assert s.upper_option_counts[:, 0].tolist() == [1, 1, 1]
    assert s.lower_option_counts[:, 1].tolist() == [1, 1, 1]
    assert s.blank.tolist() == [0, 0, 0]


def test_reliability_matches_moodle() -> None:
    r = reliability(CORRECT.astype(float), CORRECT)
    assert round(100 * r.alpha, 2) == 57.69
    assert round(100 * r.kr20, 2) == 57.69  # 0/1 items: KR-20 = alpha
    assert round(100 * r.error_ratio, 2) == 65.04
    assert round(r.sem, 4) == 0.7416
    assert r.mean == pytest.approx(1.4)


def test_items_not_presented_are_left_out() -> None:
    presented = np.ones_like(CORRECT)
    presented[4, 0] = False  # R5 never saw item 1
    correct = CORRECT & presented
    total = correct.sum(axis=1).astype(float)
    s = item_stats(correct, presented, correct.astype(np.int16), total, np.ones(3))
    assert s.n.tolist() == [4, 5, 5]
    assert s.facility[0] == 0.75


def test_negative_discrimination_sign() -> None:
    # the two best respondents get the item wrong, the weakest right: r < 0
    correct = np.array([[0, 1, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]], dtype=bool)
    total = correct.sum(axis=1).astype(float)
    s = item_stats(correct, np.ones_like(correct), correct.astype(np.int16), total, np.ones(3))
    assert s.discrimination[0] < 0


@pytest.mark.parametrize(
    ("df", "expected"), [(1, 12.706), (2, 4.303), (10, 2.228), (30, 2.042), (1000, 1.962)]
)
def test_t_quantile(df: int, expected: float) -> None:
    assert round(t_quantile(0.975, df), 3) == expected


def test_paired_difference_by_hand() -> None:
    start = np.array([50.0, 60.0, 70.0, 80.0])
    end = np.array([55.0, 70.0, 72.0, 91.0])  # differences 5, 10, 2, 11: mean 7
    d = paired_difference(start, end)
    sd = math.sqrt(((5 - 7) ** 2 + 3**2 + 5**2 + 4**2) / 3)  # 4.243
    half = 3.182 * sd / 2  # t(0.975, 3) = 3.182
    assert (d.difference, d.n) == (7.0, 4)
    assert d.ci_low == pytest.approx(7 - half, abs=1e-3)
    assert d.ci_high == pytest.approx(7 + half, abs=1e-3)


def test_cohort_difference_welch() -> None:
    a = np.array([40.0, 50.0, 60.0])
    b = np.array([60.0, 70.0, 80.0, 90.0])
    d = cohort_difference(a, b)
    assert d.difference == pytest.approx(25.0)
    assert (d.n_start, d.n_end) == (3, 4)
    # Welch: se^2 = 100/3 + 166.67/4 = 75; df = 75^2 / (33.33^2/2 + 41.67^2/3) = 4.959,
    # t(0.975, 4.959) = 2.577 (tables: 2.571 at 5 df), half width 2.577 * 8.660 = 22.32
    assert d.ci_high - d.difference == pytest.approx(22.32, abs=0.01)
    assert d.difference - d.ci_low == pytest.approx(22.32, abs=0.01)


def test_small_groups_give_nan_intervals() -> None:
    d = paired_difference(np.array([50.0]), np.array([60.0]))
    assert d.difference == 10.0 and math.isnan(d.ci_low)


def test_competition_rank() -> None:
    assert competition_rank(np.array([50.0, 90.0, 70.0, 90.0, 10.0])).tolist() == [4, 1, 3, 1, 5]
