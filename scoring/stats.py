"""Item analysis, reliability and confidence intervals (numpy only).

Definitions follow Moodle's quiz statistics report:

- **facility index** (difficulty) ``p``: mean item score / item maximum = share correct;
- **discrimination index**: Pearson correlation between the item score and the score on the
  rest of the test (total minus this item), the *corrected item-total correlation*;
- **coefficient of internal consistency**: Cronbach's alpha (= KR-20 for 0/1 items);
- **error ratio** ``sqrt(1 - alpha)`` and **standard error** ``SEM = SD * sqrt(1 - alpha)``,
  SD the sample standard deviation of total scores.

Added to those: the upper/lower 27 % discrimination ``D = p_upper - p_lower`` (groups by
total score, Kelley) and option frequencies overall and in the two groups.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

GROUP_SHARE = 0.27
MAX_OPTIONS = 8


@dataclass
class ItemStats:
    """Statistics of K items over the respondents that were presented each.

    Every array has shape (K,) except the option counts, of shape (K, 8) (bit i = source
    option i). NaN where an item had fewer than 2 respondents or no variance.
    """

    n: np.ndarray  # respondents presented the item
    facility: np.ndarray  # share correct, 0..1
    sd: np.ndarray  # sample SD of the 0/1 item score
    discrimination: np.ndarray  # corrected item-total correlation, -1..1
    upper_lower: np.ndarray  # p_upper - p_lower (27 % groups)
    group_size: np.ndarray  # respondents in each 27 % group
    option_counts: np.ndarray  # (K, 8) respondents choosing each source option
    upper_option_counts: np.ndarray  # (K, 8) the same in the upper group
    lower_option_counts: np.ndarray  # (K, 8) the same in the lower group
    blank: np.ndarray  # presented, nothing chosen
    multiple: np.ndarray  # presented, more than one option chosen


_BITS = (np.arange(256)[:, None] >> np.arange(MAX_OPTIONS)[None, :]) & 1  # (256, 8)
_POPCOUNT = _BITS.sum(axis=1)  # (256,)


def _mask_histogram(chosen: np.ndarray) -> np.ndarray:
    """(k, 256) counts of each chosen bitmask per column; ``chosen`` of shape (n, k).

    One ``bincount`` over the block instead of a pass per option bit.
    """
    k = chosen.shape[1]
    codes = (chosen.astype(np.int32) & 0xFF) + 256 * np.arange(k, dtype=np.int32)[None, :]
    return np.bincount(codes.ravel(), minlength=256 * k).reshape(k, 256)


def item_stats(
    correct: np.ndarray,
    presented: np.ndarray,
    chosen: np.ndarray,
    total: np.ndarray,
    weights: np.ndarray,
) -> ItemStats:
    """Item statistics for every column.

    Parameters
    ----------
    correct, presented : ndarray of shape (T, K), bool
    chosen : ndarray of shape (T, K), int16
        Source-option bitmask chosen.
    total : ndarray of shape (T,), float64
        Each respondent's total score.
    weights : ndarray of shape (K,), float64
        Points of each item, to take the item's own points out of the total.

    Columns presented to exactly the same respondents (in a variant plan: every task shown
    by the same set of forms) are computed together on a dense block, so the cost is one
    pass over the presented cells whatever the number of forms.

    Examples
    --------
    >>> c = np.array([[1, 1], [1, 0], [0, 0], [1, 1]], dtype=bool)
    >>> s = item_stats(c, np.ones_like(c), c.astype(np.int16), c.sum(1) * 1.0, np.ones(2))
    >>> s.facility.tolist()
    [0.75, 0.5]
    """
    t, k = correct.shape
    nan = np.full(k, np.nan)
    out = ItemStats(
        n=np.zeros(k, dtype=np.int64),
        facility=nan.copy(),
        sd=nan.copy(),
        discrimination=nan.copy(),
        upper_lower=nan.copy(),
        group_size=np.zeros(k, dtype=np.int64),
        option_counts=np.zeros((k, MAX_OPTIONS), dtype=np.int64),
        upper_option_counts=np.zeros((k, MAX_OPTIONS), dtype=np.int64),
        lower_option_counts=np.zeros((k, MAX_OPTIONS), dtype=np.int64),
        blank=np.zeros(k, dtype=np.int64),
        multiple=np.zeros(k, dtype=np.int64),
    )
    if t == 0 or k == 0:
        return out
    packed = np.packbits(presented, axis=0)
    groups: dict[bytes, list[int]] = {}
    for c in range(k):
        groups.setdefault(packed[:, c].tobytes(), []).append(c)
    for col_list in groups.values():
        cols = np.array(col_list, dtype=np.intp)
        rows = np.flatnonzero(presented[:, cols[0]])
        if rows.size == 0:
            continue
        if rows.size == t and len(cols) == k:
            block = (correct, chosen, total)  # everyone saw everything: no copies
        else:
            block = (
                correct[np.ix_(rows, cols)],
                chosen[np.ix_(rows, cols)],
                total[rows],
            )
        _dense_stats(out, cols, *block, weights[cols])
    return out


def _dense_stats(
    out: ItemStats,
    cols: np.ndarray,
    correct: np.ndarray,
    chosen: np.ndarray,
    total: np.ndarray,
    weights: np.ndarray,
) -> None:
    """Fill ``out[cols]`` from a block where all n respondents saw all the block's items."""
    n = total.size
    x = correct.astype(np.float64)
    sx = x.sum(axis=0)
    # rest = total - weight * x; its sums follow from sums of total, total^2 and x*total
    xt = total @ x
    mt = float(total.sum())
    mtt = float(total @ total)
    sr = mt - weights * sx
    srr = mtt - 2 * weights * xt + weights**2 * sx
    sxr = xt - weights * sx
    mean_x = sx / n
    mean_r = sr / n
    var_x = mean_x - mean_x**2  # x in {0, 1}: mean of x^2 is mean of x
    var_r = srr / n - mean_r**2
    cov = sxr / n - mean_x * mean_r
    with np.errstate(invalid="ignore", divide="ignore"):
        disc = cov / np.sqrt(var_x * var_r)
    ok = (var_x > 1e-12) & (var_r > 1e-12) & (n >= 2)
    out.n[cols] = n
    out.facility[cols] = mean_x
    out.sd[cols] = np.sqrt(var_x * n / (n - 1)) if n > 1 else np.nan
    out.discrimination[cols] = np.where(ok, disc, np.nan)
    # Kelley's upper and lower 27 % by total; a stable sort keeps ties in row order.
    order = np.argsort(total, kind="stable")
    g = max(int(np.rint(GROUP_SHARE * n)), 1)
    lower, upper = order[:g], order[n - g :]
    if n >= 2:
        out.upper_lower[cols] = (
            np.count_nonzero(correct[upper], axis=0) - np.count_nonzero(correct[lower], axis=0)
        ) / g
    out.group_size[cols] = g
    hist = _mask_histogram(chosen)
    out.option_counts[cols] = hist @ _BITS
    out.upper_option_counts[cols] = _mask_histogram(chosen[upper]) @ _BITS
    out.lower_option_counts[cols] = _mask_histogram(chosen[lower]) @ _BITS
    out.blank[cols] = hist[:, 0]
    out.multiple[cols] = hist[:, _POPCOUNT > 1].sum(axis=1)


@dataclass(frozen=True)
class Reliability:
    """Test-level statistics over T respondents and N item positions."""

    n: int
    mean: float
    sd: float  # sample SD of totals
    alpha: float  # Cronbach's alpha on item points
    kr20: float  # KR-20 on 0/1 correctness
    error_ratio: float  # sqrt(1 - alpha), as Moodle reports it
    sem: float  # SD * sqrt(1 - alpha)


def reliability(position_points: np.ndarray, position_correct: np.ndarray) -> Reliability:
    """Cronbach's alpha, KR-20 and SEM.

    Parameters
    ----------
    position_points : ndarray of shape (T, N), float64
        Points per item position (every respondent has a score for every position).
    position_correct : ndarray of shape (T, N), bool
    """
    t, k = position_points.shape
    nan = float("nan")
    if t < 2 or k < 2:
        return Reliability(t, nan, nan, nan, nan, nan, nan)
    total = position_points.sum(axis=1)
    var_total = float(total.var(ddof=1))
    sd = math.sqrt(var_total)
    if var_total <= 0:
        return Reliability(t, float(total.mean()), sd, nan, nan, nan, nan)
    # item variances from column sums (one pass each; ndarray.var(axis=0) is several times
    # slower on a tall C-ordered matrix)
    col_sum = position_points.sum(axis=0)
    col_sq = np.einsum("ij,ij->j", position_points, position_points)
    item_var = (col_sq - col_sum**2 / t) / (t - 1)
    alpha = k / (k - 1) * (1 - float(item_var.sum()) / var_total)
    p = np.count_nonzero(position_correct, axis=0) / t
    var_pop = float(np.count_nonzero(position_correct, axis=1).var(ddof=0))
    kr20 = k / (k - 1) * (1 - float((p * (1 - p)).sum()) / var_pop) if var_pop > 0 else nan
    ratio = math.sqrt(max(0.0, 1 - alpha))
    return Reliability(t, float(total.mean()), sd, alpha, kr20, ratio, sd * ratio)


# -- confidence intervals ------------------------------------------------------------------


def _t_cdf(x: float, df: float) -> float:
    """Student's t CDF for x >= 0 by Simpson's rule on the density (accurate to ~1e-9)."""
    steps = 4000
    grid = np.linspace(0.0, x, steps + 1)
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    dens = np.exp(log_c - (df + 1) / 2 * np.log1p(grid * grid / df))
    h = x / steps
    integral = h / 3 * (dens[0] + dens[-1] + 4 * dens[1:-1:2].sum() + 2 * dens[2:-1:2].sum())
    return 0.5 + float(integral)


def t_quantile(prob: float, df: float) -> float:
    """The ``prob`` quantile (0.5 < prob < 1) of Student's t with ``df`` degrees of freedom.

    >>> round(t_quantile(0.975, 10), 3)
    2.228
    """
    lo, hi = 0.0, 1.0
    while _t_cdf(hi, df) < prob:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        if _t_cdf(mid, df) < prob:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@dataclass(frozen=True)
class MeanDifference:
    """A difference of means with its 95 % confidence interval (NaN when N is too small)."""

    difference: float
    ci_low: float
    ci_high: float
    n: int  # pairs for a paired difference; respondents in both groups for a cohort one
    n_start: int
    n_end: int
    mean_start: float
    mean_end: float


def cohort_difference(start: np.ndarray, end: np.ndarray) -> MeanDifference:
    """``mean(end) - mean(start)`` with a Welch 95 % CI (the two groups need not match)."""
    n1, n2 = start.size, end.size
    m1 = float(start.mean()) if n1 else float("nan")
    m2 = float(end.mean()) if n2 else float("nan")
    diff = m2 - m1
    if n1 < 2 or n2 < 2:
        return MeanDifference(diff, float("nan"), float("nan"), n1 + n2, n1, n2, m1, m2)
    v1, v2 = float(start.var(ddof=1)) / n1, float(end.var(ddof=1)) / n2
    se = math.sqrt(v1 + v2)
    if se == 0:
        return MeanDifference(diff, diff, diff, n1 + n2, n1, n2, m1, m2)
    df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    half = t_quantile(0.975, df) * se
    return MeanDifference(diff, diff - half, diff + half, n1 + n2, n1, n2, m1, m2)


def paired_difference(start: np.ndarray, end: np.ndarray) -> MeanDifference:
    """Mean of ``end - start`` over matched pairs with a t 95 % CI; arrays of shape (P,)."""
    d = end - start
    n = d.size
    m1 = float(start.mean()) if n else float("nan")
    m2 = float(end.mean()) if n else float("nan")
    mean = float(d.mean()) if n else float("nan")
    if n < 2:
        return MeanDifference(mean, float("nan"), float("nan"), n, n, n, m1, m2)
    half = t_quantile(0.975, n - 1) * float(d.std(ddof=1)) / math.sqrt(n)
    return MeanDifference(mean, mean - half, mean + half, n, n, n, m1, m2)
