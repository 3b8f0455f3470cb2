"""Docs that cannot drift: the CLI reference is what the commands' --help says today."""

from __future__ import annotations

from pathlib import Path

from devtools.clidoc import programs, reference

ROOT = Path(__file__).resolve().parent.parent


def test_cli_reference_is_current() -> None:
    committed = (ROOT / "docs" / "cli-reference.md").read_text(encoding="utf-8")
    assert committed == reference(programs()), "docs/cli-reference.md is stale: run `make docs`"


def test_every_command_is_in_the_reference() -> None:
    text = (ROOT / "docs" / "cli-reference.md").read_text(encoding="utf-8")
    for title in ("testgen build", "omr scan", "omr simulate", "scoring import", "scoring report"):
        assert f"## `{title}`" in text


def test_readme_names_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
