"""The message catalogues: extract every sentence the tool shows, merge, compile, check.

``python -m devtools.catalogues`` (``make catalogues``) extracts, with Babel:
- every ``tr(...)``, ``ntr(...)`` and ``mark(...)`` string of the product packages;
- every ``tr(...)`` of the review page's templates;
- the help of every command and option of the three programs (click shows it; it is looked
  up when ``--help`` is written);
- click's own messages ("Usage:", "Missing option ..."), which click looks up in gettext's
  default domain, set to ours by :func:`common.i18n.use`;
then merges them into ``common/locale/ru/LC_MESSAGES/monitoring.po`` (new ones untranslated,
gone ones dropped), writes the English catalogue (each sentence itself) and compiles both.
``--check`` changes nothing and lists what is missing or stale (the tests run it).
"""

from __future__ import annotations

import io
import string
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import click
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from common.cli import help_key
from common.i18n import DOMAIN, LOCALE_DIR
from devtools.clidoc import programs

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("common", "testgen", "omr", "scoring")
KEYWORDS = {"tr": None, "mark": None, "ntr": (1, 2)}
TEMPLATE_KEYWORDS = {"tr": None}

MsgId = str | tuple[str, ...]
HEADER = "# Messages of the monitoring tool. Written by `make catalogues`; translate msgstr only."
STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def _from_code() -> Iterator[MsgId]:
    for package in PACKAGES:
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=(),
            strip_comment_tags=True,
        ):
            yield message
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package,
            method_map=[("**/templates/**.html", "jinja2")],
            keywords=TEMPLATE_KEYWORDS,
        ):
            yield message


def _from_help() -> Iterator[str]:
    def walk(command: click.Command) -> Iterator[str]:
        if command.help:
            yield help_key(command.help)
        if command.short_help:
            yield command.short_help
        for param in command.params:
            text = getattr(param, "help", None)
            if text:
                yield text
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                yield from walk(sub)

    for main in programs().values():
        yield from walk(main)


CLICK_DYNAMIC = ("required",)  # click translates these through a variable


def _from_click() -> Iterator[MsgId]:
    yield from CLICK_DYNAMIC
    for _file, _line, message, _comments, _context in extract_from_dir(
        Path(click.__file__).parent,
        method_map=[("**.py", "python")],
        keywords={"_": None, "ngettext": (1, 2)},
    ):
        yield message


def template() -> Catalog:
    """Every sentence the tool can show, in English, without translations."""
    catalog = Catalog(domain=DOMAIN, project="monitoring", fuzzy=False)
    for message in (*_from_code(), *_from_help(), *_from_click()):
        if message and message not in catalog:
            catalog.add(message)
    return catalog


def _po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _load(lang: str) -> Catalog:
    path = _po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, domain=DOMAIN)
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def merged(lang: str, source: Catalog) -> Catalog:
    """``lang``'s catalogue over ``source``'s sentences: English is each sentence itself;
    another language keeps what was translated and leaves the rest empty."""
    old = _load(lang)
    catalog = Catalog(
        locale=lang,
        domain=DOMAIN,
        project="monitoring",
        fuzzy=False,
        header_comment=HEADER,
        creation_date=STAMP,  # fixed, so a run that changes no sentence changes no file
        revision_date=STAMP,
    )
    for message in source:
        if not message.id:
            continue
        if lang == "en":
            text: str | tuple[str, ...] | list[str] = message.id
        else:
            previous = old.get(message.id)
            plural = isinstance(message.id, tuple)
            empty: str | tuple[str, ...] = ("",) * catalog.num_plurals if plural else ""
            text = previous.string if previous is not None and previous.string else empty
        catalog.add(message.id, text)
    return catalog


def _po_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=100, no_location=True, sort_output=True, omit_header=False)
    return out.getvalue()


def _mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _fields(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return set()


def _strings(message: Message) -> list[tuple[str, str]]:
    """(English, translation) pairs of a message, plural forms each against the plural."""
    ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
    raw = message.string
    forms = tuple(raw) if isinstance(raw, (tuple, list)) else (raw,)
    return [(str(ids[min(k, len(ids) - 1)]), str(text or "")) for k, text in enumerate(forms)]


def problems() -> list[str]:
    """What is missing or stale in the committed catalogues; empty when all is current."""
    source = template()
    found: list[str] = []
    for lang in ("en", "ru"):
        committed = _load(lang)
        wanted = {m.id for m in source if m.id}
        have = {m.id for m in committed if m.id}
        for msgid in sorted(map(str, wanted - have)):
            found.append(f"{lang}: not in the catalogue: {msgid!r}")
        for msgid in sorted(map(str, have - wanted)):
            found.append(f"{lang}: no longer used: {msgid!r}")
        for message in committed:
            if not message.id:
                continue
            for english, text in _strings(message):
                if not text:
                    found.append(f"{lang}: not translated: {english!r}")
                elif _fields(english) != _fields(text) and message.python_format is not False:
                    found.append(f"{lang}: fields differ: {english!r} -> {text!r}")
        mo = _po_path(lang).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != _mo_bytes(committed):
            found.append(f"{lang}: {mo.relative_to(ROOT)} is not compiled from the .po")
    return found


def update() -> list[str]:
    """Merge the sentences into both catalogues and compile them; returns the untranslated."""
    source = template()
    for lang in ("en", "ru"):
        catalog = merged(lang, source)
        po = _po_path(lang)
        po.parent.mkdir(parents=True, exist_ok=True)
        po.write_bytes(_po_bytes(catalog))
        with po.open("rb") as f:  # compile what was written, as the check does
            po.with_suffix(".mo").write_bytes(_mo_bytes(read_po(f, locale=lang, domain=DOMAIN)))
    return [p for p in problems() if "not translated" in p]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        found = problems()
        for line in found:
            print(line)
        return 1 if found else 0
    missing = update()
    for line in missing:
        print(line)
    print(f"catalogues written; {len(missing)} sentence(s) wait for a translation")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
