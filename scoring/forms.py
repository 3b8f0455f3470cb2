"""The printed forms of a test and how each maps back to source tasks.

A *form* is what a respondent answered: source version ``"A"`` or ``"B"`` as written (an
online quiz built straight from a source version) or a printed variant ``"V<n>"``. Every form
has one entry per printed position giving the source task and the option permutation, so any
answer in printed letters can be turned into source options.

Source-task columns are numbered ``0 .. 2N-1``: version A positions first, then version B
(``column = version_index * N + source_position - 1``).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from common.vocabulary import LETTERS, Version, latin_letters
from testgen.manifest import Manifest, Task

VERSIONS: tuple[Version, ...] = ("A", "B")


@dataclass(frozen=True)
class FormItem:
    """Printed position of a form -> source task. ``permutation[p]`` is the source option
    index printed at letter p; ``key`` is the correct answer in printed letters."""

    position: int
    version: str
    source_position: int
    column: int
    task: Task
    permutation: tuple[int, ...]
    key: str
    points: float


@dataclass(frozen=True)
class Form:
    name: str  # "A", "B" or "V<n>"
    variant: int | None
    items: tuple[FormItem, ...]


class TestForms:
    """All forms of one manifest, with lookup tables for vectorised scoring."""

    __test__ = False  # not a pytest test class

    def __init__(self, manifest: Manifest):
        self.manifest = manifest
        self.n_positions = len(manifest.sources["A"].tasks)
        forms: list[Form] = []
        for version in VERSIONS:
            items = []
            for k, task in enumerate(manifest.sources[version].tasks):
                perm = tuple(range(len(task.options)))
                items.append(
                    FormItem(
                        k + 1,
                        version,
                        k + 1,
                        self.column(version, k + 1),
                        task,
                        perm,
                        task.correct,
                        task.points,
                    )
                )
            forms.append(Form(version, None, tuple(items)))
        for variant in manifest.variants:
            items = [
                FormItem(
                    it.position,
                    it.version,
                    it.source_position,
                    self.column(it.version, it.source_position),
                    manifest.source_task(it.version, it.source_position),
                    tuple(it.permutation),
                    it.key,
                    it.points,
                )
                for it in sorted(variant.items, key=lambda i: i.position)
            ]
            forms.append(Form(f"V{variant.number}", variant.number, tuple(items)))
        self.forms: tuple[Form, ...] = tuple(forms)
        self.index: dict[str, int] = {f.name: i for i, f in enumerate(forms)}

    def column(self, version: str, source_position: int) -> int:
        return VERSIONS.index(version) * self.n_positions + source_position - 1

    @property
    def n_columns(self) -> int:
        return 2 * self.n_positions

    def form(self, name: str) -> Form:
        return self.forms[self.index[name]]

    @cached_property
    def column_tasks(self) -> tuple[Task, ...]:
        """Source task of every column, shape (2N,)."""
        return tuple(t for v in VERSIONS for t in self.manifest.sources[v].tasks)

    @cached_property
    def column_labels(self) -> tuple[str, ...]:
        """``"A7"``-style label of every column."""
        n = self.n_positions
        return tuple(f"{v}{k + 1}" for v in VERSIONS for k in range(n))

    @cached_property
    def column_key_mask(self) -> np.ndarray:
        """Bitmask of the correct source options per column, shape (2N,), int16."""
        return np.array(
            [sum(1 << i for i in t.correct_indices) for t in self.column_tasks], dtype=np.int16
        )

    @cached_property
    def column_points(self) -> np.ndarray:
        """Points of every column, shape (2N,), float64."""
        return np.array([t.points for t in self.column_tasks], dtype=np.float64)

    @cached_property
    def column_n_options(self) -> np.ndarray:
        return np.array([len(t.options) for t in self.column_tasks], dtype=np.int16)

    @cached_property
    def position_column(self) -> np.ndarray:
        """Source column of each printed position per form, shape (F, N), int32."""
        return np.array([[it.column for it in f.items] for f in self.forms], dtype=np.int32)

    @cached_property
    def mask_lut(self) -> np.ndarray:
        """Printed-letter bitmask -> source-option bitmask, shape (F, N, 256), int16.

        ``mask_lut[f, q, m]`` is the source mask of printed mask ``m`` at position q+1 of
        form f; bits beyond the task's options are dropped (they cannot be printed).
        """
        lut = np.zeros((len(self.forms), self.n_positions, 256), dtype=np.int16)
        masks = np.arange(256)
        for f, form in enumerate(self.forms):
            for q, item in enumerate(form.items):
                out = np.zeros(256, dtype=np.int16)
                for p, src in enumerate(item.permutation):
                    out |= (((masks >> p) & 1) << src).astype(np.int16)
                lut[f, q] = out
        return lut


# -- option text matching ---------------------------------------------------------------

_QUOTES = str.maketrans("", "", "\"'«»“”„‘’`‚‹›")
_MARKUP = re.compile(r"\*\*|\*|\^\{|_\{|[{}]")
# Minus, hyphens and dashes that editors, Word and Moodle put where a tutor typed "-".
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"})
_TAGS = re.compile(r"<[^>]{0,200}>")
AMBIGUOUS = -1  # option_index value of a text that two options of one task share


def normalise_text(text: str) -> str:
    """Compare option texts the way a person would: HTML tags and entities dropped, Unicode
    NFKC (no-break and narrow spaces become spaces), every dash and minus a hyphen, ё as е,
    no quotes, no spec markup, whitespace collapsed, case folded, a trailing full stop
    dropped."""
    if "<" in text or "&" in text:
        text = html.unescape(_TAGS.sub("", text))
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    text = _MARKUP.sub("", text).translate(_QUOTES)
    text = " ".join(text.split()).casefold().replace("ё", "е")
    return text.rstrip(".").strip()


def option_index(task: Task) -> dict[str, int]:
    """Normalised option text -> source option index (:data:`AMBIGUOUS` when two options of
    the task read the same once normalised)."""
    index: dict[str, int] = {}
    for i, option in enumerate(task.options):
        key = normalise_text(option.text)
        index[key] = AMBIGUOUS if key in index else i
    return index


def printed_letters(item: FormItem, source_indices: list[int]) -> str:
    """Source option indices -> printed letters of ``item``, sorted."""
    inverse = {src: p for p, src in enumerate(item.permutation)}
    return "".join(sorted(LETTERS[inverse[i]] for i in source_indices))


def typed_letters(text: str) -> str:
    """Letters a person typed as an answer, as recorded: Latin (Cyrillic look-alikes and case
    folded), commas and spaces dropped, sorted, once each; ``""`` or ``-`` is none."""
    letters = latin_letters(text.strip()).replace(",", "").replace(" ", "")
    return "" if letters in ("", "-") else "".join(sorted(set(letters)))


def recordable_letters(manifest: Manifest, item: FormItem) -> str:
    """The letters a reviewer may record for ``item``: a sheet prints as many bubbles as the
    test's largest task has options, so a teacher can mark E on a four-option task (it is
    recorded as on the sheet, and scores wrong)."""
    printed = max((len(layout.options) for layout in manifest.layouts.values()), default=0)
    return LETTERS[: max(len(item.task.options), printed)]
