"""``results.jsonl`` from ``omr scan``: one :class:`omr.results.SheetResult` per sheet page.

Scanned sheets are *live* results; sheets filled electronically (``channel: electronic``) are
*remote*. Sheets of another test and duplicates of an already read sheet are listed and
skipped. Refused sheets and sheets without a known respondent are listed and kept as pending
items for the review (``scoring review``), where a person assigns or sets them aside; flagged
sheets are imported with their flags (the ambiguous questions score as wrong until settled).
The review's pictures (``evidence`` in results.jsonl, relative to the results folder) are
kept with absolute paths, with the reader's fills and confidence of the questions in doubt.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from common.i18n import tr
from common.validation import describe
from omr.results import SheetResult
from scoring.imports._table import decode_text
from scoring.imports.base import Identity, ImportContext, ParsedFile
from scoring.store import AttemptRecord, PendingRecord

SHEET_PICTURES = (".png", ".jpg", ".jpeg")  # scans a report can show as they are


def sheet_key(sheet: SheetResult) -> str:
    """The alias under which a reviewer's assignment of this very page is kept."""
    return f"sheet:{sheet.source.sha256}:{sheet.source.page}"


def _evidence(sheet: SheetResult, folder: Path) -> dict[str, object]:
    out: dict[str, object] = {k: str((folder / v).resolve()) for k, v in sheet.evidence.items()}
    scan = Path(sheet.source.file)
    if sheet.channel == "scan" and scan.suffix.lower() in SHEET_PICTURES and scan.is_file():
        out["scan"] = str(scan.resolve())  # the teacher's own sheet, for their report
    doubtful = [q for q in sheet.questions if q.state in ("ambiguous", "multiple")]
    if doubtful:
        out["fills"] = {str(q.position): q.fills for q in doubtful}
        out["confidence"] = {
            str(q.position): q.confidence for q in doubtful if q.confidence is not None
        }
    if sheet.flags:
        out["flags"] = list(sheet.flags)
    return out


def _provenance(sheet: SheetResult) -> dict[str, str]:
    """Where a sheet page came from, as attempts and pending items both record it."""
    return {
        "channel": "live" if sheet.channel == "scan" else "remote",
        "format": "omr",
        "source_file": sheet.source.file,
        "source_sha256": sheet.source.sha256,
        "locator": f"page {sheet.source.page}",
        "fingerprint": f"omr:{sheet.source.sha256}:{sheet.source.page}",
    }


def _pending(sheet: SheetResult, kind: str, reason: str, folder: Path) -> PendingRecord:
    return PendingRecord(
        kind=kind,
        **_provenance(sheet),
        reason=reason,
        identity=sheet_key(sheet),
        record=sheet.model_dump(mode="json"),
        evidence=_evidence(sheet, folder),
    )


def parse_omr(path: Path, ctx: ImportContext) -> ParsedFile:
    data = path.read_bytes()
    records: list[AttemptRecord] = []
    problems: list[str] = []
    pending: list[PendingRecord] = []
    folder = path.parent
    n = ctx.forms.n_positions
    for line_no, line in enumerate(decode_text(data, str(path)).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}: line {line_no}"
        try:
            sheet = SheetResult.model_validate_json(line)
        except ValidationError as error:
            problems.append(
                tr(
                    "{where}: not a sheet result ({value}), skipped",
                    where=where,
                    value=describe(error)[0],
                )
            )
            continue
        page = f"{sheet.source.file} page {sheet.source.page}"
        if sheet.status == "refused":
            problems.append(
                tr(
                    "{where}: {page} was refused ({reason}), for the review",
                    where=where,
                    page=page,
                    reason=sheet.reason,
                )
            )
            pending.append(_pending(sheet, "refused", sheet.reason, folder))
            continue
        if sheet.test_id != ctx.test_id:
            problems.append(
                tr(
                    "{where}: {page} is of test {test_id}, skipped",
                    where=where,
                    page=page,
                    test_id=sheet.test_id,
                )
            )
            continue
        if sheet.duplicate_of is not None:
            dup = sheet.duplicate_of
            problems.append(
                tr(
                    "{where}: {page} duplicates {file} page {page2}, skipped",
                    where=where,
                    page=page,
                    file=dup.file,
                    page2=dup.page,
                )
            )
            continue
        form = f"V{sheet.variant}"
        if form not in ctx.forms.index:
            problems.append(
                tr(
                    "{where}: {page}: variant {variant} is not in the test, skipped",
                    where=where,
                    page=page,
                    variant=sheet.variant,
                )
            )
            continue
        found = ctx.match(Identity(sheet.respondent), sheet_key(sheet))
        teacher = found.teacher_id
        if teacher is None:
            reason = found.problem if sheet.respondent else "respondent ID not read"
            problems.append(
                tr(
                    "{where}: {page}: {reason}; for the review",
                    where=where,
                    page=page,
                    reason=reason,
                )
            )
            pending.append(_pending(sheet, "respondent", reason, folder))
            continue
        answers = [""] * n
        states = ["absent"] * n
        for q in sheet.questions:
            if 1 <= q.position <= n:
                answers[q.position - 1] = "?" if q.state == "ambiguous" else q.letters
                states[q.position - 1] = q.state
        records.append(
            AttemptRecord(
                teacher_id=teacher,
                **_provenance(sheet),
                form=form,
                answers=tuple(answers),
                states=tuple(states),
                flags=tuple(sheet.flags),
                sheet_page=sheet.sheet_page,
                evidence=_evidence(sheet, folder),
            )
        )
    return ParsedFile("omr", records, problems, None, pending=pending)
