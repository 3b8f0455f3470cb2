"""Running a simulation: sheets filled (:mod:`omr.sim.fill`), captured
(:mod:`omr.sim.capture`), written as files (some bundled into multi-page PDF and TIFF, as
scanners do) with their truth (:mod:`omr.sim.truth`)."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from common.errors import OutputError, ValidationFailed
from common.files import ensure_writable_folder
from common.i18n import tr
from omr.sim.capture import BASE_DPI, PHYSICAL_PROFILES, PROFILES, degrade, encode
from omr.sim.fill import fill_page, key_choices, random_respondent
from omr.sim.hand import INSTRUMENT_WEIGHTS, INSTRUMENTS, fill_sheet
from omr.sim.sheets import PERSONAL_CSV, PersonalSheet, Sheets, load_personal_sheets
from omr.sim.truth import (
    TRUTH_FILE,
    SheetKind,
    SheetTruth,
    SimulationSummary,
    TruthQuestion,
    merge_truth,
)
from testgen.manifest import (
    Manifest,
    SheetPackage,
    SheetPage,
    load_package,
)

IMAGES_DIR = "sheets"  # images go in a subfolder, so `omr scan DIR/sheets` sees only images


Progress = Callable[[int, int], None]


def simulate_sheet(
    sheets: Sheets,
    profile: str,
    seed: int,
    index: int,
    respondent: str | None = None,
    skill: float | None = None,
) -> list[tuple[bytes, str, SheetTruth]]:
    """One simulated sheet (every layout page): [(encoded image, suffix, truth)].

    ``respondent`` is the ID to fill in the grid; a random one is drawn when it is ``None``.
    On personalised sheets it is the teacher whose own sheet is filled (required).
    ``skill`` is the chance of marking the key on each question; ``None`` marks at random.
    """
    if sheets.kind == "personal":
        if respondent is None:
            raise ValidationFailed([tr("respondent: a personalised sheet needs a teacher ID")])
        return _simulate_personal(sheets, profile, seed, index, respondent, skill)
    manifest = sheets.manifest
    layout = sheets.layout
    rng = np.random.default_rng([seed, PROFILES.index(profile), index])
    numbers = manifest.variant_numbers()
    variant = numbers[int(rng.integers(len(numbers)))]
    drawn = random_respondent(rng, layout.id_digits) if layout.id_digits else None
    if respondent is not None and layout.id_digits:
        if not respondent.isdigit() or len(respondent) > layout.id_digits:
            raise ValidationFailed(
                [
                    tr(
                        "respondent {respondent!r} does not fit {id_digits} ID digits",
                        respondent=respondent,
                        id_digits=layout.id_digits,
                    )
                ],
                where="simulate",
            )
        respondent = respondent.zfill(layout.id_digits)
    else:
        respondent = drawn
    preferred = None
    if skill is not None and isinstance(manifest, Manifest):  # a poll has no key to prefer
        # A stream of its own, so the drawing of every mark stays what it was without skill.
        key_rng = np.random.default_rng([seed, PROFILES.index(profile), index, 1])
        preferred = key_choices(manifest, variant, skill, key_rng)

    def identity(page: SheetPage) -> tuple[str | None, Literal["grid"] | None]:
        has_id = any(b.kind == "id" for b in page.bubbles)
        return (respondent, "grid") if has_id else (None, None)

    return _draw_pages(
        sheets, profile, seed, index, variant, rng, preferred,
        lambda number: sheets.page(variant, number), identity,
    )  # fmt: skip


def _simulate_personal(
    sheets: Sheets, profile: str, seed: int, index: int, teacher_id: str, skill: float | None
) -> list[tuple[bytes, str, SheetTruth]]:
    """The teacher's own sheet: the variant is the one printed for them, the ID is in the QR.

    Its generators are streams of their own (last key 2 and 3), apart from the anonymous
    sheet of the same index.
    """
    variant = sheets.personal[teacher_id].variant
    rng = np.random.default_rng([seed, PROFILES.index(profile), index, 2])
    preferred = None
    if skill is not None and isinstance(sheets.manifest, Manifest):
        key_rng = np.random.default_rng([seed, PROFILES.index(profile), index, 3])
        preferred = key_choices(sheets.manifest, variant, skill, key_rng)
    return _draw_pages(
        sheets, profile, seed, index, variant, rng, preferred,
        lambda number: sheets.personal_page(teacher_id, number),
        lambda page: (teacher_id, "qr"),
    )  # fmt: skip


def _draw_pages(
    sheets: Sheets,
    profile: str,
    seed: int,
    index: int,
    variant: int,
    rng: np.random.Generator,
    preferred: dict[int, int] | None,
    blank_page: Callable[[int], np.ndarray],
    identity: Callable[[SheetPage], tuple[str | None, Literal["grid", "qr"] | None]],
) -> list[tuple[bytes, str, SheetTruth]]:
    """Fill and degrade every layout page of one sheet: [(encoded image, suffix, truth)].

    ``blank_page(n)`` is the printed page n; ``identity(page)`` is the respondent the page
    names and how (``"grid"``: drawn into the ID bubbles; ``"qr"``: already printed).
    """
    layout = sheets.layout
    out = []
    instrument = ""
    if profile in PHYSICAL_PROFILES:
        names = list(INSTRUMENT_WEIGHTS)
        weights = np.array([INSTRUMENT_WEIGHTS[n] for n in names])
        instrument = names[int(rng.choice(len(names), p=weights / weights.sum()))]
    for page in layout.pages:
        respondent, source = identity(page)
        if instrument:
            filled, questions = _hand_filled(
                blank_page(page.page), page, rng, profile, instrument,
                respondent if source == "grid" else None, preferred,
            )  # fmt: skip
            strays = 0
        else:
            filled, questions, strays = fill_page(
                blank_page(page.page),
                page,
                layout,
                rng,
                respondent=respondent if source == "grid" else None,
                realistic=profile != "clean",
                harsh=profile == "harsh",
                preferred=preferred,
            )
        degraded = degrade(filled, page, profile, rng)
        data, suffix = encode(degraded)
        truth = SheetTruth(
            file="",
            test_id=sheets.manifest.package_id,
            variant=variant,
            sheet_page=page.page,
            layout_hash=layout.hash,
            respondent=respondent,
            respondent_source=source,
            profile=profile,
            seed=seed,
            index=index,
            expect="refuse_or_flag" if profile == "harsh" else "read",
            degradation=degraded.params,
            questions=questions,
            stray_marks=strays,
            instrument=instrument,
        )
        out.append((data, suffix, truth))
    return out


def _hand_filled(
    base: np.ndarray,
    page: SheetPage,
    rng: np.random.Generator,
    profile: str,
    instrument: str,
    respondent: str | None,
    preferred: dict[int, int] | None,
) -> tuple[np.ndarray, list[TruthQuestion]]:
    """A page marked by :mod:`omr.sim.hand`: grey, or BGR with the ink's colour."""
    tool = INSTRUMENTS[instrument]
    ink, questions = fill_sheet(
        base.shape, page, BASE_DPI / 72.0, rng, tool, respondent=respondent, preferred=preferred
    )
    paper = base.astype(np.float32)
    if profile == "colour":
        absorb = 1.0 - np.array(tool.colour, np.float32) / 255.0
        filled = paper[..., None] * (1.0 - ink[..., None] * absorb[None, None, :])
    else:
        filled = paper * (1.0 - ink)
    return np.clip(np.rint(filled), 0, 255).astype(np.uint8), questions


def _stem(kind: SheetKind, profile: str) -> str:
    """File name start of a profile's sheets; personalised ones apart, so both kinds can share
    a folder."""
    return profile if kind == "anonymous" else f"{profile}-personal"


def _write_sheets(
    sheets: Sheets,
    profile: str,
    seed: int,
    indices: list[int],
    out_dir: Path,
    multi_page: bool,
    respondents: list[str] | None = None,
    skills: list[float] | None = None,
) -> list[SheetTruth]:
    """Simulate the sheets ``indices`` and write their images; returns their truth records."""
    truths: list[SheetTruth] = []
    for index in indices:
        respondent = respondents[index] if respondents else None
        skill = skills[index] if skills else None
        for data, suffix, truth in simulate_sheet(sheets, profile, seed, index, respondent, skill):
            page_part = f"-p{truth.sheet_page}" if multi_page else ""
            name = f"{IMAGES_DIR}/{_stem(sheets.kind, profile)}-{index:04d}{page_part}{suffix}"
            try:
                (out_dir / name).write_bytes(data)
            except OSError as error:
                raise OutputError(
                    tr("cannot write: {strerror}", strerror=error.strerror),
                    where=str(out_dir / name),
                ) from None
            truths.append(truth.model_copy(update={"file": name}))
    return truths


def _simulate_chunk(
    args: tuple[
        SheetPackage,
        Path,
        str,
        int,
        list[int],
        Path,
        bool,
        list[str] | None,
        list[float] | None,
        SheetKind,
    ],
) -> list[SheetTruth]:
    """A worker process's share: its own cache of rasterised sheets."""
    (
        manifest,
        test_dir,
        profile,
        seed,
        indices,
        out_dir,
        multi_page,
        respondents,
        skills,
        kind,
    ) = args
    with tempfile.TemporaryDirectory(prefix="omr-sim-") as scratch:
        sheets = Sheets(manifest, test_dir, Path(scratch), kind)
        return _write_sheets(
            sheets, profile, seed, indices, out_dir, multi_page, respondents, skills
        )


def simulate(
    manifest: SheetPackage,
    test_dir: Path,
    count: int,
    profile: str,
    seed: int,
    out_dir: Path,
    progress: Progress | None = None,
    *,
    workers: int = 1,
    respondents: list[str] | None = None,
    skills: list[float] | None = None,
    kind: SheetKind = "anonymous",
) -> SimulationSummary:
    """Fill and degrade ``count`` sheets of the test; write images and ``truth.jsonl``.

    ``kind="anonymous"`` fills the anonymous sheet of a random variant per sheet:
    ``respondents``, when given, holds the ID filled in on each sheet (``count`` of them);
    otherwise each sheet gets a random ID. ``kind="personal"`` fills each listed teacher's own
    personalised sheet (``respondents``, required: teacher IDs of ``personal-sheets.csv``;
    pages and variant from there), whose QR code names the teacher. ``skills``, when given,
    holds each person's chance of marking the key (so scores look like a real session's);
    otherwise answers are random.

    Images go to ``out_dir/sheets/<profile>[-personal]-<index>[-p<page>].<png|jpg>``;
    ``truth.jsonl`` (in ``out_dir``, naming each image relative to it) gets one
    :class:`SheetTruth` per image page (merged, so several profiles and kinds can share a
    folder; the same seed, profile and kind overwrite the same files). ``workers`` > 1 draws
    in processes; the files are the same either way.
    """
    problems = []
    if profile not in PROFILES:
        problems.append(
            tr(
                "profile: {profile!r} is not one of {join}",
                profile=profile,
                join=", ".join(PROFILES),
            )
        )
    if count < 1:
        problems.append(tr("count: must be at least 1, got {count}", count=count))
    if respondents is not None and len(respondents) != count:
        problems.append(
            tr(
                "respondents: {n_respondents} given for {count} sheets",
                n_respondents=len(respondents),
                count=count,
            )
        )
    if skills is not None and len(skills) != count:
        problems.append(
            tr("skills: {n_skills} given for {count} sheets", n_skills=len(skills), count=count)
        )
    if kind not in ("anonymous", "personal"):
        problems.append(tr("kind: {kind!r} is not anonymous or personal", kind=kind))
    elif not any(layout.kind == kind for layout in manifest.layouts.values()):
        problems.append(tr("layouts: the manifest has no {kind} answer sheet", kind=kind))
    elif kind == "personal":
        problems += _personal_problems(load_personal_sheets(test_dir, manifest), respondents)
    if problems:
        raise ValidationFailed(problems, where="simulate")
    ensure_writable_folder(out_dir / IMAGES_DIR)
    multi_page = len(manifest.layout_of_kind(kind).pages) > 1
    truths: list[SheetTruth] = []
    if workers > 1:
        chunks = [
            (
                manifest,
                test_dir,
                profile,
                seed,
                list(range(i, min(i + 16, count))),
                out_dir,
                multi_page,
                respondents,
                skills,
                kind,
            )
            for i in range(0, count, 16)
        ]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for chunk in pool.map(_simulate_chunk, chunks):
                truths += chunk
                if progress is not None:
                    progress(len({t.index for t in truths}), count)
    else:
        with tempfile.TemporaryDirectory(prefix="omr-sim-") as scratch:
            sheets = Sheets(manifest, test_dir, Path(scratch), kind)
            for index in range(count):
                truths += _write_sheets(
                    sheets, profile, seed, [index], out_dir, multi_page, respondents, skills
                )
                if progress is not None:
                    progress(index + 1, count)
    if profile == "scan":
        truths = _bundle(out_dir, truths, _stem(kind, profile))
    truth_path = out_dir / TRUTH_FILE
    merge_truth(truth_path, truths)
    return SimulationSummary(
        test_id=manifest.package_id,
        profile=profile,
        seed=seed,
        count=count,
        pages=len(truths),
        out_dir=str(out_dir),
        truth=str(truth_path),
        files=[t.file for t in truths],
    )


# Scanner software often saves several sheets in one file: in every 25 scan sheets, sheets 3+4
# become one two-page PDF (JPEG pages, as scanners write them) and 11+12 one multi-page TIFF.
_BUNDLES = {3: ("pdf", 2), 11: ("tiff", 2)}


_BUNDLE_CYCLE = 25


def _personal_problems(known: dict[str, PersonalSheet], respondents: list[str] | None) -> list[str]:
    """What is wrong with the teacher IDs asked for on personalised sheets."""
    if not respondents:
        return ["respondents: personalised sheets need the teacher IDs to fill"]
    unknown = sorted({r for r in respondents if r not in known})
    repeated = sorted(r for r, n in Counter(respondents).items() if n > 1)
    problems = []
    if unknown:
        problems.append(
            tr(
                "respondents: not in {PERSONAL_CSV}: {join}",
                PERSONAL_CSV=PERSONAL_CSV,
                join=", ".join(unknown),
            )
        )
    if repeated:
        problems.append(tr("respondents: listed more than once: {join}", join=", ".join(repeated)))
    return problems


def _bundle(out_dir: Path, truths: list[SheetTruth], stem: str = "scan") -> list[SheetTruth]:
    """Move the scan sheets picked by ``_BUNDLES`` into multi-page PDF and TIFF files."""
    by_index: dict[int, list[SheetTruth]] = {}
    for t in truths:
        by_index.setdefault(t.index, []).append(t)
    out: list[SheetTruth] = []
    bundled: set[int] = set()
    for index in sorted(by_index):
        if index in bundled:
            continue
        kind, size = _BUNDLES.get(index % _BUNDLE_CYCLE, ("", 0))
        members = list(range(index, index + size))
        if not kind or not all(len(by_index.get(i, [])) == 1 for i in members):
            out += by_index[index]
            continue
        records = [by_index[i][0] for i in members]
        name = (
            f"{IMAGES_DIR}/{stem}-{index:04d}-{members[-1]:04d}.{'pdf' if kind == 'pdf' else 'tif'}"
        )
        paths = [out_dir / r.file for r in records]
        if kind == "pdf":
            _write_scanner_pdf(out_dir / name, paths, [r.degradation for r in records])
        else:
            pages = []
            for path in paths:
                page = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
                if page is None:  # just written by this run: the disk lost it
                    raise OutputError(tr("cannot read back a simulated sheet"), where=str(path))
                pages.append(page)
            cv2.imwritemulti(str(out_dir / name), pages, [cv2.IMWRITE_TIFF_COMPRESSION, 5])
        for number, (record, path) in enumerate(zip(records, paths, strict=True), start=1):
            path.unlink()
            out.append(record.model_copy(update={"file": name, "page": number}))
        bundled.update(members)
    return out


def _write_scanner_pdf(
    path: Path, jpegs: list[Path], params: list[dict[str, float | int | str | bool]]
) -> None:
    """One PDF page per JPEG, sized from its dpi; reportlab embeds JPEG data as it is."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    c = Canvas(str(path), invariant=1)
    for jpeg, param in zip(jpegs, params, strict=True):
        image = ImageReader(str(jpeg))
        width, height = image.getSize()
        dpi = float(param.get("dpi", BASE_DPI))
        size = (width * 72.0 / dpi, height * 72.0 / dpi)
        c.setPageSize(size)
        c.drawImage(image, 0, 0, *size)
        c.showPage()
    c.save()


def simulate_package(
    test: Path,
    count: int,
    profile: str,
    seed: int,
    out_dir: Path,
    progress: Progress | None = None,
    *,
    workers: int = 1,
    kind: SheetKind = "anonymous",
    respondents: list[str] | None = None,
) -> SimulationSummary:
    """:func:`simulate` for a package folder (or its ``manifest.json``), as the CLI names it.

    With ``respondents`` there is one sheet per ID and ``count`` is not used; personalised
    sheets without them are those of the first ``count`` teachers of ``personal-sheets.csv``.
    """
    test_dir = test.parent if test.suffix == ".json" else test
    manifest = load_package(test)
    if respondents:
        count = len(respondents)
    elif kind == "personal" and any(layout.kind == kind for layout in manifest.layouts.values()):
        respondents = list(load_personal_sheets(test_dir, manifest))[:count]
        count = len(respondents)
    return simulate(
        manifest,
        test_dir,
        count,
        profile,
        seed,
        out_dir,
        progress,
        workers=workers,
        respondents=respondents,
        kind=kind,
    )
