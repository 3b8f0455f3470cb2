"""Turn pydantic validation errors into one message per problem, each naming its field path."""

from __future__ import annotations

from pydantic import ValidationError


def field_path(loc: tuple[int | str, ...]) -> str:
    """``("sources", "A", "tasks", 3, "options")`` -> ``sources.A.tasks[3].options``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def describe(error: ValidationError) -> list[str]:
    """One line per error: ``path: message``."""
    lines = []
    for item in error.errors():
        msg = item["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        lines.append(f"{field_path(tuple(item['loc']))}: {msg}")
    return lines
