"""The CLI reference (docs/cli-reference.md) generated from the commands' own ``--help``.

``tests/test_docs.py`` fails when the committed file differs from what this generates, so the
reference cannot drift; ``make docs`` (``python -m devtools.clidoc``) rewrites it.
"""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from common.errors import EXIT_MEANINGS

HEADER = (
    "# CLI reference\n\n"
    "Generated from each command's `--help` by `make docs`; do not edit by hand.\n"
)


def _commands(group: click.Command, path: list[str]) -> list[list[str]]:
    out = [path]
    if isinstance(group, click.Group):
        for name in sorted(group.commands):
            out += _commands(group.commands[name], [*path, name])
    return out


def help_text(main: click.Command, prog: str, args: list[str]) -> str:
    """What ``prog ARGS --help`` prints, at a fixed terminal width."""
    result = CliRunner().invoke(
        main, [*args, "--help"], prog_name=prog, terminal_width=100, catch_exceptions=False
    )
    return result.output.rstrip()


def reference(programs: dict[str, click.Command]) -> str:
    """Markdown: one section per command of every program, holding its ``--help``."""
    parts = [HEADER]
    for prog, main in programs.items():
        for path in _commands(main, []):
            title = " ".join([prog, *path])
            parts.append(f"\n## `{title}`\n\n```\n{help_text(main, prog, path)}\n```\n")
    parts.append(
        "\n## Exit codes\n\n"
        "0 only when everything asked was done. A command that works through a batch "
        "(`omr scan`, `scoring import`, `scoring roster import` and `scoring review --apply`) "
        "lists every file, page, sheet or row it could not do, then exits 11 "
        "when it did the rest, 12 when it did nothing. The other codes say why a command "
        "stopped before doing its work.\n\n| code | meaning |\n|---|---|\n"
    )
    parts += [f"| {int(code)} | {meaning} |\n" for code, meaning in EXIT_MEANINGS.items()]
    return "".join(parts)


def programs() -> dict[str, click.Command]:
    """The three console scripts, as ``pyproject.toml`` installs them."""
    from omr.cli import main as omr_main
    from scoring.cli import main as scoring_main
    from testgen.cli import main as testgen_main

    return {"testgen": testgen_main, "omr": omr_main, "scoring": scoring_main}


REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "cli-reference.md"

if __name__ == "__main__":
    REFERENCE.write_text(reference(programs()), encoding="utf-8")
