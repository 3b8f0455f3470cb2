"""The static website: ``index.html`` and one page per department, self-contained.

Each page carries its CSS inline and its charts as inline SVG (the same reportlab drawings the
PDFs use), and links only to its sibling pages, so the folder can be uploaded anywhere and
opened offline. With ``pseudonymise`` teachers appear by a stable code (``T-1A2B3C4D``) instead
of their name, and neither IDs nor schools are shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

from common.i18n import current_language, speaking, tr
from common.vocabulary import DEPARTMENT_TITLES
from scoring.report import charts
from scoring.report.data import GrowthFigure, ReportData, SummaryRow, pseudonym
from scoring.report.pdf import alert_key, item_key
from scoring.report.words import (
    alert_title,
    cluster,
    pct,
    school_year,
    stage_column,
    standing_title,
)

CSS = """
body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;color:#1f2933;margin:0;background:#f5f7fa}
header{background:#1f5f99;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:22px}header p{margin:4px 0 0;opacity:.85;font-size:13px}
nav{background:#fff;border-bottom:1px solid #d9e2ec;padding:8px 32px;font-size:13px}
nav a{color:#1f5f99;margin-right:16px;text-decoration:none}nav a.here{font-weight:bold}
main{max-width:1000px;margin:0 auto;padding:16px 32px 48px}
section{background:#fff;border:1px solid #d9e2ec;border-radius:6px;padding:12px 18px;margin:16px 0}
h2{color:#1f5f99;font-size:17px;margin:4px 0 10px}
table{border-collapse:collapse;width:100%;font-size:12.5px}
th{background:#1f5f99;color:#fff;padding:5px 6px;font-weight:bold;text-align:center}
td{padding:4px 6px;border-bottom:1px solid #d9e2ec;text-align:center}
td.t{text-align:left}tr:nth-child(even) td{background:#f3f6f9}
tr.leader td{background:#e6f4ea}tr.lagging td{background:#fdecea}tr.alert td{background:#fdf0e1}
.figs{display:flex;gap:12px;flex-wrap:wrap}
.fig{flex:1;min-width:130px;text-align:center;background:#f3f6f9;border:1px solid #d9e2ec;
border-radius:6px;padding:8px}
.fig b{display:block;font-size:22px;color:#1f5f99}.fig span{font-size:12px;color:#7b8794}
.chart svg{width:100%;height:auto}.note{font-size:12px;color:#7b8794}
footer{font-size:11px;color:#7b8794;text-align:center;padding:12px}
"""


def department_page_name(department: str) -> str:
    return f"department-{department}.html"


def _page(title: str, subtitle: str, nav: str, body: str, generated: str) -> str:
    """``generated``: the ISO time of collection, then maybe " · " and a preliminary note."""
    stamp, _, note = generated.partition(" · ")
    as_of = tr("data as of {date}", date=stamp[:10])
    return (
        f'<!DOCTYPE html>\n<html lang="{current_language()}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p></header>"
        f"<nav>{nav}</nav><main>{body}</main>"
        f"<footer>{escape(cluster())} · {escape(as_of)}"
        f"{escape(' · ' + note) if note else ''}</footer></body></html>\n"
    )


def _nav(departments: Sequence[tuple[str, str]], here: str) -> str:
    links = [("index.html", tr("Summary"))] + [
        (department_page_name(d), title) for d, title in departments
    ]
    return "".join(
        f'<a href="{href}"{" class=here" if href == here else ""}>{escape(label)}</a>'
        for href, label in links
    )


def section(title: str, inner: str) -> str:
    """A page section under its heading; ``title`` is escaped, ``inner`` is markup."""
    return f"<section><h2>{escape(title)}</h2>{inner}</section>"


def _chart_section(title: str, svg: str) -> str:
    return section(title, f'<div class="chart">{svg}</div>')


def _table(
    heads: Sequence[str],
    rows: Sequence[tuple[str, Sequence[str]]],
    text_cols: Sequence[int] = (),
    table_id: str = "",
) -> str:
    """``rows``: (css class, cells already escaped); ``text_cols`` are left-aligned.
    ``table_id``: a sortable table with this id (the whole-store site's script sorts it)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in heads)
    body = []
    for css, cells in rows:
        tds = "".join(
            f'<td class="t">{c}</td>' if k in text_cols else f"<td>{c}</td>"
            for k, c in enumerate(cells)
        )
        body.append(f'<tr class="{css}">{tds}</tr>' if css else f"<tr>{tds}</tr>")
    opening = f'<table class="sortable" id="{table_id}">' if table_id else "<table>"
    return f"{opening}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _growth(g: GrowthFigure) -> str:
    if g.difference is None:
        return "—"
    text = f"{'+' if g.difference >= 0 else '−'}{pct(abs(g.difference))}"
    if g.ci_low is not None and g.ci_high is not None:
        text += f" <small>[{pct(g.ci_low)}; {pct(g.ci_high)}]</small>"
    return text


def _summary_section(rows: Sequence[SummaryRow], year: int) -> str:
    chart = charts.summary_chart(
        [(r.department_title, r.acceptance_percent, r.final_percent) for r in rows],
        width=640,
        height=200,
    )
    table = _table(
        [
            tr("Department"),
            tr("Acceptance, %"),
            "N",
            tr("Final, %"),
            "N",
            tr("Cohort growth"),
            tr("Matched growth"),
            tr("N matched"),
            tr("Paper / online"),
            tr("Doubt / corr."),
        ],
        [
            (
                "",
                [
                    f'<a href="{department_page_name(r.department)}">'
                    f"{escape(r.department_title)}</a>",
                    pct(r.acceptance_percent),
                    str(r.acceptance_n),
                    pct(r.final_percent),
                    str(r.final_n) if r.final_percent is not None else "—",
                    _growth(r.cohort),
                    _growth(r.matched),
                    str(r.matched.n) if r.matched.difference is not None else "—",
                    f"{r.live} / {r.remote}",
                    f"{r.flags} / {r.overrides}",
                ],
            )
            for r in rows
        ],
        text_cols=(0,),
    )
    return (
        f"<section><h2>{escape(school_year(year))}</h2>"
        f'<div class="chart">{charts.to_svg(chart, f"s{year}")}</div>{table}</section>'
    )


def index_page(data: ReportData, departments: Sequence[tuple[str, str]]) -> str:
    years = sorted({r.year for r in data.summary}, reverse=True)
    about = tr(
        "Results of the acceptance and final tests by department. Growth in percentage "
        "points, the 95 % confidence interval in brackets. Cohort: the difference of the means "
        "of everyone who took them; matched: the mean growth of the teachers who took both. "
        "Latest test: {test}.",
        test=data.test.title,
    )
    body = [section(tr("About the monitoring"), f"<p>{escape(about)}</p>")]
    body += [_summary_section([r for r in data.summary if r.year == y], y) for y in years]
    return _page(
        cluster(),
        tr("Summary by department"),
        _nav(departments, "index.html"),
        "".join(body),
        data.generated + data.preliminary(),
    )


def _figures(cells: Sequence[tuple[str, str]]) -> str:
    inner = "".join(
        f'<div class="fig"><b>{escape(v)}</b><span>{escape(k)}</span></div>' for v, k in cells
    )
    return f'<div class="figs">{inner}</div>'


def tested_department_page(
    data: ReportData, departments: Sequence[tuple[str, str]], pseudonymise: bool, salt: str = ""
) -> str:
    """The page of the department whose test is being reported: charts, items, ranking."""
    test, st = data.test, data.statistics
    body = [
        f"<section><h2>{escape(test.title)}</h2>",
        _figures(
            [
                (str(st.n), tr("teachers")),
                (f"{pct(st.mean_percent)} %", tr("mean % right")),
                (pct(st.sd_percent), tr("standard deviation")),
                ("—" if st.alpha is None else pct(st.alpha, 2), tr("reliability (α / KR-20)")),
            ]
        ),
        "</section>",
        _chart_section(
            tr("Every teacher's results over the year's stages"),
            charts.to_svg(charts.assessment_chart(data.teachers, data.stages, 640, 280), "a"),
        ),
        _chart_section(
            tr("Distribution of the results"),
            charts.to_svg(
                charts.distribution_chart(data.distribution, st.mean_percent, 640, 200), "d"
            ),
        ),
        _chart_section(
            tr("Mean result by topic"),
            charts.to_svg(
                charts.topic_chart(
                    [(t.topic, t.percent, None, t.percent < 50) for t in data.topics], 640, 180
                ),
                "t",
            ),
        ),
    ]
    alerted = {alert_key(a) for a in data.alerts}
    item_rows = []
    for item in data.items:
        shares = " ".join(
            (f"<u>{escape(k)}</u>" if k in item.key else escape(k)) + f"&nbsp;{v * 100:.0f}"
            for k, v in item.option_shares.items()
        )
        item_rows.append(
            (
                "alert" if item_key(item) in alerted else "",
                [
                    escape(item.label or str(item.source_position)),
                    escape(item.task_id),
                    escape(item.topic),
                    escape(item.key),
                    str(item.n),
                    pct(item.difficulty, 2),
                    "—" if item.discrimination is None else pct(item.discrimination, 2),
                    "—" if item.upper_lower is None else pct(item.upper_lower, 2),
                    shares,
                ],
            )
        )
    item_analysis = tr("Item analysis")
    body.append(f"<section><h2>{escape(item_analysis)}</h2>")
    note = tr(
        "P: share right; r: correlation of the task with the sum of the others; U−L: "
        "difference of the shares right in the upper and lower 27 %; the right answer "
        "underlined."
    )
    body.append(f'<p class="note">{escape(note)}</p>')
    heads = [tr("No."), tr("Task"), tr("Topic"), tr("Key"), "N", "P", "r", tr("U−L"), tr("Choices")]
    body.append(_table(heads, item_rows, (1, 2, 8)))
    if data.alerts:
        alerts_title = tr("Alerts")
        body.append(f"<h2>{escape(alerts_title)}</h2>")
        body.append(
            _table(
                [tr("Task"), tr("Kind"), tr("Description")],
                [
                    (
                        "",
                        [
                            f"{escape(a.label or str(a.source_position))} ({escape(a.task_id)})",
                            escape(alert_title(a.kind)),
                            escape(a.message),
                        ],
                    )
                    for a in data.alerts
                ],
                (1, 2),
            )
        )
    body.append("</section>")
    stage_heads = [stage_column(s.stage) for s in data.stages]
    ranking = []
    for t in data.teachers:
        who = [escape(pseudonym(t.id, salt))] if pseudonymise else [escape(t.name)]
        where = [] if pseudonymise else [escape(t.school)]
        ranking.append(
            (
                t.standing if t.standing != "middle" else "",
                [
                    str(t.rank),
                    *who,
                    *where,
                    *[pct(h.percent) for h in t.history],
                    standing_title(t.standing),
                ],
            )
        )
    heads = [tr("Place"), tr("Code") if pseudonymise else tr("Teacher")]
    heads += [] if pseudonymise else [tr("School")]
    text_cols = (1,) if pseudonymise else (1, 2)
    rule = escape(data.standing_rule.described(test.language))
    table = _table([*heads, *stage_heads, tr("Standing")], ranking, text_cols)
    body.append(section(tr("Ranking of the teachers"), f'{table}<p class="note">{rule}</p>'))
    here = department_page_name(test.department)
    return _page(
        tr("Department: {name}", name=test.department_title),
        f"{test.title} · {test.stage_title}",
        _nav(departments, here),
        "".join(body),
        data.generated + data.preliminary(),
    )


def other_department_page(
    data: ReportData, department: str, title: str, departments: Sequence[tuple[str, str]]
) -> str:
    """A department without this test: its stage means per year from the summary."""
    rows = sorted((r for r in data.summary if r.department == department), key=lambda r: -r.year)
    stage_heads = [stage_column(s.stage) for s in data.stages]
    table = _table(
        [tr("School year"), *stage_heads, tr("Cohort growth"), tr("Matched growth")],
        [
            (
                "",
                [
                    f"{r.year}/{r.year + 1}",
                    *[pct(v) for v in r.stage_means],
                    _growth(r.cohort),
                    _growth(r.matched),
                ],
            )
            for r in rows
        ],
        (0,),
    )
    body = section(tr("Mean % right by stage"), table)
    return _page(
        tr("Department: {name}", name=title),
        tr("Mean results by stage"),
        _nav(departments, department_page_name(department)),
        body,
        data.generated + data.preliminary(),
    )


def write_site(
    data: ReportData, out_dir: Path, *, pseudonymise: bool, salt: str = ""
) -> list[Path]:
    """Write ``index.html`` and one page per department into ``out_dir``, in the test's
    language."""
    with speaking(data.test.language):
        return _write_site(data, out_dir, pseudonymise=pseudonymise, salt=salt)


def _write_site(data: ReportData, out_dir: Path, *, pseudonymise: bool, salt: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    known = {r.department: r.department_title for r in data.summary}
    known.setdefault(data.test.department, data.test.department_title)
    order = [d for d in DEPARTMENT_TITLES if d in known] + sorted(
        d for d in known if d not in DEPARTMENT_TITLES
    )
    departments = [(d, known[d]) for d in order]
    written = [out_dir / "index.html"]
    written[0].write_text(index_page(data, departments), encoding="utf-8")
    for department, title in departments:
        path = out_dir / department_page_name(department)
        if department == data.test.department:
            page = tested_department_page(data, departments, pseudonymise, salt)
        else:
            page = other_department_page(data, department, title, departments)
        path.write_text(page, encoding="utf-8")
        written.append(path)
    return written
