"""Bad specs and bad build inputs are refused with messages that name the field; the CLI prints
one line and exits with the error's code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from common.errors import OutputError, ValidationFailed
from testgen.build import build_test
from testgen.cli import main
from testgen.spec import parse_spec


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        parse_spec(data, where="math.yaml")
    assert str(caught.value).startswith("math.yaml: ")
    return caught.value.problems


def test_a_and_b_of_different_lengths(make_spec: Any) -> None:
    data = make_spec(4)
    data["sources"]["B"]["tasks"].pop()
    assert _problems(data) == [
        "(top level): sources: A has 4 tasks and B has 3; they must be parallel"
    ]


def test_no_correct_option(make_spec: Any) -> None:
    data = make_spec(4)
    del data["sources"]["A"]["tasks"][1]["correct"]
    assert _problems(data) == ["sources.A.tasks[1].correct: Field required"]


def test_correct_option_that_does_not_exist(make_spec: Any) -> None:
    data = make_spec(4)
    data["sources"]["B"]["tasks"][3]["correct"] = "F"
    assert _problems(data) == [
        "sources.B.tasks[3]: correct: option 'F' does not exist (task has 4 options, A-D)"
    ]


def test_correct_typed_on_a_russian_keyboard_is_read_as_latin(make_spec: Any) -> None:
    data = make_spec(4)
    data["sources"]["A"]["tasks"][0]["correct"] = "ВС"  # Cyrillic В and С
    data["sources"]["B"]["tasks"][0]["correct"] = "Д"  # a Cyrillic letter with no Latin twin
    assert _problems(data) == [
        "sources.B.tasks[0]: correct: option 'Д' (U+0414) does not exist (task has 4 options, A-D)"
    ]


def test_duplicate_option_text(make_spec: Any) -> None:
    data = make_spec(4)
    options = data["sources"]["A"]["tasks"][2]["options"]
    options[1] = "  " + options[0].upper()  # same text up to case and spacing
    assert _problems(data) == [
        "sources.A.tasks[2].options: duplicate option text '  A3 ВАРИАНТ ОТВЕТА 1'"
    ]


def test_unknown_group(make_spec: Any) -> None:
    data = make_spec(4)
    data["sources"]["A"]["tasks"][0]["group"] = "чтение"
    data["sources"]["B"]["tasks"][0]["group"] = "чтение"
    assert _problems(data) == [
        "sources.A: tasks[0].group: unknown group 'чтение'",
        "sources.B: tasks[0].group: unknown group 'чтение'",
    ]


def test_fewer_than_two_options(make_spec: Any) -> None:
    data = make_spec(4)
    data["sources"]["A"]["tasks"][3]["options"] = ["один"]
    assert _problems(data) == [
        "sources.A.tasks[3].options: List should have at least 2 items after validation, not 1"
    ]


def test_every_problem_is_reported_at_once(make_spec: Any) -> None:
    data = make_spec(4)
    del data["sources"]["A"]["tasks"][1]["correct"]
    data["sources"]["B"]["tasks"][3]["options"] = ["один"]
    data["year"] = 1900
    problems = _problems(data)
    assert len(problems) == 3
    assert problems[0].startswith("year: ")


def test_build_refuses_bad_variant_count_and_missing_image(
    make_spec: Any, write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    data = make_spec(4)
    data["sources"]["A"]["tasks"][0]["image"] = "figures/граф.png"
    spec = write_spec(data)
    with pytest.raises(ValidationFailed) as caught:
        build_test(spec, tmp_path / "out", variants=1)
    assert caught.value.problems == [
        "--variants: 1 is outside 2..26",
        "sources.A.tasks[0].image: figures/граф.png not found next to the spec",
    ]
    assert not (tmp_path / "out").exists()  # validated before anything is written


def test_build_refuses_a_roster_with_nobody_of_the_department(
    make_spec: Any, write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "id,name,department,school,email\n100001,Иванова Анна,english,Школа № 1,\n", "utf-8"
    )
    with pytest.raises(ValidationFailed, match="no teacher of department mathematics"):
        build_test(write_spec(make_spec(4)), tmp_path / "out", roster=roster)


def test_build_refuses_an_output_path_that_is_a_file(
    make_spec: Any, write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match="cannot write the output folder"):
        build_test(write_spec(make_spec(4)), blocker)


def test_cli_prints_one_line_and_exits_with_the_validation_code(
    make_spec: Any, write_spec: Callable[..., Path]
) -> None:
    data = make_spec(4)
    data["sources"]["B"]["tasks"].pop()
    spec = write_spec(data)
    result = CliRunner().invoke(main, ["validate", str(spec)])
    assert result.exit_code == 3
    assert result.output == (
        f"Error: {spec}: (top level): sources: A has 4 tasks and B has 3; they must be parallel\n"
    )
    assert "Traceback" not in result.output


def test_cli_missing_spec_is_one_line_with_exit_code_2(tmp_path: Path) -> None:
    missing = tmp_path / "нет.yaml"
    result = CliRunner().invoke(main, ["build", str(missing), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert result.output == f"Error: {missing}: test spec not found\n"


def test_cli_validate_accepts_a_good_spec(make_spec: Any, write_spec: Callable[..., Path]) -> None:
    spec = write_spec(make_spec(5))
    result = CliRunner().invoke(main, ["validate", str(spec)])
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"{spec}: valid (t-2026, mathematics, acceptance, 5 tasks in versions A and B)\n"
    )


def test_a_task_image_is_printed_in_the_booklet(
    make_spec: Any, write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    (tmp_path / "рисунки").mkdir()
    picture = np.full((40, 80, 3), 255, np.uint8)
    cv2.rectangle(picture, (10, 10), (70, 30), (0, 0, 0), 2)
    cv2.imwrite(str(tmp_path / "рисунки" / "fig.png"), picture)
    data = make_spec(3)
    for version in ("A", "B"):
        data["sources"][version]["tasks"][1]["image"] = "рисунки/fig.png"
    build_test(write_spec(data), tmp_path / "out", variants=2)
    pages = PdfReader(tmp_path / "out" / "booklet-v01.pdf").pages
    assert sum(len(page.images) for page in pages) == 1


def test_cli_variant_count_error_is_one_line(
    make_spec: Any, write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = write_spec(make_spec(4))
    result = CliRunner().invoke(
        main, ["build", str(spec), "--variants", "27", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 3
    assert result.output == f"Error: {spec}: --variants: 27 is outside 2..26\n"


def test_a_manifest_edited_by_hand_is_refused_on_load(tmp_path: Path) -> None:
    import json

    from testgen.manifest import load_manifest
    from testkit.packages import make_manifest, write_package

    folder = write_package(make_manifest(4, 4), tmp_path / "pkg", sheets=False)
    path = folder / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    layout = next(iter(data["layouts"].values()))
    layout["pages"][0]["bubbles"][0]["x"] += 3.0  # one bubble moved, the hash kept
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        load_manifest(folder)
    [problem] = info.value.problems
    assert "its geometry does not match its hash" in problem
    assert "rebuild the package with testgen build" in problem


def test_a_yaml_alias_bomb_is_refused_before_validation(tmp_path: Path) -> None:
    from testgen.spec import load_spec

    task = "{id: t, topic: x, stem: s, options: [a, b], correct: A}"
    lines = [f"t0: &t0 [{', '.join([task] * 10)}]"]
    for k in range(1, 7):
        lines.append(f"t{k}: &t{k} [{', '.join([f'*t{k - 1}'] * 10)}]")
    lines.append("sources: {A: {tasks: *t6}, B: {tasks: *t6}}")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        load_spec(path)
    assert info.value.problems == [
        "the YAML expands to more than 200,000 values through its &anchors and *aliases "
        "(an alias bomb?)"
    ]
