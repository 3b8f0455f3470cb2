"""Small, valid test packages and filled sheets for tests and benchmarks of the reader and the
simulator.

``testgen build`` makes real packages from a YAML spec; these helpers make one from a spec
built in code with variants given explicitly (no booklets), so OMR tests and benches do not
depend on the variant planner's choices. The manifest is made by
:func:`testgen.build.manifest_for` and sheets are drawn by :func:`testgen.sheet.render_sheets`,
exactly as a build does; filled sheets are rasterised with pypdfium2 and marked with OpenCV at
the manifest's coordinates.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import cv2
import numpy as np

from common.vocabulary import LETTERS, VERSIONS, Department, Stage, Version
from omr.pdf import pdf_page_count, render_pdf_page
from testgen.build import manifest_for
from testgen.manifest import Manifest, SheetLayout, write_manifest
from testgen.sheet import Respondent, render_sheets
from testgen.spec import Option, Source, Task, TestSpec


def _spec(
    test_id: str, title: str, language: str, tasks: dict[Version, list[Task]], id_digits: int
) -> TestSpec:
    return TestSpec(
        id=test_id,
        department=Department.MATHEMATICS,
        year=2026,
        stage=Stage.ACCEPTANCE,
        title=title,
        language=language,  # type: ignore[arg-type]
        id_digits=id_digits,
        sources={version: Source(tasks=source) for version, source in tasks.items()},
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
        for version in VERSIONS
    }
    placement = []
    for number in range(1, variants + 1):
        rows: list[tuple[Version, int, list[int]]] = []
        for position in range(1, questions + 1):
            version: Version = "A" if (number + position) % 2 else "B"
            permutation = list(range(options))
            rng.shuffle(permutation)
            rows.append((version, position, permutation))
        placement.append(rows)
    spec = _spec(test_id, "Тестовый лист для распознавания", language, tasks, id_digits)
    return manifest_for(spec, placement=placement, seed=seed, generator="testkit")


def make_manifest(
    questions: int = 12,
    options: int = 5,
    id_digits: int = 6,
    test_id: str = "t-2026",
    variants: int = 2,
    title: str = "Входной контроль: математика",
) -> Manifest:
    """A manifest with an anonymous and a personal layout and ``variants`` variants of version
    A in source order, whose keys follow a known pattern (question ``p`` of variant ``v`` has
    key ``LETTERS[(p + v) % options]``: the options are rotated by ``v``)."""
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
        for version in VERSIONS
    }
    placement = [
        [("A", p, [(k - v) % options for k in range(options)]) for p in range(1, questions + 1)]
        for v in range(1, variants + 1)
    ]
    spec = _spec(test_id, title, "ru", tasks, id_digits)
    return manifest_for(spec, placement=placement, seed=1, generator="testkit")  # type: ignore[arg-type]


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
        count = pdf_page_count(path, str(path))
        return [render_pdf_page(path, page, str(path), dpi=dpi) for page in range(1, count + 1)]


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
