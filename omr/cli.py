"""``omr``: read answer sheets. Thin: parse options, call one library function, print."""

from __future__ import annotations

from pathlib import Path

import click

from common.cli import Group, Progress, handle_errors, test_package_option, verbose_option
from common.errors import DoneWithProblems, NothingDone, ToolError
from common.i18n import mark, tr
from omr.batch import ScanOptions, ScanSummary, scan
from omr.imageio import MAX_PAGES
from omr.sim.capture import PROFILES


@click.group(cls=Group)
@verbose_option
def main(verbose: bool) -> None:
    """Optical reading of answer sheets: scans, photos, PDFs and electronic forms."""


def format_summary(summary: ScanSummary) -> str:
    """The end-of-run summary: counts, error lines (one per file), wall time."""
    totals = summary.totals
    lines = [
        tr("Read {pages} page(s) in {seconds:.1f} s", pages=summary.pages, seconds=summary.seconds)
        + (
            tr(
                "; skipped {skipped} already read (use --force to read again)",
                skipped=summary.skipped,
            )
            if summary.skipped
            else ""
        ),
    ]
    if totals is not None:
        lines.append(
            tr(
                "  results in {out}: {read} read, {flagged} flagged, {refused} refused, "
                "{duplicates} duplicates, {n_errors} errors",
                out=summary.out,
                read=totals.read,
                flagged=totals.flagged,
                refused=totals.refused,
                duplicates=totals.duplicates,
                n_errors=len(summary.errors),
            )
        )
        if totals.bilevel:
            lines.append(
                tr(
                    "  {bilevel} page(s) were 1-bit (black-and-white) scans, "
                    "{bilevel_flagged} of them flagged: pencil may be lost there; set the "
                    "scanner to greyscale and rescan those sheets",
                    bilevel=totals.bilevel,
                    bilevel_flagged=totals.bilevel_flagged,
                )
            )
    lines += [tr("  error: {line}", line=line) for line in summary.errors]
    return "\n".join(lines)


@main.command("scan")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@test_package_option
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("results"),
    show_default=True,
    help="Results folder: results.jsonl, results.csv, annotated/.",
)
@click.option(
    "--workers", type=click.IntRange(min=0), default=0, help="Worker processes [default: cores]."
)
@click.option("--force", is_flag=True, help="Read again pages already in the results.")
@click.option(
    "--max-pages",
    type=click.IntRange(min=1),
    default=MAX_PAGES,
    show_default=True,
    help="Most pages one input file may hold; a longer file is refused with one line.",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="tcp://HOST:8786",
    help="Read on a Dask distributed cluster instead of a local process pool.",
)
@handle_errors
def scan_command(
    inputs: tuple[Path, ...],
    test: Path,
    out: Path,
    workers: int,
    force: bool,
    max_pages: int,
    scheduler: str | None,
) -> None:
    """Read every sheet in INPUT files and folders (PNG, JPEG, TIFF, PDF, filled forms).

    A file that cannot be read is listed by name and the rest are still read; the exit code
    is then 11 (done with problems), as when a sheet is refused; 12 when nothing was read.
    """
    options = ScanOptions(list(inputs), test, out, workers, force, scheduler, max_pages)
    with Progress(mark("reading"), mark("page")) as progress:
        summary = scan(options, progress)
    click.echo(format_summary(summary))
    outcome = scan_outcome(summary)
    if outcome is not None:
        raise outcome


def scan_outcome(summary: ScanSummary) -> ToolError | None:
    """What the exit code says after the summary: nothing read at all, or some files or
    sheets not read (each listed above), or ``None`` when every sheet was read."""
    totals = summary.totals
    if summary.nothing_read:
        return NothingDone(
            tr(
                "no sheet was read: all {value} refused ({refusal})",
                value=totals.sheets if totals else 0,
                refusal=summary.refusal,
            ),
            hint=tr("check --test: the sheets must belong to that test package"),
        )
    if summary.errors and summary.pages == 0 and summary.skipped == 0:
        return NothingDone(
            tr("no page was read: all {n_errors} file(s) failed", n_errors=len(summary.errors)),
            hint=tr("see the lines above"),
        )
    refused = totals.refused if totals else 0
    if summary.errors or refused:
        parts = [tr("{n} file(s) not read", n=len(summary.errors))] if summary.errors else []
        parts += [tr("{n} sheet(s) refused", n=refused)] if refused else []
        return DoneWithProblems(
            ", ".join(parts) + tr("; every other page was read and saved"),
            hint=(
                tr("the refused sheets wait in `scoring review` after the import")
                if refused
                else None
            ),
        )
    return None


# --- `omr simulate` (the simulator's command) goes below this line -------------------------


def _respondent_ids(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> list[str] | None:
    """``--respondents``: a file with one ID per line, or IDs separated by commas."""
    if value is None:
        return None
    path = Path(value)
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise click.BadParameter(
                tr("{path}: not a UTF-8 list of IDs ({error})", path=path, error=error)
            ) from None
    elif "/" in value or path.exists():
        raise click.BadParameter(
            tr("{value}: no such file of IDs (or give IDs separated by commas)", value=value)
        )
    else:
        text = value.replace(",", "\n")
    ids = [line.strip() for line in text.splitlines() if line.strip()]
    if not ids:
        raise click.BadParameter(tr("no IDs given"))
    return ids


@main.command("simulate")
@test_package_option
@click.option(
    "--count", type=click.IntRange(min=1), default=20, show_default=True, help="Sheets to fill."
)
@click.option(
    "--profile",
    type=click.Choice(list(PROFILES)),
    default="scan",
    show_default=True,
    help="How the sheets are degraded (docs/formats.md, Simulated sheets).",
)
@click.option(
    "--seed", type=int, default=1, show_default=True, help="The same seed gives the same files."
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("simulated"),
    show_default=True,
    help="Folder for the images and truth.jsonl.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes drawing sheets.",
)
@click.option(
    "--personal",
    is_flag=True,
    help="Fill the teachers' personalised sheets (sheets-personal.pdf of a --roster build).",
)
@click.option(
    "--respondents",
    callback=_respondent_ids,
    metavar="FILE|IDS",
    help="IDs to fill, comma-separated or one per line in FILE (one sheet each; --count is "
    "then not used). With --personal, default: the first COUNT teachers.",
)
@handle_errors
def simulate_command(
    test: Path,
    count: int,
    profile: str,
    seed: int,
    out: Path,
    workers: int,
    personal: bool,
    respondents: list[str] | None,
) -> None:
    """Fill COUNT sheets of the test the way people do, degrade them, write ground truth."""
    from omr.sim.run import simulate_package

    with Progress(mark("simulating"), mark("sheet")) as progress:
        summary = simulate_package(
            test,
            count,
            profile,
            seed,
            out,
            progress,
            workers=workers,
            kind="personal" if personal else "anonymous",
            respondents=respondents,
        )
    kind = tr(" personalised") if personal else ""
    click.echo(
        tr(
            "Wrote {pages} {profile} page(s) of {count}{kind} sheet(s) to {out_dir}; "
            "ground truth in {truth}",
            pages=summary.pages,
            profile=profile,
            count=summary.count,
            kind=kind,
            out_dir=summary.out_dir,
            truth=summary.truth,
        )
    )
