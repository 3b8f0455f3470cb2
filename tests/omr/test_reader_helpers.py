"""The reader's small helpers against what they stand in for: numpy's own median and
quantile, OpenCV's pyrDown, and a cache that must never hand one layout's work to another."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from omr.halvings import Halvings
from omr.layout_cache import per_layout
from omr.robust import median, quantile

_values = hnp.arrays(
    dtype=st.sampled_from([np.float32, np.float64]),
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=9),
    # few distinct values: ties are where a median goes wrong
    elements=st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0, 0.013, -0.2]),
)


@settings(max_examples=300, deadline=None)
@given(values=_values, data=st.data())
def test_median_is_numpys_median(values: np.ndarray, data: st.DataObject) -> None:
    axis = data.draw(st.integers(0, values.ndim - 1))
    ours, numpys = median(values, axis), np.median(values, axis=axis)
    assert ours.dtype == numpys.dtype
    assert np.array_equal(ours, numpys)


@settings(max_examples=300, deadline=None)
@given(
    values=hnp.arrays(np.float64, st.integers(1, 60), elements=st.floats(-1, 1, width=32)),
    q=st.sampled_from([0.0, 0.1, 0.5, 0.6, 0.9, 1.0]),
)
def test_quantile_is_numpys_linear_quantile(values: np.ndarray, q: float) -> None:
    assert quantile(values, q) == float(np.quantile(values, q))


def test_halvings_are_pyrdowns_made_once() -> None:
    image = np.random.default_rng(1).integers(0, 256, (3508, 2481), dtype=np.uint8)
    halvings = Halvings(image)
    small, factor = halvings.shrink(900)
    assert factor == 0.25 and np.array_equal(small, cv2.pyrDown(cv2.pyrDown(image)))
    assert halvings.level(2) is small  # the same copy, not a second pyrDown
    big, factor = halvings.at_least(1200)
    assert factor == 0.5 and big is halvings.level(1) and max(big.shape) >= 1200
    assert Halvings(image[:800, :600]).at_least(1200)[1] == 1.0


def test_layout_cache_keys_on_identity_and_shares_read_only_arrays() -> None:
    calls: list[int] = []

    @per_layout
    def centres(bubbles: list[tuple[float, float]]) -> np.ndarray:
        calls.append(len(bubbles))
        return np.array(bubbles)

    page = [(1.0, 2.0), (3.0, 4.0)]
    first = centres(page)
    assert centres(page) is first and calls == [2]
    # an equal list that is another object (another layout that happens to match) is
    # computed for itself: only the very same object hits
    again = centres(list(page))
    assert again is not first and calls == [2, 2]
    assert not first.flags.writeable
