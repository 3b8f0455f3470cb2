"""One exception hierarchy for the whole tool.

Every error a user can cause is a subclass of :class:`ToolError`. Each carries an exit code
and a message that says what is wrong, where (file, page, row, question) and what to do.
The CLI prints ``str(error)`` as one line and exits with ``error.exit_code``; library code
raises and never prints or exits.
"""

from __future__ import annotations

from enum import IntEnum

from common.i18n import mark


class ExitCode(IntEnum):
    """Every exit status of the three commands (docs/cli-reference.md lists them)."""

    OK = 0
    USER_ERROR = 1
    INPUT_NOT_FOUND = 2
    VALIDATION_FAILED = 3
    OUTPUT_ERROR = 4
    IMAGE_ERROR = 5
    SHEET_REFUSED = 6
    STORE_ERROR = 7
    IMPORT_FAILED = 8
    SCHEDULER_UNREACHABLE = 9
    UNRESOLVED = 10
    DONE_WITH_PROBLEMS = 11
    NOTHING_DONE = 12
    INTERNAL_ERROR = 70
    INTERRUPTED = 130


EXIT_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "everything asked was done",
    ExitCode.USER_ERROR: "a usage error (an option, a value, a rule)",
    ExitCode.INPUT_NOT_FOUND: "a file or folder named on the command line does not exist",
    ExitCode.VALIDATION_FAILED: "a spec, manifest or roster is invalid (every problem listed)",
    ExitCode.OUTPUT_ERROR: "the output folder or a file cannot be written",
    ExitCode.IMAGE_ERROR: "an image or PDF could not be read (the rest of the batch was)",
    ExitCode.SHEET_REFUSED: "a sheet does not belong to the test or cannot be read",
    ExitCode.STORE_ERROR: "the results store cannot be opened, migrated or written",
    ExitCode.IMPORT_FAILED: "nothing was imported, or an export file was refused",
    ExitCode.SCHEDULER_UNREACHABLE: "the Dask scheduler named by --scheduler cannot be reached",
    ExitCode.UNRESOLVED: "items wait for a person in the review; nothing was published",
    ExitCode.DONE_WITH_PROBLEMS: "done with problems: the rest was done; the files, pages, "
    "sheets or rows that were not are listed above",
    ExitCode.NOTHING_DONE: "nothing was done: no sheet read, no row imported or applied "
    "(the reasons are listed above)",
    ExitCode.INTERNAL_ERROR: "a bug: run again with --verbose and report it",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
}


class ToolError(Exception):
    """Base of every user-facing error. ``where`` names the file, page, row or question."""

    exit_code: ExitCode = ExitCode.USER_ERROR
    label = mark("Error")  # the word before the message on stderr, shown as tr(label)

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(self.format())

    def __reduce__(self) -> tuple[object, ...]:
        # Errors cross process pools (pickled); rebuild from the attributes, not from the
        # formatted message, which subclasses with other constructors cannot take back.
        return (_restore, (type(self), self.__dict__.copy()))

    def format(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        return text


class InputNotFound(ToolError):
    """A file or folder named by the user does not exist."""

    exit_code = ExitCode.INPUT_NOT_FOUND


class ValidationFailed(ToolError):
    """A spec, manifest, roster or export failed validation; ``problems`` lists every error."""

    exit_code = ExitCode.VALIDATION_FAILED

    def __init__(self, problems: list[str], *, where: str | None = None, hint: str | None = None):
        self.problems = problems
        first = problems[0] if problems else "invalid input"
        more = (
            f" (and {len(problems) - 1} more: {'; '.join(problems[1:])})"
            if len(problems) > 1
            else ""
        )
        super().__init__(first + more, where=where, hint=hint)


class OutputError(ToolError):
    """The output folder or file cannot be written."""

    exit_code = ExitCode.OUTPUT_ERROR


class ImageError(ToolError):
    """An image or PDF page cannot be decoded or is beyond the reader's limits."""

    exit_code = ExitCode.IMAGE_ERROR


class SheetRefused(ToolError):
    """A sheet cannot be read against this test (wrong test, variant, layout, or unreadable)."""

    exit_code = ExitCode.SHEET_REFUSED


class StoreError(ToolError):
    """The results store cannot be opened, migrated or written."""

    exit_code = ExitCode.STORE_ERROR


class Unresolved(ToolError):
    """Reports were asked for while review items of the test still need a person."""

    exit_code = ExitCode.UNRESOLVED


class DoneWithProblems(ToolError):
    """A batch command did what it could, but some items (files, sheets, rows) were not done;
    each is listed in the command's report before this line."""

    exit_code = ExitCode.DONE_WITH_PROBLEMS
    label = mark("Done with problems")


class NothingDone(ToolError):
    """A batch command had items and did none of them; the reasons are in its report."""

    exit_code = ExitCode.NOTHING_DONE


class ImportFailed(ToolError):
    """An export file cannot be imported as a whole (unknown format, no usable rows)."""

    exit_code = ExitCode.IMPORT_FAILED


def _restore(cls: type[ToolError], state: dict[str, object]) -> ToolError:
    """Unpickle a :class:`ToolError` of any subclass with its attributes intact."""
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error.format())
    return error
