"""Poll specs: every problem at once, and a build whose sheet, form and manifest agree."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest
import yaml
from click.testing import CliRunner

from common.errors import ValidationFailed
from testgen.cli import main
from testgen.manifest import PollManifest, load_package, load_poll_manifest
from testgen.poll import build_poll, parse_poll

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "templates" / "polls" / "cluster-poll-2026.yaml"


def _spec(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": "poll",
        "id": "p-2026",
        "year": 2026,
        "title": "Опрос",
        "sections": [
            {
                "heading": "Работа",
                "parameters": [
                    {"number": "1", "text": "Активность"},
                    {"number": "2", "text": "Факторы", "sub": [
                        {"number": "2.1", "text": "Поддержка"},
                        {"number": "2.2", "text": "Расписание"},
                    ]},
                ],
            }
        ],
    }  # fmt: skip
    data.update(changes)
    return data


def test_the_sample_poll_is_the_cluster_s_twenty_parameters() -> None:
    spec = parse_poll(yaml.safe_load(SAMPLE.read_text(encoding="utf-8")))
    rated = [r for r in spec.rows() if r.rated]
    assert len(rated) == 20 and spec.language == "ru" and spec.anonymous
    assert [r.number for r in rated[:9]] == ["1", "2", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6",
                                             "3.7"]  # fmt: skip
    assert [r.position for r in rated] == list(range(1, 21))
    heading = next(r for r in spec.rows() if r.number == "3")
    assert not heading.rated and heading.position is None


def test_every_problem_of_a_spec_is_listed_at_once() -> None:
    bad = _spec(id="Bad Id", scale={"min": 1, "max": 14})
    sections = bad["sections"]
    assert isinstance(sections, list)
    sections[0]["parameters"].append({"number": "2", "text": "Снова 2"})
    sections[0]["parameters"].append({"number": "x", "text": "Не номер"})
    sections[0]["parameters"][1]["sub"].append({"number": "3.1", "text": "Не его"})
    with pytest.raises(ValidationFailed) as caught:
        parse_poll(bad)
    text = " | ".join(caught.value.problems)
    assert len(caught.value.problems) == 5, text
    for expected in ("id:", "scale:", "repeats", "is not like 3 or 3.1", "must start with 2."):
        assert expected in text, (expected, text)


def test_pydantic_problems_name_their_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_poll({"kind": "poll", "id": "p-2026", "year": 1900, "sections": []})
    text = " | ".join(caught.value.problems)
    assert "year" in text and "title" in text and "sections" in text


def test_a_build_writes_sheet_form_and_a_poll_manifest(tmp_path: Path) -> None:
    spec = parse_poll(_spec(comment=True))
    built = build_poll(spec, b"spec", tmp_path / "p")
    manifest = load_poll_manifest(tmp_path / "p")
    assert isinstance(load_package(tmp_path / "p"), PollManifest)
    assert [r.position for r in manifest.rated] == [1, 2, 3]
    assert manifest.department_position == 4 and len(manifest.departments) == 5
    layout = next(iter(manifest.layouts.values()))
    assert built.layout_hash == layout.hash and layout.id_digits == 0
    per_question: dict[int, int] = {}
    for b in layout.pages[0].bubbles:
        per_question[b.question or 0] = per_question.get(b.question or 0, 0) + 1
    assert per_question == {1: 10, 2: 10, 3: 10, 4: 5}  # ten points a row, five departments
    assert manifest.comment is not None and manifest.crop_boxes(1) == {
        "comment": manifest.comment.box
    }
    assert manifest.score("A") == 1 and manifest.score("J") == 10
    fields = pypdf.PdfReader(tmp_path / "p" / "form-v01.pdf").get_fields() or {}
    assert {"q01", "q02", "q03", "q04", "comment", "test_identity"} <= set(fields)
    assert "respondent_id" not in fields  # anonymous: no ID to type
    sheet = pypdf.PdfReader(tmp_path / "p" / "sheet-v01.pdf")
    text = sheet.pages[0].extract_text()
    assert "Поддержка" in text and "Кафедра" in text


def test_a_named_poll_has_an_id_grid_and_no_department_row(tmp_path: Path) -> None:
    spec = parse_poll(_spec(anonymous=False, scale={"min": 1, "max": 5}))
    build_poll(spec, b"spec", tmp_path / "p")
    manifest = load_poll_manifest(tmp_path / "p")
    layout = next(iter(manifest.layouts.values()))
    assert manifest.department_position is None and layout.id_digits == 6
    assert layout.options == "ABCDE" and manifest.respondent_expected


def test_the_cli_builds_and_validates_a_poll(tmp_path: Path) -> None:
    runner = CliRunner()
    checked = runner.invoke(main, ["validate", str(SAMPLE)])
    assert (
        checked.exit_code == 0 and "valid poll (cluster-poll-2026, 2026, 20 rated" in checked.output
    )
    built = runner.invoke(main, ["build", str(SAMPLE), "--out", str(tmp_path / "poll")])
    assert built.exit_code == 0, built.output
    assert (tmp_path / "poll" / "sheet-v01.pdf").is_file()
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: poll\nid: x\n", encoding="utf-8")
    refused = runner.invoke(main, ["--lang", "ru", "validate", str(bad)])
    assert refused.exit_code == 3 and "обязательное поле" in refused.output
