"""``results.jsonl`` from ``omr scan``: one :class:`omr.results.SheetResult` per sheet page.

Scanned sheets are *live* results; sheets filled electronically (``channel: electronic``) are
*remote*. Refused sheets, sheets of another test, duplicates of an already read sheet and
sheets without a known respondent are listed and skipped; flagged sheets are imported with
their flags (the ambiguous questions score as wrong until overridden).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from common.validation import describe
from omr.results import SheetResult
from scoring.imports._table import decode_text
from scoring.imports.base import Identity, ImportContext, ParsedFile
from scoring.store import AttemptRecord


def parse_omr(path: Path, ctx: ImportContext) -> ParsedFile:
    data = path.read_bytes()
    records: list[AttemptRecord] = []
    problems: list[str] = []
    n = ctx.forms.n_positions
    for line_no, line in enumerate(decode_text(data, str(path)).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}: line {line_no}"
        try:
            sheet = SheetResult.model_validate_json(line)
        except ValidationError as error:
            problems.append(f"{where}: not a sheet result ({describe(error)[0]}), skipped")
            continue
        page = f"{sheet.source.file} page {sheet.source.page}"
        if sheet.status == "refused":
            problems.append(f"{where}: {page} was refused ({sheet.reason}), skipped")
            continue
        if sheet.test_id != ctx.test_id:
            problems.append(f"{where}: {page} is of test {sheet.test_id}, skipped")
            continue
        if sheet.duplicate_of is not None:
            dup = sheet.duplicate_of
            problems.append(f"{where}: {page} duplicates {dup.file} page {dup.page}, skipped")
            continue
        form = f"V{sheet.variant}"
        if form not in ctx.forms.index:
            problems.append(f"{where}: {page}: variant {sheet.variant} is not in the test, skipped")
            continue
        found = ctx.match(Identity(sheet.respondent))
        teacher = found.teacher_id
        if teacher is None:
            problems.append(f"{where}: {page}: {found.problem}")
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
                channel="live" if sheet.channel == "scan" else "remote",
                format="omr",
                source_file=sheet.source.file,
                source_sha256=sheet.source.sha256,
                locator=f"page {sheet.source.page}",
                fingerprint=f"omr:{sheet.source.sha256}:{sheet.source.page}",
                form=form,
                answers=tuple(answers),
                states=tuple(states),
                flags=tuple(sheet.flags),
                sheet_page=sheet.sheet_page,
            )
        )
    return ParsedFile("omr", records, problems, None)
