"""Filled electronic answer sheets (PDF AcroForms drawn by :mod:`testgen.esheet`), read with pypdf.

No image work: the field values are the answers. Field names are the contract in
testgen/esheet.py and docs/formats.md: ``test_identity`` (the anonymous sheet's QR payload),
``respondent_id``, ``qNN`` radio groups (value = printed letter) and ``qNN_L`` check boxes for
multi-answer questions.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pypdf

from common.errors import ImageError, SheetRefused
from common.i18n import tr
from omr.pdf import pdf_page_count
from omr.read import SOFTWARE, identify
from omr.results import ID_FLAG, QuestionRead, QuestionState, SheetResult, SourceRef
from testgen.manifest import IDENTITY_FIELD, RESPONDENT_FIELD, SheetPackage, parse_qr

# pypdf stops at its own depth limits (newer releases) or Python's recursion limit (older)
_TOO_DEEP: tuple[type[BaseException], ...] = (
    RecursionError,
    *((pypdf.errors.LimitReachedError,) if hasattr(pypdf.errors, "LimitReachedError") else ()),
)
_CHECKBOX = re.compile(r"^q(\d+)_([A-Z])$")
_RADIO = re.compile(r"^q(\d+)$")
_OFF = {"", "/Off", "Off"}
COMMENT_FIELD = "comment"  # a poll e-sheet's free text (testgen.poll_sheet)


def pdf_outline(path: Path, where: str) -> tuple[bool, int]:
    """(is a fillable answer sheet of ours, page count) of a PDF.

    pypdf is asked first (it sees form fields); an encrypted PDF is not one of our e-sheets
    and its pages are counted by PDFium, which opens the usual owner-password scans itself.
    Whatever pypdf raises on a hostile file becomes this file's :class:`ImageError`.
    """
    try:
        reader = pypdf.PdfReader(path)
        if reader.is_encrypted:
            return False, pdf_page_count(path, where)
        fields = reader.get_fields() or {}
        pages = len(reader.pages)
    except ImageError:
        raise
    except _TOO_DEEP:
        raise ImageError(tr("PDF structure is nested too deeply to read"), where=where) from None
    except Exception as error:  # pypdf raises many types (and its own) on damaged files
        raise ImageError(
            tr("PDF cannot be read: {name}: {error}", name=type(error).__name__, error=error),
            where=where,
            hint=tr("re-export it"),
        ) from None
    if pages == 0:
        raise ImageError(tr("PDF has no pages"), where=where)
    return IDENTITY_FIELD in fields, pages


def esheet_fields(data: bytes | Path, where: str) -> dict[str, str] | None:
    """Field name -> value of a PDF's form, or ``None`` when it is not one of our forms."""
    try:
        reader = pypdf.PdfReader(data if isinstance(data, Path) else io.BytesIO(data))
        fields = reader.get_fields() or {}
    except _TOO_DEEP:
        raise ImageError(tr("PDF structure is nested too deeply to read"), where=where) from None
    except Exception as error:  # pypdf raises many types (and its own) on damaged files
        raise ImageError(
            tr("PDF cannot be read: {name}: {error}", name=type(error).__name__, error=error),
            where=where,
        ) from None
    if IDENTITY_FIELD not in fields:
        return None
    out: dict[str, str] = {}
    for name, spec in fields.items():
        value = spec.get("/V")
        out[name] = "" if value is None else str(value)
    return out


def read_esheet(
    fields: dict[str, str], manifest: SheetPackage, source: SourceRef, key: bytes | None = None
) -> SheetResult:
    """One filled form -> one result (``channel="electronic"``, fills 1.0 or 0.0); the
    identity field must be signed with the package's ``key`` when its sheets are signed."""
    where = source.file
    try:
        qr = parse_qr(fields.get(IDENTITY_FIELD, ""))
        if qr is None:
            raise SheetRefused(
                tr("the form's identity field is not one of this tool's"), where=where
            )
        layout, _ = identify(manifest, qr, where, key)
    except SheetRefused as refusal:
        return SheetResult(
            source=source,
            channel="electronic",
            status="refused",
            reason=refusal.message + (f" ({refusal.hint})" if refusal.hint else ""),
            software=SOFTWARE,
        )
    chosen: dict[int, set[str]] = {}
    for name, value in fields.items():
        if match := _RADIO.match(name):
            if value not in _OFF:
                chosen.setdefault(int(match[1]), set()).add(value.lstrip("/"))
        elif (match := _CHECKBOX.match(name)) and value not in _OFF:
            chosen.setdefault(int(match[1]), set()).add(match[2])
    letters = layout.options
    questions = []
    for position in range(1, layout.questions + 1):
        picked = "".join(sorted(chosen.get(position, set()) & set(letters)))
        state: QuestionState = (
            "blank" if not picked else "marked" if len(picked) == 1 else "multiple"
        )
        questions.append(
            QuestionRead(
                position=position,
                state=state,
                letters=picked,
                fills=[1.0 if letter in picked else 0.0 for letter in letters],
            )
        )
    # a personalised e-sheet names its teacher inside the signed identity; the ID field is
    # only what the teacher typed on an anonymous one
    typed = fields.get(RESPONDENT_FIELD, "").strip() or None
    respondent = qr.respondent or typed
    flags = [] if respondent or not manifest.respondent_expected else [f"{ID_FLAG} not filled in"]
    if qr.respondent and typed and typed != qr.respondent:
        flags.append(f"the ID field says {typed}, the sheet was made for {qr.respondent}")
    return SheetResult(
        source=source,
        channel="electronic",
        status="flagged" if flags else "ok",
        flags=flags,
        test_id=qr.test_id,
        variant=qr.variant,
        sheet_page=qr.page,
        layout_hash=qr.layout_hash,
        respondent=respondent,
        respondent_source="qr" if qr.respondent else "form" if respondent else None,
        questions=questions,
        comment=fields.get(COMMENT_FIELD, "").strip() or None,
        software=SOFTWARE,
    )
