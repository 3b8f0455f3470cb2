"""Turn pydantic validation errors into one message per problem, each naming its field path."""

from __future__ import annotations

from pydantic import ValidationError

from common.i18n import current_language, mark, tr

# pydantic's own messages by error type, as templates over the error's ``ctx``, so they can
# be shown in the user's language (pydantic speaks English only). Types not listed keep
# pydantic's English text.
PYDANTIC_MESSAGES = {
    "missing": mark("Field required"),
    "extra_forbidden": mark("Extra inputs are not permitted"),
    "string_type": mark("Input should be a valid string"),
    "int_type": mark("Input should be a valid integer"),
    "int_parsing": mark("Input should be a valid integer"),
    "int_from_float": mark("Input should be a valid integer"),
    "float_type": mark("Input should be a valid number"),
    "float_parsing": mark("Input should be a valid number"),
    "bool_type": mark("Input should be a valid boolean"),
    "bool_parsing": mark("Input should be a valid boolean"),
    "list_type": mark("Input should be a valid list"),
    "dict_type": mark("Input should be a valid dictionary"),
    "model_type": mark("Input should be a valid dictionary"),
    "greater_than": mark("Input should be greater than {gt}"),
    "greater_than_equal": mark("Input should be greater than or equal to {ge}"),
    "less_than": mark("Input should be less than {lt}"),
    "less_than_equal": mark("Input should be less than or equal to {le}"),
    "too_short": mark("should have at least {min_length} item(s), not {actual_length}"),
    "too_long": mark("should have at most {max_length} item(s), not {actual_length}"),
    "string_too_short": mark("String should have at least {min_length} character(s)"),
    "string_too_long": mark("String should have at most {max_length} character(s)"),
    "string_pattern_mismatch": mark("String should match pattern '{pattern}'"),
    "literal_error": mark("Input should be {expected}"),
    "enum": mark("Input should be {expected}"),
}


def field_path(loc: tuple[int | str, ...]) -> str:
    """``("sources", "A", "tasks", 3, "options")`` -> ``sources.A.tasks[3].options``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or tr("(top level)")


def _message(item: dict[str, object]) -> str:
    msg = str(item["msg"])
    if msg.startswith("Value error, "):  # our own validators' text, already translated
        return msg[len("Value error, ") :]
    template = PYDANTIC_MESSAGES.get(str(item["type"]))
    if template is None or current_language() == "en":
        return msg
    ctx = item.get("ctx")
    try:
        return tr(template, **(ctx if isinstance(ctx, dict) else {}))
    except (KeyError, IndexError):
        return msg


def describe(error: ValidationError) -> list[str]:
    """One line per error: ``path: message``."""
    return [f"{field_path(tuple(item['loc']))}: {_message(dict(item))}" for item in error.errors()]
