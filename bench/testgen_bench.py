"""How long test generation takes: 8 variants of a 60-task test with every PDF, and 405
personalised answer sheets. Target: under 15 s in all on a 2-core machine.

Run: ``python -m bench.testgen_bench`` (writes into a temporary folder, removed afterwards).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from common.roster import load_roster
from demo.paths import SAMPLE_ROSTER
from testgen.build import build_test
from testgen.manifest import load_manifest
from testgen.sheet import Respondent, render_sheets

TARGET_SECONDS = 15.0
TASKS = 60
VARIANTS = 8
SHEETS = 405


def bench_spec(tasks: int = TASKS) -> dict[str, Any]:
    """A 60-task Russian mathematics spec with realistic text lengths, two groups and a
    pinned "none of the above" option in every fifth task."""

    def task(version: str, k: int) -> dict[str, Any]:
        options: list[Any] = [
            f"{version}{k}: вариант ответа номер {o + 1}, x^{{{o + 2}}} − {o}" for o in range(4)
        ]
        if k % 5 == 0:
            options.append({"text": "Нет верного ответа", "pin": "last"})
        data: dict[str, Any] = {
            "id": f"{version.lower()}{k:02d}",
            "topic": f"Тема {k % 12 + 1}: уравнения и неравенства",
            "stem": (
                f"Задание {k} ({version}). Решите уравнение **x**^{{2}} − {k}x + {k - 1} = 0 "
                "и укажите *сумму* его корней. Если корней нет, выберите соответствующий "
                "ответ. Запишите ход решения в черновике: он не проверяется."
            ),
            "options": options,
            "correct": "ABCD"[k % 4],
            "explanation": (
                f"По теореме Виета сумма корней равна {k}. Типичная ошибка — знак "
                "коэффициента; проверьте подстановкой."
            ),
        }
        if 11 <= k <= 14:
            data["group"] = "text1"
        if 41 <= k <= 43:
            data["group"] = "text2"
        return data

    sources = {
        version: {
            "groups": [
                {"id": "text1", "title": "Текст 1", "text": "Прочитайте условие задачи. " * 12},
                {"id": "text2", "title": "Текст 2", "text": "Рассмотрите таблицу значений. " * 10},
            ],
            "tasks": [task(version, k) for k in range(1, tasks + 1)],
        }
        for version in ("A", "B")
    }
    return {
        "id": "bench-math-60",
        "department": "mathematics",
        "year": 2026,
        "stage": "acceptance",
        "title": "Входной контроль: математика (60 заданий)",
        "language": "ru",
        "instructions": "Выберите один ответ в каждом задании. Время работы — 90 минут.",
        "sources": sources,
    }


def _respondents(count: int) -> list[Respondent]:
    teachers, _ = load_roster(SAMPLE_ROSTER, strict=False) if SAMPLE_ROSTER.is_file() else ([], [])
    people = [Respondent(id=t.id, name=t.name, school=t.school) for t in teachers]
    while len(people) < count:  # no sample roster in this checkout: generate names
        n = len(people)
        people.append(Respondent(id=f"{500000 + n}", name=f"Участник Номер {n}", school="Школа"))
    return people[:count]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        spec = root / "bench.yaml"
        spec.write_text(yaml.safe_dump(bench_spec(), allow_unicode=True), encoding="utf-8")

        start = time.perf_counter()
        summary = build_test(spec, root / "out", variants=VARIANTS, seed=2011)
        build_s = time.perf_counter() - start

        manifest = load_manifest(root / "out")
        layout = manifest.layout_of_kind("personal")
        people = _respondents(SHEETS)
        sheets = [(i % VARIANTS + 1, person) for i, person in enumerate(people)]
        start = time.perf_counter()
        pages = render_sheets(root / "personal.pdf", layout, manifest.test, sheets)
        sheets_s = time.perf_counter() - start
        size_mb = (root / "personal.pdf").stat().st_size / 1e6

    total = build_s + sheets_s
    neighbours = summary.neighbour_agreement()
    print(f"testgen bench: {TASKS} tasks, {VARIANTS} variants, {SHEETS} personalised sheets")
    print(
        f"  build (manifest, keys, {VARIANTS} x booklet/sheet/form/commentary): "
        f"{build_s:6.2f} s  ({build_s / VARIANTS * 1000:.0f} ms per variant)"
    )
    print(
        f"  personalised sheets: {sheets_s:6.2f} s  ({sheets_s / pages * 1000:.1f} ms per "
        f"sheet, {pages} pages, {size_mb:.1f} MB)"
    )
    print(
        f"  total: {total:6.2f} s  (target {TARGET_SECONDS:.0f} s: "
        f"{total / TARGET_SECONDS:.0%} of it)"
    )
    print(
        f"  neighbour key agreement: max {max(neighbours)} of {TASKS} "
        f"(random shuffling: about {TASKS // 4})"
    )


if __name__ == "__main__":
    main()
