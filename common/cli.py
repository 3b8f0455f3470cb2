"""CLI support shared by the three command groups: one line per known error, exit codes."""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from common.errors import ExitCode, ToolError

F = TypeVar("F", bound=Callable[..., Any])


def verbose_option(func: F) -> F:
    """Add ``--verbose`` (show tracebacks) to a click group."""
    return click.option("--verbose", "-v", is_flag=True, help="Show full tracebacks for errors.")(
        func
    )


def test_package_option(func: F) -> F:
    """Add the required ``--test`` (a test package folder or its manifest.json) to a command;
    the command gets it as ``test: Path``."""
    return click.option(
        "--test",
        "test",
        required=True,
        type=click.Path(path_type=Path),
        help="Test package folder (build/<test-id>) or its manifest.json.",
    )(func)


def handle_errors(func: F) -> F:
    """Turn a :class:`ToolError` into one line on stderr and its exit code.

    An unexpected exception is reported in one line too, with a pointer to ``--verbose``;
    the traceback is shown only when the group was started with ``--verbose``.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        verbose = bool((ctx.find_root().params or {}).get("verbose"))
        try:
            return func(*args, **kwargs)
        except ToolError as error:
            if verbose:
                click.echo(traceback.format_exc(), err=True)
            click.echo(f"Error: {error}", err=True)
            ctx.exit(error.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(ExitCode.INTERRUPTED)
        except Exception as error:  # the CLI is the last line of defence
            if verbose:
                click.echo(traceback.format_exc(), err=True)
            click.echo(
                f"Error: internal error {type(error).__name__}: {error} "
                "(run again with --verbose and report it)",
                err=True,
            )
            ctx.exit(ExitCode.INTERNAL_ERROR)

    return wrapper  # type: ignore[return-value]
