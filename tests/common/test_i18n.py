"""The tool speaks Russian and English: complete catalogues, the language chosen as documented,
one-line errors in both, Russian help for every command, and Russian from worker processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import testgen.cli
from common import i18n
from common.i18n import language_from, language_of, tr
from devtools.catalogues import problems
from devtools.clidoc import programs
from omr.cli import main as omr_main
from scoring.cli import main as scoring_main

BIN = Path(sys.executable).parent
CYRILLIC = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")


def test_both_catalogues_hold_every_sentence_translated_and_compiled() -> None:
    assert problems() == []


def test_no_message_is_looked_up_inside_an_f_string() -> None:
    # Babel's extractor does not read inside f-strings: a sentence given to tr() there never
    # reaches the catalogues, and stays English in Russian reports. (tr(word) of a mark()ed
    # word is fine: the word is extracted where it is marked.)
    root = Path(__file__).resolve().parents[2]
    hidden = []
    for package in ("common", "testgen", "omr", "scoring"):
        for path in (root / package).rglob("*.py"):
            with path.open("rb") as handle:
                for token in tokenize.tokenize(handle.readline):
                    text = token.string
                    in_f_string = token.type == tokenize.STRING and text[:2].lower() in ('f"', "f'")
                    if in_f_string and re.search(r"""\{[^{}]*\bn?tr\(\s*['"]""", text):
                        hidden.append(f"{path.relative_to(root)}:{token.start[0]}")
    assert hidden == []


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "en"),
        ({"LANG": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LC_ALL": "ru_RU.UTF-8", "LANG": "en_GB.UTF-8"}, "ru"),
        ({"LANGUAGE": "ru:en"}, "ru"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"MONITORING_LANG": "en", "LANG": "ru_RU.UTF-8"}, "en"),
        ({"MONITORING_LANG": "ru", "LANG": "en_US.UTF-8"}, "ru"),
        ({"MONITORING_LANG": "klingon", "LANG": "ru_RU.UTF-8"}, "ru"),
    ],
)
def test_the_language_comes_from_the_environment_as_documented(
    env: dict[str, str], expected: str
) -> None:
    assert language_from(env) == expected


def test_language_names() -> None:
    assert [language_of(v) for v in ("ru", "RU", "ru-RU", "Russian", "en", "C", "", "fr")] == [
        "ru", "ru", "ru", "ru", "en", "en", None, None,
    ]  # fmt: skip


def test_use_switches_and_puts_everything_back() -> None:
    before = os.environ.get("MONITORING_LANG")
    restore = i18n.use("ru")
    try:
        assert tr("file not found") == "файл не найден"
        assert os.environ["MONITORING_LANG"] == "ru"
    finally:
        restore()
    assert tr("file not found") == "file not found"
    assert os.environ.get("MONITORING_LANG") == before


def test_an_error_is_one_line_in_both_languages(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.db"
    for lang, word in (("en", "Error: "), ("ru", "Ошибка: ")):
        result = CliRunner().invoke(
            scoring_main, ["--lang", lang, "status", "--test", "t", "--db", str(missing)]
        )
        assert result.exit_code == 2  # the store named does not exist
        lines = result.output.splitlines()
        assert len(lines) == 1 and lines[0].startswith(word + str(missing)), result.output
    ru = CliRunner().invoke(
        scoring_main, ["--lang", "ru", "status", "--test", "t", "--db", str(missing)]
    )
    assert "хранилище результатов не найдено" in ru.output


def test_the_locale_alone_gives_russian_and_the_environment_variable_overrides_it(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "LANG": "ru_RU.UTF-8", "LC_ALL": ""}
    env.pop("MONITORING_LANG")
    ru = subprocess.run(
        [BIN / "testgen", "validate", str(tmp_path / "none.yaml")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert ru.returncode == 2 and ru.stderr.strip().endswith("спецификация теста не найдена")
    en = subprocess.run(
        [BIN / "testgen", "validate", str(tmp_path / "none.yaml")],
        env={**env, "MONITORING_LANG": "en"}, capture_output=True, text=True,
    )  # fmt: skip
    assert en.stderr.strip().endswith("test spec not found")


def test_click_s_own_messages_speak_russian() -> None:
    result = CliRunner().invoke(omr_main, ["--lang", "ru", "scan"])
    assert result.exit_code == 2
    assert "Использование: main scan" in result.output
    assert "Ошибка: Не указан аргумент 'INPUTS...'." in result.output


def _commands(group: click.Command, path: list[str]) -> list[list[str]]:
    found = [path]
    if isinstance(group, click.Group):
        for name, sub in group.commands.items():
            found += _commands(sub, [*path, name])
    return found


@pytest.mark.parametrize("program", ["testgen", "omr", "scoring"])
def test_every_command_s_help_is_russian(program: str) -> None:
    main = programs()[program]
    for path in _commands(main, []):
        english = CliRunner().invoke(main, ["--lang", "en", *path, "--help"]).output
        russian = CliRunner().invoke(main, ["--lang", "ru", *path, "--help"]).output
        assert russian.startswith("Использование:") and "Параметры:" in russian, (path, russian)
        described = russian.split("\n\n")[1]  # the command's own help, first paragraph
        assert CYRILLIC & set(described.lower()), (path, described)
        for line in english.splitlines():  # no English option help left in the Russian page
            if line.startswith("  --") and "  " in line.strip():
                text = line.strip().split("  ", 1)[1].strip()
                assert text not in russian or not any(c.isalpha() for c in text), (path, text)


def test_a_spec_s_errors_are_russian_including_pydantic_s(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("id: x-2026\n", encoding="utf-8")
    result = CliRunner().invoke(testgen.cli.main, ["--lang", "ru", "validate", str(spec)])
    assert result.exit_code == 3
    assert "обязательное поле" in result.output, result.output
    assert "Field required" not in result.output
