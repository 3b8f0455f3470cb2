"""A small, valid test package for tests and benchmarks of the reader and the simulator.

``testgen build`` makes real packages from a YAML spec; this helper makes one from the layout
alone (no booklets), so OMR tests and benches do not depend on the variant planner. The
sheet PDF is drawn by the real :func:`testgen.sheet.render_sheets`, exactly as a build does.
"""

from __future__ import annotations

import random
from pathlib import Path

from testgen.layout import compute_layout
from testgen.manifest import (
    Manifest,
    SourceVersion,
    TestInfo,
    Variant,
    VariantItem,
    write_manifest,
)
from testgen.sheet import render_sheets
from testgen.spec import LETTERS, Option, Task


def minimal_manifest(
    test_id: str = "omr-sim",
    questions: int = 30,
    options: int = 5,
    variants: int = 4,
    id_digits: int = 6,
    seed: int = 7,
    language: str = "ru",
) -> Manifest:
    """A manifest with ``variants`` shuffled variants of ``questions`` one-answer tasks."""
    rng = random.Random(seed)
    tasks = {
        version: [
            Task(
                id=f"{version.lower()}{k + 1}",
                topic="sim",
                stem=f"Задание {k + 1}",
                options=[Option(text=f"{version}{k + 1}-{o}") for o in range(options)],
                correct=LETTERS[rng.randrange(options)],
            )
            for k in range(questions)
        ]
        for version in ("A", "B")
    }
    plan = []
    for number in range(1, variants + 1):
        items = []
        for position in range(1, questions + 1):
            version = "A" if (number + position) % 2 else "B"
            task = tasks[version][position - 1]
            permutation = list(range(options))
            rng.shuffle(permutation)
            key = "".join(sorted(LETTERS[permutation.index(i)] for i in task.correct_indices))
            items.append(
                VariantItem(
                    position=position,
                    version=version,  # type: ignore[arg-type]
                    source_position=position,
                    task_id=task.id,
                    permutation=permutation,
                    key=key,
                    points=1.0,
                )
            )
        plan.append(Variant(number=number, items=items))
    agreement = [
        [sum(a.key == b.key for a, b in zip(v.items, w.items, strict=True)) for w in plan]
        for v in plan
    ]
    layouts = {}
    for kind in ("anonymous", "personal"):
        layout = compute_layout(questions, options, id_digits, kind)
        layouts[layout.hash] = layout
    return Manifest(
        generator="omr.testing",
        test=TestInfo(
            id=test_id,
            department="mathematics",  # type: ignore[arg-type]
            year=2026,
            stage="acceptance",  # type: ignore[arg-type]
            title="Тестовый лист для распознавания",
            language=language,  # type: ignore[arg-type]
        ),
        seed=seed,
        spec_sha256="0" * 64,
        sources={v: SourceVersion(groups=[], tasks=t) for v, t in tasks.items()},  # type: ignore[misc]
        variants=plan,
        key_agreement=agreement,
        layouts=layouts,
    )


def write_package(manifest: Manifest, out_dir: Path, *, sheets: bool = True) -> Path:
    """Write ``manifest.json`` (and, with ``sheets``, ``sheet-vNN.pdf`` per variant)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_manifest(manifest, out_dir / "manifest.json")
    if sheets:
        layout = manifest.layout_of_kind("anonymous")
        for variant in manifest.variants:
            path = out_dir / f"sheet-v{variant.number:02d}.pdf"
            render_sheets(path, layout, manifest.test, [(variant.number, None)])
    return out_dir
