"""``testgen``: build test packages from specs. Thin: parse, call one library function, print."""

from __future__ import annotations

from pathlib import Path

import click

from common.cli import Group, handle_errors, verbose_option
from common.i18n import tr
from testgen.build import BuildSummary, build_test, validate_inputs
from testgen.poll import PollBuild, build_poll, is_poll, parse_poll
from testgen.spec import read_yaml


@click.group(cls=Group)
@verbose_option
def main(verbose: bool) -> None:
    """Test generation: spec (versions A and B) -> variants, keys, booklets, answer sheets."""


def format_summary(summary: BuildSummary) -> str:
    """The build summary printed by ``testgen build``: files, layouts, key agreement."""
    count = summary.variants
    lines = [
        tr(
            "Built {test_id}: {count} variants x {questions} questions, seed {seed} -> {out}",
            test_id=summary.test_id,
            count=count,
            questions=summary.questions,
            seed=summary.seed,
            out=summary.out_dir,
        ),
        tr("  files: {n}", n=len(summary.files))
        + (
            tr("; personalised sheets: {n}", n=summary.personal_sheets)
            if summary.personal_sheets
            else ""
        ),
        tr("  layouts: ")
        + ", ".join(f"{kind} {digest}" for kind, digest in summary.layout_hashes.items()),
        tr("  key agreement (printed positions with the same key letter):"),
    ]
    width = max(3, len(str(summary.questions)) + 1)
    lines.append("    " + " " * 4 + "".join(f"{f'v{v + 1}':>{width}}" for v in range(count)))
    for i in range(count):
        cells = "".join(
            f"{'-' if i == j else summary.key_agreement[i, j]:>{width}}" for j in range(count)
        )
        lines.append(f"    v{i + 1:<3}" + cells)
    neighbours = summary.neighbour_agreement()
    lines.append(
        tr("  neighbours (v, v+1): ")
        + " ".join(f"{v + 1}-{(v + 1) % count + 1}:{n}" for v, n in enumerate(neighbours))
        + tr("  (max {value} of {questions})", value=max(neighbours), questions=summary.questions)
    )
    return "\n".join(lines)


def format_poll_build(built: PollBuild) -> str:
    return "\n".join(
        [
            tr(
                "Built poll {id}: {rated} rated rows of {rows}, layout {layout} -> {out}",
                id=built.poll_id,
                rated=built.rated,
                rows=built.rows,
                layout=built.layout_hash,
                out=built.out_dir,
            ),
            *(f"  {path}" for path in built.files),
        ]
    )


@main.command()
@click.argument("spec", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--variants", default=8, show_default=True, help="Number of variants (2..26).")
@click.option("--seed", default=2011, show_default=True, help="Seed of the variant plan.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Output folder [default: build/<test id>].",
)
@click.option(
    "--roster",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Roster CSV: print a personalised sheet for every teacher of the test's department.",
)
@handle_errors
def build(spec: Path, variants: int, seed: int, out: Path | None, roster: Path | None) -> None:
    """Build the test package of SPEC: manifest, keys, booklets, sheets, forms, commentary.
    A poll spec (kind: poll) gives its rating sheet, fillable form and manifest."""
    data = read_yaml(spec)
    if is_poll(data):
        poll = parse_poll(data, where=str(spec))
        built = build_poll(poll, spec.read_bytes(), out or Path("build") / poll.id)
        click.echo(format_poll_build(built))
        return
    if out is None:
        test, _ = validate_inputs(spec, variants, None)
        out = Path("build") / test.id

    def progress(what: str, done: int, total: int) -> None:
        click.echo(f"  [{done}/{total}] {what}", err=True)

    summary = build_test(spec, out, variants=variants, seed=seed, roster=roster, progress=progress)
    click.echo(format_summary(summary))


@main.command()
@click.argument("spec", type=click.Path(path_type=Path, dir_okay=False))
@handle_errors
def validate(spec: Path) -> None:
    """Validate SPEC and list every problem; exit 0 when it is valid."""
    data = read_yaml(spec)
    if is_poll(data):
        poll = parse_poll(data, where=str(spec))
        rated = sum(1 for r in poll.rows() if r.rated)
        click.echo(
            tr(
                "{spec}: valid poll ({id}, {year}, {rated} rated parameters, scale {low}-{high})",
                spec=spec,
                id=poll.id,
                year=poll.year,
                rated=rated,
                low=poll.scale.min,
                high=poll.scale.max,
            )
        )
        return
    test, _ = validate_inputs(spec, 8, None)
    click.echo(
        tr(
            "{spec}: valid ({id}, {value}, {value2}, {task_count} tasks in versions A and B)",
            spec=spec,
            id=test.id,
            value=test.department.value,
            value2=test.stage.value,
            task_count=test.task_count,
        )
    )
