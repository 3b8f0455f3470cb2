"""``scoring report``: the click command, added to the ``scoring`` group by scoring/cli.py."""

from __future__ import annotations

from pathlib import Path

import click

from common.cli import Command, Progress, handle_errors
from common.i18n import mark, tr
from scoring.options import db_option, salt_option, workers_option
from scoring.report.data import StandingRule
from scoring.report.packs import write_packs
from scoring.report.render import report_test
from scoring.report.site import SiteSummary, build_site


def _standing_rule(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return StandingRule.parse(value).text()
    except ValueError:
        raise click.BadParameter(
            tr("{value!r}: use quarter, below:60 or below:60,above:85", value=value)
        ) from None


@click.command("report", cls=Command)
@click.option(
    "--test",
    "test_id",
    required=True,
    help="Test ID in the store (e.g. math-2026-final) or its test package folder.",
)
@db_option
@click.option(
    "--out",
    "out_root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Folder for the reports; they go into <out>/<test-id>/.",
)
@click.option(
    "--pseudonymise",
    is_flag=True,
    help="Website pages show teachers by a stable code instead of name, with no IDs.",
)
@salt_option
@click.option(
    "--prefer",
    type=click.Choice(["live", "remote", "latest"]),
    default=None,
    help="Rule for teachers with both a live and a remote result (default: the stored rule).",
)
@click.option(
    "--standing",
    default=None,
    callback=_standing_rule,
    metavar="quarter|below:P[,above:Q]",
    help="Who is a leader and who lags, kept with the test: the top and bottom quarter of "
    "the ranking, or lagging under P % (leaders from Q %) [default: the stored rule].",
)
@click.option(
    "--site",
    "site",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Also bring the whole-store website in this folder up to date (as `scoring site`).",
)
@click.option(
    "--recommendations",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="CSV/XLSX of the tutors' recommendations (teacher_id or topic, text), shown in the "
    "teachers' reports.",
)
@workers_option
@click.option(
    "--allow-unresolved",
    is_flag=True,
    help="Publish although review items are open (`scoring review`); every report says so.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@handle_errors
def report_command(
    test_id: str,
    db: Path | None,
    out_root: Path,
    pseudonymise: bool,
    salt: str,
    prefer: str | None,
    standing: str | None,
    site: Path | None,
    recommendations: Path | None,
    workers: int,
    allow_unresolved: bool,
    quiet: bool,
) -> None:
    """Write every report of a test: per-teacher PDFs, department, school extracts,
    monitoring summary, website pages and CSV/XLSX exports."""
    with Progress(mark("reports"), mark("job"), quiet=quiet) as progress:
        summary = report_test(
            db,
            test_id,
            out_root,
            pseudonymise=pseudonymise,
            salt=salt,
            workers=workers,
            prefer=prefer,
            progress=progress,
            allow_unresolved=allow_unresolved,
            standing=standing,
            recommendations=recommendations,
            site=site,
        )
    click.echo(
        tr(
            "{test_id}: {teacher_pdfs} teacher reports, {schools} school extracts, "
            "department, summary, website and exports ({files} files) in {out_dir} "
            "(read {collect_seconds:.1f} s, rendered {seconds:.1f} s with {workers} "
            "workers)",
            test_id=summary.test_id,
            teacher_pdfs=summary.teacher_pdfs,
            schools=summary.schools,
            files=summary.files,
            out_dir=summary.out_dir,
            collect_seconds=summary.collect_seconds,
            seconds=summary.seconds,
            workers=summary.workers,
        )
    )
    if summary.site is not None:
        click.echo(format_site(summary.site))


def format_site(summary: SiteSummary) -> str:
    return tr(
        "Website of {tests} test(s) in {out}: {pages} pages, {written} written this time",
        tests=summary.tests,
        out=summary.out_dir,
        pages=summary.pages,
        written=summary.written,
    )


@click.command("site", cls=Command)
@db_option
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("site"),
    show_default=True,
    help="Folder of the website (brought up to date: only changed pages are written).",
)
@click.option(
    "--pseudonymise",
    is_flag=True,
    help="Teachers by a stable code instead of name; no IDs or schools on any page.",
)
@salt_option
@workers_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@handle_errors
def site_command(
    db: Path | None, out: Path, pseudonymise: bool, salt: str, workers: int, quiet: bool
) -> None:
    """Write one website from the whole store: Table 2 over the years, every department's
    assessment chart and ranking over all its tests, a page per test and per teacher."""
    with Progress(mark("site"), mark("test"), quiet=quiet) as progress:
        summary = build_site(
            db,
            out,
            pseudonymise=pseudonymise,
            salt=salt,
            workers=workers,
            progress=progress,
        )
    click.echo(format_site(summary))


@click.command("packs", cls=Command)
@db_option
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports") / "schools",
    show_default=True,
    help="Folder of the packs: <school>.pdf, .csv and .xlsx.",
)
@click.option("--year", type=int, default=None, help="School year [default: the latest].")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@handle_errors
def packs_command(db: Path | None, out: Path, year: int | None, quiet: bool) -> None:
    """Write one pack per school of the roster, across all departments: every teacher
    (absentees marked), the year's latest result, rank, standing, growth, weak topics."""
    with Progress(mark("packs"), mark("school"), quiet=quiet) as progress:
        summary = write_packs(db, out, year=year, progress=progress)
    click.echo(
        tr(
            "{schools} school pack(s) in {out} ({files} files; {empty} school(s) without "
            "participants)",
            schools=summary.schools,
            out=summary.out_dir,
            files=summary.files,
            empty=summary.empty,
        )
    )
