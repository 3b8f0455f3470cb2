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


RUSSIAN = (
    "Табельный номер;ФИО;Кафедра;Школа;Адрес электронной почты\n"
    "100001;Иванова Анна Петровна;Математика;МБОУ СОШ № 1;ivanova@school1.ru\n"
    "100002;Петров Борис Ильич;русский язык;МБОУ СОШ № 1;\n"
    "100003;Сидорова Вера;Биология;МБОУ СОШ № 2;\n"
)


def test_a_roster_as_russian_excel_writes_it(tmp_path: Path) -> None:
    from common.roster import load_roster

    path = tmp_path / "список.csv"
    path.write_bytes(RUSSIAN.encode("cp1251"))
    teachers, problems = load_roster(path, strict=False)
    assert [(t.id, t.department.value) for t in teachers] == [
        ("100001", "mathematics"),
        ("100002", "russian"),
    ]
    [problem] = problems
    assert problem.startswith(f"{path}: row 4: department: ")


def test_a_roster_workbook_and_a_tab_separated_roster(tmp_path: Path) -> None:
    import openpyxl

    from common.roster import load_roster

    book = openpyxl.Workbook()
    for row in RUSSIAN.splitlines():
        book.active.append([int(c) if c.isdigit() else c for c in row.split(";")])
    book.save(tmp_path / "r.xlsx")
    tabbed = tmp_path / "r.tsv"
    tabbed.write_text(RUSSIAN.replace(";", "\t"), encoding="utf-8")
    for path in (tmp_path / "r.xlsx", tabbed):
        teachers, _ = load_roster(path, strict=False)
        assert [t.id for t in teachers] == ["100001", "100002"], path


def test_missing_columns_name_what_the_header_has() -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_roster("Номер;Имя\n1;x\n")
    assert str(info.value).startswith(
        "roster: missing column(s): id, name, department, school (the header row has: Номер, Имя)"
    )
