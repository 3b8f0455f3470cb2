"""The shared error hierarchy and the CLI's one-line error handling."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from common.cli import handle_errors, verbose_option
from common.errors import InputNotFound, ToolError, ValidationFailed


def test_error_message_names_where_and_hint() -> None:
    error = InputNotFound("test spec not found", where="specs/math.yaml", hint="check the path")
    assert str(error) == "specs/math.yaml: test spec not found (check the path)"
    assert error.exit_code == 2


def test_validation_failed_lists_every_problem() -> None:
    error = ValidationFailed(["a: bad", "b: worse", "c: worst"], where="x.yaml")
    assert error.problems == ["a: bad", "b: worse", "c: worst"]
    assert str(error) == "x.yaml: a: bad (and 2 more: b: worse; c: worst)"


def _group(exc: Exception) -> click.Group:
    @click.group()
    @verbose_option
    def main(verbose: bool) -> None:
        pass

    @main.command()
    @handle_errors
    def boom() -> None:
        raise exc

    return main


def test_cli_prints_one_line_and_exit_code() -> None:
    result = CliRunner().invoke(_group(InputNotFound("no such file", where="a.png")), ["boom"])
    assert result.exit_code == 2
    assert result.output == "Error: a.png: no such file\n"


def test_cli_unexpected_error_is_one_line_without_traceback() -> None:
    result = CliRunner().invoke(_group(RuntimeError("kaput")), ["boom"])
    assert result.exit_code == 70
    assert result.output.count("\n") == 1
    assert "Traceback" not in result.output
    assert "internal error RuntimeError: kaput" in result.output


def test_cli_verbose_shows_traceback() -> None:
    result = CliRunner().invoke(_group(ToolError("bad")), ["--verbose", "boom"])
    assert result.exit_code == 1
    assert "Traceback" in result.output
    assert result.output.rstrip().endswith("Error: bad")


@pytest.mark.parametrize("cls", [ToolError, InputNotFound, ValidationFailed])
def test_every_error_has_a_nonzero_exit_code(cls: type[ToolError]) -> None:
    assert cls.exit_code > 0


def test_errors_survive_pickling_across_processes() -> None:
    import pickle

    error = ValidationFailed(["a: bad", "b: worse"], where="x.yaml", hint="fix it")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ValidationFailed
    assert copy.problems == ["a: bad", "b: worse"]
    assert str(copy) == str(error)


def test_progress_in_a_log_is_plain_lines_and_a_last_one() -> None:
    import io
    import sys
    import time

    from common.cli import Progress

    captured = io.StringIO()
    saved, sys.stderr = sys.stderr, captured
    try:
        with Progress("reading", "page", every=0.05) as progress:
            progress(0, 4)
            time.sleep(0.06)
            progress(1, 4)  # a line: more than `every` since the last
            progress(2, 4)  # none: too soon
            progress(4, 4)
    finally:
        sys.stderr = saved
    lines = captured.getvalue().splitlines()
    assert [line.split(",")[0] for line in lines] == [
        "reading: 1/4 page(s) (25 %)",
        "reading: 4/4 page(s) (100 %)",
    ]
    assert all(line.endswith(" s") for line in lines)
