"""Report renderers on generated ReportData: real PDFs (reportlab), real rasterising
(pypdfium2), real text extraction (pypdf), real XLSX read back with openpyxl."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from common import spreadsheet
from common.errors import OutputError
from common.i18n import speaking
from scoring.report import charts, exports, html, pdf
from scoring.report.data import ReportData, TeacherReport, histogram, pseudonym, standing_of
from scoring.report.render import render_reports, school_file_stem
from testkit.reports import sample_report_data


@pytest.fixture(scope="module")
def data() -> ReportData:
    return sample_report_data(teachers=24, tasks=30, seed=3)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, data: ReportData) -> Path:
    out = tmp_path_factory.mktemp("reports")
    render_reports(data, out, workers=1)
    return out


def pdf_text(path: Path) -> str:
    """All text of a PDF with whitespace collapsed (wrapped lines join with one space)."""
    text = " ".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return " ".join(text.split())


def ink_share(path: Path, page: int = 0) -> float:
    """Share of the page's pixels darker than light grey, at 50 dpi."""
    doc = pdfium.PdfDocument(str(path))
    try:
        image = doc[page].render(scale=50 / 72, grayscale=True).to_numpy()
    finally:
        doc.close()
    grey = image[..., 0] if image.ndim == 3 else image
    return float((grey < 200).mean())


def squash(text: str) -> str:
    return " ".join(text.split())


# --- per-teacher report ---------------------------------------------------------------------


def test_teacher_report_shows_the_teacher_scores_and_every_mistake(
    rendered: Path, data: ReportData
) -> None:
    teacher = data.teachers[len(data.teachers) // 2]
    path = rendered / "teachers" / f"{teacher.id}.pdf"
    text = pdf_text(path)
    assert teacher.name in text
    assert teacher.id in text
    assert f"{int(teacher.score)} из {int(teacher.max_score)}" in text
    with speaking("ru"):  # the sample test is Russian: so are its numbers
        assert f"{pdf.pct(teacher.percent)} %" in text
    assert f"{teacher.rank} из {teacher.rank_of}" in text
    assert f"Ошибок: {len(teacher.mistakes)} из {len(teacher.tasks)}" in text
    assert teacher.mistakes, "the fixture should give this teacher some mistakes"
    for task in teacher.mistakes:
        expected = squash(task.explanation) or "Комментарий не предоставлен."
        assert expected[:60] in text


def test_teacher_report_lists_tasks_in_the_order_seen_with_answers(
    rendered: Path, data: ReportData
) -> None:
    teacher = data.teachers[0]
    reader = PdfReader(rendered / "teachers" / f"{teacher.id}.pdf")
    lines = [
        squash(line)
        for page in reader.pages
        for line in (page.extract_text() or "").splitlines()
        if line.strip()
    ]
    # pypdf gives one table cell per line: position, topic (maybe wrapped), answer, key,
    # verdict. Read back each row from its verdict.
    seen = []
    previous = 0
    for i, line in enumerate(lines):
        if line not in ("✓ верно", "✗ ошибка"):
            continue
        position = [int(x) for x in lines[previous : i - 2] if x.isdigit()][-1]
        seen.append((position, lines[i - 2], lines[i - 1], line == "✓ верно"))
        previous = i + 1
    expected = [(t.position, t.answer or "—", t.correct, t.is_correct) for t in teacher.tasks]
    assert seen == expected


def test_teacher_report_is_not_blank(rendered: Path, data: ReportData) -> None:
    path = rendered / "teachers" / f"{data.teachers[0].id}.pdf"
    assert len(PdfReader(path).pages) >= 2
    for page in range(2):
        assert 0.02 < ink_share(path, page) < 0.6


def test_no_personal_report_names_another_teacher(rendered: Path, data: ReportData) -> None:
    names = {t.name for t in data.teachers}
    for teacher in data.teachers:
        text = pdf_text(rendered / "teachers" / f"{teacher.id}.pdf")
        for other in data.teachers:
            if other.id == teacher.id:
                continue
            assert other.id not in text, (teacher.id, other.id)
            if other.name != teacher.name:
                assert other.name not in text, (teacher.id, other.name)
        assert len(names) > 1


def _page_pixels(path: Path) -> list[bytes]:
    doc = pdfium.PdfDocument(str(path))
    try:
        return [page.render(scale=1).to_numpy().tobytes() for page in doc]
    finally:
        doc.close()


def test_shared_cells_draw_the_same_report_as_fresh_ones(tmp_path: Path, data: ReportData) -> None:
    # A worker's cache holds the cells of every report before: no page may change. Sheet
    # pictures of different heights push headings and tables to the next page in some
    # reports and not others (a flowable the frame postponed must not be reused).
    import cv2

    cells = pdf.CellCache()
    for k, teacher in enumerate(data.teachers):
        if k % 2:
            picture = tmp_path / f"sheet-{k}.png"
            cv2.imwrite(str(picture), np.full((200 + 90 * k, 300), 230, np.uint8))
            teacher = teacher.model_copy(update={"sheet_image": str(picture)})
        pdf.render_teacher_pdf(data, teacher, tmp_path / "shared.pdf", cells)
        pdf.render_teacher_pdf(data, teacher, tmp_path / "fresh.pdf")
        assert _page_pixels(tmp_path / "shared.pdf") == _page_pixels(tmp_path / "fresh.pdf")


def test_no_flowable_the_frame_places_is_shared_between_reports(data: ReportData) -> None:
    # The frame marks what it places (postponed to the next page, ...): a heading shared by
    # two reports was refused as "too large" in the second. Only table cells are shared.
    from reportlab.platypus import KeepTogether

    def placed(story: list[object]) -> list[object]:
        out = []
        for flowable in story:
            out.append(flowable)
            if isinstance(flowable, KeepTogether):
                out += list(flowable._content)
        return out

    cells = pdf.CellCache()
    first = placed(pdf.teacher_story(data, data.teachers[0], cells))
    second = placed(pdf.teacher_story(data, data.teachers[1], cells))
    assert not {id(f) for f in first} & {id(f) for f in second}


def test_flagged_and_overridden_answers_are_marked(tmp_path: Path, data: ReportData) -> None:
    teacher = data.teachers[1]
    tasks = list(teacher.tasks)
    tasks[0] = tasks[0].model_copy(update={"flagged": True, "overridden": False})
    tasks[1] = tasks[1].model_copy(update={"flagged": True, "overridden": True})
    marked = teacher.model_copy(update={"tasks": tasks})
    path = tmp_path / "t.pdf"
    pdf.render_teacher_pdf(data, marked, path)
    text = pdf_text(path)
    assert "под сомнением" in text
    assert "исправлено" in text


def test_very_long_texts_wrap_and_never_break_the_report(tmp_path: Path, data: ReportData) -> None:
    teacher = data.teachers[-1]
    essay = "Очень подробный разбор решения с формулами x^{2} и H_{2}O. " * 200
    tasks = [
        t.model_copy(update={"explanation": essay, "stem": "Длинное условие. " * 100})
        for t in teacher.tasks
    ]
    long_school = "МБОУ «Средняя общеобразовательная школа № 178 " * 4
    marked = teacher.model_copy(update={"tasks": tasks, "school": long_school})
    path = tmp_path / "t.pdf"
    pdf.render_teacher_pdf(data, marked, path)
    text = pdf_text(path)
    assert "полностью — в разборе заданий" in text
    assert text.count("Очень подробный разбор") >= len(teacher.mistakes)


# --- department, school, summary ------------------------------------------------------------


def test_department_report_has_everyone_items_and_alerts(rendered: Path, data: ReportData) -> None:
    path = rendered / f"department-{data.test.department}.pdf"
    text = pdf_text(path)
    for teacher in data.teachers:
        assert teacher.name in text
    for item in data.items:
        assert item.task_id in text
    assert data.alerts
    assert "возможно, неверный ключ" in text or "вариант ведёт себя иначе" in text
    assert ink_share(path) > 0.03


def test_school_extract_holds_only_that_schools_teachers(rendered: Path, data: ReportData) -> None:
    for school in data.schools():
        stem = rendered / "schools" / school_file_stem(school)
        text = pdf_text(stem.with_suffix(".pdf"))
        with stem.with_suffix(".csv").open(encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        own = {t.id for t in data.teachers if t.school == school}
        assert {r["Номер участника"] for r in rows} == own  # the sample test is Russian
        for teacher in data.teachers:
            if teacher.id in own:
                assert teacher.name in text
            else:
                assert teacher.id not in text


def test_summary_report_has_every_department_and_year(rendered: Path, data: ReportData) -> None:
    text = pdf_text(rendered / "summary.pdf")
    for row in data.summary:
        assert row.department_title in text
        assert f"{row.year}/{row.year + 1}" in text
    assert ink_share(rendered / "summary.pdf") > 0.03


# --- charts --------------------------------------------------------------------------------


def test_one_drawing_renders_to_pdf_and_svg(tmp_path: Path, data: ReportData) -> None:
    teacher = data.teachers[0]
    with speaking("ru"):
        drawing = charts.history_chart(teacher, data.stages)
    svg = charts.to_svg(drawing, "x")
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "Ваш результат" in svg and "http" not in svg
    assert 'id="chart-x"' in svg
    from reportlab.graphics import renderPDF

    renderPDF.drawToFile(drawing, str(tmp_path / "c.pdf"))
    assert "Ваш результат" in pdf_text(tmp_path / "c.pdf")


def test_charts_drawn_straight_on_the_canvas_look_as_reportlab_draws_them(
    tmp_path: Path, data: ReportData
) -> None:
    from reportlab.platypus import SimpleDocTemplate

    drawings = [
        charts.history_chart(data.teachers[0], data.stages),
        charts.topic_chart([(t.topic, t.percent, 60.0, t.percent < 50) for t in data.topics]),
        charts.assessment_chart(data.teachers, data.stages),
        charts.distribution_chart(data.distribution, data.statistics.mean_percent),
        charts.summary_chart([("Математика", 50.0, 60.0), ("Экономика", None, 40.0)]),
    ]
    SimpleDocTemplate(str(tmp_path / "reportlab.pdf")).build(list(drawings))
    SimpleDocTemplate(str(tmp_path / "ours.pdf")).build([charts.Chart(d) for d in drawings])
    assert _page_pixels(tmp_path / "ours.pdf") == _page_pixels(tmp_path / "reportlab.pdf")


def test_charts_cope_with_missing_stages_and_one_teacher(data: ReportData) -> None:
    teacher = data.teachers[0]
    missing = [h.model_copy(update={"percent": None}) for h in teacher.history]
    lone: TeacherReport = teacher.model_copy(update={"history": missing})
    for drawing in (
        charts.history_chart(lone, data.stages),
        charts.assessment_chart([lone], data.stages),
        charts.distribution_chart(histogram([]), None),
        charts.topic_chart([]),
        charts.summary_chart([("Экономика", None, None)]),
    ):
        assert "<svg" in charts.to_svg(drawing)


def test_histogram_and_standing() -> None:
    bins = histogram([0, 9.9, 10, 55, 100, 100])
    assert [b.count for b in bins] == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]
    assert [standing_of(r, 8) for r in range(1, 9)] == ["leader"] * 2 + ["middle"] * 4 + [
        "lagging"
    ] * 2


# --- exports --------------------------------------------------------------------------------

DANGEROUS = ['=HYPERLINK("x")', "+79001234567", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


def test_formula_like_cells_are_neutralised_in_csv_and_xlsx(
    tmp_path: Path, data: ReportData
) -> None:
    teachers = [
        t.model_copy(update={"name": DANGEROUS[k], "school": DANGEROUS[-1 - k]})
        for k, t in enumerate(data.teachers[: len(DANGEROUS)])
    ]
    evil = data.model_copy(update={"teachers": teachers})
    exports.write_exports(evil, tmp_path)
    book = load_workbook(tmp_path / "results.xlsx")
    sheet = book["teachers"]
    header = [c.value for c in sheet[1]]
    name_col, school_col = header.index("name"), header.index("school")
    score_col = header.index("score")
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    # XML stores a carriage return as a line feed; what matters is the apostrophe before it.
    assert [r[name_col] for r in rows] == ["'" + d.replace("\r", "\n") for d in DANGEROUS]
    assert [r[school_col] for r in rows] == [
        "'" + d.replace("\r", "\n") for d in reversed(DANGEROUS)
    ]
    assert all(isinstance(r[score_col], int | float) for r in rows)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                assert not (isinstance(value, str) and value.startswith(("=", "+", "@", "\t")))
    with (tmp_path / "results-teachers.csv").open(encoding="utf-8-sig", newline="") as handle:
        names = [r["name"] for r in csv.DictReader(handle)]
    assert names == ["'" + d for d in DANGEROUS]


@given(st.text())
def test_neutralise_keeps_the_text_and_never_starts_a_formula(text: str) -> None:
    out = spreadsheet.neutralise(text)
    assert isinstance(out, str)
    assert not out.startswith(spreadsheet.FORMULA_STARTS)
    assert out == text or out == "'" + text


def test_exports_have_one_row_per_teacher_and_task(rendered: Path, data: ReportData) -> None:
    book = load_workbook(rendered / "exports" / "results.xlsx", read_only=True)
    assert len(list(book["teachers"].iter_rows())) == len(data.teachers) + 1
    assert len(list(book["tasks"].iter_rows())) == sum(len(t.tasks) for t in data.teachers) + 1
    book.close()


# --- website --------------------------------------------------------------------------------


def _site_text(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.html"))}


def test_site_is_self_contained(rendered: Path, data: ReportData) -> None:
    pages = _site_text(rendered / "site")
    assert "index.html" in pages
    assert html.department_page_name(data.test.department) in pages
    for name, text in pages.items():
        assert "http" not in text, name
        assert "src=" not in text, name
        assert "<link" not in text and "@import" not in text, name
        assert re.findall(r"url\((?!#)", text) == [], name
        for href in re.findall(r'href="([^"]*)"', text):
            assert href in pages, (name, href)
    department = pages[html.department_page_name(data.test.department)]
    assert department.count("<svg") >= 3
    assert data.teachers[0].name in department


def test_pseudonymised_site_shows_codes_not_names(tmp_path: Path, data: ReportData) -> None:
    first = html.write_site(data, tmp_path / "a", pseudonymise=True, salt="k")
    again = html.write_site(data, tmp_path / "b", pseudonymise=True, salt="k")
    text = "".join(p.read_text(encoding="utf-8") for p in first)
    for teacher in data.teachers:
        assert teacher.name not in text
        assert teacher.id not in text
        assert pseudonym(teacher.id, "k") in text
    assert [p.read_text(encoding="utf-8") for p in first] == [
        p.read_text(encoding="utf-8") for p in again
    ]


def test_pseudonyms_are_stable_and_distinct() -> None:
    ids = [f"{k:06d}" for k in range(100000, 102000)]
    codes = [pseudonym(i, "key") for i in ids]
    assert len(set(codes)) == len(codes)
    assert pseudonym("123456", "key") == pseudonym("123456", "key") != pseudonym("123456", "k2")
    with pytest.raises(ValueError):
        pseudonym("123456", "")


# --- parallel rendering and errors ----------------------------------------------------------


def test_parallel_render_writes_the_same_set_of_files(tmp_path: Path) -> None:
    small = sample_report_data(teachers=6, tasks=8, seed=5)
    calls: list[tuple[int, int]] = []
    summary = render_reports(small, tmp_path, workers=2, progress=lambda d, n: calls.append((d, n)))
    assert summary.teacher_pdfs == 6
    assert sorted(p.stem for p in (tmp_path / "teachers").glob("*.pdf")) == sorted(
        t.id for t in small.teachers
    )
    assert calls[-1][0] == calls[-1][1] == len(calls)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == summary.files
    assert all(p.stat().st_size > 0 for p in files)


def test_output_folder_that_is_a_file_is_a_clear_error(tmp_path: Path, data: ReportData) -> None:
    blocker = tmp_path / "reports"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError) as info:
        render_reports(data, blocker, workers=1)
    assert str(blocker) in str(info.value)


def test_school_file_stem_keeps_cyrillic_and_drops_punctuation() -> None:
    assert school_file_stem("МАОУ «Гимназия № 20» г. Казани") == "МАОУ_Гимназия_20_г_Казани"
    assert school_file_stem("«»") == "school"


def test_report_data_round_trips_through_json(data: ReportData) -> None:
    again = ReportData.model_validate_json(data.model_dump_json())
    assert again == data
    assert np.isclose(sum(b.count for b in again.distribution), len(data.teachers))


def test_two_schools_with_one_file_name_both_get_their_pack(tmp_path: Path) -> None:
    base = sample_report_data(teachers=6, tasks=5, seed=5)
    names = ["МБОУ СОШ № 5", "МБОУ СОШ №5", "МБОУ «СОШ № 5»"]
    teachers = [t.model_copy(update={"school": names[i % 3]}) for i, t in enumerate(base.teachers)]
    data = base.model_copy(update={"teachers": teachers})
    render_reports(data, tmp_path, workers=1)
    packs = sorted(p.name for p in (tmp_path / "schools").glob("*.pdf"))
    assert packs == ["МБОУ_СОШ_5-2.pdf", "МБОУ_СОШ_5-3.pdf", "МБОУ_СОШ_5.pdf"]
    for name, school in zip(sorted(names), ("", "-2", "-3"), strict=True):
        text = pdf_text(tmp_path / "schools" / f"МБОУ_СОШ_5{school}.pdf")
        assert name in text, name
