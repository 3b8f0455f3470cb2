"""One page image -> one :class:`SheetResult`.

Order of work follows the cost figures in DESIGN.md: locate on a small copy, decode the QR in
its located box, check the sheet against the manifest (another test, an unknown variant or a
different layout is refused, never read against a default), then sample only the bubbles the
layout names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np

from common import __version__
from common.errors import SheetRefused
from common.i18n import tr
from omr.annotate import annotate
from omr.crops import box_crop, id_crop, question_crop
from omr.halvings import Halvings
from omr.layout_cache import per_layout
from omr.locate import Registration, locate
from omr.marks import (
    DEFAULT_RULE,
    LOW_CONTRAST,
    MIN_CONTRAST,
    Decision,
    MarkRule,
    decide,
    group_state,
    ink_black,
    is_bilevel,
    margin_notes,
    measure,
)
from omr.qr import read_qr
from omr.refine import refine
from omr.results import (
    BILEVEL_FLAG,
    ID_FLAG,
    LOW_CONTRAST_FLAG,
    MANY_BLANK_FLAG,
    QUESTION_FLAG,
    QuestionRead,
    SheetResult,
    SourceRef,
)
from omr.robust import median
from testgen.manifest import Bubble, QRData, SheetLayout, SheetPackage, SheetPage, parse_qr

SOFTWARE = f"omr {__version__}"


@dataclass
class PageRead:
    """A page's result and, for flagged or refused pages, an annotated JPEG of it; crops of
    what a person should look at (``"q7"``: a question's row, ``"id"``: the ID grid)."""

    result: SheetResult
    annotated: bytes | None = None
    marks: dict[str, list[int]] = field(default_factory=dict)
    crops: dict[str, bytes] = field(default_factory=dict)


def identify(
    manifest: SheetPackage, qr: QRData, where: str, key: bytes | None = None
) -> tuple[SheetLayout, SheetPage]:
    """The layout and page the QR names; refuse anything that is not this build of this test,
    and, for a package whose sheets are signed, anything not signed with its ``key``."""
    if qr.test_id != manifest.package_id:
        raise SheetRefused(
            tr(
                "sheet belongs to test {test_id!r}, not {id!r}",
                test_id=qr.test_id,
                id=manifest.package_id,
            ),
            where=where,
            hint=tr("scan it with --test build/{test_id}", test_id=qr.test_id),
        )
    if manifest.identity_signed and (key is None or not qr.signed_by(key)):
        raise SheetRefused(
            tr(
                "the sheet's identity is not signed by this test package (its QR code or "
                "e-sheet identity was made again or edited)"
            ),
            where=where,
            hint=tr("check the paper by hand and settle the sheet in the review"),
        )
    if qr.variant not in manifest.variant_numbers():
        raise SheetRefused(
            tr(
                "variant {variant} does not exist in test {id}",
                variant=qr.variant,
                id=manifest.package_id,
            ),
            where=where,
            hint=tr("check the sheet; it was not printed from this build"),
        )
    layout = manifest.layouts.get(qr.layout_hash)
    if layout is None:
        raise SheetRefused(
            tr("layout {layout_hash} is not in this test's manifest", layout_hash=qr.layout_hash),
            where=where,
            hint=tr("the sheet was printed from another build of the test; use that build"),
        )
    for page in layout.pages:
        if page.page == qr.page:
            return layout, page
    raise SheetRefused(
        tr("sheet page {page} does not exist in this layout", page=qr.page), where=where
    )


def _reference_page(manifest: SheetPackage) -> tuple[SheetLayout, SheetPage]:
    """Markers and QR box are the same on every layout page; any page locates the sheet."""
    layout = next(iter(manifest.layouts.values()))
    return layout, layout.pages[0]


@dataclass(frozen=True)
class _Groups:
    """A page's bubbles by question and ID digit, from its layout alone."""

    index: np.ndarray  # (N,) group of each bubble
    keys: list[tuple[str, int]]  # ("q", question) or ("id", digit), per group
    members: list[list[int]]  # bubble indices of each group, in layout order
    letters: list[list[str]]  # printed option letters of each group's bubbles
    values: list[list[int | None]]  # ID digit values of each group's bubbles


@per_layout
def _groups(page: SheetPage) -> _Groups:
    keys: dict[tuple[str, int], int] = {}
    index = []
    for b in page.bubbles:
        key = ("q", b.question or 0) if b.kind == "answer" else ("id", b.digit or 0)
        index.append(keys.setdefault(key, len(keys)))
    members: list[list[int]] = [[] for _ in keys]
    for i, g in enumerate(index):
        members[g].append(i)
    return _Groups(
        np.array(index, dtype=np.int64),
        list(keys),
        members,
        [[page.bubbles[m].option or "" for m in group] for group in members],
        [[page.bubbles[m].value for m in group] for group in members],
    )


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
    registration: Registration  # refined on the bubbles


def _respondent(
    qr: QRData, digits: dict[int, str], flags: list[str], expected: bool = True
) -> tuple[str | None, Literal["qr", "grid"] | None, list[str]]:
    """The ID from the QR (personal sheets) or the grid; flags when it cannot be trusted
    (none on a sheet that names nobody by design, an anonymous poll's)."""
    if qr.respondent:
        return qr.respondent, "qr", flags
    if not digits and not expected:
        return None, None, flags
    if not digits:
        return None, None, [*flags, "no respondent ID on this page"]
    if all(d == "" for d in digits.values()):
        kept = [f for f in flags if not f.startswith(f"{ID_FLAG} digit")]
        return None, None, [*kept, f"{ID_FLAG} not filled in"]
    if all(digits.values()):
        return "".join(digits[d] for d in sorted(digits)), "grid", flags
    return None, None, flags


SOLID_ON_BILEVEL = 0.9  # pen on a 1-bit page comes through solid black: stroke ~1
SOLID_SHARE = 0.85  # ... and fills its disc: fill / stroke of a solid mark
LIGHT_MARKS = 0.55  # a sheet whose marks' median stroke is lighter than this is in pencil


def _read_marks(
    image: np.ndarray,
    registration: Registration,
    page: SheetPage,
    qr: QRData,
    rule: MarkRule,
    where: str,
    bilevel: bool,
    package: SheetPackage,
) -> _Marks:
    grouped = _groups(page)
    groups = grouped.index
    registration = refine(image, registration, page.bubbles, groups)
    black = ink_black(image, registration, page.markers)
    work = image
    if bilevel:
        # A thresholded or dithered page is read as the grey it stands for: blurred over a
        # fifth of a bubble, dither dots become the grey they dither (a lighter blur leaves
        # the dots' peaks, and a smear of residue would look as dark as a fill).
        radius_px = min(b.r for b in page.bubbles) * registration.px_per_pt
        work = cv2.GaussianBlur(image, (0, 0), max(1.0, 0.2 * radius_px))
    measured = measure(work, registration, page.bubbles, black, rule)
    if measured.cut_off:
        raise SheetRefused(
            tr("rescan: part of the page is cut off (bubbles outside the image)"), where=where
        )
    white = float(median(measured.white))
    if white - black < MIN_CONTRAST:
        raise SheetRefused(
            tr(
                "rescan: too dark or too faint (paper {white:.0f}, ink {black:.0f})",
                white=white,
                black=black,
            ),
            where=where,
        )
    decision = decide(measured, groups, rule, gestures=not bilevel)
    questions: list[QuestionRead] = []
    flags: list[str] = []
    digits: dict[int, str] = {}
    marks: dict[str, list[int]] = {"marked": [], "doubtful": []}
    # float64 before rounding: float32 values print as 0.013000000268220901 in JSON
    fills = measured.fill.astype(np.float64).round(3).tolist()
    confidence = decision.confidence.astype(np.float64).tolist()
    is_marked, is_doubtful = decision.marked.tolist(), decision.doubtful.tolist()
    for (kind, number), members, letters, values in zip(
        grouped.keys, grouped.members, grouped.letters, grouped.values, strict=True
    ):
        state = group_state(
            [k for k, m in enumerate(members) if is_marked[m]],
            [k for k, m in enumerate(members) if is_doubtful[m]],
        )
        marks["marked"] += [members[i] for i in state.marked]
        marks["doubtful"] += [members[i] for i in state.doubtful]
        if kind == "q":
            chosen = sorted({*state.marked, *state.doubtful})
            questions.append(
                QuestionRead(
                    position=number,
                    state=state.state,  # type: ignore[arg-type]
                    letters="".join(letters[i] for i in chosen),
                    fills=[fills[m] for m in members],
                    doubtful="".join(letters[i] for i in state.doubtful),
                    confidence=round(min(confidence[m] for m in members), 3),
                )
            )
            if state.state == "ambiguous":
                flags.append(
                    f"q{number}: {QUESTION_FLAG} ({''.join(letters[i] for i in state.doubtful)})"
                )
        else:
            digits[number] = str(values[state.marked[0]]) if state.state == "marked" else ""
            if state.state != "marked":
                flags.append(f"{ID_FLAG} digit {number + 1}: {state.state}")
    flags += _sheet_flags(
        work, registration, page, measured.white, black, white, questions, decision.typical,
        package.labelled_questions(),
    )  # fmt: skip
    if bilevel and _pencil_may_be_lost(decision, questions, digits):
        flags.insert(0, BILEVEL_FLAG)
    respondent, source, flags = _respondent(qr, digits, flags, package.respondent_expected)
    return _Marks(
        questions, flags, respondent, source, round(white, 2), round(black, 2), marks, registration
    )


def _pencil_may_be_lost(
    decision: Decision, questions: list[QuestionRead], digits: dict[int, str]
) -> bool:
    """On a 1-bit page pen comes through black and whole; pencil breaks up into specks or
    vanishes. A page with anything blank or unclear whose marks are not solid black may
    have lost pencil marks."""
    unread = any(q.state in ("blank", "ambiguous") for q in questions) or not all(digits.values())
    solid = decision.typical >= SOLID_ON_BILEVEL and decision.solidity >= SOLID_SHARE
    # most answers blank looks like lost marks whatever the ID (in pen above pencil answers,
    # the ID's marks say nothing of the answers')
    blanks = sum(q.state == "blank" for q in questions)
    return (unread and not solid) or blanks * 2 > len(questions)


def _sheet_flags(
    image: np.ndarray,
    registration: Registration,
    page: SheetPage,
    whites: np.ndarray,
    black: float,
    white: float,
    questions: list[QuestionRead],
    typical: float,
    labelled: set[int],
) -> list[str]:
    """What a person should check on a page whatever its bubbles say."""
    flags = []
    if white - black < LOW_CONTRAST:
        flags.append(
            f"{LOW_CONTRAST_FLAG} (paper {white:.0f}, ink {black:.0f}): light marks may be lost"
        )
    blank = sum(q.state == "blank" for q in questions)
    # Light pencil is what goes missing; a person who skipped questions in pen did skip them.
    if len(questions) >= 4 and blank * 2 > len(questions) and typical < LIGHT_MARKS:
        flags.append(
            f"{MANY_BLANK_FLAG} ({blank} of {len(questions)}): check that no light marks were lost"
        )
    flags += [
        f"q{q}: writing beside the bubbles - check"
        for q in margin_notes(image, registration, page.bubbles, whites, black)
        if q not in labelled
    ]
    return flags


def read_page(
    image: np.ndarray,
    manifest: SheetPackage,
    source: SourceRef,
    *,
    rule: MarkRule = DEFAULT_RULE,
    want_annotation: bool = True,
    annotate_as: SheetResult | None = None,
    key: bytes | None = None,
    bilevel: bool | None = None,
) -> PageRead:
    """Read one page image (greyscale, shape (H, W)) against ``manifest``.

    Never raises for a sheet problem: a refused sheet is a result with ``status="refused"``
    and a reason a person can act on.

    An annotated image comes with flagged and refused pages (unless ``want_annotation`` is
    false). With ``annotate_as`` one always comes, its header showing that record's status and
    flags instead of this reading's: the coordinator uses it to picture a page whose final
    record (a duplicate conflict, say) was only known after the whole batch was read.
    ``key`` is the package's identity key (``identity.key``), which signed sheets need.
    ``bilevel``: the page came from a 1-bit image (a PDF's CCITT page, say); ``None``: tell
    from the pixels.
    """
    where = f"{source.file} p.{source.page}"
    halvings = Halvings(image)
    registration: Registration | None = None
    page: SheetPage | None = None
    try:
        ref_layout, ref_page = _reference_page(manifest)
        registration = locate(
            image,
            ref_page.markers,
            ref_layout.aruco_dictionary,
            where,
            halvings,
            ref_layout.page_height / ref_layout.page_width,
        )
        text = read_qr(image, registration, ref_page.qr)
        if text is None:
            raise SheetRefused(tr("rescan: the QR code cannot be read"), where=where)
        qr = parse_qr(text)
        if qr is None:
            raise SheetRefused(
                tr("the QR code is not one of this tool's answer sheets"), where=where
            )
        _, page = identify(manifest, qr, where, key)
        if bilevel is None:
            bilevel = is_bilevel(image)
        read = _read_marks(image, registration, page, qr, rule, where, bilevel, manifest)
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
            picture = annotate(halvings, registration, None, {}, header)
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
        bilevel=bool(bilevel),
        software=SOFTWARE,
    )
    picture = None
    crops: dict[str, bytes] = {}
    if annotate_as is not None or (want_annotation and result.status != "ok"):
        header = annotate_as if annotate_as is not None else result
        picture = annotate(halvings, registration, page, read.marks, header)
    if want_annotation and annotate_as is None:
        crops = _crops(image, read.registration, page, result)
        for name, box in manifest.crop_boxes(page.page).items():
            crops[name] = box_crop(image, read.registration, box)
    return PageRead(result, picture, read.marks, crops)


def _crops(
    image: np.ndarray, registration: Registration, page: SheetPage, result: SheetResult
) -> dict[str, bytes]:
    """Crops for the review: every question in doubt or with two marks, and the ID grid of
    a page whose ID comes from the grid (scoring decides later whether the ID is known)."""
    out: dict[str, bytes] = {}
    wanted = {q.position for q in result.questions if q.state in ("ambiguous", "multiple")}
    grouped = _groups(page)
    grid: list[Bubble] = []
    for (kind, number), members in zip(grouped.keys, grouped.members, strict=True):
        if kind == "q" and number in wanted:
            row = [page.bubbles[m] for m in members]
            out[f"q{number}"] = question_crop(image, registration, row)
        elif kind == "id":
            grid += [page.bubbles[m] for m in members]
    if grid and result.respondent_source != "qr":
        out["id"] = id_crop(image, registration, grid)
    return out
