"""Small generated specs for the testgen tests (no sample files needed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

SpecFactory = Callable[..., dict[str, Any]]


def build_spec_dict(
    n: int = 6,
    *,
    options: int = 4,
    groups: tuple[tuple[int, int], ...] = (),
    pinned: tuple[int, ...] = (),
    last_pinned: tuple[int, ...] = (),
    multi: tuple[int, ...] = (),
    test_id: str = "t-2026",
    department: str = "mathematics",
    language: str = "ru",
) -> dict[str, Any]:
    """A valid spec of ``n`` tasks in versions A and B.

    ``groups`` are (start, length) runs of 0-based positions sharing a passage; ``pinned``
    positions keep their place; ``last_pinned`` tasks get a "none of the above" option pinned
    last; ``multi`` tasks have two correct options.
    """
    in_group = {s + k: f"g{s}" for s, length in groups for k in range(length)}
    sources: dict[str, Any] = {}
    for version in ("A", "B"):
        tasks = []
        for k in range(n):
            opts: list[Any] = [f"{version}{k + 1} вариант ответа {o + 1}" for o in range(options)]
            if k in last_pinned:
                opts[-1] = {"text": "Нет верного ответа", "pin": "last"}
            task: dict[str, Any] = {
                "id": f"{version.lower()}{k + 1:02d}",
                "topic": f"Тема {k + 1}",
                "stem": f"Задание {k + 1} ({version}): найдите **x**, если x^{{2}} = 4 и H_{{2}}O",
                "options": opts,
                "correct": "AC" if k in multi else "ABCDEFGH"[(k * 3 + 1) % options],
                "explanation": f"Пояснение к заданию {k + 1}, версия {version}.",
            }
            if k in pinned:
                task["pinned"] = True
            if k in in_group:
                task["group"] = in_group[k]
            tasks.append(task)
        sources[version] = {
            "groups": [
                {"id": f"g{s}", "title": f"Текст {s}", "text": f"Прочитайте текст {version} {s}."}
                for s, _ in groups
            ],
            "tasks": tasks,
        }
    return {
        "id": test_id,
        "department": department,
        "year": 2026,
        "stage": "acceptance",
        "title": "Входной контроль: математика",
        "language": language,
        "instructions": "Выберите один ответ в каждом задании.",
        "id_digits": 6,
        "sources": sources,
    }


@pytest.fixture(scope="session")
def make_spec() -> SpecFactory:
    return build_spec_dict


@pytest.fixture
def write_spec(tmp_path: Path) -> Callable[..., Path]:
    def write(data: dict[str, Any], name: str = "spec.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        return path

    return write
