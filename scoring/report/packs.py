"""``scoring packs``: one pack per school for its administrators, across every department:
each teacher of the school in the roster (absentees marked), the latest test of the year with
score, rank, standing, growth since the year's first test and weak topics, and a small chart.
A school whose teachers all missed the tests still gets its pack: it says so.

Written as ``<out>/<school>.pdf``, ``.csv`` and ``.xlsx``, with headers and values in the
language most of the year's tests are written in (Russian for the cluster's tests).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from openpyxl import Workbook
from pydantic import BaseModel
from reportlab.graphics.shapes import Drawing, Line, Rect
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from common.files import ensure_writable_folder
from common.i18n import current_language, mark, speaking, tr
from common.spreadsheet import neutralise
from common.vocabulary import DEPARTMENT_TITLES, STAGE_ORDER, stage_title
from scoring.report import charts
from scoring.report.collect import collect
from scoring.report.data import ReportData, TeacherReport
from scoring.report.exports import write_csv
from scoring.report.pdf import FRAME_W, P, _build, _figures, _grid_table, _heads, styles
from scoring.report.render import school_file_stems
from scoring.report.words import department_name, most_used, of, pct, standing_title
from scoring.store import open_store

HEADER = (
    mark("Department"), mark("Teacher"), mark("Participant number"), mark("Test"),
    mark("Result, %"), mark("Place"), mark("Standing"), mark("Growth since the year's start, pp"),
    mark("Topics that need attention"),
)  # fmt: skip
PACK_INDEX = "index.csv"  # school -> file stem, for `scoring distribute --packs`


class PackRow(BaseModel):
    schema_version: int = 2  # 2: stage, rank and standing as data, put in words when shown
    department: str
    teacher_id: str
    name: str
    stage: str  # the latest test of the year in the department ("" none held)
    percent: float | None  # None: absent from that test
    rank: int | None
    rank_of: int | None
    standing: Literal["leader", "middle", "lagging", "absent"]
    growth: float | None
    weak: list[str]
    department_mean: float | None


class SchoolPack(BaseModel):
    schema_version: int = 2  # 2: the language of its words
    school: str
    year: int
    language: str = "ru"  # of the pack's words: most of the year's tests are in it
    rows: list[PackRow]

    @property
    def participants(self) -> int:
        return sum(r.percent is not None for r in self.rows)


@dataclass(frozen=True)
class PacksSummary:
    out_dir: Path
    schools: int
    files: int
    empty: int  # schools whose teachers took none of the tests


def _row(department: str, teacher_id: str, name: str, data: ReportData | None) -> PackRow:
    mine: TeacherReport | None = None
    if data is not None:
        mine = next((t for t in data.teachers if t.id == teacher_id), None)
    mean = data.statistics.mean_percent if data is not None else None
    if mine is None:
        return PackRow(
            department=department,
            teacher_id=teacher_id,
            name=name,
            stage=data.test.stage if data else "",
            percent=None,
            rank=None,
            rank_of=None,
            standing="absent",
            growth=None,
            weak=[],
            department_mean=mean,
        )
    growth = mine.growth()
    return PackRow(
        department=department, teacher_id=teacher_id, name=name,
        stage=data.test.stage if data else "", percent=mine.percent,
        rank=mine.rank, rank_of=mine.rank_of, standing=mine.standing,
        growth=growth[1] if growth else None,
        weak=[t.topic for t in mine.topics if t.troublesome], department_mean=mean,
    )  # fmt: skip


def school_packs(store_path: str | Path | None, year: int | None = None) -> list[SchoolPack]:
    """Every school of the roster with the year's latest test per department (``year``:
    the store's latest year by default)."""
    with open_store(store_path, create=False) as store:
        tests = [t for t in store.tests() if store.attempts(t[0])]
        roster = store.teachers()
        teachers = [(tid, roster[tid]) for tid in roster]
    years = sorted({t[2] for t in tests})
    chosen = year if year is not None else (years[-1] if years else 0)
    latest: dict[str, tuple[int, str]] = {}
    for test_id, department, test_year, stage in tests:
        if test_year != chosen:
            continue
        rank = [str(s) for s in STAGE_ORDER].index(stage)
        if department not in latest or latest[department][0] < rank:
            latest[department] = (rank, test_id)
    data = {d: collect(store_path, tid, tasks=False) for d, (_, tid) in latest.items()}
    schools = sorted({t.school for _, t in teachers})
    language = most_used([d.test.language for d in data.values()])
    order = list(DEPARTMENT_TITLES)
    packs = []
    for school in schools:
        members = sorted(
            (t for _, t in teachers if t.school == school),
            key=lambda t: (order.index(t.department) if t.department in order else 99, t.name),
        )
        rows = [_row(str(t.department), t.id, t.name, data.get(str(t.department)))
                for t in members]  # fmt: skip
        packs.append(SchoolPack(school=school, year=chosen, language=language, rows=rows))
    return packs


def _standing(row: PackRow) -> str:
    return tr("did not take part") if row.standing == "absent" else standing_title(row.standing)


def _rank(row: PackRow) -> str:
    return of(row.rank, row.rank_of) if row.rank is not None else ""


def _test(row: PackRow, short: bool = False) -> str:
    return stage_title(row.stage, current_language(), short=short) if row.stage else ""


def _cells(row: PackRow) -> list[str | float | None]:
    return [
        department_name(row.department), row.name, row.teacher_id,
        _test(row) or tr("no tests held"), row.percent, _rank(row), _standing(row),
        row.growth, ", ".join(row.weak),
    ]  # fmt: skip


CHART_ROWS = 45  # teachers per chart: a page holds this many


def pack_charts(pack: SchoolPack, width: float = FRAME_W) -> list[Drawing]:
    """Each participating teacher's result (bar) against the department mean (tick), in
    charts of at most :data:`CHART_ROWS` teachers so each fits a page."""
    shown = [r for r in pack.rows if r.percent is not None]
    return [_chart(shown[k : k + CHART_ROWS], width) for k in range(0, len(shown), CHART_ROWS)]


def _chart(shown: list[PackRow], width: float) -> Drawing:
    row_h = 13.0
    drawing = Drawing(width, row_h * max(len(shown), 1) + 22)
    x0, plot = 150.0, width - 150.0 - 30
    top = drawing.height - 6
    for value in range(0, 101, 25):
        x = x0 + plot * value / 100
        drawing.add(Line(x, 12, x, top, strokeColor=charts.GRID, strokeWidth=0.5))
        drawing.add(charts._text(x, 3, f"{value}%", colour=charts.MUTED))
    for k, r in enumerate(shown):
        y = top - row_h * (k + 1) + 3
        assert r.percent is not None
        drawing.add(charts._text(x0 - 6, y + 2, r.name[:28], size=7, anchor="end"))
        colour = charts.LAGGING if r.standing == "lagging" else charts.TEACHER
        drawing.add(Rect(x0, y, plot * r.percent / 100, row_h - 5, fillColor=colour,
                         strokeColor=None))  # fmt: skip
        if r.department_mean is not None:
            x = x0 + plot * r.department_mean / 100
            drawing.add(Line(x, y - 2, x, y + row_h - 3, strokeColor=charts.INK, strokeWidth=1.2))
    return drawing


def render_pack_pdf(pack: SchoolPack, path: Path) -> None:
    s = styles()
    story: list[object] = [
        P(pack.school, s.title if len(pack.school) < 60 else s.title_long),
        P(
            tr(
                "Summary for the administration: every department, school year {start}/{end}",
                start=pack.year,
                end=pack.year + 1,
            ),
            s.muted,
        ),
        Spacer(1, 6),
        _figures(
            [
                (str(len(pack.rows)), tr("teachers in the roster")),
                (str(pack.participants), tr("took part")),
                (str(len(pack.rows) - pack.participants), tr("did not take part (all)")),
            ]
        ),
    ]
    if not pack.participants:
        story.append(P(tr("No teacher of the school took part in this year's tests."), s.body))
    widths = [24 * mm, 40 * mm, 20 * mm, 13 * mm, 14 * mm, 15 * mm, 14 * mm]
    widths.append(FRAME_W - sum(widths))
    rows: list[list[object]] = [_heads(tr("Department"), tr("Teacher"), tr("Test"), "%",
                                       tr("Place"), tr("Standing"), tr("Growth, pp"),
                                       tr("Topics that need attention"))]  # fmt: skip
    for r in pack.rows:
        rows.append([
            P(department_name(r.department), s.cell), P(r.name, s.cell),
            P(_test(r, short=True) or "—", s.cell),  # a narrow column: "Промеж. 1"
            pct(r.percent) if r.percent is not None else "—",
            _rank(r), P(_standing(r), s.cell),
            "—" if r.growth is None else f"{'+' if r.growth >= 0 else '−'}{pct(abs(r.growth))}",
            P(", ".join(r.weak), s.cell),
        ])  # fmt: skip
    story += [P(tr("Teachers of the school"), s.h2), _grid_table(rows, widths)]
    if pack.participants:
        story += [P(tr("Participants' results and the department mean (line)"), s.h2)]
        story += [charts.Chart(chart) for chart in pack_charts(pack)]
    _build(path, story, title=pack.school, left=tr("Summary for the school"), right=str(pack.year))


def write_packs(
    store_path: str | Path | None,
    out: Path,
    *,
    year: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PacksSummary:
    ensure_writable_folder(out)
    packs = school_packs(store_path, year)
    stems = school_file_stems([p.school for p in packs])
    with (out / PACK_INDEX).open("w", encoding="utf-8-sig", newline="") as handle:
        index = csv.writer(handle)
        index.writerow(["school", "file"])
        index.writerows([neutralise(school), stem] for school, stem in sorted(stems.items()))
    files = 0
    for k, pack in enumerate(packs, start=1):
        stem = out / stems[pack.school]
        with speaking(pack.language):
            render_pack_pdf(pack, stem.with_suffix(".pdf"))
            header = [tr(h) for h in HEADER]
            write_csv(stem.with_suffix(".csv"), header, [_cells(r) for r in pack.rows])
            _xlsx(pack, header, stem.with_suffix(".xlsx"))
        files += 3
        if progress is not None:
            progress(k, len(packs))
    return PacksSummary(out, len(packs), files, sum(1 for p in packs if not p.participants))


def _xlsx(pack: SchoolPack, header: list[str], path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = tr("teachers sheet")
    sheet.append(header)
    for r in pack.rows:
        sheet.append([neutralise(v) for v in _cells(r)])
    book.save(path)
