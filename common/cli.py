"""CLI support shared by the three command groups: one line per known error, exit codes."""

from __future__ import annotations

import functools
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from tqdm import tqdm

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
            click.echo(f"{error.label}: {error}", err=True)
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


PLAIN_EVERY_S = 5.0


class Progress:
    """Progress of a long command, on stderr: a bar on a terminal, and where the output goes
    to a log or a pipe (CI, cron, ``| tee``), a plain line every :data:`PLAIN_EVERY_S`
    seconds and, after those, one at the end, so a log shows the work moving (a run shorter
    than that prints none).

    Use it as a context manager; call it with ``(done, total)``.
    """

    def __init__(self, desc: str, unit: str, *, quiet: bool = False, every: float = PLAIN_EVERY_S):
        self.desc, self.unit, self.quiet, self.every = desc, unit, quiet, every
        self.terminal = sys.stderr.isatty()
        self._bar: Any = None
        self._started = time.monotonic()
        self._last_line = self._started
        self._done = self._total = 0
        self._lines = 0

    def __enter__(self) -> Progress:
        return self

    def __call__(self, done: int, total: int) -> None:
        self._done, self._total = done, total
        if self.quiet:
            return
        if self.terminal:
            if self._bar is None:
                self._bar = tqdm(total=total, unit=self.unit, desc=self.desc, leave=False)
            if self._bar.total != total:
                self._bar.reset(total=total)
            self._bar.n = done
            self._bar.refresh()
            return
        now = time.monotonic()
        if now - self._last_line >= self.every:
            self._last_line = now
            self._lines += 1
            self._line(now)

    def _line(self, now: float) -> None:
        share = f" ({100 * self._done / self._total:.0f} %)" if self._total else ""
        click.echo(
            f"{self.desc}: {self._done}/{self._total} {self.unit}(s){share}, "
            f"{now - self._started:.0f} s",
            err=True,
        )

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._lines and exc[0] is None:  # a long run in a log ends with its last count
            self._line(time.monotonic())
