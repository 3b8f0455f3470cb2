"""The variant planner: two parallel source versions -> ``count`` shuffled variants.

Pure and seeded: the same spec and seed give the same plan. The plan is made in four steps:

1. **Versions.** Every unit (a group of tasks or a single task) gets a base version so the
   variant is half A and half B by task count (±1 when the group sizes allow it); variant
   ``v`` takes the base for even ``v`` and the other version for odd ``v``, so every position
   alternates A/B across variants.
2. **Order.** Units are shuffled; a group moves as one unit and keeps its inner order, a pinned
   task keeps its printed position.
3. **Options.** Options are shuffled, except those pinned first or last.
4. **Keys.** A seeded local search re-draws option permutations so that neighbouring variants
   (``v``, ``v+1`` cyclically) share few key letters at the same printed position, each
   variant's key letters are spread evenly over the letters, and no key letter repeats more
   than :data:`MAX_RUN` times in a row.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from common.i18n import tr
from common.vocabulary import LETTERS, Version
from testgen.spec import Task, TestSpec, units

MAX_RUN = 3
# Weights of the three goals in the search; agreement with a neighbour matters most, a run of
# four equal keys is nearly as bad (a guesser learns it), balance is the tie-breaker.
W_AGREE = 4.0
W_RUN = 3.0
W_BALANCE = 1.0
# Pushing neighbours apart alone lets other pairs drift together; a light pull on them
# (measured, 30 tasks x 8 variants, seed 2011) cut the worst other pair from 14 to 10 shared
# keys, random shuffling giving about 7.5.
W_OTHER = 0.5
# Proposals per movable item. Measured on 30 and 60 tasks x 8 variants, 5 seeds: 8 sweeps
# already reach zero (30) or <1 (60) shared keys between neighbours; 48 instead of 24 lowers
# the other pairs' agreement by under 1% at 2.5x the time.
SWEEPS = 24


@dataclass(frozen=True)
class PlannedItem:
    """One printed question of a variant. ``permutation[p]`` is the source option index
    printed at letter ``p``; ``key`` the correct option(s) in printed letters, sorted."""

    position: int  # printed, 1-based
    version: Version
    source_position: int  # 1-based
    task_id: str
    permutation: tuple[int, ...]
    key: str
    points: float


@dataclass(frozen=True)
class Plan:
    seed: int
    variants: tuple[tuple[PlannedItem, ...], ...]  # variants[v] is variant v+1
    key_agreement: np.ndarray  # shape (V, V), int: positions where two variants share a key


def plan_variants(spec: TestSpec, count: int, seed: int) -> Plan:
    """Plan ``count`` variants of ``spec`` with ``seed``.

    Raises ``ValueError`` when ``count`` is outside 2..26 (callers validate first).
    """
    if not 2 <= count <= 26:
        raise ValueError(tr("variants must be 2..26, got {count}", count=count))
    rng = random.Random(seed)
    unit_list = units(spec)
    base = _base_versions(unit_list, rng)
    orders = [_unit_order(spec, unit_list, rng) for _ in range(count)]
    versions: list[list[Version]] = []
    for v in range(count):
        per_position: list[Version] = [
            _flip(base[u], v) for u, unit in enumerate(unit_list) for _ in unit
        ]
        versions.append(per_position)
    # tasks[v][p]: the source Task printed at position p of variant v (0-based)
    tasks: list[list[Task]] = []
    for v in range(count):
        tasks.append([spec.sources[versions[v][s]].tasks[s] for s in orders[v]])
    perms = [[_random_permutation(task, rng) for task in row] for row in tasks]
    perms = _optimise(tasks, perms, rng)
    variants = []
    for v in range(count):
        items = []
        for p, s in enumerate(orders[v]):
            task = tasks[v][p]
            items.append(
                PlannedItem(
                    position=p + 1,
                    version=versions[v][s],
                    source_position=s + 1,
                    task_id=task.id,
                    permutation=tuple(perms[v][p]),
                    key=printed_key(task, perms[v][p]),
                    points=task.points,
                )
            )
        variants.append(tuple(items))
    return Plan(seed=seed, variants=tuple(variants), key_agreement=key_agreement(variants))


def key_agreement(
    variants: list[tuple[PlannedItem, ...]] | tuple[tuple[PlannedItem, ...], ...],
) -> np.ndarray:
    """``out[i, j]``: printed positions at which variants ``i+1`` and ``j+1`` have the same key.

    Returns an int array of shape (V, V); the diagonal holds the question count.
    """
    keys = np.array([[item.key for item in items] for items in variants], dtype=object)
    return (keys[:, None, :] == keys[None, :, :]).sum(axis=2).astype(int)


def _flip(version: Version, variant: int) -> Version:
    if variant % 2 == 0:
        return version
    return "B" if version == "A" else "A"


def _base_versions(unit_list: list[list[int]], rng: random.Random) -> list[Version]:
    """A base version per unit whose A-task count is as close to half the tasks as the unit
    sizes allow (a subset-sum over a random unit order, so the choice itself is seeded)."""
    sizes = [len(u) for u in unit_list]
    total = sum(sizes)
    order = list(range(len(unit_list)))
    rng.shuffle(order)
    # reach[s] = the unit index that first reached sum s (for back-tracking), -1 for sum 0
    reach: dict[int, int] = {0: -1}
    for u in order:
        for s in sorted(reach, reverse=True):
            t = s + sizes[u]
            if t not in reach and t <= total:
                reach[t] = u
    target = min(reach, key=lambda s: (abs(2 * s - total), s))
    chosen: set[int] = set()
    s = target
    # Back-track: each sum was first reached by adding one unit to a smaller reachable sum,
    # found before that unit was considered, so the chain never reuses a unit.
    while s > 0:
        u = reach[s]
        chosen.add(u)
        s -= sizes[u]
    return ["A" if u in chosen else "B" for u in range(len(unit_list))]


def _unit_order(spec: TestSpec, unit_list: list[list[int]], rng: random.Random) -> list[int]:
    """Source positions (0-based) in printed order for one variant."""
    tasks = spec.sources["A"].tasks
    n = len(tasks)
    pinned = {k for k in range(n) if tasks[k].pinned}
    movable = [u for u in unit_list if u[0] not in pinned]
    if not pinned:
        order = movable[:]
        rng.shuffle(order)
        return [s for unit in order for s in unit]
    # Pinned tasks split the page into gaps; a random order is kept only if every group
    # fits inside one gap. Otherwise units are shuffled within their own gap, which always
    # fits because the source order does.
    for _ in range(64):
        order = movable[:]
        rng.shuffle(order)
        placed = _place(order, pinned, n)
        if placed is not None:
            return placed
    gaps: list[list[list[int]]] = [[]]
    for unit in unit_list:
        if unit[0] in pinned:
            gaps.append([])
        else:
            gaps[-1].append(unit)
    for gap in gaps:
        rng.shuffle(gap)
    placed = _place([u for gap in gaps for u in gap], pinned, n)
    assert placed is not None  # the source order's gaps always fit
    return placed


def _place(order: list[list[int]], pinned: set[int], n: int) -> list[int] | None:
    """Lay units out in order, skipping pinned positions; ``None`` if a unit would straddle
    a pinned task."""
    out: list[int | None] = [k if k in pinned else None for k in range(n)]
    p = 0
    for unit in order:
        while p < n and out[p] is not None:
            p += 1
        if p + len(unit) > n or any(out[q] is not None for q in range(p, p + len(unit))):
            return None
        for offset, s in enumerate(unit):
            out[p + offset] = s
        p += len(unit)
    return [s for s in out if s is not None]


def _free_slots(task: Task) -> tuple[int, int]:
    """[start, end) of the option slots that may be shuffled."""
    n = len(task.options)
    first = sum(1 for o in task.options if o.pin == "first")
    last = sum(1 for o in task.options if o.pin == "last")
    return first, n - last


def _span(task: Task) -> int:
    start, end = _free_slots(task)
    return end - start


def _random_permutation(task: Task, rng: random.Random) -> list[int]:
    start, end = _free_slots(task)
    middle = list(range(start, end))
    rng.shuffle(middle)
    return list(range(start)) + middle + list(range(end, len(task.options)))


def printed_key(task: Task, permutation: Sequence[int]) -> str:
    """The correct option(s) of ``task`` in printed letters when printed in ``permutation``."""
    correct = set(task.correct_indices)
    return "".join(LETTERS[p] for p, source in enumerate(permutation) if source in correct)


def _balance_targets(row: list[Task]) -> np.ndarray:
    """Expected count of each key letter if every item's correct option(s) fell uniformly on
    the slots they may take; the search pulls each variant's counts towards this."""
    target = np.zeros(len(LETTERS))
    for task in row:
        start, end = _free_slots(task)
        for index in task.correct_indices:
            if start <= index < end:
                target[start:end] += 1.0 / (end - start)
            else:  # a pinned correct option has one place only
                target[index] += 1.0
    return target


def _run_windows(keys: list[str], lo: int, hi: int) -> int:
    """Windows of MAX_RUN+1 equal consecutive keys starting in [lo, hi)."""
    width = MAX_RUN + 1
    count = 0
    for i in range(max(0, lo), min(hi, len(keys) - width + 1)):
        if all(keys[i + d] == keys[i] for d in range(1, width)):
            count += 1
    return count


def _optimise(
    tasks: list[list[Task]], perms: list[list[list[int]]], rng: random.Random
) -> list[list[list[int]]]:
    """Seeded local search over option permutations; a proposal is kept when it does not
    raise the cost, so equal-cost moves let the search wander off plateaus."""
    count = len(tasks)
    n = len(tasks[0])
    keys = [
        [printed_key(t, p) for t, p in zip(row, prow, strict=True)]
        for row, prow in zip(tasks, perms, strict=True)
    ]
    neighbours = [sorted({(v - 1) % count, (v + 1) % count} - {v}) for v in range(count)]
    targets = [_balance_targets(row) for row in tasks]
    counts = []
    for v in range(count):
        c = np.zeros(len(LETTERS))
        for key in keys[v]:
            for letter in key:
                c[LETTERS.index(letter)] += 1
        counts.append(c)
    movable = [(v, p) for v in range(count) for p in range(n) if _span(tasks[v][p]) > 1]
    if not movable:
        return perms
    for _ in range(SWEEPS * len(movable)):
        v, p = movable[rng.randrange(len(movable))]
        task = tasks[v][p]
        new_perm = _random_permutation(task, rng)
        old, new = keys[v][p], printed_key(task, new_perm)
        if new == old:
            perms[v][p] = new_perm
            continue
        delta = 0.0
        for w in range(count):
            if w != v:
                weight = W_AGREE if w in neighbours[v] else W_OTHER
                delta += weight * ((keys[w][p] == new) - (keys[w][p] == old))
        before_runs = _run_windows(keys[v], p - MAX_RUN, p + 1)
        keys[v][p] = new
        after_runs = _run_windows(keys[v], p - MAX_RUN, p + 1)
        delta += W_RUN * (after_runs - before_runs)
        c, target = counts[v], targets[v]
        moved = c.copy()
        for letter in old:
            moved[LETTERS.index(letter)] -= 1
        for letter in new:
            moved[LETTERS.index(letter)] += 1
        delta += W_BALANCE * (((moved - target) ** 2).sum() - ((c - target) ** 2).sum())
        # Rounded so float noise in the balance term never decides a tie.
        if round(delta, 9) <= 0:
            perms[v][p] = new_perm
            counts[v] = moved
        else:
            keys[v][p] = old
    return perms


Placement = Sequence[Sequence[tuple[Version, int, Sequence[int]]]]


def fixed_plan(spec: TestSpec, placement: Placement, seed: int = 0) -> Plan:
    """A plan whose variants are given rather than planned: ``placement[v][p]`` is the
    (version, source position, option permutation) printed at position ``p + 1`` of variant
    ``v + 1``. Keys, points and the key agreement follow from the tasks, as in a planned build."""
    variants = []
    for rows in placement:
        items = []
        for p, (version, source_position, permutation) in enumerate(rows):
            task = spec.sources[version].tasks[source_position - 1]
            items.append(
                PlannedItem(
                    position=p + 1,
                    version=version,
                    source_position=source_position,
                    task_id=task.id,
                    permutation=tuple(permutation),
                    key=printed_key(task, permutation),
                    points=task.points,
                )
            )
        variants.append(tuple(items))
    return Plan(seed=seed, variants=tuple(variants), key_agreement=key_agreement(variants))
