"""PDF reports: per-teacher feedback, department report, school extract, monitoring summary.

Every report is an A4 platypus document in DejaVu Sans (Cyrillic), with the same header and
footer, so a school receives one consistent family of documents. Long text (task topics, tutor
explanations, school names) is always a ``Paragraph`` so it wraps instead of overflowing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from common.fonts import register_fonts
from common.i18n import speaking, tr
from common.markup import to_paragraph, to_plain
from scoring.report import charts
from scoring.report.data import (
    GrowthFigure,
    ItemAlert,
    ItemRow,
    ReportData,
    SummaryRow,
    TaskRow,
    TeacherReport,
    form_title,
)
from scoring.report.words import (
    alert_title,
    channel_title,
    cluster,
    growth_points,
    growth_since,
    num,
    of,
    pct,
    school_year,
    stage_column,
    standing_title,
)

PAGE_W, PAGE_H = A4
MARGIN = 16 * mm
# SimpleDocTemplate's frame pads 6 pt on each side; tables use the padded width so they
# line up with the text instead of poking out on both sides.
FRAME_W = PAGE_W - 2 * MARGIN - 12
HEADER_BAND = colors.HexColor("#1f5f99")
ZEBRA = colors.HexColor("#f3f6f9")
WRONG_BG = colors.HexColor("#fdecea")
TROUBLE_BG = colors.HexColor("#fdf0e1")
LEADER_BG = colors.HexColor("#e6f4ea")
RULE = colors.HexColor("#c5d0db")
MUTED_HEX = "#616e7c"
STEM_LIMIT = 280  # characters of a task's wording quoted beside a mistake
EXPLANATION_LIMIT = 2000  # characters of a tutor's explanation; more would not fit one page


@dataclass(frozen=True)
class Styles:
    body: ParagraphStyle
    small: ParagraphStyle
    muted: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    cell_centre: ParagraphStyle
    head: ParagraphStyle
    title: ParagraphStyle
    title_long: ParagraphStyle
    h2: ParagraphStyle
    big: ParagraphStyle
    big_label: ParagraphStyle


@cache
def styles() -> Styles:
    fonts = register_fonts()
    base = ParagraphStyle("body", fontName=fonts.regular, fontSize=9, leading=12)
    return Styles(
        body=base,
        small=ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        muted=ParagraphStyle(
            "muted", parent=base, fontSize=7.5, leading=9.5, textColor=charts.MUTED
        ),
        cell=ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9.2),
        cell_bold=ParagraphStyle("cellb", parent=base, fontName=fonts.bold, fontSize=7.5),
        cell_centre=ParagraphStyle(
            "cellc", parent=base, fontSize=7.5, leading=9.2, alignment=TA_CENTER
        ),
        head=ParagraphStyle(
            "head",
            parent=base,
            fontName=fonts.bold,
            fontSize=7.5,
            leading=9,
            textColor=colors.white,
            alignment=TA_CENTER,
        ),
        title=ParagraphStyle(
            "title",
            parent=base,
            fontName=fonts.bold,
            fontSize=16,
            leading=20,
            textColor=charts.INK,
            spaceAfter=2,
        ),
        title_long=ParagraphStyle(
            "titlel",
            parent=base,
            fontName=fonts.bold,
            fontSize=12.5,
            leading=15.5,
            textColor=charts.INK,
            spaceAfter=2,
        ),
        h2=ParagraphStyle(
            "h2",
            parent=base,
            fontName=fonts.bold,
            fontSize=11,
            leading=14,
            textColor=HEADER_BAND,
            spaceBefore=10,
            spaceAfter=5,
        ),
        big=ParagraphStyle(
            "big",
            parent=base,
            fontName=fonts.bold,
            fontSize=17,
            leading=20,
            alignment=TA_CENTER,
            textColor=HEADER_BAND,
        ),
        big_label=ParagraphStyle(
            "bigl",
            parent=base,
            fontSize=7.5,
            leading=9,
            alignment=TA_CENTER,
            textColor=charts.MUTED,
        ),
    )


class _Verdicts(NamedTuple):
    right: str
    wrong: str
    corrected: str
    doubt: str


def alert_key(alert: ItemAlert) -> str:
    """Alerts and item rows meet on the column label ("A7"); A and B share a position."""
    return alert.label or str(alert.source_position)


def item_key(item: ItemRow) -> str:
    return item.label or str(item.source_position)


def fits(text: str, width: float, size: float = 7.5) -> bool:
    """Whether one line of ``text`` in the regular face fits in ``width`` points."""
    return stringWidth(text, register_fonts().regular, size) <= width


class Para(Paragraph):
    """A paragraph that breaks its lines once per width.

    A table measures each cell to size its rows, again to split over a page and again to
    draw it; the lines of a paragraph depend only on the width, so the first answer is kept.
    Most of a long teacher report's time was the same comments broken into lines three times.
    """

    _measured: tuple[float, tuple[float, float]] | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        # split() drops blPara when a paragraph moves on whole: then it is measured again
        if self._measured is None or self._measured[0] != availWidth or not hasattr(self, "blPara"):
            self._measured = (availWidth, super().wrap(availWidth, availHeight))
        return self._measured[1]


class CellCache:
    """Table-cell paragraphs shared by the reports one process renders (only cells: the
    frame leaves its marks on the flowables it places itself).

    Teachers of one variant get the same task wordings and tutors' comments; parsing the
    markup and breaking it into lines is most of a report's cost, and a measured
    :class:`Para` can be drawn in any number of documents (cells never split), so each
    distinct cell is built once. Bounded: cleared when full."""

    def __init__(self, limit: int = 20_000) -> None:
        self._limit = limit
        self._paras: dict[tuple[str, str], Para] = {}

    def para(self, markup: str, style: ParagraphStyle) -> Para:
        key = (markup, style.name)
        found = self._paras.get(key)
        if found is None:
            if len(self._paras) >= self._limit:
                self._paras.clear()
            found = self._paras[key] = Para(markup, style)
        return found


def P(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped: names may hold ``<`` or ``&``)."""
    return Para(escape(text), style)


def _page_decor(left: str, right: str) -> Callable[[Canvas, Any], None]:
    """Header rule and footer (report name, page number) drawn on every page."""
    fonts = register_fonts()

    def draw(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFillColor(HEADER_BAND)
        canvas.rect(0, PAGE_H - 6 * mm, PAGE_W, 6 * mm, stroke=0, fill=1)
        canvas.setFont(fonts.regular, 7)
        canvas.setFillColor(charts.MUTED)
        canvas.drawString(MARGIN, PAGE_H - 11 * mm, cluster())
        canvas.drawRightString(PAGE_W - MARGIN, PAGE_H - 11 * mm, right)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, 12 * mm, PAGE_W - MARGIN, 12 * mm)
        canvas.drawString(MARGIN, 8 * mm, left)
        canvas.drawRightString(PAGE_W - MARGIN, 8 * mm, tr("page {n}", n=doc.page))
        canvas.restoreState()

    return draw


@contextmanager
def _binary_streams() -> Iterator[None]:
    """Write page streams zlib-compressed but without the ASCII85 layer reportlab adds by
    default: about a fifth smaller and faster to write, and every PDF reader handles both.
    reportlab reads this from its process-wide config, so it is restored afterwards."""
    saved = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = saved


def _build(path: Path, story: list[Any], *, title: str, left: str, right: str) -> None:
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
        author=cluster(),
        creator="scoring report",
    )
    decor = _page_decor(left, right)
    with _binary_streams():
        doc.build(story, onFirstPage=decor, onLaterPages=decor)


def _grid_table(
    rows: list[list[Any]],
    widths: Sequence[float],
    *,
    extra: Sequence[tuple[Any, ...]] = (),
    zebra: bool = True,
    repeat: int = 1,
) -> Table:
    """A table with a coloured header row, light rules and zebra rows.

    ``longTableOptimize``: a table that runs over pages has its row heights measured once
    and handed to its parts; without it every part measures every remaining row again, and
    a teacher's task table (long comments in Paragraphs) cost three times the wrapping."""
    table = Table(rows, colWidths=list(widths), repeatRows=repeat, longTableOptimize=True)
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, repeat - 1), HEADER_BAND),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
        ("FONT", (0, 0), (-1, -1), register_fonts().regular, 7.5),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if zebra:
        commands.append(("ROWBACKGROUNDS", (0, repeat), (-1, -1), [colors.white, ZEBRA]))
    table.setStyle(TableStyle(commands + list(extra)))
    return table


def _heads(*labels: str) -> list[Paragraph]:
    return [P(label, styles().head) for label in labels]


def _key_value(
    pairs: Sequence[tuple[str, str]],
    widths: tuple[float, float],
    labels: CellCache | None = None,
) -> Table:
    """Label - value rows; ``labels`` shares the (constant) label paragraphs."""
    s = styles()
    label = (labels or CellCache()).para
    rows = [[label(escape(k), s.muted), P(v, s.body)] for k, v in pairs]
    table = Table(rows, colWidths=list(widths))
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _figures(cells: Sequence[tuple[str, str]], labels: CellCache | None = None) -> Table:
    """A row of big numbers with captions (score, percent, rank); ``labels`` shares the
    (constant) caption paragraphs."""
    s = styles()
    caption = (labels or CellCache()).para
    row = [[P(value, s.big), caption(escape(label), s.big_label)] for value, label in cells]
    width = FRAME_W / len(cells)
    inner = [Table([[v], [lab]], colWidths=[width - 8]) for v, lab in row]
    table = Table([inner], colWidths=[width] * len(cells))
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                ("LINEAFTER", (0, 0), (-2, -1), 0.6, RULE),
                ("BACKGROUND", (0, 0), (-1, -1), ZEBRA),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return table


# --- per-teacher report -------------------------------------------------------------------


def teacher_story(
    data: ReportData, teacher: TeacherReport, cells: CellCache | None = None
) -> list[Any]:
    """The flowables of one teacher's report. It names only this teacher: no ranking table,
    no other teacher's name or ID, only department means. ``cells`` shares the task table's
    paragraphs with the other reports of this process."""
    s = styles()
    test = data.test
    # Only table cells are shared between documents: the frame marks the flowables it
    # places (a paragraph moved to the next page is remembered as postponed), so a heading
    # reused in the next report could be refused there as too large.
    shared = cells or CellCache()
    story: list[Any] = [
        P(teacher.name, s.title),
        P(tr("Personal report on the test results · {stage}", stage=test.stage_title), s.muted),
        Spacer(1, 6),
        _key_value(
            [
                (tr("School"), teacher.school),
                (tr("Department"), test.department_title),
                (tr("Test"), f"{test.title} ({test.id})"),
                (tr("Form"), f"{form_title(teacher)} · {channel_title(teacher.channel)}"),
                *([(tr("Date"), teacher.taken_at)] if teacher.taken_at else []),
                (tr("Teacher ID"), teacher.id),
                *(
                    [(tr("Your code on the cluster's website"), teacher.code)]
                    if teacher.code
                    else []
                ),
            ],
            (45 * mm, FRAME_W - 45 * mm),
            shared,
        ),
        Spacer(1, 8),
        _figures(
            [
                (of(num(teacher.score), num(teacher.max_score)), tr("points")),
                (f"{pct(teacher.percent)} %", tr("right answers")),
                (of(teacher.rank, teacher.rank_of), tr("place in the department")),
                *_growth_figure(teacher),
                (standing_title(teacher.standing, "—"), tr("standing")),
            ],
            shared,
        ),
        P(data.standing_rule.described(test.language), s.muted),
        P(tr("Results over the year's stages"), s.h2),
        charts.Chart(charts.history_chart(teacher, data.stages, width=FRAME_W, height=165)),
    ]
    topic_rows = [(t.topic, t.percent, t.department_percent, t.troublesome) for t in teacher.topics]
    trouble = [t.topic for t in teacher.topics if t.troublesome]
    note = (
        tr("Topics that need attention: {topics}.", topics=", ".join(trouble))
        if trouble
        else tr("In every topic the result is not below the department's mean.")
    )
    story.append(
        KeepTogether(
            [
                P(tr("Results by topic, % right"), s.h2),
                charts.Chart(charts.topic_chart(topic_rows, width=FRAME_W)),
                P(
                    note
                    + " "
                    + tr(
                        "Orange marks topics under 50 % or well under the department's mean "
                        "(the black line)."
                    ),
                    s.muted,
                ),
            ]
        )
    )
    if teacher.recommendation:
        story.append(P(tr("The tutor's recommendations"), s.h2))
        story += [P(line, s.body) for line in teacher.recommendation.splitlines() if line]
    if teacher.sheet_image:
        story += [CondPageBreak(90 * mm), P(tr("Your answer sheet as the reader saw it"), s.h2)]
        story.append(
            Image(teacher.sheet_image, width=FRAME_W * 0.7, height=170 * mm, kind="proportional")
        )
    story.append(P(tr("Tasks and mistakes explained"), s.h2))
    story.append(
        P(
            tr(
                "The tasks are listed in the order of your form. Mistakes: {mistakes} of "
                "{tasks}. Each mistake comes with the tutor's comment.",
                mistakes=len(teacher.mistakes),
                tasks=len(teacher.tasks),
            ),
            s.muted,
        )
    )
    story.append(Spacer(1, 4))
    story.append(_task_table(teacher, shared))
    story.append(Spacer(1, 6))
    story.append(
        P(
            tr(
                "“In doubt”: the mark on the sheet was read without certainty and counts as "
                "a mistake until it is checked; “corrected”: a reviewer set the answer, and "
                "the change is in the log."
            ),
            s.muted,
        )
    )
    return story


def _task_table(teacher: TeacherReport, cells: CellCache) -> Table:
    # Short cells are plain strings styled by the table (a Paragraph per cell costs a parse,
    # and a teacher report has hundreds of cells); only text that may wrap is a Paragraph.
    s = styles()
    widths = [8 * mm, 36 * mm, 13 * mm, 14 * mm, 21 * mm]
    widths.append(FRAME_W - sum(widths))
    rows: list[list[Any]] = [
        _heads(
            tr("No."),
            tr("Topic"),
            tr("Your answer"),
            tr("Right answer"),
            tr("Result"),
            tr("Task and the tutor's comment"),
        )
    ]
    extra: list[tuple[Any, ...]] = [("ALIGN", (0, 1), (0, -1), "CENTER")]
    extra.append(("ALIGN", (2, 1), (4, -1), "CENTER"))
    extra.append(("VALIGN", (0, 1), (-1, -1), "TOP"))  # a long comment reads from the top
    topic_room = widths[1] - 6  # inside the cell padding
    marks = _Verdicts(tr("✓ right"), tr("✗ mistake"), tr("corrected"), tr("in doubt"))
    for k, task in enumerate(teacher.tasks, start=1):
        verdict = marks.right if task.is_correct else marks.wrong
        if task.overridden:
            verdict += "\n" + marks.corrected
        elif task.flagged:
            verdict += "\n" + marks.doubt
        if task.is_correct:
            # a right answer's option text is usually short: a plain cell (a Paragraph per
            # cell would cost a parse each, and a report has hundreds)
            right = f"{task.correct}: {task.correct_text}" if task.correct_text else ""
            plain = right if fits(right, widths[5] - 6) else ""
            comment = "" if plain or not right else escape(_clip(right, 160))
        else:
            plain = ""
            comment = _answer_note(task) + _mistake_note(task)
        rows.append(
            [
                str(task.position),
                task.topic
                if fits(task.topic, topic_room)
                else cells.para(escape(task.topic), s.cell),
                task.answer or "—",
                task.correct,
                verdict,
                cells.para(comment, s.cell) if comment else plain,
            ]
        )
        if not task.is_correct:
            extra.append(("BACKGROUND", (0, k), (-1, k), WRONG_BG))
            extra.append(("TEXTCOLOR", (4, k), (4, k), charts.LAGGING))
    return _grid_table(rows, widths, extra=extra, zebra=True)


def _growth_figure(teacher: TeacherReport) -> list[tuple[str, str]]:
    growth = teacher.growth()
    if growth is None:
        return []
    stage, points = growth
    return [(growth_points(points), growth_since(stage))]


def _answer_note(task: TaskRow) -> str:
    """The option texts beside the letters: what the teacher chose, and the right one."""
    parts = []
    if task.answer and task.answer != "?" and task.answer_text and not task.is_correct:
        parts.append(
            tr("Your answer {letters}: {text}", letters=escape(task.answer),
               text=escape(_clip(task.answer_text, 90)))
        )  # fmt: skip
    if task.correct_text:
        parts.append(
            tr("Right {letters}: {text}", letters=escape(task.correct),
               text=escape(_clip(task.correct_text, 90)))
        )  # fmt: skip
    return "<br/>".join(parts) + ("<br/>" if parts and not task.is_correct else "")


def _clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,.;:") + "…"


def _mistake_note(task: TaskRow) -> str:
    """The task's wording (muted, so the teacher knows which task it was) and the tutor's
    explanation, in paragraph markup. Very long wordings are cut: the booklet has them."""
    stem = task.stem.strip()
    if len(stem) > STEM_LIMIT:
        stem_markup = escape(_clip(to_plain(stem), STEM_LIMIT))
    else:
        stem_markup = to_paragraph(stem)
    explanation = task.explanation.strip()
    if len(explanation) > EXPLANATION_LIMIT:
        # A table row cannot break across pages: an essay would not fit on one.
        note = escape(_clip(to_plain(explanation), EXPLANATION_LIMIT))
        note += " " + tr("(in full in the tasks' review)")
    elif explanation:
        note = to_paragraph(explanation)
    else:
        note = "<i>" + escape(tr("No comment was given.")) + "</i>"
    if not stem_markup:
        return note
    return f'<font color="{MUTED_HEX}">{stem_markup}</font><br/>{note}'


def render_teacher_pdf(
    data: ReportData, teacher: TeacherReport, path: Path, cells: CellCache | None = None
) -> None:
    with speaking(data.test.language):
        _build(
            path,
            teacher_story(data, teacher, cells),
            title=f"{teacher.name}: {data.test.title}",
            left=f"{data.test.title} · {teacher.id}",
            right=school_year(data.test.year),
        )


# --- department report --------------------------------------------------------------------


def department_story(data: ReportData) -> list[Any]:
    s = styles()
    test = data.test
    st = data.statistics
    story: list[Any] = [
        P(tr("Department: {name}", name=test.department_title), s.title),
        P(
            f"{test.title} ({test.id}) · {test.stage_title} · "
            + tr("report of {date}", date=data.generated[:10])
            + data.preliminary(),
            s.muted,
        ),
        Spacer(1, 8),
        _figures(
            [
                (str(st.n), tr("teachers")),
                (f"{pct(st.mean_percent)} %", tr("mean % right")),
                (pct(st.sd_percent), tr("standard deviation")),
                ("—" if st.alpha is None else pct(st.alpha, 2), tr("reliability (α / KR-20)")),
                ("—" if st.sem is None else pct(st.sem, 2), tr("measurement error, points")),
            ]
        ),
        P(tr("Every teacher's results over the year's stages"), s.h2),
        charts.Chart(
            charts.assessment_chart(data.teachers, data.stages, width=FRAME_W, height=240)
        ),
        KeepTogether(
            [
                P(tr("Distribution of the results"), s.h2),
                charts.Chart(
                    charts.distribution_chart(
                        data.distribution, st.mean_percent, width=FRAME_W, height=160
                    )
                ),
            ]
        ),
        KeepTogether(
            [
                P(tr("Mean result by topic"), s.h2),
                charts.Chart(
                    charts.topic_chart(
                        [(t.topic, t.percent, None, t.percent < 50) for t in data.topics],
                        width=FRAME_W,
                    )
                ),
            ]
        ),
    ]
    story += [CondPageBreak(60 * mm), P(tr("Item analysis"), s.h2)]
    story.append(
        P(
            tr(
                "P: share of right answers; r: corrected correlation of the task with the sum "
                "of the others (discrimination); U−L: difference of the shares right in the "
                "upper and lower 27 %; option shares are given in the source version's "
                "letters, the right one underlined."
            ),
            s.muted,
        )
    )
    story.append(Spacer(1, 4))
    story.append(_item_table(data))
    if data.alerts:
        story.append(P(tr("Alerts"), s.h2))
        rows = [_heads(tr("Task"), tr("Kind"), tr("Description"))]
        for alert in data.alerts:
            rows.append(
                [
                    P(f"{alert.label or alert.source_position} ({alert.task_id})", s.cell),
                    P(alert_title(alert.kind), s.cell),
                    P(alert.message, s.cell),
                ]
            )
        story.append(_grid_table(rows, [30 * mm, 38 * mm, FRAME_W - 68 * mm]))
    story += [CondPageBreak(60 * mm), P(tr("Ranking of the teachers"), s.h2), _ranking_table(data)]
    story.append(P(data.standing_rule.described(data.test.language), s.muted))
    return story


def _item_table(data: ReportData) -> Table:
    s = styles()
    widths = [9 * mm, 22 * mm, 34 * mm, 10 * mm, 9 * mm, 11 * mm, 11 * mm, 11 * mm]
    widths.append(FRAME_W - sum(widths))
    heads = _heads(
        tr("No."), tr("Task"), tr("Topic"), tr("Key"), "N", "P", "r", tr("U−L"), tr("Choices")
    )
    rows: list[list[Any]] = [heads]
    alerted = {alert_key(a) for a in data.alerts}
    extra: list[tuple[Any, ...]] = [("ALIGN", (3, 1), (7, -1), "CENTER")]
    for k, item in enumerate(data.items, start=1):
        shares = " ".join(
            (f"<u>{letter}</u>" if letter in item.key else letter) + f" {share * 100:.0f}"
            for letter, share in item.option_shares.items()
        )
        if item.blank_share:
            blank = round(item.blank_share * 100)
            shares += " · " + tr("blank {share}", share=blank)
        rows.append(
            [
                P(item.label or str(item.source_position), s.cell_centre),
                P(item.task_id, s.cell),
                P(item.topic, s.cell),
                item.key,
                str(item.n),
                pct(item.difficulty, 2),
                "—" if item.discrimination is None else pct(item.discrimination, 2),
                "—" if item.upper_lower is None else pct(item.upper_lower, 2),
                Paragraph(shares, s.cell),
            ]
        )
        if item_key(item) in alerted:
            extra.append(("BACKGROUND", (0, k), (-1, k), TROUBLE_BG))
    return _grid_table(rows, widths, extra=extra)


def _ranking_table(data: ReportData) -> Table:
    s = styles()
    stage_cols = [stage_column(st.stage) for st in data.stages]
    widths = [9 * mm, 41 * mm, 54 * mm]
    widths.append(14 * mm)
    rest = (FRAME_W - sum(widths)) / len(stage_cols)
    widths[3:3] = [rest] * len(stage_cols)
    rows: list[list[Any]] = [
        _heads(tr("No."), tr("Teacher"), tr("School"), *stage_cols, tr("Standing"))
    ]
    extra: list[tuple[Any, ...]] = [("ALIGN", (3, 1), (-1, -1), "CENTER")]
    for k, t in enumerate(data.teachers, start=1):
        rows.append(
            [
                str(t.rank),
                P(t.name, s.cell),
                P(t.school, s.cell),
                *[pct(h.percent) for h in t.history],
                standing_title(t.standing),
            ]
        )
        if t.standing == "leader":
            extra.append(("BACKGROUND", (0, k), (-1, k), LEADER_BG))
        elif t.standing == "lagging":
            extra.append(("BACKGROUND", (0, k), (-1, k), WRONG_BG))
    return _grid_table(rows, widths, extra=extra, zebra=False)


def render_department_pdf(data: ReportData, path: Path) -> None:
    with speaking(data.test.language):
        _build(
            path,
            department_story(data),
            title=tr(
                "Department {name}: {test}", name=data.test.department_title, test=data.test.title
            ),
            left=f"{data.test.title} · " + tr("department report"),
            right=school_year(data.test.year),
        )


# --- school extract -----------------------------------------------------------------------


def school_story(data: ReportData, school: str, teachers: Sequence[TeacherReport]) -> list[Any]:
    s = styles()
    test = data.test
    stage_titles = [stage_column(st.stage) for st in data.stages]
    story: list[Any] = [
        P(school, s.title if len(school) < 60 else s.title_long),
        P(
            tr(
                "Extract for the school's administration: {test} ({id}) · {stage} · "
                "department “{department}” · report of {date}",
                test=test.title,
                id=test.id,
                stage=test.stage_title,
                department=test.department_title,
                date=data.generated[:10],
            )
            + data.preliminary(),
            s.muted,
        ),
        Spacer(1, 8),
        _figures(
            [
                (str(len(teachers)), tr("teachers of the school")),
                (
                    f"{pct(sum(t.percent for t in teachers) / max(len(teachers), 1))} %",
                    tr("mean % right"),
                ),
                (f"{pct(data.statistics.mean_percent)} %", tr("department's mean %")),
            ]
        ),
        P(tr("Results of the teachers"), s.h2),
    ]
    widths = [16 * mm, 48 * mm, 9 * mm, 14 * mm, 13 * mm, 15 * mm]
    rest = (FRAME_W - sum(widths)) / len(stage_titles)
    widths += [rest] * len(stage_titles)
    rows: list[list[Any]] = [
        _heads("ID", tr("Teacher"), tr("Var."), tr("Points"), "%", tr("Place"), *stage_titles)
    ]
    for t in teachers:
        rows.append(
            [
                t.id,
                P(t.name, s.cell),
                form_title(t),
                f"{num(t.score)}/{num(t.max_score)}",
                pct(t.percent),
                f"{t.rank}/{t.rank_of}",
                *[pct(h.percent) for h in t.history],
            ]
        )
    story.append(_grid_table(rows, widths, extra=[("ALIGN", (2, 1), (-1, -1), "CENTER")]))
    story.append(Spacer(1, 6))
    story.append(
        P(
            tr(
                "Place: among all the department's teachers. Stages: % right answers; “—”: "
                "the test was not held or the teacher did not take it."
            ),
            s.muted,
        )
    )
    return story


def render_school_pdf(
    data: ReportData, school: str, teachers: Sequence[TeacherReport], path: Path
) -> None:
    with speaking(data.test.language):
        _build(
            path,
            school_story(data, school, teachers),
            title=f"{school}: {data.test.title}",
            left=f"{data.test.title} · " + tr("extract for the school"),
            right=school_year(data.test.year),
        )


# --- monitoring summary -------------------------------------------------------------------


def _growth(g: GrowthFigure) -> str:
    if g.difference is None:
        return "—"
    sign = "+" if g.difference >= 0 else "−"
    text = f"{sign}{pct(abs(g.difference))}"
    if g.ci_low is not None and g.ci_high is not None:
        text += f"<br/><font size=6.5>[{pct(g.ci_low)}; {pct(g.ci_high)}]</font>"
    return text


def summary_story(data: ReportData) -> list[Any]:
    s = styles()
    years = sorted({r.year for r in data.summary}, reverse=True)
    story: list[Any] = [
        P(tr("Monitoring summary"), s.title),
        P(
            tr(
                "Acceptance and final tests by department; growth in percentage points with "
                "a 95 % confidence interval. Report of {date}{preliminary}.",
                date=data.generated[:10],
                preliminary=data.preliminary(),
            ),
            s.muted,
        ),
    ]
    for year in years:
        rows_y = [r for r in data.summary if r.year == year]
        story.append(P(school_year(year), s.h2))
        story.append(
            charts.Chart(
                charts.summary_chart(
                    [(r.department_title, r.acceptance_percent, r.final_percent) for r in rows_y],
                    width=FRAME_W,
                    height=170,
                )
            )
        )
        story.append(Spacer(1, 6))
        story.append(_summary_table(rows_y))
    story.append(Spacer(1, 6))
    story.append(
        P(
            tr(
                "Cohort: the difference of the means of everyone who took the acceptance and "
                "the final test; matched: the mean growth of the teachers who took both. N: "
                "teachers. Paper / online: results from sheets and online; doubt: sheets with "
                "answers in doubt; corr.: corrections by hand."
            ),
            s.muted,
        )
    )
    return story


def _summary_table(rows_y: Sequence[SummaryRow]) -> Table:
    s = styles()
    heads = _heads(
        tr("Department"),
        tr("Acc., %"),
        "N",
        tr("Fin., %"),
        "N",
        tr("Cohort growth"),
        tr("Matched growth"),
        tr("N matched"),
        tr("Paper / online"),
        tr("Doubt / corr."),
    )
    widths = [33 * mm, 15 * mm, 10 * mm, 15 * mm, 10 * mm, 22 * mm, 22 * mm, 12 * mm]
    rest = (FRAME_W - sum(widths)) / 2
    widths += [rest, rest]
    rows: list[list[Any]] = [heads]
    for r in rows_y:
        rows.append(
            [
                P(r.department_title, s.cell),
                pct(r.acceptance_percent),
                str(r.acceptance_n),
                pct(r.final_percent),
                str(r.final_n) if r.final_percent is not None else "—",
                Paragraph(_growth(r.cohort), s.cell_centre),
                Paragraph(_growth(r.matched), s.cell_centre),
                str(r.matched.n) if r.matched.difference is not None else "—",
                f"{r.live} / {r.remote}",
                f"{r.flags} / {r.overrides}",
            ]
        )
    return _grid_table(rows, widths, extra=[("ALIGN", (1, 1), (-1, -1), "CENTER")])


def render_summary_pdf(data: ReportData, path: Path) -> None:
    with speaking(data.test.language):
        _build(
            path,
            summary_story(data),
            title=tr("Monitoring summary"),
            left=tr("Monitoring summary"),
            right=tr("report of {date}", date=data.generated[:10]) + data.preliminary(),
        )
