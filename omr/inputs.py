"""Turn the user's inputs (files and folders) into page jobs, cheaply, in the coordinator.

Only headers are read here (page counts, form fields); decoding and rasterising happen in the
workers. A file that cannot even be planned (empty, unreadable, not an image) becomes one error
line and the rest of the batch goes on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from common.errors import ImageError, InputNotFound, OutputError, ToolError
from common.i18n import tr
from omr.esheet import pdf_outline
from omr.imageio import (
    DEFAULT_LIMITS,
    IMAGE_SUFFIXES,
    PDF_SUFFIXES,
    Limits,
    map_file,
    page_count,
    sniff,
)

JobKind = Literal["image", "pdf", "form"]


@dataclass(frozen=True)
class Job:
    """One page to read. ``file`` is the path as the user named it (it goes in the results);
    ``path`` is absolute, for workers started elsewhere."""

    file: str
    path: str
    page: int
    sha256: str
    kind: JobKind


@dataclass(frozen=True)
class PlanError:
    file: str
    message: str


def discover(inputs: Iterable[Path], exclude: Path | None = None) -> list[Path]:
    """Files named directly, plus every non-hidden file under named folders (sorted).

    Raises :class:`InputNotFound` naming every input that does not exist.
    """
    inputs = list(inputs)
    missing = [str(p) for p in inputs if not p.exists()]
    if missing:
        raise InputNotFound(
            tr("input not found: ") + ", ".join(missing), hint=tr("name scan files or folders")
        )
    skip = exclude.resolve() if exclude is not None else None
    if skip is not None:
        for item in inputs:
            if item.is_dir() and skip.is_relative_to(item.resolve()):
                raise OutputError(
                    tr(
                        "the results folder {exclude} is inside the input folder {item}",
                        exclude=exclude,
                        item=item,
                    ),
                    hint=tr("choose an --out folder outside the scans"),
                )
            if item.resolve().is_relative_to(skip):
                raise OutputError(
                    tr(
                        "the input {item} is inside the results folder {exclude}",
                        item=item,
                        exclude=exclude,
                    ),
                    hint=tr("choose an --out folder outside the scans"),
                )
    files: list[Path] = []
    seen: set[Path] = set()
    for item in inputs:
        candidates = [item] if not item.is_dir() else sorted(item.rglob("*"))
        for path in candidates:
            # folders are walked; anything else (a pipe, a device) is planned and refused
            if path.is_dir() or (item.is_dir() and _hidden(path.relative_to(item))):
                continue
            resolved = path.resolve()
            if skip is not None and resolved.is_relative_to(skip):
                continue
            if resolved not in seen:
                seen.add(resolved)
                files.append(path)
    return files


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def page_sha(file_sha: str, page: int, pages: int) -> str:
    """Content hash of one page: the file's hash for one-page files, else file hash + page."""
    if pages == 1:
        return file_sha
    return hashlib.sha256(f"{file_sha}:{page}".encode()).hexdigest()


def _pdf_plan(path: Path, where: str) -> tuple[JobKind, int]:
    is_esheet, pages = pdf_outline(path, where)
    return ("form", 1) if is_esheet else ("pdf", pages)


def plan_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> list[Job]:
    """The page jobs of one file; raises :class:`ToolError` when it cannot be read at all."""
    where = str(path)
    with map_file(path, limits) as data:
        kind_name = sniff(data[:1024])
        if kind_name is None:
            known = IMAGE_SUFFIXES | PDF_SUFFIXES
            if path.suffix.lower() in known:
                raise ImageError(
                    tr(
                        "damaged: the content is not {upper} data",
                        upper=path.suffix.lower()[1:].upper(),
                    ),
                    where=where,
                    hint=tr("rescan or re-export it"),
                )
            raise ImageError(tr("not a PNG, JPEG, TIFF or PDF file"), where=where)
        kind: JobKind
        if kind_name == "pdf":
            kind, pages = _pdf_plan(path, where)
        else:
            kind, pages = "image", page_count(data, where)
        if pages > limits.max_pages:
            raise ImageError(
                tr(
                    "the file has {pages} pages, more than the {max_pages} one file may hold",
                    pages=pages,
                    max_pages=limits.max_pages,
                ),
                where=where,
                hint=tr("split it, or raise the limit with --max-pages"),
            )
        file_sha = hashlib.sha256(data).hexdigest()
    absolute = str(path.resolve())
    return [
        Job(where, absolute, page, page_sha(file_sha, page, pages), kind)
        for page in range(1, pages + 1)
    ]


def plan(files: Iterable[Path], limits: Limits = DEFAULT_LIMITS) -> Iterator[Job | PlanError]:
    """Jobs of every file in order; a file that cannot be planned yields one :class:`PlanError`."""
    for path in files:
        try:
            yield from plan_file(path, limits)
        except ToolError as error:
            hint = f" ({error.hint})" if error.hint else ""
            yield PlanError(str(path), error.message + hint)
        except (OSError, MemoryError, RecursionError) as error:
            # one unreadable file is that file's error line; the batch goes on
            yield PlanError(str(path), f"cannot be read ({type(error).__name__}: {error})")
