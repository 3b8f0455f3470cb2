"""The words every package shares: departments, test stages, option letters and their titles
in Russian and English. Defined once here so that the roster, the spec, the reader and the
reports agree."""

from __future__ import annotations

import string
from enum import StrEnum
from typing import Literal

LETTERS = string.ascii_uppercase  # printed option letters are Latin on every sheet
# Cyrillic letters that look like Latin ones: a Russian keyboard types А В С Е where a person
# means A B C E, and on paper and screen they cannot be told apart.
_LOOKALIKES = str.maketrans("АВСЕНКМОРТХавсенкмортх", "ABCEHKMOPTXABCEHKMOPTX")


def latin_letters(text: str) -> str:
    """``text`` upper-cased with Cyrillic look-alikes (А В С Е Н К М О Р Т Х) made Latin."""
    return text.translate(_LOOKALIKES).upper()


def describe_letter(letter: str) -> str:
    """A letter as a person can tell it apart: ``'Z'`` or ``'Д' (U+0414)`` when not Latin."""
    return repr(letter) if letter.isascii() else f"{letter!r} (U+{ord(letter):04X})"


class Department(StrEnum):
    MATHEMATICS = "mathematics"
    RUSSIAN = "russian"
    ENGLISH = "english"
    HISTORY_SOCIAL = "history-social"
    ECONOMICS = "economics"


class Stage(StrEnum):
    ACCEPTANCE = "acceptance"
    INTERMEDIATE_1 = "intermediate-1"
    INTERMEDIATE_2 = "intermediate-2"
    INTERMEDIATE_3 = "intermediate-3"
    FINAL = "final"


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)

Version = Literal["A", "B"]  # the two parallel source versions of a test
VERSIONS: tuple[Version, ...] = ("A", "B")

STAGE_TITLES: dict[str, str] = {
    "acceptance": "Входной тест",
    "intermediate-1": "Промежуточный тест 1",
    "intermediate-2": "Промежуточный тест 2",
    "intermediate-3": "Промежуточный тест 3",
    "final": "Итоговый тест",
}
STAGE_SHORT_TITLES: dict[str, str] = {
    "acceptance": "Входной",
    "intermediate-1": "Промеж. 1",
    "intermediate-2": "Промеж. 2",
    "intermediate-3": "Промеж. 3",
    "final": "Итоговый",
}
DEPARTMENT_TITLES: dict[str, str] = {
    "mathematics": "Математика",
    "russian": "Русский язык",
    "english": "Английский язык",
    "history-social": "История и обществознание",
    "economics": "Экономика",
}
DEPARTMENT_TITLES_EN: dict[str, str] = {
    "mathematics": "Mathematics",
    "russian": "Russian",
    "english": "English",
    "history-social": "History and social studies",
    "economics": "Economics",
}
STAGE_TITLES_EN: dict[str, str] = {
    "acceptance": "Acceptance test",
    "intermediate-1": "Intermediate test 1",
    "intermediate-2": "Intermediate test 2",
    "intermediate-3": "Intermediate test 3",
    "final": "Final test",
}
STAGE_SHORT_TITLES_EN: dict[str, str] = {
    "acceptance": "Acceptance",
    "intermediate-1": "Interm. 1",
    "intermediate-2": "Interm. 2",
    "intermediate-3": "Interm. 3",
    "final": "Final",
}


def department_title(code: str, language: str = "ru") -> str:
    """A department's name in ``language`` (``ru`` or ``en``); an unknown code as itself."""
    titles = DEPARTMENT_TITLES if language == "ru" else DEPARTMENT_TITLES_EN
    return titles.get(code, code)


def stage_title(code: str, language: str = "ru", *, short: bool = False) -> str:
    """A stage's name in ``language``; ``short`` for a narrow column head."""
    if language == "ru":
        titles = STAGE_SHORT_TITLES if short else STAGE_TITLES
    else:
        titles = STAGE_SHORT_TITLES_EN if short else STAGE_TITLES_EN
    return titles.get(code, code)
