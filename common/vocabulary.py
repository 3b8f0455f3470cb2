"""The words every package shares: departments, test stages, option letters and their Russian
titles. Defined once here so that the roster, the spec, the reader and the reports agree."""

from __future__ import annotations

import string
from enum import StrEnum
from typing import Literal

LETTERS = string.ascii_uppercase  # printed option letters are Latin on every sheet


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
