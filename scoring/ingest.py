"""Writing to the store: roster import, result imports and overrides (one transaction each).

These are the functions the ``scoring`` CLI calls; they never print. Progress is reported
through an optional callback ``progress(event, file, done)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from common.errors import ImportFailed, InputNotFound, ToolError
from common.i18n import tr
from common.roster import load_roster
from common.vocabulary import describe_letter
from scoring.forms import TestForms, recordable_letters, typed_letters
from scoring.imports import ImportContext, parse_file
from scoring.imports.base import FORMATS, MatchNote, file_sha256
from scoring.merge import (
    ATTEMPT_CHOICES,
    PREFER_CHOICES,
    Conflict,
    SeveralAttempts,
    answer_text,
    merge_test,
)
from scoring.store import Override, Store
from testgen.manifest import Manifest, PollManifest, load_package

Progress = Callable[[str, str, int], None]
CHUNK = 500  # attempts per progress report inside a file's transaction


@dataclass(frozen=True)
class RosterImport:
    new: int
    updated: int
    unchanged: int
    problems: list[str]


def import_roster(store: Store, path: Path) -> RosterImport:
    """Upsert the roster's valid rows in one transaction; bad rows are returned, not fatal."""
    teachers, problems = load_roster(path, strict=False)
    with store.write() as con:
        new, updated = store.upsert_teachers(con, teachers)
    return RosterImport(new, updated, len(teachers) - new - updated, problems)


@dataclass
class FileImport:
    file: str
    format: str
    form: str | None
    new: int
    unchanged: int
    problems: list[str]
    notes: list[str] = field(default_factory=list)
    matches: list[MatchNote] = field(default_factory=list)
    refused: str | None = None  # why the whole file was refused (nothing of it imported)


@dataclass
class ImportReport:
    test_id: str
    prefer: str
    attempts: str = "first"
    files: list[FileImport] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    several: list[SeveralAttempts] = field(default_factory=list)

    @property
    def refused(self) -> list[FileImport]:
        return [f for f in self.files if f.refused is not None]

    @property
    def nothing_imported(self) -> bool:
        """No file gave a single attempt, new or already stored."""
        return all(f.new + f.unchanged == 0 for f in self.files)


def _check_form(form: str | None, forms: TestForms) -> None:
    if form is not None and form not in forms.index:
        names = ", ".join(f.name for f in forms.forms)
        raise ToolError(
            tr("unknown form {form!r}", form=form), hint=tr("use one of {names}", names=names)
        )


def import_files(
    store: Store,
    paths: list[Path],
    test: Path,
    *,
    fmt: str = "auto",
    prefer: str | None = None,
    attempts: str | None = None,
    form: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import result files into the store for the test package at ``test``.

    Everything is checked before the first file is written (files exist, options known);
    each file is then parsed and written in its own transaction, so a killed import loses at
    most the file in progress and the next run adds exactly what is missing. A file that
    cannot be imported as a whole (unknown format, most rows unmappable) is refused with its
    reason in the report, and the other files are imported.
    """
    package = load_package(test)
    if isinstance(package, PollManifest):
        from scoring.polls import import_poll_files  # builds on this module's report types

        return import_poll_files(store, paths, package, progress)
    manifest: Manifest = package
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise InputNotFound(tr("file not found"), where=str(missing[0]))
    if fmt != "auto" and fmt not in FORMATS:
        raise ToolError(
            tr("unknown format {fmt!r}", fmt=fmt),
            hint=tr("use auto or one of {join}", join=", ".join(FORMATS)),
        )
    if prefer is not None and prefer not in PREFER_CHOICES:
        raise ToolError(
            tr("unknown rule {prefer!r}", prefer=prefer), hint=tr("use live, remote or latest")
        )
    if attempts is not None and attempts not in ATTEMPT_CHOICES:
        raise ToolError(
            tr("unknown attempt rule {attempts!r}", attempts=attempts),
            hint=tr("use first, last or highest"),
        )
    forms = TestForms(manifest)
    _check_form(form, forms)
    store.register_test(manifest)
    test_id = manifest.test.id
    if prefer is not None or attempts is not None:
        with store.write() as con:
            store.set_rules(con, test_id, prefer=prefer, attempts=attempts)
    report = ImportReport(test_id, prefer or "live")
    _import_each(store, forms, paths, fmt, form, report, progress)
    merged = merge_test(store, test_id, forms, None)
    report.prefer = merged.prefer
    report.attempts = store.rules(test_id)[1]
    report.conflicts = merged.conflicts
    report.several = merged.several
    return report


def reimport(store: Store, test_id: str, path: Path) -> FileImport:
    """Import one file of a stored test again, e.g. after a reviewer said whom a row or
    sheet belongs to: what was there already is unchanged, what the alias now matches is
    added."""
    if not path.is_file():
        raise InputNotFound(
            tr("file not found"), where=str(path), hint=tr("it was imported from here")
        )
    forms = TestForms(store.manifest(test_id))
    report = ImportReport(test_id, store.rules(test_id)[0])
    _import_each(store, forms, [path], "auto", None, report, None)
    found = report.files[0]
    if found.refused:
        raise ImportFailed(found.refused, where=str(path))
    return found


def _import_each(
    store: Store,
    forms: TestForms,
    paths: list[Path],
    fmt: str,
    form: str | None,
    report: ImportReport,
    progress: Progress | None,
) -> None:
    test_id = forms.manifest.test.id
    ctx = ImportContext(forms, store.teachers(), form, store.aliases(test_id))
    for path in paths:
        if progress:
            progress("file", str(path), 0)
        try:
            parsed = parse_file(path, fmt, ctx)
        except ImportFailed as error:
            report.files.append(FileImport(str(path), fmt, None, 0, 0, [], refused=str(error)))
            continue
        new = unchanged = 0
        with store.write() as con:
            for start in range(0, len(parsed.records), CHUNK):
                chunk = parsed.records[start : start + CHUNK]
                n_new, n_old = store.insert_attempts(con, test_id, chunk)
                new += n_new
                unchanged += n_old
                if progress:
                    progress("rows", str(path), start + len(chunk))
            # the review imports the file again once a person has said whom a row belongs to
            origin = str(path.resolve())
            pending = [
                replace(p, record={**p.record, "import_file": origin}) for p in parsed.pending
            ]
            store.insert_pending(con, test_id, pending)
            store.log_import(
                con,
                test_id,
                str(path),
                file_sha256(path.read_bytes()),
                parsed.format,
                (new, unchanged, len(parsed.problems)),
            )
        if progress:
            progress("done", str(path), len(parsed.records))
        report.files.append(
            FileImport(
                str(path),
                parsed.format,
                parsed.form,
                new,
                unchanged,
                parsed.problems,
                parsed.notes,
                parsed.matches,
            )
        )


def resolve_test_id(store: Store, test: str) -> str:
    """A test id, or a test package folder / manifest path -> the test id in the store."""
    path = Path(test)
    if (path / "manifest.json").is_file() or (path.suffix == ".json" and path.is_file()):
        return load_package(path).package_id
    return test


def add_override(
    store: Store,
    test: str,
    teacher_id: str,
    question: int,
    answer: str,
    reason: str,
    who: str,
) -> Override:
    """Record a manual answer for one question of a teacher's merged result (audited).

    ``answer`` is printed letters (``""`` or ``"-"`` for none). The override is stored apart
    from the attempts, so re-importing files never undoes it.
    """
    test_id = resolve_test_id(store, test)
    manifest = store.manifest(test_id)
    forms = TestForms(manifest)
    if not reason.strip():
        raise ToolError(tr("an override needs a reason"), hint=tr('add --reason "..."'))
    merged = merge_test(store, test_id, forms)
    if teacher_id not in merged.teacher_ids:
        raise ToolError(
            tr(
                "teacher {teacher_id} has no result for test {test_id}",
                teacher_id=teacher_id,
                test_id=test_id,
            ),
            hint=tr("check the ID with `scoring status`"),
        )
    n = forms.n_positions
    if not 1 <= question <= n:
        raise ToolError(
            tr(
                "question {question} is not in test {test_id} (1..{n})",
                question=question,
                test_id=test_id,
                n=n,
            )
        )
    t = merged.row_of(teacher_id)
    item = forms.forms[int(merged.form_index[t])].items[question - 1]
    letters = typed_letters(answer)
    allowed = recordable_letters(manifest, item)
    wrong = [c for c in letters if c not in allowed]
    if wrong:
        raise ToolError(
            tr(
                "answer {answer!r} is not an option of question {question}: {value} is "
                "not one of its letters",
                answer=answer,
                question=question,
                value=describe_letter(wrong[0]),
            ),
            hint=tr(
                "use letters {allowed}-{allowed2}, or - for none",
                allowed=allowed[0],
                allowed2=allowed[-1],
            ),
        )
    before = answer_text(int(merged.marks[t, question - 1]), int(merged.states[t, question - 1]))
    with store.write() as con:
        return store.add_override(
            con, test_id, teacher_id, question, before, letters, who, reason.strip()
        )
