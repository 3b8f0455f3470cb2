"""One exception hierarchy for the whole tool.

Every error a user can cause is a subclass of :class:`ToolError`. Each carries an exit code
and a message that says what is wrong, where (file, page, row, question) and what to do.
The CLI prints ``str(error)`` as one line and exits with ``error.exit_code``; library code
raises and never prints or exits.
"""

from __future__ import annotations


class ToolError(Exception):
    """Base of every user-facing error. ``where`` names the file, page, row or question."""

    exit_code = 1

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

    exit_code = 2


class ValidationFailed(ToolError):
    """A spec, manifest, roster or export failed validation; ``problems`` lists every error."""

    exit_code = 3

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

    exit_code = 4


class ImageError(ToolError):
    """An image or PDF page cannot be decoded or is beyond the reader's limits."""

    exit_code = 5


class SheetRefused(ToolError):
    """A sheet cannot be read against this test (wrong test, variant, layout, or unreadable)."""

    exit_code = 6


class StoreError(ToolError):
    """The results store cannot be opened, migrated or written."""

    exit_code = 7


class ImportFailed(ToolError):
    """An export file cannot be imported as a whole (unknown format, no usable rows)."""

    exit_code = 8


def _restore(cls: type[ToolError], state: dict[str, object]) -> ToolError:
    """Unpickle a :class:`ToolError` of any subclass with its attributes intact."""
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error.format())
    return error
