"""``scoring site``: one static website from the whole store, every department, stage and year.

- ``index.html``: Table 2 of the cluster's report, years x departments (acceptance %, final %,
  growth in points, teachers, and each department's average growth over the years);
- ``departments/<department>.html``: per year the assessment chart (every teacher's line over
  the stages held so far) and the ranking over every test taken (leaders and lagging, the
  rule printed), sortable and filterable;
- ``tests/<test id>.html``: one test: figures, distribution, topics, its ranking;
- ``tests/<test id>/<teacher>.html``: a teacher's page for that test (the file and the page
  name the teacher by ID, or by the stable code with ``pseudonymise``).

A test's pages show the year only up to that test's stage, and no page carries the time it was
written, so a re-run after a new test rewrites only what the new test changes (the index, its
department page) and adds its own pages; every earlier test page stays byte for byte the same.
Pages are written only when their text differs.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from pydantic import BaseModel

from common.files import ensure_writable_folder
from common.i18n import current_language, speaking, tr
from common.vocabulary import DEPARTMENT_TITLES, STAGE_ORDER
from scoring.poll_report import poll_html
from scoring.polls import poll_table_compared
from scoring.report import charts
from scoring.report.collect import collect
from scoring.report.data import ReportData, SummaryRow, TeacherReport, pseudonym
from scoring.report.html import CSS, section
from scoring.report.html import _table as html_table
from scoring.report.words import (
    cluster,
    department_name,
    most_used,
    of,
    pct,
    stage_column,
    standing_title,
)
from scoring.store import open_store

SCRIPT = """// sort a table by a click on its head, filter its rows by the box above it
document.querySelectorAll("table.sortable").forEach((table) => {
  const body = table.tBodies[0];
  table.querySelectorAll("th").forEach((th, col) => {
    th.tabIndex = 0;
    const sort = () => {
      const up = th.dataset.dir !== "up";
      th.dataset.dir = up ? "up" : "down";
      const key = (tr) => tr.cells[col].dataset.v ?? tr.cells[col].textContent;
      const rows = [...body.rows].sort((a, b) => {
        const x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
        const c = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y, "ru");
        return up ? c : -c;
      });
      rows.forEach((r) => body.appendChild(r));
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", (e) => { if (e.key === "Enter") sort(); });
  });
  const box = document.querySelector(`input[data-for="${table.id}"]`);
  if (box) box.addEventListener("input", () => {
    const q = box.value.toLowerCase();
    [...body.rows].forEach((r) => { r.hidden = !r.textContent.toLowerCase().includes(q); });
  });
});
"""
EXTRA_CSS = (
    "th[tabindex]{cursor:pointer}input.filter{margin:6px 0;padding:4px;width:16em}"
    ".bar{height:8px;background:#1f5f99;margin:2px 0}.bar.dept{background:#b3c2d1}"
)


class SiteSummary(BaseModel):
    schema_version: int = 1
    out_dir: str
    pages: int  # pages the site holds
    written: int  # pages written this run (new or changed)
    tests: int


@dataclass
class _Writer:
    root: Path
    written: int = 0
    pages: list[Path] = field(default_factory=list)

    def page(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        self.pages.append(path)
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            return
        path.write_text(text, encoding="utf-8")
        self.written += 1


def _page(title: str, subtitle: str, body: str, depth: int) -> str:
    up = "../" * depth
    summary = tr("Summary")
    nav = f'<a href="{up}index.html">{escape(summary)}</a>' + "".join(
        f'<a href="{up}departments/{code}.html">{escape(department_name(code))}</a>'
        for code in DEPARTMENT_TITLES
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{current_language()}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}{EXTRA_CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p></header>"
        f"<nav>{nav}</nav><main>{body}</main>"
        f"<footer>{escape(cluster())}</footer>"
        f'<script src="{up}site.js"></script></body></html>\n'
    )


def _table(
    table_id: str,
    heads: Sequence[str],
    rows: Sequence[tuple[str, Sequence[str]]],
    text_cols: Sequence[int] = (),
    filter_box: bool = True,
) -> str:
    """A sortable table (:func:`scoring.report.html._table`), with a filter box above it."""
    word = escape(tr("Filter"))
    box = (
        f'<input class="filter" data-for="{table_id}" placeholder="{word}" aria-label="{word}">'
        if filter_box
        else ""
    )
    return box + html_table(heads, rows, text_cols, table_id=table_id)


def _signed(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{'+' if value >= 0 else '−'}{pct(abs(value))}"


def table_two(summary: Sequence[SummaryRow]) -> tuple[list[int], list[list[str]]]:
    """Table 2 as text: (years, rows); a row is a department, then per year acceptance %,
    final %, growth (points), teachers at the final, and last the average yearly growth."""
    years = sorted({r.year for r in summary})
    by = {(r.department, r.year): r for r in summary}
    rows = []
    for code in DEPARTMENT_TITLES:
        if not any((code, y) in by for y in years):
            continue
        line = [department_name(code)]
        growths = []
        for year in years:
            r = by.get((code, year))
            if r is None:
                line += ["—", "—", "—", "—"]
                continue
            growth = (
                r.final_percent - r.acceptance_percent
                if r.final_percent is not None and r.acceptance_percent is not None
                else None
            )
            if growth is not None:
                growths.append(growth)
            line += [pct(r.acceptance_percent), pct(r.final_percent), _signed(growth),
                     str(r.final_n or r.acceptance_n)]  # fmt: skip
        line.append(_signed(sum(growths) / len(growths)) if growths else "—")
        rows.append(line)
    return years, rows


def _index(
    summary: Sequence[SummaryRow],
    tests: list[tuple[str, str, int, str]],
    polls: Sequence[tuple[str, int]] = (),
) -> str:
    years, rows = table_two(summary)
    heads = [tr("Department")]
    for year in years:
        heads += [
            tr("{year}: acceptance, %", year=year),
            tr("{year}: final, %", year=year),
            tr("{year}: growth, pp", year=year),
            tr("{year}: teachers", year=year),
        ]
    heads.append(tr("Mean growth per year, pp"))
    note = tr(
        "Growth: the final minus the acceptance test, in percentage points; mean growth: the "
        "mean over the years that have both tests."
    )
    table = _table("table2", heads, [("", [escape(c) for c in r]) for r in rows], (0,), False)
    body = [section(tr("Table 2. Acceptance and final test by department"),
                    f'{table}<p class="note">{escape(note)}</p>')]  # fmt: skip
    links = "".join(
        f'<li><a href="tests/{escape(tid)}.html">{escape(department_name(d))} · {year}'
        f" · {escape(stage_column(s))}</a></li>"
        for tid, d, year, s in sorted(
            tests, key=lambda t: (t[2], t[1], [str(x) for x in STAGE_ORDER].index(t[3]))
        )
    )
    body.append(section(tr("Tests"), f"<ul>{links}</ul>"))
    if polls:
        items = "".join(
            f'<li><a href="polls/{escape(pid)}.html">{escape(pid)} · {year}</a></li>'
            for pid, year in sorted(polls, key=lambda p: (p[1], p[0]))
        )
        body.append(section(tr("Teachers polls"), f"<ul>{items}</ul>"))
    return _page(tr("Monitoring of the cluster's teachers"),
                 tr("All departments, stages and years"), "".join(body), 0)  # fmt: skip


@dataclass(frozen=True)
class _Naming:
    pseudonymise: bool
    key: str

    def name(self, teacher: TeacherReport) -> str:
        return pseudonym(teacher.id, self.key) if self.pseudonymise else teacher.name

    def file(self, teacher: TeacherReport) -> str:
        return pseudonym(teacher.id, self.key) if self.pseudonymise else teacher.id


def _stage_index(data: ReportData) -> int:
    return [str(s) for s in STAGE_ORDER].index(data.test.stage)


def _upto(data: ReportData) -> ReportData:
    """The test's data with the year cut at its own stage (later stages are other pages)."""
    keep = _stage_index(data) + 1
    stages = data.stages[:keep]
    teachers = [t.model_copy(update={"history": t.history[:keep]}) for t in data.teachers]
    return data.model_copy(update={"stages": stages, "teachers": teachers})


def _ranking(data: ReportData, naming: _Naming, link: Callable[[TeacherReport], str]) -> str:
    heads = [tr("Place"), tr("Teacher")] + ([] if naming.pseudonymise else [tr("School")])
    heads += [stage_column(s.stage) for s in data.stages] + [tr("Standing")]
    rows = []
    for t in data.teachers:
        who = f'<a href="{link(t)}">{escape(naming.name(t))}</a>'
        cells = [str(t.rank), who] + ([] if naming.pseudonymise else [escape(t.school)])
        cells += [pct(h.percent) for h in t.history] + [standing_title(t.standing)]
        rows.append((t.standing if t.standing != "middle" else "", cells))
    text_cols = (1,) if naming.pseudonymise else (1, 2)
    return (
        _table(f"rank-{data.test.id}", heads, rows, text_cols)
        + f'<p class="note">{escape(data.standing_rule.described(data.test.language))}</p>'
    )


def _test_page(data: ReportData, naming: _Naming, chart: str) -> str:
    st = data.statistics
    figures = "".join(
        f'<div class="fig"><b>{escape(v)}</b><span>{escape(k)}</span></div>'
        for v, k in ((str(len(data.teachers)), tr("teachers")),
                     (pct(st.mean_percent), tr("mean result, %")))
    )  # fmt: skip
    topics = _table(
        f"topics-{data.test.id}", [tr("Topic"), tr("Tasks"), tr("Mean result, %")],
        [("", [escape(t.topic), str(t.tasks), pct(t.percent)]) for t in data.topics], (0,), False,
    )  # fmt: skip
    ranking = _ranking(data, naming, lambda t: f"{data.test.id}/{naming.file(t)}.html")
    body = (
        f'<section><div class="figs">{figures}</div></section>'
        + section(tr("Results by stage"), f'<div class="chart">{chart}</div>')
        + section(tr("Topics"), topics)
        + section(tr("Ranking of the teachers"), ranking)
    )
    title = f"{data.test.department_title}: {data.test.stage_title} {data.test.year}"
    return _page(title, data.test.title, body, 1)


def _bars(teacher: TeacherReport, data: ReportData) -> str:
    """The teacher's percent and the department mean per stage as plain HTML bars (an SVG
    chart per page would cost more than the rest of the site)."""
    rows = []
    for stage, point in zip(data.stages, teacher.history, strict=True):
        mine = point.percent
        mean = point.department_mean
        rows.append(
            f'<tr><td class="t">{escape(stage.title)}</td><td class="t" style="width:60%">'
            f'<div class="bar" style="width:{mine or 0:.0f}%"></div>'
            f'<div class="bar dept" style="width:{mean or 0:.0f}%"></div></td>'
            f"<td>{pct(mine) if mine is not None else '—'} / "
            f"{pct(mean) if mean is not None else '—'}</td></tr>"
        )
    head, both = tr("Stage"), tr("Your result and the department mean")
    return (
        f'<table class="bars"><thead><tr><th>{escape(head)}</th><th>{escape(both)}</th>'
        f"<th>%</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _teacher_page(data: ReportData, teacher: TeacherReport, naming: _Naming) -> str:
    chart = _bars(teacher, data)
    topics = _table(
        "topics", [tr("Topic"), tr("Your result, %"), tr("Department mean, %")],
        [("lagging" if t.troublesome else "", [escape(t.topic), pct(t.percent),
          pct(t.department_percent)]) for t in teacher.topics], (0,), False,
    )  # fmt: skip
    figures = "".join(
        f'<div class="fig"><b>{escape(v)}</b><span>{escape(k)}</span></div>'
        for v, k in ((pct(teacher.percent), tr("right, %")),
                     (of(teacher.rank, teacher.rank_of), tr("place in the department")),
                     (standing_title(teacher.standing, "—"), tr("standing")))
    )  # fmt: skip
    body = (
        f'<section><div class="figs">{figures}</div></section>'
        + section(tr("Over the stages of the year"), f'<div class="chart">{chart}</div>')
        + section(tr("By topic"), topics)
    )
    if teacher.recommendation:
        advice = "".join(f"<p>{escape(line)}</p>" for line in teacher.recommendation.splitlines())
        body += section(tr("The tutor's recommendations"), advice)
    return _page(naming.name(teacher), f"{data.test.title}", body, 2)


def _department_section(data: ReportData, naming: _Naming, chart: str) -> str:
    """The year of ``data``'s test on its department's page: the assessment chart and the
    ranking over every test of the year up to this one."""
    folder = f"../tests/{data.test.id}"
    ranking = _ranking(data, naming, lambda t: f"{folder}/{naming.file(t)}.html")
    year = data.test.year
    return section(
        tr("{year}: results by stage", year=year), f'<div class="chart">{chart}</div>'
    ) + section(tr("{year}: ranking over every test of the year", year=year), ranking)


def _department_page(code: str, sections: Sequence[str]) -> str:
    no_data = tr("No data.")
    nothing = f"<p>{escape(no_data)}</p>"
    return _page(tr("Department: {name}", name=department_name(code)), tr("Every test by year"),
                 "".join(sections) or nothing, 1)  # fmt: skip


@dataclass(frozen=True)
class _TestPages:
    """What one test adds to the site, made in a worker process: its pages as text, and its
    year's section for the department page (used when it is the year's latest test)."""

    test_id: str
    department: str
    year: int
    stage_index: int
    language: str
    pages: list[tuple[str, str]]  # (path inside the site, text)
    section: str
    summary: list[SummaryRow]


def _render_test(store_path: str | None, test_id: str, naming: _Naming) -> _TestPages:
    data = _upto(collect(store_path, test_id, tasks=False))
    with speaking(data.test.language):
        return _test_pages(test_id, data, naming)


def _test_pages(test_id: str, data: ReportData, naming: _Naming) -> _TestPages:
    # one chart for the test page and the department page (its id is unique on both)
    chart = charts.to_svg(charts.assessment_chart(data.teachers, data.stages), f"y{data.test.year}")
    pages = [(f"tests/{test_id}.html", _test_page(data, naming, chart))]
    pages += [
        (f"tests/{test_id}/{naming.file(t)}.html", _teacher_page(data, t, naming))
        for t in data.teachers
    ]
    return _TestPages(
        test_id=test_id,
        department=data.test.department,
        year=data.test.year,
        stage_index=_stage_index(data),
        language=data.test.language,
        pages=pages,
        section=_department_section(data, naming, chart),
        summary=data.summary,
    )


def _render_tests(
    store_path: str | None,
    test_ids: Sequence[str],
    naming: _Naming,
    workers: int,
    progress: Callable[[int, int], None] | None,
    pool: Executor | None = None,
) -> Iterator[_TestPages]:
    """Each test's pages, in ``test_ids`` order: in ``pool`` when given, else in a pool of
    ``workers`` processes when there is more than one test, else here (tests are
    independent: each is collected and rendered by itself)."""
    total = len(test_ids)
    with ExitStack() as stack:
        if pool is None and workers > 1 and total > 1:
            # "spawn" as for the reports: workers start clean whatever threads the caller runs
            pool = stack.enter_context(
                ProcessPoolExecutor(min(workers, total), multiprocessing.get_context("spawn"))
            )
        if pool is not None:
            futures = [pool.submit(_render_test, store_path, t, naming) for t in test_ids]
            pages: Iterator[_TestPages] = (f.result() for f in futures)
        else:
            pages = (_render_test(store_path, t, naming) for t in test_ids)
        for k, done in enumerate(pages, start=1):
            yield done
            if progress is not None:
                progress(k, total)


def build_site(
    store_path: str | Path | None,
    out: Path,
    *,
    pseudonymise: bool = False,
    salt: str = "",
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    pool: Executor | None = None,
) -> SiteSummary:
    """Write (or bring up to date) the whole website from the store into ``out``, the tests
    rendered by ``workers`` processes, or by ``pool``'s when given (`scoring report --site`
    lends its own)."""
    ensure_writable_folder(out)
    poll_pages: list[tuple[Path, str]] = []
    with open_store(store_path, create=False) as store:
        tests = [t for t in store.tests() if store.attempts(t[0])]
        key = salt or store.pseudonym_key()
        polls = store.polls()
        for poll_id, _year in polls:  # a poll's page holds no names: the same in both modes
            table = poll_table_compared(store, poll_id)
            language = store.poll_manifest(poll_id).poll.language
            (out / "polls").mkdir(parents=True, exist_ok=True)
            text = poll_html(table, language)
            path = out / "polls" / f"{poll_id}.html"
            poll_pages.append((path, text))
    naming = _Naming(pseudonymise, key)
    writer = _Writer(out)
    writer.page("site.js", SCRIPT)
    for path, text in poll_pages:
        writer.page(str(path.relative_to(out)), text)
    latest: dict[tuple[str, int], _TestPages] = {}
    summary: list[SummaryRow] = []
    where = None if store_path is None else str(store_path)
    for done in _render_tests(where, [t[0] for t in tests], naming, workers, progress, pool):
        summary = done.summary  # the whole store's: the same from every test
        for relative, text in done.pages:
            writer.page(relative, text)
        held = latest.get((done.department, done.year))
        if held is None or held.stage_index < done.stage_index:
            latest[(done.department, done.year)] = done
    site_language = most_used([t.language for t in latest.values()])
    for code in DEPARTMENT_TITLES:
        years = sorted((y for dep, y in latest if dep == code), reverse=True)
        own = [latest[code, y] for y in years]
        with speaking(own[0].language if own else site_language):
            page = _department_page(code, [t.section for t in own])
        writer.page(f"departments/{code}.html", page)
    with speaking(site_language):
        writer.page("index.html", _index(summary, tests, polls))
    return SiteSummary(out_dir=str(out), pages=len(writer.pages), written=writer.written,
                       tests=len(tests))  # fmt: skip
