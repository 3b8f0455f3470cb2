"""A realistic generated :class:`ReportData` for tests and the benchmark (no store needed).

Teachers have Cyrillic names, schools of Kazan, abilities that grow over the five stages, and
tasks answered on one of eight variants (printed order and letters permuted per variant).
Everything is drawn from one seeded generator, so the same arguments give the same data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

from common.roster import Teacher
from common.vocabulary import (
    DEPARTMENT_TITLES,
    STAGE_SHORT_TITLES,
    STAGE_TITLES,
    Department,
    Stage,
    Version,
    department_title,
    stage_title,
)
from scoring.report.data import (
    STAGES,
    GrowthFigure,
    HistoryPoint,
    ItemAlert,
    ItemRow,
    ReportData,
    StageMeta,
    SummaryRow,
    TaskRow,
    TeacherReport,
    TestMeta,
    TestStatistics,
    TopicMean,
    TopicScore,
    histogram,
    standing_of,
)
from scoring.store import AttemptRecord, Store, open_store
from testgen.build import manifest_for
from testgen.manifest import Manifest
from testgen.spec import Option, Source, Task, TestSpec

_SURNAMES = [
    ("Архипов", "Архипова"),
    ("Гатауллин", "Гатауллина"),
    ("Исмагилов", "Исмагилова"),
    ("Мингазов", "Мингазова"),
    ("Ёлкин", "Ёлкина"),
    ("Сафин", "Сафина"),
    ("Хабибуллин", "Хабибуллина"),
    ("Щербаков", "Щербакова"),
    ("Юсупов", "Юсупова"),
    ("Зайцев", "Зайцева"),
    ("Воронцов-Вельяминов", "Воронцова-Вельяминова"),
    ("Нуриев", "Нуриева"),
    ("Кузнецов", "Кузнецова"),
    ("Фаттахов", "Фаттахова"),
]
_FIRST = {
    "m": ["Ильдар", "Алексей", "Рустем", "Пётр", "Айдар", "Константин"],
    "f": ["Любовь", "Альбина", "Фарида", "Лилия", "Гульнара", "Екатерина", "Эльвира"],
}
_PATRONYMIC = {
    "m": ["Ринатович", "Владимирович", "Фанисович", "Сергеевич"],
    "f": ["Владимировна", "Фанисовна", "Ринатовна", "Сергеевна", "Александровна"],
}
_SCHOOLS = [
    "МБОУ СОШ № 1 г. Казани",
    "МАОУ «Гимназия № 20» г. Казани",
    "МАОУ «Лицей № 131» г. Казани",
    "МБОУ «Средняя общеобразовательная школа № 178 с углублённым изучением отдельных "
    "предметов» Советского района г. Казани",
    "МАОУ «Гимназия № 92» г. Казани",
    "МБОУ «Школа № 39» г. Казани",
]
_TOPICS = ["Алгебра", "Геометрия", "Функции и графики", "Теория вероятностей", "Методика"]
_EXPLANATIONS = [
    "Подставьте x = 2 в обе части уравнения: левая часть равна 7, правая 7, значит ответ верен.",
    "Сумма углов треугольника равна 180°, поэтому третий угол равен 180° − 65° − 48° = 67°.",
    "Ошибка типична: при делении неравенства на отрицательное число знак меняется на "
    "противоположный. Проверьте ответ подстановкой граничной точки и точки внутри "
    "промежутка; обратите внимание, что концы промежутка не входят в ответ, так как "
    "неравенство строгое. Рекомендуем повторить §4 методического пособия (с. 37–41).",
    "Вероятность двух независимых событий равна произведению вероятностей: 0,3 · 0,5 = 0,15.",
    "",
]


def _name(rng: np.random.Generator) -> str:
    sex = "m" if rng.random() < 0.3 else "f"
    surname = _SURNAMES[rng.integers(len(_SURNAMES))][0 if sex == "m" else 1]
    first = _FIRST[sex][rng.integers(len(_FIRST[sex]))]
    patronymic = _PATRONYMIC[sex][rng.integers(len(_PATRONYMIC[sex]))]
    return f"{surname} {first} {patronymic}"


def _ranks(percents: np.ndarray) -> np.ndarray:
    """Competition ranks (1 = best; ties share the better rank)."""
    order = -percents
    return np.array([int((order < v).sum()) + 1 for v in order])


def sample_report_data(
    teachers: int = 40,
    tasks: int = 30,
    *,
    stage: str = "final",
    department: str = "mathematics",
    variants: int = 8,
    seed: int = 7,
) -> ReportData:
    """A generated ReportData of ``teachers`` teachers and ``tasks`` tasks at ``stage``."""
    rng = np.random.default_rng(seed)
    held = STAGES[: STAGES.index(stage) + 1]
    n, k = teachers, tasks
    topics = [_TOPICS[j * len(_TOPICS) // k] for j in range(k)]
    difficulty = rng.normal(0.0, 1.0, size=k)
    ability = rng.normal(0.3, 1.0, size=n)
    # Percent correct per stage: ability grows over the year; some teachers miss a stage.
    stage_pct: np.ndarray = np.clip(
        100 / (1 + np.exp(-(ability[:, None] + 0.15 * np.arange(5)[None, :]))), 0, 100
    )
    stage_pct += rng.normal(0, 4, size=stage_pct.shape)
    stage_pct = np.round(np.clip(stage_pct, 0, 100), 1)
    absent = rng.random(stage_pct.shape) < 0.06
    current = len(held) - 1
    absent[:, current] = False
    prob = 1 / (1 + np.exp(-(ability[:, None] + 0.15 * current - difficulty[None, :])))
    correct = rng.random((n, k)) < prob
    points = np.ones(k)
    score = (correct * points).sum(axis=1)
    percent = np.round(100 * score / points.sum(), 1)
    stage_pct[:, current] = percent
    ranks = _ranks(percent)
    means = [
        float(np.round(stage_pct[~absent[:, s], s].mean(), 1)) if s <= current else None
        for s in range(5)
    ]
    letters = "ABCD"
    keys = rng.integers(0, 4, size=k)
    topic_names = list(dict.fromkeys(topics))
    topic_mean = {
        t: float(100 * correct[:, [j for j in range(k) if topics[j] == t]].mean())
        for t in topic_names
    }
    schools = [_SCHOOLS[rng.integers(len(_SCHOOLS))] for _ in range(n)]
    rows: list[TeacherReport] = []
    for i in range(n):
        variant = int(rng.integers(1, variants + 1))
        order = np.random.default_rng(seed * 1000 + variant).permutation(k)
        task_rows = []
        for position, j in enumerate(order, start=1):
            perm = np.random.default_rng(seed * 1000 + variant * 100 + int(j)).permutation(4)
            key_printed = letters[int(np.where(perm == keys[j])[0][0])]
            if correct[i, j]:
                answer = key_printed
            else:
                wrong = [c for c in letters if c != key_printed]
                answer = wrong[int(rng.integers(3))] if rng.random() > 0.05 else ""
            flagged = bool(rng.random() < 0.02)
            task_rows.append(
                TaskRow(
                    position=position,
                    source_position=int(j) + 1,
                    version="A" if variant % 2 else "B",
                    task_id=f"{department[:4]}-{j + 1:02d}",
                    topic=topics[j],
                    stem=f"Задание {j + 1}: найдите значение выражения при заданных условиях.",
                    answer=answer,
                    correct=key_printed,
                    is_correct=bool(correct[i, j]),
                    points=float(points[j] * correct[i, j]),
                    max_points=float(points[j]),
                    flagged=flagged,
                    overridden=flagged and bool(rng.random() < 0.5),
                    explanation=_EXPLANATIONS[j % len(_EXPLANATIONS)],
                )
            )
        topic_rows = []
        for t in topic_names:
            cols = [j for j in range(k) if topics[j] == t]
            got = float((correct[i, cols] * points[cols]).sum())
            mx = float(points[cols].sum())
            topic_rows.append(
                TopicScore(
                    topic=t,
                    score=got,
                    max_score=mx,
                    percent=round(100 * got / mx, 1),
                    department_percent=round(topic_mean[t], 1),
                )
            )
        history = [
            HistoryPoint(
                stage=STAGES[s],
                percent=None if (s > current or absent[i, s]) else float(stage_pct[i, s]),
                department_mean=means[s],
            )
            for s in range(5)
        ]
        flags = sum(t.flagged for t in task_rows)
        rows.append(
            TeacherReport(
                id=f"{100000 + int(rng.integers(899999)):06d}",
                name=_name(rng),
                school=schools[i],
                department=department,
                email="",
                variant=variant,
                form=f"V{variant}",
                channel="remote" if rng.random() < 0.2 else "live",
                score=float(score[i]),
                max_score=float(points.sum()),
                percent=float(percent[i]),
                rank=int(ranks[i]),
                rank_of=n,
                standing=standing_of(int(ranks[i]), n),
                flags=flags,
                overrides=sum(t.overridden for t in task_rows),
                tasks=task_rows,
                history=history,
                topics=topic_rows,
            )
        )
    rows.sort(key=lambda r: (r.rank, r.name))
    items = []
    alerts = []
    total = correct.sum(axis=1)
    upper = total >= np.quantile(total, 0.73)
    lower = total <= np.quantile(total, 0.27)
    for j in range(k):
        rest = total - correct[:, j]
        x = correct[:, j].astype(float)
        disc = float(np.corrcoef(x, rest)[0, 1]) if x.std() > 0 and rest.std() > 0 else None
        shares = {c: 0.0 for c in letters}
        shares[letters[keys[j]]] = float(x.mean())
        rest_share = (1 - x.mean()) / 3
        for c in letters:
            if c != letters[keys[j]]:
                shares[c] = float(rest_share)
        items.append(
            ItemRow(
                source_position=j + 1,
                label=f"A{j + 1}",
                task_id=f"{department[:4]}-{j + 1:02d}",
                topic=topics[j],
                key=letters[keys[j]],
                n=n,
                difficulty=float(x.mean()),
                discrimination=None if disc is None else round(disc, 3),
                upper_lower=round(float(x[upper].mean() - x[lower].mean()), 3),
                option_shares=shares,
            )
        )
        if disc is not None and disc < 0:
            alerts.append(
                ItemAlert(
                    source_position=j + 1,
                    task_id=f"{department[:4]}-{j + 1:02d}",
                    kind="wrong-key",
                    message=f"negative discrimination {disc:.2f}; check the key",
                )
            )
    alerts.append(
        ItemAlert(
            source_position=3,
            task_id=f"{department[:4]}-03",
            kind="variant-differs",
            message="variant 5: 21 % correct against 64 % in the other variants; "
            "check the printed options",
        )
    )
    summary = []
    for dep in DEPARTMENT_TITLES:
        for year in (2025, 2026):
            shift = len(dep) % 7
            acc = 48.0 + shift
            fin = acc + 6.5 if (year == 2025 or stage == "final") else None
            summary.append(
                SummaryRow(
                    department=dep,
                    department_title=DEPARTMENT_TITLES[dep],
                    year=year,
                    acceptance_percent=acc,
                    acceptance_n=80 + shift,
                    final_percent=fin,
                    final_n=76 if fin else 0,
                    cohort=GrowthFigure(difference=6.5, n=76, ci_low=3.1, ci_high=9.9)
                    if fin
                    else GrowthFigure(),
                    matched=GrowthFigure(difference=7.2, n=71, ci_low=5.0, ci_high=9.4)
                    if fin
                    else GrowthFigure(),
                    stage_means=[
                        acc + 1.6 * s if (year == 2025 or s <= current) else None for s in range(5)
                    ],
                    live=380,
                    remote=25,
                    flags=14,
                    overrides=9,
                )
            )
    sd = float(percent.std(ddof=1))
    return ReportData(
        generated="2026-11-23T12:00:00+00:00",
        test=TestMeta(
            id=f"{department[:4]}-2026-{stage}",
            title=f"{DEPARTMENT_TITLES[department]}: {STAGE_TITLES[stage].lower()} 2026/27",
            department=department,
            department_title=DEPARTMENT_TITLES[department],
            year=2026,
            stage=stage,
            stage_title=STAGE_TITLES[stage],
            task_count=k,
            max_score=float(points.sum()),
            variants=variants,
        ),
        stages=[
            StageMeta(
                stage=STAGES[s],
                title=STAGE_SHORT_TITLES[STAGES[s]],
                test_id=f"{department[:4]}-2026-{STAGES[s]}" if s <= current else None,
                department_mean=means[s],
                n=int((~absent[:, s]).sum()) if s <= current else 0,
            )
            for s in range(5)
        ],
        teachers=rows,
        topics=[
            TopicMean(topic=t, tasks=topics.count(t), percent=round(topic_mean[t], 1))
            for t in topic_names
        ],
        distribution=histogram([r.percent for r in rows]),
        statistics=TestStatistics(
            n=n,
            mean_percent=round(float(percent.mean()), 1),
            sd_percent=round(sd, 1),
            alpha=0.82,
            sem=round(float(score.std(ddof=1)) * (0.18**0.5), 2),
        ),
        items=items,
        alerts=alerts,
        summary=summary,
    )


# --- a real store, filled through the scoring library's store API ---------------------------


def sample_manifest(
    department: str,
    year: int,
    stage: str,
    tasks: int = 30,
    variants: int = 8,
    seed: int = 0,
    language: Literal["ru", "en"] = "ru",
) -> Manifest:
    """A valid manifest of ``tasks`` four-option tasks in versions A and B and ``variants``
    printed variants (order and options shuffled, keys in printed letters), its words in
    ``language``."""
    rng = np.random.default_rng(seed)
    sources: dict[Version, list[Task]] = {}
    versions: tuple[Version, ...] = ("A", "B")
    for version in versions:
        task_list = []
        for j in range(tasks):
            correct = "ABCD"[int(rng.integers(4))]
            task_list.append(
                Task(
                    id=f"{department[:4]}-{stage[:3]}-{version}{j + 1:02d}",
                    topic=_TOPICS[j * len(_TOPICS) // tasks],
                    stem=f"Задание {j + 1} ({version}): выберите верный ответ.",
                    options=[Option(text=f"Ответ {o + 1} к заданию {j + 1}") for o in range(4)],
                    correct=correct,
                    explanation=_EXPLANATIONS[j % (len(_EXPLANATIONS) - 1)],
                )
            )
        sources[version] = task_list
    placement = []
    for number in range(1, variants + 1):
        version = versions[(number + 1) % 2]  # odd variants from A, even from B
        order = rng.permutation(tasks)
        placement.append(
            [(version, int(j) + 1, [int(p) for p in rng.permutation(4)]) for j in order]
        )
    spec = TestSpec(
        id=f"{department[:4]}-{year}-{stage}",
        department=Department(department),
        year=year,
        stage=Stage(stage),
        title=f"{department_title(department, language)}: "
        f"{stage_title(stage, language).lower()} {year}",
        language=language,
        sources={version: Source(tasks=task_list) for version, task_list in sources.items()},
    )
    return manifest_for(spec, placement=placement, seed=seed, layouts=False, generator="testkit")


def fill_store(
    path: Path,
    *,
    teachers: dict[str, int] | None = None,
    tasks: int = 30,
    stages: int = 5,
    year: int = 2026,
    seed: int = 11,
    languages: dict[str, Literal["ru", "en"]] | None = None,
) -> list[Teacher]:
    """Fill a new store at ``path``: a roster (``teachers``: department -> count), and for each
    department ``stages`` tests of the year with live results (printed variants, a few in
    doubt, one override) and remote results (online quiz from source A). Some teachers miss
    a stage, never the last one. ``languages``: department -> the language of its tests
    (Russian by default). Returns the roster."""
    rng = np.random.default_rng(seed)
    counts = teachers or {"mathematics": 40}
    roster: list[Teacher] = []
    used: set[str] = set()
    for department, count in counts.items():
        for _ in range(count):
            tid = f"{int(rng.integers(100000, 999999))}"
            while tid in used:
                tid = f"{int(rng.integers(100000, 999999))}"
            used.add(tid)
            roster.append(
                Teacher(
                    id=tid,
                    name=_name(rng),
                    department=Department(department),
                    school=_SCHOOLS[int(rng.integers(len(_SCHOOLS)))],
                    # every seventh teacher gave no e-mail, as in a real roster
                    email=f"t{tid}@school.ru" if len(roster) % 7 else "",
                )
            )
    with open_store(path) as store:
        with store.write() as con:
            store.upsert_teachers(con, roster)
        for department in counts:
            staff = [t for t in roster if t.department == department]
            ability = rng.normal(0.3, 1.0, size=len(staff))
            for s, stage in enumerate(STAGES[:stages]):
                language = (languages or {}).get(department, "ru")
                manifest = sample_manifest(
                    department, year, stage, tasks, seed=seed + s, language=language
                )
                store.register_test(manifest)
                # Some teachers miss a stage, but all sit the last one filled (the one a
                # report is usually made for), so every teacher gets a personal report.
                absent = 0.05 if s < stages - 1 else 0.0
                _fill_test(store, manifest, staff, ability + 0.15 * s, rng, absent)
    return roster


def _fill_test(
    store: Store,
    manifest: Manifest,
    staff: list[Teacher],
    ability: np.ndarray,
    rng: np.random.Generator,
    absent: float,
) -> None:
    test_id = manifest.test.id
    records = []
    difficulty = rng.normal(0, 1, size=len(manifest.sources["A"].tasks))
    for t, teacher in enumerate(staff):
        if rng.random() < absent:
            continue
        remote = rng.random() < 0.15
        if remote:
            form, items = (
                "A",
                [
                    (k + 1, task.correct, int(k))
                    for k, task in enumerate(manifest.sources["A"].tasks)
                ],
            )
        else:
            variant = manifest.variants[int(rng.integers(len(manifest.variants)))]
            form = f"V{variant.number}"
            items = [(it.position, it.key, it.source_position - 1) for it in variant.items]
        answers, states, flags = [], [], []
        for _position, key, j in items:
            p = 1 / (1 + np.exp(-(ability[t] - difficulty[j])))
            if rng.random() < p:
                answer = key
            else:
                answer = rng.choice([c for c in "ABCD" if c != key]) if rng.random() > 0.04 else ""
            state = "marked" if answer else "blank"
            if not remote and rng.random() < 0.004:
                answer, state = "?", "ambiguous"
                flags.append(f"question {_position}: ambiguous mark")
            answers.append(str(answer))
            states.append(state)
        records.append(
            AttemptRecord(
                teacher_id=teacher.id,
                channel="remote" if remote else "live",
                format="csv" if remote else "omr",
                source_file="remote.csv" if remote else f"scan-{test_id}.pdf",
                source_sha256="0" * 64,
                locator=f"row {t + 2}" if remote else f"page {t + 1}",
                fingerprint=f"{test_id}:{teacher.id}:{form}",
                form=form,
                answers=tuple(answers),
                states=tuple(states),
                flags=tuple(flags),
            )
        )
    with store.write() as con:
        store.insert_attempts(con, test_id, records)
        live = [r for r in records if r.channel == "live"]
        if live:
            store.add_override(
                con,
                test_id,
                live[0].teacher_id,
                1,
                live[0].answers[0],
                "A",
                "проверяющий",
                "ответ подтверждён по бланку",
            )
