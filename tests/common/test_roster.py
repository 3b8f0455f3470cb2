"""Roster CSV parsing: good rows kept, bad rows reported with their row number."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import InputNotFound, ValidationFailed
from common.roster import load_roster, parse_roster

HEADER = "id,name,department,school,email\n"


def test_parses_cyrillic_with_bom() -> None:
    text = "\ufeff" + HEADER + "100001,Ёлкина Анна Сергеевна,mathematics,Лицей № 131,\n"
    teachers, problems = parse_roster(text)
    assert problems == []
    assert teachers[0].name == "Ёлкина Анна Сергеевна"
    assert teachers[0].department == "mathematics"


def test_bad_rows_are_reported_with_row_numbers_and_the_rest_kept() -> None:
    text = (
        HEADER
        + "100001,Иванов Иван Иванович,mathematics,Школа № 1,\n"
        + "100002,Петров Пётр,chemistry,Школа № 1,\n"
        + "100001,Сидоров Сидор,english,Школа № 2,\n"
    )
    teachers, problems = parse_roster(text, where="r.csv")
    assert [t.id for t in teachers] == ["100001"]
    assert problems[0].startswith("r.csv: row 3: department: Input should be")
    assert problems[1] == "r.csv: row 4: id 100001 repeats row 2"


def test_missing_columns_refused() -> None:
    with pytest.raises(ValidationFailed, match="missing column\\(s\\): department, school"):
        parse_roster("id,name\n1,A\n")


def test_load_roster_strict_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputNotFound):
        load_roster(tmp_path / "none.csv")
    path = tmp_path / "r.csv"
    path.write_text(HEADER + "x,Имя,mathematics,Школа,\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="row 2: id"):
        load_roster(path)
    teachers, problems = load_roster(path, strict=False)
    assert teachers == [] and len(problems) == 1


def test_control_characters_in_roster_cells_become_spaces() -> None:
    from common.roster import parse_roster

    text = (
        "id,name,department,school,email\n100001,Иванова\vАнна\x00 Петровна,mathematics,СОШ\t№ 1,\n"
    )
    teachers, problems = parse_roster(text)
    assert problems == []
    assert (teachers[0].name, teachers[0].school) == ("Иванова Анна Петровна", "СОШ № 1")
