"""``scoring poll-report``: a poll's Table 3 as PDF, an HTML page for the website, CSV and
XLSX, with a chart per parameter and the comparison with an earlier year's poll.

Every word is in the poll's own language; the numbers come from :func:`scoring.polls.
poll_table` and are printed with one decimal (half away from zero).
"""

from __future__ import annotations

import html
from pathlib import Path

from openpyxl import Workbook
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib.units import mm
from reportlab.platypus import Spacer, Table

from common.files import ensure_writable_folder
from common.i18n import speaking
from common.vocabulary import department_title
from scoring.polls import MIN_SHOWN, PollTable, one_decimal, poll_table_compared
from scoring.report import charts
from scoring.report.exports import write_csv
from scoring.report.pdf import P, _build, _grid_table, styles
from scoring.store import Store

WORDS = {
    "ru": {
        "table": "Таблица 3. Оценка работы кластера учителями (средний балл по {high}-балльной "
        "шкале)",
        "parameter": "Параметр",
        "total": "Всего",
        "respondents": "Число респондентов",
        "level": "Общий уровень, %",
        "hidden": "Кафедры, где ответили меньше {n} человек ({names}), учтены только в "
        "столбце «Всего» (показать: --show-small).",
        "open": "Предварительно: {n} строк ждут проверки (scoring review); они не учтены.",
        "previous": "{year}, всего",
        "change": "Изменение",
        "charts": "Средний балл по кафедрам",
        "nobody": "Ответов пока нет.",
        "level_rule": "Общий уровень — среднее средних баллов по параметрам, делённое на "
        "максимум шкалы.",
    },
    "en": {
        "table": "Table 3. Teachers' rating of the cluster's work (mean on a {high}-point scale)",
        "parameter": "Parameter",
        "total": "Total",
        "respondents": "Respondents",
        "level": "Overall level, %",
        "hidden": "Departments with fewer than {n} respondents ({names}) are counted in the "
        "total only (show them: --show-small).",
        "open": "Preliminary: {n} rows wait in the review (scoring review) and are not counted.",
        "previous": "{year}, total",
        "change": "Change",
        "charts": "Mean rating by department",
        "nobody": "No answers yet.",
        "level_rule": "Overall level: the mean of the parameters' means over the scale's maximum.",
    },
}


def _words(language: str) -> dict[str, str]:
    return WORDS.get(language, WORDS["en"])


def _department(code: str, language: str) -> str:
    return department_title(code, language)


def _columns(table: PollTable) -> list[str]:
    return [*table.departments, "total"]


def _notes(table: PollTable, language: str) -> list[str]:
    words = _words(language)
    notes = [words["level_rule"]]
    if table.hidden:
        names = ", ".join(_department(d, language) for d in table.hidden)
        notes.append(words["hidden"].format(n=MIN_SHOWN, names=names))
    if table.open_items:
        notes.append(words["open"].format(n=table.open_items))
    if not table.respondents.get("total"):
        notes.append(words["nobody"])
    return notes


def table_rows(table: PollTable, language: str) -> tuple[list[str], list[list[str]]]:
    """The Table 3 grid as text: header, then one row per printed parameter, N and level."""
    words = _words(language)
    header = [words["parameter"]]
    header += [_department(d, language) for d in table.departments] + [words["total"]]
    previous = table.previous
    if previous is not None:
        header += [words["previous"].format(year=previous.year), words["change"]]
    rows = [[words["respondents"]] + [str(table.respondents.get(c, 0)) for c in _columns(table)]]
    if previous is not None:
        rows[0] += [str(previous.respondents.get("total", 0)), ""]
    for row in table.rows:
        label = f"{row.number}. {row.text}"
        if not row.rated:
            rows.append([label] + [""] * (len(header) - 1))
            continue
        cells = table.cells[row.number]
        line = [label] + [one_decimal(cells[c].mean) for c in _columns(table)]
        if previous is not None:
            before = previous.cells.get(row.number, {}).get("total")
            now = cells["total"].mean
            line.append(one_decimal(before.mean if before else None))
            change = (
                now - before.mean
                if before is not None and before.mean is not None and now is not None
                else None
            )
            line.append(
                "–" if change is None else ("+" if change > 0 else "") + one_decimal(change)
            )
        rows.append(line)
    level = [words["level"]] + [one_decimal(table.level.get(c)) for c in _columns(table)]
    if previous is not None:
        before_level = previous.level.get("total")
        now_level = table.level.get("total")
        level.append(one_decimal(before_level))
        level.append(
            "–"
            if before_level is None or now_level is None
            else ("+" if now_level > before_level else "") + one_decimal(now_level - before_level)
        )
    rows.append(level)
    return header, rows


def parameter_chart(table: PollTable, number: str, language: str) -> Drawing:
    """Horizontal bars: the parameter's mean per department and in total."""
    names = _columns(table)
    width, bar, gap, left = 240.0, 9.0, 4.0, 92.0
    height = len(names) * (bar + gap) + 14
    drawing = Drawing(width, height)
    words = _words(language)
    cells = table.cells[number]
    for k, name in enumerate(names):
        y = height - 12 - (k + 1) * (bar + gap) + gap
        label = words["total"] if name == "total" else _department(name, language)
        drawing.add(charts._text(left - 4, y + 2, label[:22], anchor="end", size=6.5))
        mean = cells[name].mean
        if mean is None:
            continue
        length = (width - left - 26) * mean / table.scale_max
        colour = charts.INK if name == "total" else charts.MIDDLE
        drawing.add(Rect(left, y, length, bar, fillColor=colour, strokeColor=None))
        drawing.add(charts._text(left + length + 3, y + 2, one_decimal(mean), anchor="start",
                                 size=6.5))  # fmt: skip
    return drawing


def render_poll_pdf(table: PollTable, language: str, path: Path) -> None:
    s = styles()
    words = _words(language)
    header, rows = table_rows(table, language)
    story: list[object] = [
        P(html.escape(table.title), s.title_long),
        P(f"{html.escape(table.poll_id)} · {table.year}", s.muted),
        Spacer(1, 3 * mm),
        P(html.escape(words["table"].format(high=table.scale_max)), s.h2),
    ]
    extra = len(header) - 1
    first = 180.0 if extra > 4 else 230.0
    rest = (182 * mm - first) / extra
    grid = [[P(html.escape(h), s.head) for h in header]]
    for line in rows:
        grid.append([P(html.escape(line[0]), s.cell)] + [P(v, s.cell_centre) for v in line[1:]])
    bold_rows = [("FONT", (0, 1), (-1, 1), s.cell_bold.fontName, 7.5)]
    story.append(_grid_table(grid, [first] + [rest] * extra, extra=bold_rows))
    story.append(Spacer(1, 2 * mm))
    story += [P(html.escape(n), s.muted) for n in _notes(table, language)]
    story += [Spacer(1, 4 * mm), P(html.escape(words["charts"]), s.h2)]
    pairs = []
    for row in table.rows:
        if row.rated:
            pairs.append([P(html.escape(f"{row.number}. {row.text}"), s.small),
                          charts.Chart(parameter_chart(table, row.number, language))])  # fmt: skip
    if pairs:
        story.append(Table(pairs, colWidths=[70 * mm, 110 * mm]))
    with speaking(language):  # the page's header and footer too
        _build(path, story, title=table.title, left=table.poll_id, right=str(table.year))


def poll_html(table: PollTable, language: str) -> str:
    """The poll's page: Table 3 with a chart per parameter, self-contained."""
    words = _words(language)
    header, rows = table_rows(table, language)
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for k, line in enumerate(rows):
        cls = ' class="n"' if k == 0 else ' class="level"' if k == len(rows) - 1 else ""
        cells = "".join(f"<td>{esc(v)}</td>" for v in line[1:])
        body.append(f'<tr{cls}><th scope="row">{esc(line[0])}</th>{cells}</tr>')
    figures = []
    for n, row in enumerate(r for r in table.rows if r.rated):
        svg = charts.to_svg(parameter_chart(table, row.number, language), f"p{n}")
        figures.append(f"<figure><figcaption>{esc(row.number)}. {esc(row.text)}</figcaption>"
                       f"{svg}</figure>")  # fmt: skip
    notes = "".join(f'<p class="note">{esc(n)}</p>' for n in _notes(table, language))
    page = f"""<!doctype html>
<html lang="{language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(table.title)}</title>
<style>
body {{ font-family: "DejaVu Sans", sans-serif; margin: 2rem auto; max-width: 72rem;
  color: #222; }}
table {{ border-collapse: collapse; font-size: .85rem; }}
th, td {{ border-bottom: 1px solid #ccc; padding: .25rem .5rem; text-align: center; }}
tbody th {{ text-align: left; font-weight: normal; }}
tr.n td, tr.level td, tr.level th, tr.n th {{ font-weight: bold; }}
thead th {{ background: #1f5f99; color: #fff; }}
.note {{ color: #666; font-size: .85rem; }}
figure {{ display: inline-block; width: 22rem; margin: .5rem; vertical-align: top; }}
figcaption {{ font-size: .8rem; }}
</style></head>
<body>
<h1>{esc(table.title)}</h1>
<p>{esc(table.poll_id)} · {table.year}</p>
<h2>{esc(words["table"].format(high=table.scale_max))}</h2>
<table><thead><tr>{head}</tr></thead><tbody>
{"".join(body)}
</tbody></table>
{notes}
<h2>{esc(words["charts"])}</h2>
{"".join(figures)}
</body></html>
"""
    return page


def write_poll_xlsx(header: list[str], rows: list[list[str]], path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "table3"
    sheet.append(header)
    for line in rows:
        sheet.append([line[0], *(_number(v) for v in line[1:])])
    book.save(path)


def _number(text: str) -> float | str:
    try:
        return float(text.replace("+", ""))
    except ValueError:
        return text


def write_poll_report(
    store: Store,
    poll_id: str,
    out: Path,
    *,
    show_small: bool = False,
    compare: str | None = None,
) -> tuple[PollTable, list[Path]]:
    """Write ``<out>/<poll-id>/`` (table3.pdf, table3.html, table3.csv, table3.xlsx) and the
    website page ``<out>/site/polls/<poll-id>.html``; returns the table and the files."""
    table = poll_table_compared(store, poll_id, show_small=show_small, compare=compare)
    language = store.poll_manifest(poll_id).poll.language
    folder = out / poll_id
    site = out / "site" / "polls"
    ensure_writable_folder(folder)
    ensure_writable_folder(site)
    header, rows = table_rows(table, language)
    files = [folder / "table3.pdf", folder / "table3.html", folder / "table3.csv",
             folder / "table3.xlsx", site / f"{poll_id}.html"]  # fmt: skip
    render_poll_pdf(table, language, files[0])
    page = poll_html(table, language)
    files[1].write_text(page, encoding="utf-8")
    # numbers as numbers: a signed change ("+1.9") would otherwise be guarded as a formula
    write_csv(files[2], header, [[line[0], *(_number(v) for v in line[1:])] for line in rows])
    write_poll_xlsx(header, rows, files[3])
    files[4].write_text(page, encoding="utf-8")
    return table, files
