"""Work that depends on a layout page alone, done once per page instead of once per sheet.

A batch reads thousands of sheets against a handful of layout pages, and the manifest a worker
loaded keeps the same page objects for its whole life. So what follows from a page alone (the
page points every bubble is sampled at, which bubbles form a question, the anchors of the
refinement) is computed on the first sheet of a page and kept, keyed by the identity of the
layout objects it came from: the manifest's models are frozen and never change in place.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, TypeVar

import numpy as np

from testgen.manifest import Bubble

T = TypeVar("T")

PAGES_KEPT = 64  # layout pages a worker reads against at once: far more than a batch has


class _Same:
    """A hashable stand-in for a tuple of objects, equal only to the very same objects.

    The cache holds it, and so the objects, so an id is never reused while its entry lives.
    """

    __slots__ = ("objects",)

    def __init__(self, objects: tuple[Any, ...]) -> None:
        self.objects = objects

    def __hash__(self) -> int:
        return hash(tuple(id(o) for o in self.objects))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and all(
            a is b for a, b in zip(self.objects, other.objects, strict=True)
        )


def per_layout(function: Callable[..., T]) -> Callable[..., T]:
    """Memoise ``function`` of layout objects (a page's bubble list, its markers) by their
    identity. Arrays it returns are made read-only: every sheet shares them."""

    @lru_cache(maxsize=PAGES_KEPT)
    def cached(key: _Same) -> T:
        value = function(*key.objects)
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, np.ndarray):
                item.flags.writeable = False
        return value

    @wraps(function)
    def wrapper(*objects: Any) -> T:
        return cached(_Same(objects))

    return wrapper


@per_layout
def bubble_centres(bubbles: list[Bubble]) -> tuple[np.ndarray, np.ndarray]:
    """Every bubble's centre (N, 2) and radius (N,), in page points."""
    centres = np.array([[b.x, b.y] for b in bubbles], dtype=np.float64).reshape(-1, 2)
    return centres, np.array([b.r for b in bubbles], dtype=np.float64)
