"""CLI support shared by the three command groups: one line per known error, exit codes."""

from __future__ import annotations

import functools
import inspect
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from tqdm import tqdm

from common import i18n
from common.errors import ExitCode, ToolError
from common.i18n import tr

F = TypeVar("F", bound=Callable[..., Any])


def help_key(text: str) -> str:
    """The catalogue's key for a help text: the docstring as click shows it."""
    return inspect.cleandoc(text)


@contextmanager
def _translated_help(command: click.Command, ctx: click.Context) -> Iterator[None]:
    """``command``'s help, its options' help and (for a group) its commands' one-line help in
    the current language while its page is written; the English texts are put back after,
    so every language can be shown by the same objects."""
    objects: list[Any] = [command, *command.get_params(ctx)]
    if isinstance(command, click.Group):
        objects += [command.get_command(ctx, name) for name in command.list_commands(ctx)]
    saved = [(o, o.help, getattr(o, "short_help", None)) for o in objects if o is not None]
    try:
        for o, text, short in saved:
            o.help = tr(help_key(text)) if text else text
            if short:
                o.short_help = tr(short)
        yield
    finally:
        for o, text, short in saved:
            o.help = text
            if short:
                o.short_help = short


def _help_option_now(option: click.Option | None) -> click.Option | None:
    # click makes the --help option once per command, worded in the language of that moment
    if option is not None:
        option.help = tr("Show this message and exit.")
    return option


class Command(click.Command):
    """A command whose ``--help`` speaks the current language."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return _help_option_now(super().get_help_option(ctx))

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _translated_help(self, ctx):
            super().format_help(ctx, formatter)


def _asked_language(args: Sequence[str]) -> str | None:
    """The value of ``--lang`` among the command line's arguments, if it names a language."""
    for k, arg in enumerate(args):
        value = arg.partition("=")[2] if arg.startswith("--lang=") else None
        if arg == "--lang" and k + 1 < len(args):
            value = args[k + 1]
        if value is not None and i18n.language_of(value) is not None:
            return value
    return None


class Group(click.Group):
    """A group whose ``--help`` speaks the current language, as do its commands'.

    The language is settled before click parses anything, so its own messages (a missing
    argument, a wrong choice), shown after the command's context is closed, speak it too."""

    command_class = Command
    group_class = type  # subgroups are of this class too

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return _help_option_now(super().get_help_option(ctx))

    def main(self, args: Sequence[str] | None = None, *rest: Any, **kwargs: Any) -> Any:
        given = list(sys.argv[1:] if args is None else args)
        restore = i18n.use(_asked_language(given))
        try:
            return super().main(given, *rest, **kwargs)
        finally:
            restore()

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _translated_help(self, ctx):
            super().format_help(ctx, formatter)


def _set_language(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:  # Group.main has set it already; this keeps --lang in --help
        ctx.call_on_close(i18n.use(value))


def verbose_option(func: F) -> F:
    """Add ``--verbose`` (show tracebacks) and ``--lang`` (the language of messages and help)
    to a click group."""
    func = click.option("--verbose", "-v", is_flag=True, help="Show full tracebacks for errors.")(
        func
    )
    return click.option(
        "--lang",
        type=click.Choice(i18n.LANGUAGES),
        default=None,
        is_eager=True,
        expose_value=False,
        callback=_set_language,
        help="Language of messages and help [default: MONITORING_LANG, else the locale].",
    )(func)


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
            click.echo(f"{tr(error.label)}: {error}", err=True)
            ctx.exit(error.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo(tr("Interrupted."), err=True)
            ctx.exit(ExitCode.INTERRUPTED)
        except Exception as error:  # the CLI is the last line of defence
            if verbose:
                click.echo(traceback.format_exc(), err=True)
            click.echo(
                tr(
                    "Error: internal error {kind}: {error} (run again with --verbose and "
                    "report it)",
                    kind=type(error).__name__,
                    error=error,
                ),
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
                self._bar = tqdm(total=total, unit=tr(self.unit), desc=tr(self.desc), leave=False)
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
            tr(
                "{desc}: {done}/{total} {unit}(s){share}, {seconds:.0f} s",
                desc=tr(self.desc),
                done=self._done,
                total=self._total,
                unit=tr(self.unit),
                share=share,
                seconds=now - self._started,
            ),
            err=True,
        )

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._lines and exc[0] is None:  # a long run in a log ends with its last count
            self._line(time.monotonic())
