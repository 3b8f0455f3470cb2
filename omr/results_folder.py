"""The results folder: ``results.jsonl`` (appended as sheets finish), ``results.csv`` and
``annotated/``. Only the coordinator calls this module.

Resuming: a record is appended and flushed the moment its sheet is read, so a killed run loses
at most the sheets in flight; the next run skips every page whose content hash is already
there. At the end of a run the folder is *finalised*: the latest record per (file, page) is
kept, duplicates are resolved (each page in a conflict gets an annotated image naming the
conflict, even one that read well), and ``results.jsonl`` (sorted by file and page, so a local pool
and a Dask cluster write identical files) and ``results.csv`` are rewritten atomically.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from common.errors import OutputError
from common.files import ensure_writable_folder
from common.i18n import tr
from common.spreadsheet import Cell, neutralise
from omr.results import BILEVEL_FLAG, SheetResult
from testgen.manifest import SheetPackage

RESULTS_JSONL = "results.jsonl"
RESULTS_CSV = "results.csv"
ANNOTATED_DIR = "annotated"
CROPS_DIR = "crops"
DUPLICATE_FLAG = "duplicate of"
CONFLICT_FLAG = "conflict:"

Key = tuple[str, int]
# a page's final record -> its annotated JPEG, or None when the page cannot be pictured
Annotator = Callable[[SheetResult], bytes | None]


LOCK_FILE = ".scan.lock"


@contextmanager
def folder_lock(out: Path) -> Iterator[None]:
    """Hold the results folder for one ``omr scan`` at a time (an OS lock, released by the
    kernel when the process ends, even by ``kill -9``): two scans appending to one
    ``results.jsonl`` would lose each other's pages at finalisation."""
    path = out / LOCK_FILE
    try:
        handle = path.open("a+")
    except OSError as error:
        raise OutputError(
            tr("cannot lock the results folder ({strerror})", strerror=error.strerror),
            where=str(out),
        ) from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            raise OutputError(
                tr("another `omr scan` is writing to this results folder")
                + (tr(" (process {holder})", holder=holder) if holder else ""),
                where=str(out),
                hint=tr("wait for it to finish, or choose another --out"),
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


def ensure_folder(out: Path) -> None:
    """Create the output folder and prove it is writable, before any page is read."""
    ensure_writable_folder(out)


def load_results(out: Path) -> dict[Key, SheetResult]:
    """Records already in ``results.jsonl``, the latest per (file, page).

    A line that does not parse (the last line of a killed run) is ignored: that page is
    simply read again.
    """
    path = out / RESULTS_JSONL
    records: dict[Key, SheetResult] = {}
    if not path.is_file():
        return records
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                record = SheetResult.model_validate_json(line)
            except ValidationError:
                continue
            records[(record.source.file, record.source.page)] = record
    return records


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


class Appender:
    """Appends one JSON line per finished sheet and writes annotated images."""

    def __init__(self, out: Path):
        self.out = out
        path = out / RESULTS_JSONL
        # a killed run may have left half a line: start on a fresh one so no record is lost
        torn = path.is_file() and path.stat().st_size > 0 and not _ends_with_newline(path)
        self._handle: IO[str] = path.open("a", encoding="utf-8")
        if torn:
            self._handle.write("\n")

    def add(
        self,
        result: SheetResult,
        annotated: bytes | None,
        crops: dict[str, bytes] | None = None,
    ) -> None:
        """Write the page's pictures, then its line (which names them)."""
        evidence = dict(result.evidence)
        if annotated:
            evidence["page"] = write_annotation(self.out, result, annotated)
        for key, data in (crops or {}).items():
            if data:
                evidence[key] = write_crop(self.out, result, key, data)
        if evidence != result.evidence:
            result = result.model_copy(update={"evidence": evidence})
        self._handle.write(result.model_dump_json() + "\n")
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> Appender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def annotation_name(result: SheetResult) -> str:
    """A file name for a page's annotated image: readable, unique by content hash."""
    stem = re.sub(r"[^\w.-]+", "_", Path(result.source.file).stem)[:60]
    return f"{stem}-p{result.source.page}-{result.source.sha256[:8]}.jpg"


def write_annotation(out: Path, result: SheetResult, data: bytes) -> str:
    """Write the annotated image; returns its path relative to ``out``."""
    folder = out / ANNOTATED_DIR
    folder.mkdir(exist_ok=True)
    (folder / annotation_name(result)).write_bytes(data)
    return f"{ANNOTATED_DIR}/{annotation_name(result)}"


def write_crop(out: Path, result: SheetResult, key: str, data: bytes) -> str:
    """Write one review crop (``key`` ``q7`` or ``id``); returns its path relative to ``out``."""
    folder = out / CROPS_DIR
    folder.mkdir(exist_ok=True)
    suffix = ".jpg" if data[:2] == b"\xff\xd8" else ".png"
    name = annotation_name(result).removesuffix(".jpg") + f"-{key}{suffix}"
    (folder / name).write_bytes(data)
    return f"{CROPS_DIR}/{name}"


def _marks(result: SheetResult) -> list[tuple[int, str, str]]:
    return [(q.position, q.state, q.letters) for q in result.questions]


def _reset(result: SheetResult) -> SheetResult:
    """Drop what a previous finalisation derived, so it is derived afresh and never stacks."""
    flags = [f for f in result.flags if not f.startswith((DUPLICATE_FLAG, CONFLICT_FLAG))]
    status = result.status if result.status == "refused" else ("flagged" if flags else "ok")
    return result.model_copy(update={"flags": flags, "status": status, "duplicate_of": None})


def resolve_duplicates(records: list[SheetResult]) -> list[SheetResult]:
    """Mark sheets read twice. Records must be in (file, page) order; the first is primary.

    The same sheet is recognised by test, variant, sheet page and respondent (or, when those
    are unknown, by identical content). A copy with the same marks as an earlier one gets
    ``duplicate_of`` and counts once. Copies with different marks are all kept, each flagged
    as a conflict naming the others.
    """
    records = [_reset(r) for r in records]
    groups: dict[tuple, list[int]] = defaultdict(list)
    for index, r in enumerate(records):
        if r.status != "refused" and r.respondent and r.test_id is not None:
            key: tuple = ("sheet", r.test_id, r.variant, r.sheet_page, r.respondent)
        else:
            key = ("content", r.source.sha256)
        groups[key].append(index)
    for members in groups.values():
        if len(members) < 2:
            continue
        # each distinct reading is kept once; a repeat of one already seen is a duplicate
        kept: list[int] = []
        for i in members:
            first = next((k for k in kept if _marks(records[k]) == _marks(records[i])), None)
            if first is None:
                kept.append(i)
                continue
            origin = records[first].source
            records[i] = records[i].model_copy(
                update={
                    "duplicate_of": origin,
                    "flags": [
                        *records[i].flags,
                        f"{DUPLICATE_FLAG} {origin.file} p.{origin.page} (same marks)",
                    ],
                }
            )
        if len(kept) < 2:
            continue
        primary = records[kept[0]].source
        names = [f"{records[i].source.file} p.{records[i].source.page}" for i in kept]
        for position, i in enumerate(kept):
            r = records[i]
            others = ", ".join(n for k, n in enumerate(names) if k != position)
            records[i] = r.model_copy(
                update={
                    "duplicate_of": primary if position else None,
                    "status": "flagged" if r.status != "refused" else "refused",
                    "flags": [
                        *r.flags,
                        f"{CONFLICT_FLAG} same sheet scanned again with different marks ({others})",
                    ],
                }
            )
    return records


def is_plain_duplicate(result: SheetResult) -> bool:
    """A second copy with the same marks: it adds nothing and is left out of results.csv."""
    return result.duplicate_of is not None and not is_conflict(result)


def csv_text(records: list[SheetResult], questions: int) -> str:
    """``file,page,test,variant,respondent,status,reason,q1..qN`` in printed letters:
    ``AC`` multiple, empty blank, ``?`` ambiguous."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    head = ["file", "page", "test", "variant", "respondent", "status", "reason"]
    writer.writerow(head + [f"q{i}" for i in range(1, questions + 1)])
    for r in records:
        if is_plain_duplicate(r):
            continue
        answers = r.answers()
        reason = r.reason or "; ".join(r.flags)
        cells: list[Cell] = [
            r.source.file,
            r.source.page,
            r.test_id or "",
            r.variant if r.variant is not None else "",
            r.respondent or "",
            r.status,
            reason,
            *[answers.get(i, "") for i in range(1, questions + 1)],
        ]
        # file names, QR and form contents are outside text: never a formula in a spreadsheet
        writer.writerow([neutralise(c) for c in cells])
    return buffer.getvalue()


def _atomic_write(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8", newline="")
    os.replace(temporary, path)


@dataclass(frozen=True)
class Totals:
    """Counts over the whole results folder after finalising."""

    sheets: int
    read: int
    flagged: int
    refused: int
    duplicates: int
    bilevel: int = 0  # pages read from 1-bit scans
    bilevel_flagged: int = 0  # ... of them flagged because pencil may be lost


def is_conflict(result: SheetResult) -> bool:
    return any(f.startswith(CONFLICT_FLAG) for f in result.flags)


def _conflict_first(result: SheetResult) -> SheetResult:
    """The record with its conflict flag first, so an image header shows it whatever else
    the page was flagged for."""
    flags = sorted(result.flags, key=lambda f: not f.startswith(CONFLICT_FLAG))
    return result.model_copy(update={"flags": flags})


def finalise(out: Path, manifest: SheetPackage, annotate: Annotator | None = None) -> Totals:
    """Rewrite ``results.jsonl`` sorted with duplicates resolved, and ``results.csv``.

    With ``annotate``, every page in a duplicate conflict gets (or has rewritten) its annotated
    image headed by the conflict, so a reviewer can set the copies side by side: a conflict is
    only known now, after pages that each read well. A page ``annotate`` cannot picture (its
    file gone since) keeps its record and simply has no new image.
    """
    loaded = load_results(out)
    records = resolve_duplicates([loaded[k] for k in sorted(loaded)])
    if annotate is not None:
        for k, record in enumerate(records):
            if not is_conflict(record):
                continue
            picture = annotate(_conflict_first(record))
            if picture:
                evidence = {**record.evidence, "page": write_annotation(out, record, picture)}
                records[k] = record.model_copy(update={"evidence": evidence})
    _atomic_write(out / RESULTS_JSONL, "".join(r.model_dump_json() + "\n" for r in records))
    questions = max((layout.questions for layout in manifest.layouts.values()), default=0)
    _atomic_write(out / RESULTS_CSV, csv_text(records, questions))
    plain = [r for r in records if not is_plain_duplicate(r)]
    return Totals(
        sheets=len(records),
        read=sum(r.status == "ok" for r in plain),
        flagged=sum(r.status == "flagged" for r in plain),
        refused=sum(r.status == "refused" for r in plain),
        duplicates=len(records) - len(plain),
        bilevel=sum(r.bilevel for r in plain),
        bilevel_flagged=sum(BILEVEL_FLAG in r.flags for r in plain),
    )
