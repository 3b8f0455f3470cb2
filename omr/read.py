"""One page image -> one :class:`SheetResult`.

Order of work follows the cost figures in DESIGN.md: locate on a small copy, decode the QR in
its located box, check the sheet against the manifest (another test, an unknown variant or a
different layout is refused, never read against a default), then sample only the bubbles the
layout names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from common import __version__
from common.errors import SheetRefused
from omr.annotate import annotate
from omr.locate import Registration, locate
from omr.marks import (
    DEFAULT_RULE,
    MIN_CONTRAST,
    MarkRule,
    bubble_states,
    group_state,
    ink_black,
    measure,
)
from omr.qr import read_qr
from omr.refine import refine
from omr.results import QuestionRead, SheetResult, SourceRef
from testgen.manifest import Manifest, QRData, SheetLayout, SheetPage, parse_qr

SOFTWARE = f"omr {__version__}"


@dataclass
class PageRead:
    """A page's result and, for flagged or refused pages, an annotated JPEG of it."""

    result: SheetResult
    annotated: bytes | None = None
    marks: dict[str, list[int]] = field(default_factory=dict)


def identify(
    manifest: Manifest, qr: QRData, where: str, key: bytes | None = None
) -> tuple[SheetLayout, SheetPage]:
    """The layout and page the QR names; refuse anything that is not this build of this test,
    and, for a package whose sheets are signed, anything not signed with its ``key``."""
    if qr.test_id != manifest.test.id:
        raise SheetRefused(
            f"sheet belongs to test {qr.test_id!r}, not {manifest.test.id!r}",
            where=where,
            hint=f"scan it with --test build/{qr.test_id}",
        )
    if manifest.identity_signed and (key is None or not qr.signed_by(key)):
        raise SheetRefused(
            "the sheet's identity is not signed by this test package (its QR code or "
            "e-sheet identity was made again or edited)",
            where=where,
            hint="check the paper by hand and settle the sheet in the review",
        )
    if not any(v.number == qr.variant for v in manifest.variants):
        raise SheetRefused(
            f"variant {qr.variant} does not exist in test {manifest.test.id}",
            where=where,
            hint="check the sheet; it was not printed from this build",
        )
    layout = manifest.layouts.get(qr.layout_hash)
    if layout is None:
        raise SheetRefused(
            f"layout {qr.layout_hash} is not in this test's manifest",
            where=where,
            hint="the sheet was printed from another build of the test; use that build",
        )
    for page in layout.pages:
        if page.page == qr.page:
            return layout, page
    raise SheetRefused(f"sheet page {qr.page} does not exist in this layout", where=where)


def _reference_page(manifest: Manifest) -> tuple[SheetLayout, SheetPage]:
    """Markers and QR box are the same on every layout page; any page locates the sheet."""
    layout = next(iter(manifest.layouts.values()))
    return layout, layout.pages[0]


def _groups(page: SheetPage) -> tuple[np.ndarray, list[tuple[str, int]]]:
    """Group index per bubble and the group keys: ("q", question) or ("id", digit)."""
    keys: dict[tuple[str, int], int] = {}
    index = []
    for b in page.bubbles:
        key = ("q", b.question or 0) if b.kind == "answer" else ("id", b.digit or 0)
        index.append(keys.setdefault(key, len(keys)))
    return np.array(index, dtype=np.int64), list(keys)


@dataclass
class _Marks:
    """What the bubbles of one page said."""

    questions: list[QuestionRead]
    flags: list[str]
    respondent: str | None
    respondent_source: Literal["qr", "grid"] | None
    paper_white: float
    ink_black: float
    marks: dict[str, list[int]]  # bubble indices: "marked", "doubtful" (for the annotation)


def _respondent(
    qr: QRData, digits: dict[int, str], flags: list[str]
) -> tuple[str | None, Literal["qr", "grid"] | None, list[str]]:
    """The ID from the QR (personal sheets) or the grid; flags when it cannot be trusted."""
    if qr.respondent:
        return qr.respondent, "qr", flags
    if not digits:
        return None, None, [*flags, "no respondent ID on this page"]
    if all(d == "" for d in digits.values()):
        kept = [f for f in flags if not f.startswith("respondent ID digit")]
        return None, None, [*kept, "respondent ID not filled in"]
    if all(digits.values()):
        return "".join(digits[d] for d in sorted(digits)), "grid", flags
    return None, None, flags


def _read_marks(
    image: np.ndarray,
    registration: Registration,
    page: SheetPage,
    qr: QRData,
    rule: MarkRule,
    where: str,
) -> _Marks:
    groups, keys = _groups(page)
    registration = refine(image, registration, page.bubbles, groups)
    black = ink_black(image, registration, page.markers)
    measured = measure(image, registration, page.bubbles, groups, black, rule)
    if measured.outside:
        raise SheetRefused(
            "rescan: part of the page is cut off (bubbles outside the image)", where=where
        )
    white = float(np.median(measured.white))
    if white - black < MIN_CONTRAST:
        raise SheetRefused(
            f"rescan: too dark or too faint (paper {white:.0f}, ink {black:.0f})", where=where
        )
    questions: list[QuestionRead] = []
    flags: list[str] = []
    digits: dict[int, str] = {}
    marks: dict[str, list[int]] = {"marked": [], "doubtful": []}
    strong, unsure = bubble_states(measured.fill, measured.cover, groups, rule)
    order = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[order], np.arange(len(keys) + 1))
    # float64 before rounding: float32 values print as 0.013000000268220901 in JSON
    fills = measured.fill.astype(np.float64).round(3).tolist()
    for g, (kind, number) in enumerate(keys):
        members = order[bounds[g] : bounds[g + 1]]
        state = group_state(
            [k for k, m in enumerate(members) if strong[m]],
            [k for k, m in enumerate(members) if unsure[m]],
        )
        marks["marked"] += [int(members[i]) for i in state.marked]
        marks["doubtful"] += [int(members[i]) for i in state.doubtful]
        if kind == "q":
            letters = [page.bubbles[m].option or "" for m in members]
            chosen = sorted({*state.marked, *state.doubtful})
            questions.append(
                QuestionRead(
                    position=number,
                    state=state.state,  # type: ignore[arg-type]
                    letters="".join(letters[i] for i in chosen),
                    fills=[fills[m] for m in members],
                    doubtful="".join(letters[i] for i in state.doubtful),
                )
            )
            if state.state == "ambiguous":
                flags.append(
                    f"q{number}: unclear mark ({''.join(letters[i] for i in state.doubtful)})"
                )
        else:
            values = [page.bubbles[m].value for m in members]
            digits[number] = str(values[state.marked[0]]) if state.state == "marked" else ""
            if state.state != "marked":
                flags.append(f"respondent ID digit {number + 1}: {state.state}")
    respondent, source, flags = _respondent(qr, digits, flags)
    return _Marks(questions, flags, respondent, source, round(white, 2), round(black, 2), marks)


def read_page(
    image: np.ndarray,
    manifest: Manifest,
    source: SourceRef,
    *,
    rule: MarkRule = DEFAULT_RULE,
    want_annotation: bool = True,
    annotate_as: SheetResult | None = None,
    key: bytes | None = None,
) -> PageRead:
    """Read one page image (greyscale, shape (H, W)) against ``manifest``.

    Never raises for a sheet problem: a refused sheet is a result with ``status="refused"``
    and a reason a person can act on.

    An annotated image comes with flagged and refused pages (unless ``want_annotation`` is
    false). With ``annotate_as`` one always comes, its header showing that record's status and
    flags instead of this reading's: the coordinator uses it to picture a page whose final
    record (a duplicate conflict, say) was only known after the whole batch was read.
    ``key`` is the package's identity key (``identity.key``), which signed sheets need.
    """
    where = f"{source.file} p.{source.page}"
    registration: Registration | None = None
    page: SheetPage | None = None
    try:
        ref_layout, ref_page = _reference_page(manifest)
        registration = locate(image, ref_page.markers, ref_layout.aruco_dictionary, where)
        text = read_qr(image, registration, ref_page.qr)
        if text is None:
            raise SheetRefused("rescan: the QR code cannot be read", where=where)
        qr = parse_qr(text)
        if qr is None:
            raise SheetRefused("the QR code is not one of this tool's answer sheets", where=where)
        _, page = identify(manifest, qr, where, key)
        read = _read_marks(image, registration, page, qr, rule, where)
    except SheetRefused as refusal:
        result = SheetResult(
            source=source,
            status="refused",
            reason=refusal.message + (f" ({refusal.hint})" if refusal.hint else ""),
            registration_residual=registration.residual if registration else None,
            software=SOFTWARE,
        )
        picture = None
        if want_annotation or annotate_as is not None:
            header = annotate_as if annotate_as is not None else result
            picture = annotate(image, registration, None, {}, header)
        return PageRead(result, picture)
    result = SheetResult(
        source=source,
        status="flagged" if read.flags else "ok",
        flags=read.flags,
        test_id=qr.test_id,
        variant=qr.variant,
        sheet_page=qr.page,
        layout_hash=qr.layout_hash,
        respondent=read.respondent,
        respondent_source=read.respondent_source,
        questions=read.questions,
        registration_residual=registration.residual,
        paper_white=read.paper_white,
        ink_black=read.ink_black,
        software=SOFTWARE,
    )
    picture = None
    if annotate_as is not None or (want_annotation and result.status != "ok"):
        header = annotate_as if annotate_as is not None else result
        picture = annotate(image, registration, page, read.marks, header)
    return PageRead(result, picture, read.marks)
