"""A small hand-made test (4 tasks, versions A and B, two hand-written variants), its roster,
and helpers to build manifests from generated specs with the real variant planner.

The hand-written fixture exports in ``fixtures/`` refer to this test's option texts:

=====  ===========================  ==========  ===========================================
form   printed 1..4 (source task)   key         notes
=====  ===========================  ==========  ===========================================
A      a1 a2 a3 a4                  C B AC B    a3 has two correct options
B      b1 b2 b3 b4                  A B BD C    b2 has the option "-3"
V1     a2 b1 a3 b4                  A D AC C
V2     b2 a1 b3 a4                  C A AB B
=====  ===========================  ==========  ===========================================
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common.vocabulary import LETTERS
from scoring.analysis import load_results, teacher_results
from scoring.store import Store
from testgen.build import manifest_for
from testgen.manifest import Manifest
from testgen.spec import TestSpec, parse_spec

FIXTURES = Path(__file__).parent / "fixtures"

SMALL_SPEC: dict[str, Any] = {
    "id": "math-2026-acc",
    "department": "mathematics",
    "year": 2026,
    "stage": "acceptance",
    "title": "Входной контроль: математика",
    "language": "ru",
    "sources": {
        "A": {
            "tasks": [
                {
                    "id": "a1",
                    "topic": "Арифметика",
                    "stem": "Сколько будет 2 + 2?",
                    "options": ["2", "3", "4", "5"],
                    "correct": "C",
                    "explanation": "2 + 2 = 4.",
                },
                {
                    "id": "a2",
                    "topic": "Уравнения",
                    "stem": "Решите уравнение 2x = 4",
                    "options": ["x = 1", "x = 2", "x = -1", "x = 0"],
                    "correct": "B",
                },
                {
                    "id": "a3",
                    "topic": "Геометрия",
                    "stem": "Какие фигуры являются четырёхугольниками?",
                    "options": ["Квадрат", "Круг", "Ромб", "Треугольник"],
                    "correct": "AC",
                },
                {
                    "id": "a4",
                    "topic": "Геометрия",
                    "stem": "Сумма углов треугольника",
                    "options": [
                        "90°",
                        "180°",
                        "360°",
                        {"text": "Нет верного ответа", "pin": "last"},
                    ],
                    "correct": "B",
                },
            ]
        },
        "B": {
            "tasks": [
                {
                    "id": "b1",
                    "topic": "Арифметика",
                    "stem": "Сколько будет 3 + 3?",
                    "options": ["6", "7", "8", "9"],
                    "correct": "A",
                },
                {
                    "id": "b2",
                    "topic": "Уравнения",
                    "stem": "Решите уравнение y + 3 = 0",
                    "options": ["3", "-3", "0", "1"],
                    "correct": "B",
                },
                {
                    "id": "b3",
                    "topic": "Геометрия",
                    "stem": "Какие тела являются телами вращения?",
                    "options": ["Куб", "Шар", "Пирамида", "Конус"],
                    "correct": "BD",
                },
                {
                    "id": "b4",
                    "topic": "Геометрия",
                    "stem": "Как называется угол в 90°?",
                    "options": [
                        "Острый",
                        "Тупой",
                        "«Прямой»",
                        {"text": "Нет верного ответа", "pin": "last"},
                    ],
                    "correct": "C",
                },
            ]
        },
    },
}

# (version, source position, permutation) per printed position
SMALL_VARIANTS: list[list[tuple[str, int, tuple[int, ...]]]] = [
    [
        ("A", 2, (1, 0, 2, 3)),
        ("B", 1, (3, 2, 1, 0)),
        ("A", 3, (2, 3, 0, 1)),
        ("B", 4, (1, 0, 2, 3)),
    ],
    [
        ("B", 2, (0, 2, 1, 3)),
        ("A", 1, (2, 0, 3, 1)),
        ("B", 3, (3, 1, 2, 0)),
        ("A", 4, (2, 1, 0, 3)),
    ],
]

ROSTER = """\ufeffid,name,department,school,email
100001,Иванова Анна Петровна,mathematics,МБОУ СОШ № 1,ivanova@school1.ru
100002,Петров Борис Ильич,mathematics,МБОУ СОШ № 1,petrov@school1.ru
100003,Сидорова Вера Олеговна,mathematics,МБОУ СОШ № 2,sidorova@school2.ru
100004,Кузнецов Глеб Андреевич,mathematics,МБОУ СОШ № 2,kuznetsov@school2.ru
100005,Smith John,mathematics,Lyceum 3,j.smith@lyceum3.org
100006,Орлова Дарья Сергеевна,mathematics,Lyceum 3,
200001,Лебедева Елена Ивановна,russian,МБОУ СОШ № 1,lebedeva@school1.ru
"""


def merged_rows(
    store: Store, test_id: str = "math-2026-acc"
) -> dict[str, tuple[str, tuple, float]]:
    """teacher -> (form, printed answers, score) of a test's merged results."""
    return {
        r.teacher_id: (r.form, r.answers, r.score)
        for r in teacher_results(load_results(store, test_id))
    }


def manifest_from_plan(
    spec: TestSpec, plan: list[list[tuple[str, int, tuple[int, ...]]]], seed: int = 0
) -> Manifest:
    """A manifest (without sheet layouts) for ``spec`` and explicit variants."""
    return manifest_for(spec, placement=plan, seed=seed, layouts=False, generator="tests")  # type: ignore[arg-type]


def planned_manifest(spec: TestSpec, count: int, seed: int) -> Manifest:
    """A manifest whose variants come from the real planner."""
    return manifest_for(spec, variants=count, seed=seed, layouts=False, generator="tests")


def generated_spec(
    n: int,
    *,
    test_id: str = "gen-2026",
    stage: str = "acceptance",
    options: int = 4,
    department: str = "mathematics",
) -> TestSpec:
    """``n`` tasks per version, topics cycling over three, single correct answers."""
    sources: dict[str, Any] = {}
    for version in ("A", "B"):
        sources[version] = {
            "tasks": [
                {
                    "id": f"{version.lower()}{k + 1:02d}",
                    "topic": f"Тема {k % 3 + 1}",
                    "stem": f"Задание {k + 1} ({version})",
                    "options": [f"{version}{k + 1} ответ {o + 1}" for o in range(options)],
                    "correct": LETTERS[(k * 3 + 1) % options],
                }
                for k in range(n)
            ]
        }
    return parse_spec(
        {
            "id": test_id,
            "department": department,
            "year": 2026,
            "stage": stage,
            "title": "Сгенерированный тест",
            "sources": sources,
        }
    )


def sheet_line(
    test_id: str,
    variant: int,
    respondent: str | None,
    answers: list[str],
    *,
    file: str = "scan.png",
    page: int = 1,
    first_position: int = 1,
    sheet_page: int = 1,
    status: str = "ok",
    flags: tuple[str, ...] = (),
    channel: str = "scan",
) -> str:
    """One results.jsonl line as `omr scan` writes it; ``"?"`` is an ambiguous question."""
    import hashlib

    from omr.results import QuestionRead, SheetResult, SourceRef

    questions = []
    for k, letters in enumerate(answers):
        if letters == "?":
            state = "ambiguous"
        elif not letters:
            state = "blank"
        else:
            state = "marked" if len(letters) == 1 else "multiple"
        questions.append(
            QuestionRead(
                position=first_position + k,
                state=state,
                letters="" if letters == "?" else letters,
                fills=[0.0] * 4,
            )
        )
    digest = hashlib.sha256(f"{file}|{page}|{respondent}|{answers}".encode()).hexdigest()
    result = SheetResult(
        source=SourceRef(file=file, page=page, sha256=digest),
        channel=channel,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        flags=list(flags),
        test_id=test_id,
        variant=variant,
        sheet_page=sheet_page,
        respondent=respondent,
        respondent_source="qr" if respondent else None,
        questions=questions,
    )
    return result.model_dump_json()
