"""The language the tool speaks: Russian or English, from gettext catalogues.

Every sentence a person reads (messages, errors, ``--help``, the review page) is written in
English in the code and looked up here at the moment it is shown. The catalogues live in
``common/locale/<lang>/LC_MESSAGES/monitoring.{po,mo}``; ``make catalogues`` (``python -m
devtools.catalogues``) extracts the sentences with Babel, merges them into the ``.po`` files
and compiles the ``.mo`` files; tests check both catalogues hold every sentence.

The language is chosen, first found wins: ``--lang`` (:func:`use`), the ``MONITORING_LANG``
environment variable, the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, ``LANGUAGE``):
Russian when it is Russian, English otherwise. Reports and sheets do not follow it: they are
written in their test's own language, rendered inside :func:`speaking`.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

DOMAIN = "monitoring"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("ru", "en")
ENV = "MONITORING_LANG"
_LOCALE_VARS = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")

_chosen: ContextVar[str | None] = ContextVar("monitoring_language", default=None)


def language_of(value: str | None) -> str | None:
    """``ru``/``en`` for a language or locale name (``ru``, ``ru_RU.UTF-8``, ``ru:en``,
    ``English``, ``C``), or ``None`` when it names neither."""
    if not value:
        return None
    head = value.strip().lower().split(":")[0].split(".")[0].replace("-", "_").split("_")[0]
    if head in ("ru", "russian", "русский"):
        return "ru"
    if head in ("en", "english", "c", "posix"):
        return "en"
    return None


def language_from(env: Mapping[str, str]) -> str:
    """The language an environment asks for: ``MONITORING_LANG``, else the locale."""
    explicit = language_of(env.get(ENV))
    if explicit is not None:
        return explicit
    for name in _LOCALE_VARS:
        value = env.get(name)
        if value:
            return language_of(value) or "en"
    return "en"


def current_language() -> str:
    return _chosen.get() or language_from(os.environ)


@cache
def translations(lang: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def tr(message: str, /, **params: object) -> str:
    """``message`` translated, then (when ``params`` are given) its ``{name}`` fields filled
    from them. The one function code calls, so no ``_`` needs to be imported (``_`` is the
    throwaway name in too many unpackings). An empty message is itself (gettext would give
    the catalogue's header)."""
    if not message:
        return message
    text = translations(current_language()).gettext(message)
    return text.format(**params) if params else text


def mark(message: str) -> str:
    """``message`` itself: marks a word kept as data (a kind, a channel) for the catalogue;
    it is shown through ``tr(word)``."""
    return message


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Look messages up in ``lang`` inside the block, in this thread only: a document written
    in its test's language (``ru``/``en``; anything else is English), whatever the interface
    speaks. Unlike :func:`use` it leaves the environment and worker processes alone."""
    token = _chosen.set(language_of(lang) or "en")
    try:
        yield
    finally:
        _chosen.reset(token)


def ntr(singular: str, plural: str, n: int, /, **params: object) -> str:
    """The plural form for ``n`` (Russian has three) translated, then filled; ``n`` is also
    available to the message as ``{n}``."""
    return translations(current_language()).ngettext(singular, plural, n).format(n=n, **params)


def use(lang: str | None) -> Callable[[], None]:
    """Speak ``lang`` (``ru``/``en``; ``None``: what the environment asks for) from now on, in
    this process and the worker processes it starts, and in click's own messages (which read
    gettext's default domain). Returns the function that puts everything back."""
    resolved = language_of(lang) if lang else language_from(os.environ)
    if resolved is None:
        raise ValueError(f"unknown language {lang!r}: use ru or en")
    token = _chosen.set(resolved)
    saved = {name: os.environ.get(name) for name in (ENV, "LANGUAGE")}
    os.environ[ENV] = resolved
    os.environ["LANGUAGE"] = resolved
    previous_domain = gettext.textdomain()
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)

    def restore() -> None:
        _chosen.reset(token)
        gettext.textdomain(previous_domain)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    return restore
