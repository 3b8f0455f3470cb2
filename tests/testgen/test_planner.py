"""Variant planner: property tests over generated specs, then exact checks on a fixed one."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.vocabulary import LETTERS
from testgen.planner import MAX_RUN, Plan, key_agreement, plan_variants
from testgen.spec import TestSpec as SpecModel
from testgen.spec import parse_spec, units


@st.composite
def spec_layouts(draw: st.DrawFn) -> dict[str, Any]:
    """Arguments for the conftest spec builder: groups, pinned tasks, pinned options, multi."""
    n = draw(st.integers(min_value=2, max_value=20))
    options = draw(st.integers(min_value=2, max_value=6))
    groups: list[tuple[int, int]] = []
    taken: set[int] = set()
    k = 0
    while k < n:
        if draw(st.integers(0, 5)) == 0 and k + 1 < n:
            length = draw(st.integers(min_value=2, max_value=min(4, n - k)))
            groups.append((k, length))
            taken.update(range(k, k + length))
            k += length
        else:
            k += 1
    free = [k for k in range(n) if k not in taken]
    pinned = draw(st.lists(st.sampled_from(free), unique=True, max_size=2)) if free else []
    positions = st.sampled_from(range(n))
    last_pinned = draw(st.lists(positions, unique=True, max_size=3)) if options > 2 else []
    multi = draw(st.lists(positions, unique=True, max_size=2)) if options > 2 else []
    return {
        "n": n,
        "options": options,
        "groups": tuple(groups),
        "pinned": tuple(pinned),
        "last_pinned": tuple(last_pinned),
        "multi": tuple(k for k in multi if k not in last_pinned),
    }


def _check_plan(spec: SpecModel, plan: Plan, count: int) -> None:
    n = spec.task_count
    assert len(plan.variants) == count
    unit_list = units(spec)
    groups = [u for u in unit_list if len(u) > 1]
    for items in plan.variants:
        order = [item.source_position - 1 for item in items]
        # every variant is a permutation of the source positions
        assert sorted(order) == list(range(n))
        assert [item.position for item in items] == list(range(1, n + 1))
        for item in items:
            task = spec.sources[item.version].tasks[item.source_position - 1]
            assert item.task_id == task.id
            assert sorted(item.permutation) == list(range(len(task.options)))
            # pinned options stay where the source has them
            for index, option in enumerate(task.options):
                if option.pin is not None:
                    assert item.permutation[index] == index
            # the key maps back to the source's correct options
            assert item.key == "".join(sorted(item.key))
            printed = {item.permutation[LETTERS.index(letter)] for letter in item.key}
            assert printed == set(task.correct_indices)
        # pinned tasks stay at their position
        for s, task in enumerate(spec.sources["A"].tasks):
            if task.pinned:
                assert order[s] == s
        # groups are contiguous and keep their inner order
        for group in groups:
            start = order.index(group[0])
            assert order[start : start + len(group)] == group
        # one version per unit; A/B balance within what the unit sizes allow
        version_of = {item.source_position - 1: item.version for item in items}
        for unit in unit_list:
            assert len({version_of[s] for s in unit}) == 1
        a = sum(1 for item in items if item.version == "A")
        biggest = max(len(u) for u in unit_list)
        assert abs(a - (n - a)) <= max(1, biggest)
        if biggest == 1:
            assert abs(a - (n - a)) <= 1
    # every position alternates A/B across consecutive variants
    for v in range(count - 1):
        now = {i.source_position: i.version for i in plan.variants[v]}
        after = {i.source_position: i.version for i in plan.variants[v + 1]}
        assert all(now[s] != after[s] for s in now)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    layout=spec_layouts(),
    count=st.integers(min_value=2, max_value=9),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_every_plan_is_a_valid_set_of_variants(
    make_spec: Any, layout: dict[str, Any], count: int, seed: int
) -> None:
    spec = parse_spec(make_spec(**layout))
    plan = plan_variants(spec, count, seed)
    _check_plan(spec, plan, count)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(layout=spec_layouts(), seed=st.integers(min_value=0, max_value=2**32))
def test_same_seed_same_plan(make_spec: Any, layout: dict[str, Any], seed: int) -> None:
    spec = parse_spec(make_spec(**layout))
    assert plan_variants(spec, 4, seed).variants == plan_variants(spec, 4, seed).variants


def test_a_different_seed_gives_a_different_plan(make_spec: Any) -> None:
    spec = parse_spec(make_spec(20))
    assert plan_variants(spec, 8, 1).variants != plan_variants(spec, 8, 2).variants


def test_key_agreement_matrix_counts_shared_key_letters() -> None:
    spec_like = [("A", "B", "C"), ("A", "C", "C"), ("B", "B", "A")]

    class Item:
        def __init__(self, key: str) -> None:
            self.key = key

    variants = [tuple(Item(k) for k in keys) for keys in spec_like]
    expected = np.array([[3, 2, 1], [2, 3, 0], [1, 0, 3]])
    assert (key_agreement(variants) == expected).all()  # type: ignore[arg-type]


def test_neighbours_share_far_fewer_keys_than_random(make_spec: Any) -> None:
    """30 four-option tasks, 8 variants: random shuffling gives ~7.5 shared keys per pair."""
    spec = parse_spec(make_spec(30))
    plan = plan_variants(spec, 8, 2011)
    agreement = plan.key_agreement
    neighbours = [agreement[v, (v + 1) % 8] for v in range(8)]
    assert max(neighbours) <= 2
    others = [agreement[i, j] for i in range(8) for j in range(8) if abs(i - j) not in (0, 1, 7)]
    assert max(others) <= 12  # nobody far above random either
    assert (np.diag(agreement) == 30).all()


def test_key_letters_are_balanced_without_long_runs(make_spec: Any) -> None:
    spec = parse_spec(make_spec(30))
    plan = plan_variants(spec, 8, 2011)
    for items in plan.variants:
        keys = [item.key for item in items]
        counts = Counter(keys)
        assert set(counts) == set("ABCD")
        assert max(counts.values()) - min(counts.values()) <= 2
        run = longest = 1
        for before, key in itertools.pairwise(keys):
            run = run + 1 if key == before else 1
            longest = max(longest, run)
        assert longest <= MAX_RUN


def test_pinned_correct_option_keeps_its_letter(make_spec: Any) -> None:
    # conftest: task k's correct option is (3k+1) % 4; k=2 -> D, which last_pinned pins last
    spec = parse_spec(make_spec(6, last_pinned=(2,)))
    assert spec.sources["A"].tasks[2].correct == "D"
    plan = plan_variants(spec, 4, 7)
    for items in plan.variants:
        item = next(i for i in items if i.source_position == 3)
        assert item.key == "D"


def test_multi_answer_key_is_the_sorted_printed_letters(make_spec: Any) -> None:
    spec = parse_spec(make_spec(6, multi=(2,)))
    plan = plan_variants(spec, 4, 7)
    for items in plan.variants:
        item = next(i for i in items if i.source_position == 3)
        assert len(item.key) == 2 and item.key == "".join(sorted(item.key))


@pytest.mark.parametrize("count", [1, 27])
def test_variant_count_outside_2_to_26_is_refused(make_spec: Any, count: int) -> None:
    with pytest.raises(ValueError, match=r"2\.\.26"):
        plan_variants(parse_spec(make_spec(4)), count, 1)
