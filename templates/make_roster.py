"""Generate ``templates/roster-sample.csv``: a fictitious but realistic cluster roster.

405 teachers in 53 schools (102 mathematics, 103 Russian, 119 English, 65 history and social
theory, 16 economics). Names are drawn from common Russian and Tatar names, so every person is
made up. The output is fully determined by the seed, so the committed CSV can be checked
against this script::

    python templates/make_roster.py                 # rewrites templates/roster-sample.csv
    python templates/make_roster.py --out other.csv --seed 7
"""

from __future__ import annotations

import argparse
import csv
import io
import random
from dataclasses import dataclass
from pathlib import Path

SEED = 2026
SCHOOL_COUNT = 53
DEPARTMENT_COUNTS: dict[str, int] = {
    "mathematics": 102,
    "russian": 103,
    "english": 119,
    "history-social": 65,
    "economics": 16,
}
# Share of women per department; school teaching staff in Russia are mostly women.
FEMALE_SHARE: dict[str, float] = {
    "mathematics": 0.82,
    "russian": 0.93,
    "english": 0.9,
    "history-social": 0.72,
    "economics": 0.7,
}
EMPTY_EMAIL_SHARE = 0.08
DOUBLE_SURNAME_SHARE = 0.015  # women only: a maiden name kept alongside the married one


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass(frozen=True)
class NamePool:
    """Names of one tradition. Surnames are masculine (see :func:`_feminine`); patronymics are
    masculine and end in -вич, the feminine form ends in -вна."""

    surnames: tuple[str, ...]
    male: tuple[str, ...]
    female: tuple[str, ...]
    patronymics: tuple[str, ...]


RUSSIAN = NamePool(
    surnames=_words(
        "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров "
        "Морозов Волков Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев "
        "Орлов Андреев Макаров Никитин Захаров Зайцев Соловьёв Борисов Яковлев Григорьев "
        "Романов Воробьёв Сергеев Кузьмин Фролов Александров Дмитриев Королёв Гусев Киселёв "
        "Ильин Максимов Поляков Сорокин Виноградов Ковалёв Белов Медведев Антонов Тарасов "
        "Жуков Баранов Филиппов Комаров Давыдов Беляев Герасимов Богданов Осипов Сидоров "
        "Матвеев Титов Марков Миронов Крылов Куликов Карпов Власов Мельников Денисов "
        "Гаврилов Тихонов Казаков Афанасьев Данилов Савельев Тимофеев Фомин Чернов Абрамов "
        "Мартынов Ефимов Федотов Щербаков Назаров Калинин Исаев Чернышёв Быков Маслов "
        "Родионов Коновалов Лазарев Воронин Климов Филатов Пономарёв Голубев Кудрявцев "
        "Прохоров Наумов Потапов Журавлёв Овчинников Трофимов Леонов Соболев Ермаков "
        "Колесников Гончаров Емельянов Никифоров Грачёв Котов Гришин Ефремов Архипов "
        "Громов Кириллов Малышев Панов Моисеев Румянцев Акимов Кондратьев Бирюков Горбунов "
        "Анисимов Ерёмин Тихомиров Галкин Лукьянов Михеев Скворцов Юдин Белоусов Нестеров "
        "Симонов Прокофьев Харитонов Князев Цветков Левин Митрофанов Воронцов Островский "
        "Раевский Вишневский Покровский Успенский Шевчук Ковальчук Бондаренко Шевченко"
    ),
    male=_words(
        "Александр Алексей Андрей Антон Артём Борис Вадим Валерий Виктор Виталий Владимир "
        "Владислав Вячеслав Геннадий Георгий Григорий Денис Дмитрий Евгений Иван Игорь Илья "
        "Кирилл Константин Максим Михаил Никита Николай Олег Павел Пётр Роман Семён Сергей "
        "Станислав Степан Юрий Ярослав"
    ),
    female=_words(
        "Анастасия Анна Алёна Алина Валентина Валерия Вера Виктория Галина Дарья Евгения "
        "Екатерина Елена Елизавета Жанна Зинаида Ирина Карина Кристина Ксения Лариса Лидия "
        "Любовь Людмила Маргарита Марина Мария Надежда Наталья Нина Оксана Олеся Ольга Полина "
        "Светлана Софья Тамара Татьяна Юлия Яна"
    ),
    patronymics=_words(
        "Александрович Алексеевич Андреевич Анатольевич Борисович Валерьевич Васильевич "
        "Викторович Владимирович Вячеславович Геннадьевич Георгиевич Григорьевич Дмитриевич "
        "Евгеньевич Иванович Игоревич Константинович Леонидович Михайлович Николаевич "
        "Олегович Павлович Петрович Романович Семёнович Сергеевич Станиславович Юрьевич "
        "Владиславович Артёмович Фёдорович"
    ),
)
TATAR = NamePool(
    surnames=_words(
        "Хабибуллин Гарипов Сафин Валиев Ахметов Закиров Галиев Мухаметзянов Шакиров Нуриев "
        "Гайнуллин Хайруллин Сабиров Файзуллин Латыпов Габдрахманов Зиннатуллин Миннуллин "
        "Мингазов Хуснутдинов Исмагилов Ибрагимов Юсупов Каримов Валеев Фаттахов Насыров "
        "Гильмутдинов Шарафутдинов Низамов Садыков Салихов Хасанов Гатауллин Мустафин "
        "Сагдеев Вафин Гиниятуллин Шайхутдинов Хамидуллин"
    ),
    male=_words("Айдар Айрат Альберт Ильдар Ильнур Марат Ринат Рустам Тимур Фарид Булат Радик"),
    female=_words(
        "Альбина Гульнара Гульшат Диляра Зульфия Лилия Лейсан Резеда Розалия Эльвира Алсу "
        "Венера Гузель Ильмира Чулпан Айгуль Фарида Ляйсан"
    ),
    patronymics=_words(
        "Айдарович Айратович Альбертович Ильдарович Ильдусович Маратович Ринатович "
        "Рустамович Тимурович Фаридович Наилевич Рафаэлевич Рамилевич Азатович Ильшатович "
        "Салаватович Рифатович Фанисович"
    ),
)
TATAR_SHARE = 0.35
# Surnames that do not change with gender.
INVARIANT_SURNAMES = ("Шевчук", "Ковальчук", "Бондаренко", "Шевченко")
MIXED_NAME_SHARE = 0.1  # a given name or patronymic from the other tradition

SCHOOL_TYPES: tuple[tuple[str, int], ...] = (
    # (name pattern, how many of the 53), numbers are drawn without repeats per type
    ("МБОУ СОШ № {n} г. Казани", 30),
    ("МАОУ «Гимназия № {n}» г. Казани", 10),
    ("МАОУ «Лицей № {n}» г. Казани", 7),
    ("МБОУ СОШ № {n} г. Зеленодольска", 3),
    ("МБОУ «Лицей № {n}» г. Набережные Челны", 3),
)
EMAIL_DOMAINS = (
    "mail.ru",
    "mail.ru",
    "yandex.ru",
    "yandex.ru",
    "gmail.com",
    "bk.ru",
    "inbox.ru",
    "list.ru",
    "edu.tatar.ru",
)
TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu",
    "я": "ia", "-": "-",
}  # fmt: skip  # Russian passport transliteration (2013), what e-mail addresses usually use


@dataclass(frozen=True)
class Teacher:
    id: str
    name: str
    department: str
    school: str
    email: str


def transliterate(text: str) -> str:
    """Latin spelling of a Cyrillic word, lower case (``Фёдорова`` -> ``fedorova``)."""
    return "".join(TRANSLIT.get(ch, ch) for ch in text.lower())


def _feminine(surname: str) -> str:
    if surname in INVARIANT_SURNAMES:
        return surname
    if surname.endswith("ский"):
        return surname[: -len("ий")] + "ая"
    return surname + "а"


def _person(rng: random.Random, *, female: bool) -> tuple[str, str, str]:
    """(surname, given name, patronymic) of one made-up person."""
    own, other = (TATAR, RUSSIAN) if rng.random() < TATAR_SHARE else (RUSSIAN, TATAR)
    surname = rng.choice(own.surnames)
    first_pool = other if rng.random() < MIXED_NAME_SHARE else own
    father_pool = other if rng.random() < MIXED_NAME_SHARE else own
    patronymic = rng.choice(father_pool.patronymics)
    if not female:
        return surname, rng.choice(first_pool.male), patronymic
    surname = _feminine(surname)
    if rng.random() < DOUBLE_SURNAME_SHARE:
        surname += "-" + _feminine(rng.choice(rng.choice((RUSSIAN, TATAR)).surnames))
    return surname, rng.choice(first_pool.female), patronymic.removesuffix("вич") + "вна"


def make_schools(rng: random.Random) -> list[str]:
    """The 53 school names, in the order a roster lists them (by type, then number)."""
    schools: list[str] = []
    for pattern, count in SCHOOL_TYPES:
        numbers = sorted(rng.sample(range(1, 180), count))
        schools.extend(pattern.format(n=n) for n in numbers)
    assert len(schools) == SCHOOL_COUNT
    return schools


def _email(rng: random.Random, surname: str, first: str, patronymic: str, taken: set[str]) -> str:
    if rng.random() < EMPTY_EMAIL_SHARE:
        return ""
    last, f, p = transliterate(surname), transliterate(first)[0], transliterate(patronymic)[0]
    style = rng.randrange(4)
    if style == 0:
        local = f"{last}.{f}{p}"
    elif style == 1:
        local = f"{f}{p}{last}"
    elif style == 2:
        local = f"{last}_{transliterate(first)}"
    else:
        local = f"{last}{rng.randrange(60, 100)}"
    local = local.replace("-", "_") if style == 2 else local
    domain = rng.choice(EMAIL_DOMAINS)
    email = f"{local}@{domain}"
    suffix = 2
    while email in taken:
        email = f"{local}{suffix}@{domain}"
        suffix += 1
    taken.add(email)
    return email


def make_roster(seed: int = SEED) -> list[Teacher]:
    """All teachers, ordered by school, then department, then name."""
    rng = random.Random(seed)
    schools = make_schools(rng)
    departments = [d for d, n in DEPARTMENT_COUNTS.items() for _ in range(n)]
    rng.shuffle(departments)
    # Every school gets at least one teacher; the rest follow uneven school sizes.
    weights = [rng.uniform(0.4, 2.0) for _ in schools]
    school_of = list(range(len(schools)))
    school_of += rng.choices(
        range(len(schools)), weights=weights, k=len(departments) - len(schools)
    )
    rng.shuffle(school_of)
    ids = rng.sample(range(100_000, 1_000_000), len(departments))
    taken_emails: set[str] = set()
    taken_names: set[str] = set()
    rows: list[tuple[int, int, Teacher]] = []
    order = list(DEPARTMENT_COUNTS)
    for k, (department, school) in enumerate(zip(departments, school_of, strict=True)):
        while True:
            female = rng.random() < FEMALE_SHARE[department]
            surname, first, patronymic = _person(rng, female=female)
            name = f"{surname} {first} {patronymic}"
            if name not in taken_names:
                taken_names.add(name)
                break
        email = _email(rng, surname, first, patronymic, taken_emails)
        teacher = Teacher(str(ids[k]), name, department, schools[school], email)
        rows.append((school, order.index(department), teacher))
    rows.sort(key=lambda row: (row[0], row[1], row[2].name))
    return [teacher for _, _, teacher in rows]


def render_csv(teachers: list[Teacher]) -> str:
    """CSV text with the roster columns (UTF-8 without BOM, ``\\n`` line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "name", "department", "school", "email"])
    for t in teachers:
        writer.writerow([t.id, t.name, t.department, t.school, t.email])
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("roster-sample.csv"))
    args = parser.parse_args()
    args.out.write_text(render_csv(make_roster(args.seed)), encoding="utf-8")


if __name__ == "__main__":
    main()
