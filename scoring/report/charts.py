"""Charts drawn once as reportlab ``Drawing`` objects, used in PDFs and (as SVG) in HTML.

Charts are flat lists of plain shapes (rectangles, lines, polylines, strings), so their look
does not depend on reportlab's chart defaults and every chart works for 1 or 400 teachers.
PDFs place one as a :class:`Chart` (drawn straight onto the page, the same pixels as
reportlab's own renderer); :func:`to_svg` writes the same object as SVG for the website.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable

from common.fonts import register_fonts
from common.i18n import tr
from scoring.report.data import HistogramBin, StageMeta, Standing, TeacherReport
from scoring.report.words import pct, stage_name

# One palette for every report: a calm blue for "this teacher", grey for the department.
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#7b8794")
GRID = colors.HexColor("#d9e2ec")
TEACHER = colors.HexColor("#1f5f99")
DEPARTMENT = colors.HexColor("#b3c2d1")
LEADER = colors.HexColor("#2f8f46")
LAGGING = colors.HexColor("#c0392b")
MIDDLE = colors.HexColor("#9aa5b1")
TROUBLE = colors.HexColor("#d9822b")
STANDING_COLOURS: dict[Standing, colors.Color] = {
    "leader": LEADER,
    "middle": MIDDLE,
    "lagging": LAGGING,
}


def _fonts() -> tuple[str, str]:
    names = register_fonts()
    return names.regular, names.bold


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: float = 7,
    anchor: str = "middle",
    bold: bool = False,
    colour: colors.Color = INK,
) -> String:
    regular, heavy = _fonts()
    return String(
        x,
        y,
        text,
        fontName=heavy if bold else regular,
        fontSize=size,
        fillColor=colour,
        textAnchor=anchor,
    )


def _percent_axis(
    drawing: Drawing, x0: float, y0: float, width: float, height: float, step: int = 20
) -> None:
    """Horizontal grid lines and labels 0..100 % at the left of a plot area."""
    for value in range(0, 101, step):
        y = y0 + height * value / 100
        drawing.add(Line(x0, y, x0 + width, y, strokeColor=GRID, strokeWidth=0.5))
        drawing.add(_text(x0 - 4, y - 2.5, f"{value}", anchor="end", colour=MUTED))
    drawing.add(Line(x0, y0, x0 + width, y0, strokeColor=MUTED, strokeWidth=0.8))


def _legend(
    drawing: Drawing, x: float, y: float, entries: Sequence[tuple[str, colors.Color]]
) -> None:
    regular, _ = _fonts()
    for label, colour in entries:
        drawing.add(Rect(x, y, 8, 8, fillColor=colour, strokeColor=None))
        drawing.add(_text(x + 11, y + 1, label, anchor="start"))
        x += 11 + stringWidth(label, regular, 7) + 14


def history_chart(
    teacher: TeacherReport, stages: Sequence[StageMeta], width: float = 480, height: float = 170
) -> Drawing:
    """The teacher's percent at each of the five stages with the department mean beside it."""
    drawing = Drawing(width, height)
    x0, y0 = 30.0, 30.0
    plot_w, plot_h = width - x0 - 10, height - y0 - 26
    _percent_axis(drawing, x0, y0, plot_w, plot_h)
    slot = plot_w / max(len(stages), 1)
    bar = min(26.0, slot * 0.3)
    titles = {s.stage: s.title for s in stages}
    for k, point in enumerate(teacher.history):
        centre = x0 + slot * (k + 0.5)
        for value, colour, dx in (
            (point.percent, TEACHER, -bar - 1),
            (point.department_mean, DEPARTMENT, 1),
        ):
            if value is None:
                drawing.add(_text(centre + dx + bar / 2, y0 + 3, "—", colour=MUTED))
                continue
            h = plot_h * value / 100
            drawing.add(Rect(centre + dx, y0, bar, h, fillColor=colour, strokeColor=None))
            drawing.add(_text(centre + dx + bar / 2, y0 + h + 3, f"{value:.0f}", size=6.5))
        drawing.add(_text(centre, y0 - 11, titles.get(point.stage, point.stage)))
    _legend(
        drawing,
        x0,
        height - 12,
        [(tr("Your result, % right"), TEACHER), (tr("Department mean"), DEPARTMENT)],
    )
    return drawing


def assessment_chart(
    teachers: Sequence[TeacherReport],
    stages: Sequence[StageMeta],
    width: float = 500,
    height: float = 230,
) -> Drawing:
    """Every teacher's line across the stages held so far; leaders green, laggers red.

    Middle teachers are drawn first and thin so the two groups that matter stay on top, and
    the department mean is the thick dark line.
    """
    drawing = Drawing(width, height)
    x0, y0 = 30.0, 30.0
    plot_w, plot_h = width - x0 - 10, height - y0 - 26
    _percent_axis(drawing, x0, y0, plot_w, plot_h)
    count = max(len(stages), 1)
    xs = [x0 + plot_w * (k + 0.5) / count for k in range(count)]
    for k, stage in enumerate(stages):
        drawing.add(_text(xs[k], y0 - 11, stage.title))
    order = {"middle": 0, "lagging": 1, "leader": 2}
    for teacher in sorted(teachers, key=lambda t: order[t.standing]):
        colour = STANDING_COLOURS[teacher.standing]
        points = [
            (xs[k], y0 + plot_h * p.percent / 100)
            for k, p in enumerate(teacher.history)
            if p.percent is not None
        ]
        width_line = 0.5 if teacher.standing == "middle" else 0.9
        if len(points) > 1:
            flat = [c for xy in points for c in xy]
            drawing.add(PolyLine(flat, strokeColor=colour, strokeWidth=width_line))
        for x, y in points:
            drawing.add(Rect(x - 1, y - 1, 2, 2, fillColor=colour, strokeColor=None))
    means = [
        (xs[k], y0 + plot_h * s.department_mean / 100)
        for k, s in enumerate(stages)
        if s.department_mean is not None
    ]
    if len(means) > 1:
        drawing.add(PolyLine([c for xy in means for c in xy], strokeColor=INK, strokeWidth=2.2))
    for x, y in means:
        drawing.add(Rect(x - 2.5, y - 2.5, 5, 5, fillColor=INK, strokeColor=None))
    _legend(
        drawing,
        x0,
        height - 12,
        [
            (tr("Leaders"), LEADER),
            (tr("Lagging"), LAGGING),
            (tr("The others"), MIDDLE),
            (tr("Department mean"), INK),
        ],
    )
    return drawing


def distribution_chart(
    bins: Sequence[HistogramBin], mean: float | None = None, width: float = 480, height: float = 170
) -> Drawing:
    """Histogram of percent correct; the department mean as a dashed line."""
    drawing = Drawing(width, height)
    x0, y0 = 30.0, 30.0
    plot_w, plot_h = width - x0 - 10, height - y0 - 26
    top = max([b.count for b in bins] + [1])
    step = max(1, -(-top // 5))
    for value in range(0, top + step, step):
        y = y0 + plot_h * value / (step * -(-top // step))
        drawing.add(Line(x0, y, x0 + plot_w, y, strokeColor=GRID, strokeWidth=0.5))
        drawing.add(_text(x0 - 4, y - 2.5, str(value), anchor="end", colour=MUTED))
    scale_top = step * -(-top // step)
    slot = plot_w / max(len(bins), 1)
    for k, b in enumerate(bins):
        h = plot_h * b.count / scale_top
        x = x0 + slot * k
        drawing.add(Rect(x + 1, y0, slot - 2, h, fillColor=TEACHER, strokeColor=None))
        if b.count:
            drawing.add(_text(x + slot / 2, y0 + h + 2, str(b.count), size=6.5))
        drawing.add(_text(x + slot / 2, y0 - 11, f"{b.lower:.0f}–{b.upper:.0f}", size=6.5))
    drawing.add(Line(x0, y0, x0 + plot_w, y0, strokeColor=MUTED, strokeWidth=0.8))
    drawing.add(_text(x0 + plot_w, y0 - 22, tr("% right answers"), anchor="end", colour=MUTED))
    drawing.add(_text(x0 - 26, y0 + plot_h + 4, tr("teachers"), anchor="start", colour=MUTED))
    if mean is not None:
        x = x0 + plot_w * mean / 100
        drawing.add(
            Line(
                x,
                y0,
                x,
                y0 + plot_h + 5,
                strokeColor=LAGGING,
                strokeWidth=1,
                strokeDashArray=[3, 2],
            )
        )
        label = tr("mean {value}", value=pct(mean))
        drawing.add(_text(x, y0 + plot_h + 8, label, colour=LAGGING))
    return drawing


def topic_chart(
    topics: Sequence[tuple[str, float, float | None, bool]],
    width: float = 480,
    label_width: float = 150,
) -> Drawing:
    """Horizontal bars per topic: (topic, percent, department percent or None, troublesome).

    Troublesome topics are orange; the department mean is a tick across each bar.
    """
    row = 16.0
    height = row * len(topics) + 30
    drawing = Drawing(width, height)
    x0 = label_width
    plot_w = width - x0 - 30
    y_top = height - 8
    for value in range(0, 101, 25):
        x = x0 + plot_w * value / 100
        drawing.add(Line(x, 14, x, y_top, strokeColor=GRID, strokeWidth=0.5))
        drawing.add(_text(x, 4, f"{value}%", colour=MUTED))
    regular, _ = _fonts()
    for k, (topic, percent, dept, trouble) in enumerate(topics):
        y = y_top - row * (k + 1) + 3
        label = topic
        while stringWidth(label, regular, 7.5) > label_width - 8 and len(label) > 4:
            label = label[:-2] + "…"
        drawing.add(_text(x0 - 6, y + 3, label, size=7.5, anchor="end"))
        colour = TROUBLE if trouble else TEACHER
        drawing.add(
            Rect(x0, y, plot_w * percent / 100, row - 6, fillColor=colour, strokeColor=None)
        )
        drawing.add(
            _text(x0 + plot_w * percent / 100 + 3, y + 2.5, f"{percent:.0f}", anchor="start")
        )
        if dept is not None:
            x = x0 + plot_w * dept / 100
            drawing.add(Line(x, y - 2, x, y + row - 4, strokeColor=INK, strokeWidth=1.4))
    return drawing


def summary_chart(
    rows: Sequence[tuple[str, float | None, float | None]], width: float = 500, height: float = 190
) -> Drawing:
    """Acceptance vs final percent per department: (label, acceptance, final)."""
    drawing = Drawing(width, height)
    x0, y0 = 30.0, 34.0
    plot_w, plot_h = width - x0 - 10, height - y0 - 26
    _percent_axis(drawing, x0, y0, plot_w, plot_h)
    slot = plot_w / max(len(rows), 1)
    bar = min(24.0, slot * 0.3)
    for k, (label, acceptance, final) in enumerate(rows):
        centre = x0 + slot * (k + 0.5)
        for value, colour, dx in ((acceptance, DEPARTMENT, -bar - 1), (final, TEACHER, 1)):
            if value is None:
                drawing.add(_text(centre + dx + bar / 2, y0 + 3, "—", colour=MUTED))
                continue
            h = plot_h * value / 100
            drawing.add(Rect(centre + dx, y0, bar, h, fillColor=colour, strokeColor=None))
            drawing.add(_text(centre + dx + bar / 2, y0 + h + 3, f"{value:.0f}", size=6.5))
        words = label.split()
        if len(words) > 1 and len(label) > 16:
            half = (len(words) + 1) // 2
            drawing.add(_text(centre, y0 - 11, " ".join(words[:half])))
            drawing.add(_text(centre, y0 - 20, " ".join(words[half:])))
        else:
            drawing.add(_text(centre, y0 - 11, label))
    legend = [(stage_name("acceptance"), DEPARTMENT), (stage_name("final"), TEACHER)]
    _legend(drawing, x0, height - 12, legend)
    return drawing


class Chart(Flowable):
    """A chart drawn straight onto the PDF canvas, shape by shape.

    reportlab's own renderer takes every shape of a Drawing through a general state machine
    (groups, transforms, inherited styles), which cost a fifth of a teacher's report. The
    charts here are flat, so each rectangle, line, polyline and string is one canvas call,
    and a colour, width or font is set only when it changes."""

    def __init__(self, drawing: Drawing) -> None:
        super().__init__()
        self.drawing = drawing
        self.width = drawing.width
        self.height = drawing.height

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        canv.saveState()
        fill: object = None
        stroke: object = None
        line: tuple[float, tuple[float, ...]] | None = None
        font: tuple[str, float] | None = None

        def set_fill(colour: colors.Color) -> None:
            nonlocal fill
            if colour != fill:
                canv.setFillColor(colour)
                fill = colour

        def set_stroke(node: Line | PolyLine | Rect) -> None:
            nonlocal stroke, line
            if node.strokeColor != stroke:
                canv.setStrokeColor(node.strokeColor)
                stroke = node.strokeColor
            style = (float(node.strokeWidth), tuple(getattr(node, "strokeDashArray", None) or ()))
            if style != line:
                canv.setLineWidth(style[0])
                canv.setDash(list(style[1]) if style[1] else [])
                line = style

        for node in self.drawing.contents:
            if isinstance(node, Rect):
                if node.fillColor is not None:
                    set_fill(node.fillColor)
                if node.strokeColor is not None:
                    set_stroke(node)
                canv.rect(node.x, node.y, node.width, node.height,
                          stroke=int(node.strokeColor is not None),
                          fill=int(node.fillColor is not None))  # fmt: skip
            elif isinstance(node, Line):
                set_stroke(node)
                canv.line(node.x1, node.y1, node.x2, node.y2)
            elif isinstance(node, PolyLine):
                set_stroke(node)
                xy = node.points
                path = canv.beginPath()
                path.moveTo(xy[0], xy[1])
                for k in range(2, len(xy) - 1, 2):
                    path.lineTo(xy[k], xy[k + 1])
                canv.drawPath(path, stroke=1, fill=0)
            elif isinstance(node, String):
                if (node.fontName, node.fontSize) != font:
                    font = (node.fontName, node.fontSize)
                    canv.setFont(*font)
                set_fill(node.fillColor)
                draw = {"middle": canv.drawCentredString, "end": canv.drawRightString}
                draw.get(node.textAnchor, canv.drawString)(node.x, node.y, node.text)
            else:  # pragma: no cover - a chart drawing a shape this writer does not know
                raise TypeError(f"no PDF drawing for a {type(node).__name__} in a chart")
        canv.restoreState()


def to_svg(drawing: Drawing, ident: str = "c") -> str:
    """The drawing as an ``<svg>`` element (id ``chart-<ident>``) for inline HTML.

    Written shape by shape: reportlab's SVG renderer builds a DOM first, which for a
    400-teacher assessment chart cost more than the rest of its page and wrote 400 KB. The
    charts are flat (no groups or transforms), so a rectangle, line, polyline or string maps
    to one element; the y axis is turned over (SVG counts from the top). The page holds no URL,
    and the font falls back to the reader's sans-serif if DejaVu is absent."""
    height = drawing.height
    parts = [
        f'<svg id="chart-{escape(ident)}" width="{_n(drawing.width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(drawing.width)} {_n(height)}" preserveAspectRatio="xMinYMin meet" '
        f"font-family=\"'DejaVu Sans', Verdana, Arial, sans-serif\">"
    ]
    _, bold = _fonts()
    for node in drawing.contents:
        if isinstance(node, Rect):
            parts.append(
                f'<rect x="{_n(node.x)}" y="{_n(height - node.y - node.height)}" '
                f'width="{_n(node.width)}" height="{_n(node.height)}"{_paint(node)}/>'
            )
        elif isinstance(node, Line):
            parts.append(
                f'<line x1="{_n(node.x1)}" y1="{_n(height - node.y1)}" x2="{_n(node.x2)}" '
                f'y2="{_n(height - node.y2)}"{_stroke(node)}/>'
            )
        elif isinstance(node, PolyLine):
            xy = node.points
            points = " ".join(
                f"{_n(xy[k])},{_n(height - xy[k + 1])}" for k in range(0, len(xy) - 1, 2)
            )
            parts.append(f'<polyline points="{points}" fill="none"{_stroke(node)}/>')
        elif isinstance(node, String):
            weight = ' font-weight="bold"' if node.fontName == bold else ""
            anchor = node.textAnchor if node.textAnchor in ("start", "middle", "end") else "start"
            parts.append(
                f'<text x="{_n(node.x)}" y="{_n(height - node.y)}" font-size="{_n(node.fontSize)}"'
                f'{weight} text-anchor="{anchor}" fill="{_colour(node.fillColor)}">'
                f"{escape(node.text)}</text>"
            )
        else:  # pragma: no cover - a chart drawing a shape this writer does not know
            raise TypeError(f"no SVG for a {type(node).__name__} in a chart")
    parts.append("</svg>")
    return "".join(parts)


def _n(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _colour(colour: colors.Color | None) -> str:
    return "none" if colour is None else "#" + colour.hexval()[2:]


def _paint(node: Rect) -> str:
    fill = f' fill="{_colour(node.fillColor)}"'
    return fill + (_stroke(node) if node.strokeColor is not None else "")


def _stroke(node: Line | PolyLine | Rect) -> str:
    text = f' stroke="{_colour(node.strokeColor)}" stroke-width="{_n(node.strokeWidth)}"'
    dashes = getattr(node, "strokeDashArray", None)
    if dashes:
        text += f' stroke-dasharray="{" ".join(_n(d) for d in dashes)}"'
    return text
