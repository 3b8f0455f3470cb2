"""Medians and quantiles of the small arrays a page's reading takes many of, exactly as numpy
computes them but through one ``np.partition`` each: ``np.median`` and ``np.quantile`` cost
40-110 microseconds of overhead a call on a few hundred values, a tenth of a sheet's reading
in all.
"""

from __future__ import annotations

import numpy as np


def median(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """``np.median(values, axis)`` for one axis (the mean of the two middle values when the
    count is even). No NaN handling: the reader's samples have none by then."""
    moved = np.moveaxis(values, axis, -1)
    count = moved.shape[-1]
    half = count // 2
    if count % 2:
        return np.partition(moved, half, axis=-1)[..., half]
    # one selection, not two: what lies before the upper middle value is no larger than it,
    # and the largest of it is the lower middle value
    part = np.partition(moved, half, axis=-1)
    return (part[..., :half].max(axis=-1) + part[..., half]) / 2


def quantile(values: np.ndarray, q: float) -> float:
    """``np.quantile(values, q)`` of a 1-D array, numpy's default (linear) method."""
    count = len(values)
    position = q * (count - 1)
    low = int(np.floor(position))
    high = min(low + 1, count - 1)
    part = np.partition(values, (low, high))
    a, b = float(part[low]), float(part[high])
    t = position - low
    # numpy's own interpolation, which is exact at both ends
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t
