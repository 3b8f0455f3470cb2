"""CSV and XLSX exports: results per teacher and per task, safe to open in any spreadsheet.

Names, schools and answers come from people and online exports; a cell that starts with
``= + - @``, a tab or a carriage return would be run as a formula by Excel or LibreOffice
(CSV injection). Every such text cell gets a leading apostrophe, the convention spreadsheets
themselves use to mark "this is text". Numbers stay numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from common.i18n import tr
from common.spreadsheet import Cell, neutralise
from scoring.report.data import ReportData, TeacherReport, form_title
from scoring.report.words import channel_title, of, stage_column, standing_title

TEACHER_COLUMNS = (
    "teacher_id",
    "name",
    "school",
    "department",
    "test_id",
    "variant",
    "form",
    "channel",
    "score",
    "max_score",
    "percent",
    "rank",
    "rank_of",
    "standing",
    "flags",
    "overrides",
)
TASK_COLUMNS = (
    "teacher_id",
    "name",
    "school",
    "test_id",
    "form",
    "position",
    "source_position",
    "version",
    "task_id",
    "topic",
    "answer",
    "correct",
    "is_correct",
    "points",
    "max_points",
    "flagged",
    "overridden",
)


def teacher_rows(
    data: ReportData, teachers: Iterable[TeacherReport] | None = None
) -> list[list[Cell]]:
    """One row per teacher (``TEACHER_COLUMNS``), history percent per stage appended."""
    rows: list[list[Cell]] = []
    for t in data.teachers if teachers is None else teachers:
        rows.append(
            [
                t.id,
                t.name,
                t.school,
                t.department,
                data.test.id,
                t.variant,
                t.form,
                t.channel,
                t.score,
                t.max_score,
                t.percent,
                t.rank,
                t.rank_of,
                t.standing,
                t.flags,
                t.overrides,
                *[h.percent for h in t.history],
            ]
        )
    return rows


def school_header(data: ReportData) -> list[str]:
    """The columns of a school's extract (``schools/<school>.csv``), for its administrators:
    in the language being spoken (the test's, see :func:`common.i18n.speaking`)."""
    heads = [tr("Participant number"), tr("Teacher"), tr("School"), tr("Department"),
             tr("Test"), tr("Form"), tr("Mode"), tr("Points"), tr("Maximum"), tr("Result, %"),
             tr("Place"), tr("Standing"), tr("Marks in doubt"), tr("Corrections")]  # fmt: skip
    return heads + [f"{stage_column(s.stage)}, %" for s in data.stages]


def school_rows(data: ReportData, teachers: Iterable[TeacherReport]) -> list[list[Cell]]:
    """One row per teacher of the school, its words (mode, standing) in the spoken language."""
    return [
        [t.id, t.name, t.school, data.test.department_title, data.test.title, form_title(t),
         channel_title(t.channel), t.score, t.max_score, t.percent, of(t.rank, t.rank_of),
         standing_title(t.standing), t.flags, t.overrides, *[h.percent for h in t.history]]
        for t in teachers
    ]  # fmt: skip


def teacher_header(data: ReportData) -> list[str]:
    return [*TEACHER_COLUMNS, *[f"percent_{s.stage}" for s in data.stages]]


def task_rows(
    data: ReportData, teachers: Iterable[TeacherReport] | None = None
) -> list[list[Cell]]:
    """One row per teacher and task, in the order the teacher saw the tasks."""
    rows: list[list[Cell]] = []
    for t in data.teachers if teachers is None else teachers:
        for k in t.tasks:
            rows.append(
                [
                    t.id,
                    t.name,
                    t.school,
                    data.test.id,
                    t.form,
                    k.position,
                    k.source_position,
                    k.version,
                    k.task_id,
                    k.topic,
                    k.answer,
                    k.correct,
                    int(k.is_correct),
                    k.points,
                    k.max_points,
                    int(k.flagged),
                    int(k.overridden),
                ]
            )
    return rows


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> None:
    """UTF-8 with BOM (so Excel opens Cyrillic correctly), every text cell neutralised."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else neutralise(v) for v in row])


def _sheet(book: Workbook, title: str, header: Sequence[str], rows: list[list[Cell]]) -> None:
    # Write-only sheets stream rows to the file: several times faster for the per-task sheet
    # (teachers x tasks rows), at the cost of setting widths and styles before the rows.
    sheet = book.create_sheet(title)
    for index, name in enumerate(header, start=1):
        width = max([len(str(name))] + [len(str(r[index - 1] or "")) for r in rows[:200]])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 6), 60)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="1F5F99")
    heads = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        heads.append(cell)
    sheet.append(heads)
    for row in rows:
        sheet.append([neutralise(v) for v in row])


def write_xlsx(
    path: Path,
    data: ReportData,
    teachers: Sequence[TeacherReport] | None = None,
    *,
    with_tasks: bool = True,
) -> None:
    """A workbook with a "teachers" sheet and (optionally) a "tasks" sheet."""
    tasks = task_rows(data, teachers) if with_tasks else None
    _workbook(path, teacher_header(data), teacher_rows(data, teachers), tasks)


def _workbook(
    path: Path, header: Sequence[str], teachers: list[list[Cell]], tasks: list[list[Cell]] | None
) -> None:
    book = Workbook(write_only=True)
    _sheet(book, "teachers", header, teachers)
    if tasks is not None:
        _sheet(book, "tasks", TASK_COLUMNS, tasks)
    book.save(path)


def write_exports(data: ReportData, out_dir: Path) -> list[Path]:
    """``results-teachers.csv``, ``results-tasks.csv`` and ``results.xlsx`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [
        out_dir / "results-teachers.csv",
        out_dir / "results-tasks.csv",
        out_dir / "results.xlsx",
    ]
    header, teachers, tasks = teacher_header(data), teacher_rows(data), task_rows(data)
    write_csv(paths[0], header, teachers)
    write_csv(paths[1], TASK_COLUMNS, tasks)
    _workbook(paths[2], header, teachers, tasks)
    return paths
