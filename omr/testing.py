"""Small, valid test packages and filled sheets for tests and benchmarks of the reader and the
simulator.

``testgen build`` makes real packages from a YAML spec; these helpers make one from the layout
alone (no booklets), so OMR tests and benches do not depend on the variant planner. The
manifest is assembled by :func:`testgen.build.assemble_manifest` and sheets are drawn by
:func:`testgen.sheet.render_sheets`, exactly as a build does; filled sheets are rasterised
with pypdfium2 and marked with OpenCV at the manifest's coordinates.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium

from testgen.build import assemble_manifest
from testgen.layout import compute_layout
from testgen.manifest import Manifest, SheetLayout, write_manifest
from testgen.planner import Plan, PlannedItem
from testgen.sheet import Respondent, render_sheets
from testgen.spec import LETTERS, Department, Option, Source, Stage, Task, TestSpec, Version


def _fixture_manifest(
    *,
    test_id: str,
    title: str,
    language: str,
    tasks: dict[Version, list[Task]],
    variants: list[tuple[PlannedItem, ...]],
    key_agreement: np.ndarray,
    seed: int,
    questions: int,
    options: int,
    id_digits: int,
    generator: str,
) -> Manifest:
    """A mathematics acceptance-test manifest of hand-made ``tasks`` and ``variants`` with an
    anonymous and a personal layout."""
    spec = TestSpec(
        id=test_id,
        department=Department.MATHEMATICS,
        year=2026,
        stage=Stage.ACCEPTANCE,
        title=title,
        language=language,  # type: ignore[arg-type]
        sources={version: Source(tasks=source) for version, source in tasks.items()},
    )
    layouts = [
        compute_layout(questions, options, id_digits, kind) for kind in ("anonymous", "personal")
    ]
    return assemble_manifest(
        spec,
        Plan(seed=seed, variants=tuple(variants), key_agreement=key_agreement),
        layouts,
        spec_sha256="0" * 64,
        generator=generator,
    )


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
    tasks: dict[Version, list[Task]] = {
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
            version: Version = "A" if (number + position) % 2 else "B"
            task = tasks[version][position - 1]
            permutation = list(range(options))
            rng.shuffle(permutation)
            key = "".join(sorted(LETTERS[permutation.index(i)] for i in task.correct_indices))
            items.append(
                PlannedItem(
                    position=position,
                    version=version,
                    source_position=position,
                    task_id=task.id,
                    permutation=tuple(permutation),
                    key=key,
                    points=1.0,
                )
            )
        plan.append(tuple(items))
    agreement = [
        [sum(a.key == b.key for a, b in zip(v, w, strict=True)) for w in plan] for v in plan
    ]
    return _fixture_manifest(
        test_id=test_id,
        title="Тестовый лист для распознавания",
        language=language,
        tasks=tasks,
        variants=plan,
        key_agreement=np.array(agreement, dtype=int),
        seed=seed,
        questions=questions,
        options=options,
        id_digits=id_digits,
        generator="omr.testing",
    )


def make_manifest(
    questions: int = 12,
    options: int = 5,
    id_digits: int = 6,
    test_id: str = "t-2026",
    variants: int = 2,
    title: str = "Входной контроль: математика",
) -> Manifest:
    """A manifest with an anonymous and a personal layout and ``variants`` unshuffled variants
    of version A, whose keys follow a known pattern (question ``p`` of variant ``v`` has key
    ``LETTERS[(p + v) % options]``)."""
    tasks: dict[Version, list[Task]] = {
        version: [
            Task(
                id=f"{version.lower()}{p:02d}",
                topic="Тема",
                stem=f"Задание {p}",
                options=[Option(text=f"ответ {o + 1}") for o in range(options)],
                correct=LETTERS[p % options],
            )
            for p in range(1, questions + 1)
        ]
        # a spec needs both versions; the variants print only A
        for version in ("A", "B")
    }
    plan = [
        tuple(
            PlannedItem(
                position=p,
                version="A",
                source_position=p,
                task_id=f"a{p:02d}",
                permutation=tuple(range(options)),
                key=LETTERS[(p + v) % options],
                points=1.0,
            )
            for p in range(1, questions + 1)
        )
        for v in range(1, variants + 1)
    ]
    return _fixture_manifest(
        test_id=test_id,
        title=title,
        language="ru",
        tasks=tasks,
        variants=plan,
        key_agreement=np.zeros((variants, variants), dtype=int),
        seed=1,
        questions=questions,
        options=options,
        id_digits=id_digits,
        generator="omr-tests",
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


def render_blank(
    manifest: Manifest,
    variant: int,
    *,
    kind: str = "anonymous",
    respondent: str | None = None,
    dpi: int = 200,
) -> list[np.ndarray]:
    """Every page of one printed sheet as greyscale arrays of shape (H, W)."""
    layout = manifest.layout_of_kind(kind)
    person = Respondent(id=respondent, name="Иванова Анна") if respondent else None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sheet.pdf"
        render_sheets(path, layout, manifest.test, [(variant, person)])
        document = pdfium.PdfDocument(path)
        try:
            pages = []
            for page in document:
                image = page.render(scale=dpi / 72, grayscale=True).to_numpy()
                pages.append(np.ascontiguousarray(image[..., 0] if image.ndim == 3 else image))
        finally:
            document.close()
    return pages


def fill_bubbles(
    image: np.ndarray,
    layout: SheetLayout,
    page: int,
    answers: dict[int, str],
    *,
    respondent: str = "",
    dpi: int = 200,
    darkness: float = 0.9,
    radius: float = 0.85,
) -> np.ndarray:
    """Fill bubbles in place: ``answers`` maps question -> letters, ``respondent`` the ID
    digits; ``darkness`` 1 is black, ``radius`` is the fraction of the bubble's radius."""
    scale = dpi / 72
    level = round(255 * (1 - darkness))
    for b in layout.pages[page - 1].bubbles:
        hit = (
            b.kind == "answer"
            and b.option is not None
            and b.option in answers.get(b.question or 0, "")
        ) or (
            b.kind == "id"
            and b.digit is not None
            and b.digit < len(respondent)
            and respondent[b.digit] == str(b.value)
        )
        if hit:
            centre = (round(b.x * scale * 16), round(b.y * scale * 16))
            cv2.circle(
                image, centre, round(b.r * radius * scale * 16), level, -1, cv2.LINE_AA, shift=4
            )
    return image


def sample_answers(questions: int, options: int, seed: int) -> dict[int, str]:
    """Random single answers with a few blanks, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    out = {}
    for q in range(1, questions + 1):
        pick = int(rng.integers(0, options + 1))
        out[q] = "" if pick == options else LETTERS[pick]
    return out
