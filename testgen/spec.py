"""The test spec: a YAML file with two parallel source versions (A and B) of a test.

A spec is validated as a whole; every problem is reported at once with its field path, e.g.
``math.yaml: sources.B.tasks[3].correct: option E does not exist (task has 4 options)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from common.errors import InputNotFound, ValidationFailed
from common.i18n import tr
from common.validation import describe
from common.vocabulary import LETTERS, Department, Stage, Version, describe_letter, latin_letters

SPEC_SCHEMA_VERSION = 1


class Option(BaseModel):
    """One answer option. ``pin`` keeps it first or last in every variant."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    pin: Literal["first", "last"] | None = None


class Task(BaseModel):
    """One task of a source version. ``correct`` holds source letters (``"B"`` or ``"AC"``)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, pattern=r"^[\w.-]+$")
    topic: str = Field(min_length=1)
    stem: str = Field(min_length=1)
    image: str | None = None
    options: list[Option] = Field(min_length=2, max_length=8)
    correct: str = Field(min_length=1)
    points: float = Field(default=1.0, gt=0)
    pinned: bool = False
    group: str | None = None
    explanation: str = ""

    @field_validator("options", mode="before")
    @classmethod
    def _plain_strings(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"text": v} if isinstance(v, str | int | float) else v for v in value]
        return value

    @field_validator("options")
    @classmethod
    def _distinct_options(cls, options: list[Option]) -> list[Option]:
        seen: set[str] = set()
        for opt in options:
            key = " ".join(opt.text.split()).casefold()
            if key in seen:
                raise ValueError(tr("duplicate option text {text!r}", text=opt.text))
            seen.add(key)
        return options

    @field_validator("correct", mode="before")
    @classmethod
    def _letters(cls, value: object) -> object:
        if isinstance(value, list):
            return "".join(str(v) for v in value)
        return value

    @model_validator(mode="after")
    def _correct_exists(self) -> Task:
        letters = latin_letters(self.correct.replace(",", "").replace(" ", ""))
        if not letters or len(set(letters)) != len(letters):
            raise ValueError(
                tr("correct: {correct!r} must list distinct option letters", correct=self.correct)
            )
        for letter in letters:
            index = LETTERS.find(letter)
            if index < 0 or index >= len(self.options):
                count = len(self.options)
                raise ValueError(
                    tr(
                        "correct: option {value} does not exist (task has {count} options, "
                        "{LETTERS}-{LETTERS2})",
                        value=describe_letter(letter),
                        count=count,
                        LETTERS=LETTERS[0],
                        LETTERS2=LETTERS[count - 1],
                    )
                )
        self.correct = "".join(sorted(letters))
        firsts = [i for i, o in enumerate(self.options) if o.pin == "first"]
        lasts = [i for i, o in enumerate(self.options) if o.pin == "last"]
        if firsts and firsts != list(range(len(firsts))):
            raise ValueError(tr("options pinned first must come first in the source"))
        if lasts and lasts != list(range(len(self.options) - len(lasts), len(self.options))):
            raise ValueError(tr("options pinned last must come last in the source"))
        return self

    @property
    def correct_indices(self) -> list[int]:
        """Source option indices (0-based) of the correct options."""
        return [LETTERS.index(c) for c in self.correct]


class Group(BaseModel):
    """A passage whose tasks stay together and in their order in every variant."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, pattern=r"^[\w.-]+$")
    title: str = ""
    text: str = Field(min_length=1)


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    groups: list[Group] = Field(default_factory=list)
    tasks: list[Annotated[Task, Field()]] = Field(min_length=2)

    @model_validator(mode="after")
    def _consistent(self) -> Source:
        ids = [t.id for t in self.tasks]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(tr("duplicate task id(s): {join}", join=", ".join(dupes)))
        known = {g.id for g in self.groups}
        for index, task in enumerate(self.tasks):
            if task.group is not None and task.group not in known:
                raise ValueError(
                    tr(
                        "tasks[{index}].group: unknown group {group!r}",
                        index=index,
                        group=task.group,
                    )
                )
        # A group must be one contiguous run, so it can move as one unit.
        for group_id in known:
            where = [i for i, t in enumerate(self.tasks) if t.group == group_id]
            if where and where != list(range(where[0], where[-1] + 1)):
                raise ValueError(
                    tr("group {group_id!r}: its tasks must be contiguous", group_id=group_id)
                )
            if any(self.tasks[i].pinned for i in where):
                raise ValueError(
                    tr("group {group_id!r}: a task in a group cannot be pinned", group_id=group_id)
                )
        return self


class TestSpec(BaseModel):
    """A whole test: metadata and two parallel source versions."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][\w.-]*$")
    department: Department
    year: int = Field(ge=2000, le=2100)
    stage: Stage
    title: str = Field(min_length=1)
    language: Literal["ru", "en"] = "ru"
    instructions: str = ""
    id_digits: int = Field(default=6, ge=1, le=12)
    sources: dict[Version, Source]

    @model_validator(mode="after")
    def _parallel(self) -> TestSpec:
        if set(self.sources) != {"A", "B"}:
            raise ValueError(tr("sources: both versions A and B are required"))
        a, b = self.sources["A"].tasks, self.sources["B"].tasks
        if len(a) != len(b):
            raise ValueError(
                tr(
                    "sources: A has {n_a} tasks and B has {n_b}; they must be parallel",
                    n_a=len(a),
                    n_b=len(b),
                )
            )
        problems = []
        for k, (ta, tb) in enumerate(zip(a, b, strict=True)):
            if ta.pinned != tb.pinned:
                problems.append(tr("position {value}: pinned differs between A and B", value=k + 1))
            if (ta.group is None) != (tb.group is None):
                problems.append(tr("position {value}: grouped in one version only", value=k + 1))
        if _group_runs(a) != _group_runs(b):
            problems.append(tr("groups must cover the same positions in A and B"))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def task_count(self) -> int:
        return len(self.sources["A"].tasks)

    @property
    def max_options(self) -> int:
        return max(len(t.options) for s in self.sources.values() for t in s.tasks)


def _group_runs(tasks: list[Task]) -> list[tuple[int, int]]:
    """(start, end) of every group run, by position."""
    runs: list[tuple[int, int]] = []
    k = 0
    while k < len(tasks):
        gid = tasks[k].group
        end = k
        while gid is not None and end + 1 < len(tasks) and tasks[end + 1].group == gid:
            end += 1
        if gid is not None:
            runs.append((k, end))
        k = end + 1
    return runs


def units(spec: TestSpec) -> list[list[int]]:
    """Source positions (0-based) grouped into the units that move together when shuffling."""
    tasks = spec.sources["A"].tasks
    runs = dict(_group_runs(tasks))
    out: list[list[int]] = []
    k = 0
    while k < len(tasks):
        end = runs.get(k, k)
        out.append(list(range(k, end + 1)))
        k = end + 1
    return out


def parse_spec(data: object, *, where: str = "spec") -> TestSpec:
    """Validate an already-loaded spec mapping; raise :class:`ValidationFailed` with all errors."""
    try:
        return TestSpec.model_validate(data)
    except ValidationError as error:
        raise ValidationFailed(describe(error), where=where) from None


def load_spec(path: Path) -> TestSpec:
    """Read and validate a YAML spec file."""
    return parse_spec(read_yaml(path), where=str(path))


def read_yaml(path: Path) -> dict[str, object]:
    """A spec file's mapping (a test's or a poll's), refused with one line when it is not
    UTF-8 YAML holding a mapping of sane size."""
    if not path.is_file():
        raise InputNotFound(tr("test spec not found"), where=str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise ValidationFailed(
            [tr("not valid YAML{line}: {error}", line=line, error=error)], where=str(path)
        ) from None
    except UnicodeDecodeError:
        raise ValidationFailed([tr("not UTF-8 text")], where=str(path)) from None
    if not isinstance(data, dict):
        raise ValidationFailed([tr("a spec must be a YAML mapping")], where=str(path))
    if expanded_size(data, MAX_SPEC_VALUES) > MAX_SPEC_VALUES:
        raise ValidationFailed(
            [
                tr(
                    "the YAML expands to more than {MAX_SPEC_VALUES:,} values through its "
                    "&anchors and *aliases (an alias bomb?)",
                    MAX_SPEC_VALUES=MAX_SPEC_VALUES,
                )
            ],
            where=str(path),
        )
    return data


# A 60-task spec in two versions is a few thousand values; aliases that multiply that by
# millions are an attack on the validator, not a test.
MAX_SPEC_VALUES = 200_000


def expanded_size(data: object, limit: int) -> int:
    """How many values ``data`` holds once every YAML alias is expanded (counting stops a
    little past ``limit``). Shared nodes are sized once, so a bomb costs nothing to measure."""
    sizes: dict[int, int] = {}

    def size(node: object) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if isinstance(node, dict):
            children: list[object] = [*node.keys(), *node.values()]
        elif isinstance(node, list):
            children = node
        else:
            return 1
        total = 1
        for child in children:
            total += size(child)
            if total > limit:
                break
        sizes[key] = total
        return total

    return size(data)
