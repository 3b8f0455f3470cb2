"""``build_test``: a spec file -> a complete test package in one folder.

Everything is validated first (spec, variant count, images, roster, output folder), with every
problem reported at once; only then is the first page drawn. The plan is seeded, and every
file is written deterministically (sorted JSON, reportlab's invariant mode), so the same spec
and seed give byte-identical ``manifest.json`` and ``keys.csv``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from common import __version__
from common.errors import OutputError, ValidationFailed
from common.files import ensure_writable_folder
from common.i18n import tr
from common.roster import Teacher, load_roster
from testgen.booklet import render_booklet, render_commentary
from testgen.esheet import render_esheet
from testgen.keys import write_keys
from testgen.layout import compute_layout
from testgen.manifest import (
    IDENTITY_KEY_FILE,
    Manifest,
    SheetLayout,
    SourceVersion,
    TestInfo,
    Variant,
    VariantItem,
    load_identity_key,
    write_manifest,
)
from testgen.planner import Placement, Plan, fixed_plan, plan_variants
from testgen.sheet import Respondent, render_sheets
from testgen.spec import TestSpec, load_spec

MIN_VARIANTS, MAX_VARIANTS = 2, 26
Progress = Callable[[str, int, int], None]  # (what, done, total)
PERSONAL_COLUMNS = ("teacher_id", "name", "school", "variant", "first_page")
PERSONAL_ESHEETS = "esheets-personal"  # <teacher-id>.pdf, one per teacher of the roster


@dataclass(frozen=True)
class BuildSummary:
    """What a build wrote; ``key_agreement`` has shape (V, V)."""

    test_id: str
    out_dir: Path
    variants: int
    seed: int
    questions: int
    key_agreement: np.ndarray
    files: list[Path] = field(default_factory=list)
    personal_sheets: int = 0
    layout_hashes: dict[str, str] = field(default_factory=dict)  # kind -> hash

    def neighbour_agreement(self) -> list[int]:
        """Shared key letters of each neighbouring pair (v, v+1), cyclically."""
        count = self.variants
        return [int(self.key_agreement[v, (v + 1) % count]) for v in range(count)]


def _no_progress(what: str, done: int, total: int) -> None:
    return None


def validate_inputs(
    spec_path: Path, variants: int, roster: Path | None
) -> tuple[TestSpec, list[Teacher]]:
    """Load and check everything a build needs; raise one :class:`ValidationFailed` listing
    every problem. Returns the spec and the teachers of its department (empty without roster)."""
    spec = load_spec(spec_path)
    problems: list[str] = []
    if not MIN_VARIANTS <= variants <= MAX_VARIANTS:
        problems.append(
            tr(
                "--variants: {variants} is outside {MIN_VARIANTS}..{MAX_VARIANTS}",
                variants=variants,
                MIN_VARIANTS=MIN_VARIANTS,
                MAX_VARIANTS=MAX_VARIANTS,
            )
        )
    for version, source in spec.sources.items():
        for index, task in enumerate(source.tasks):
            if task.image and not (spec_path.parent / task.image).is_file():
                problems.append(
                    tr(
                        "sources.{version}.tasks[{index}].image: {image} not found next to the "
                        "spec",
                        version=version,
                        index=index,
                        image=task.image,
                    )
                )
    teachers: list[Teacher] = []
    if roster is not None:
        try:
            everyone, _ = load_roster(roster, strict=True)
        except ValidationFailed as error:
            everyone = []
            problems.extend(error.problems)
        teachers = [t for t in everyone if t.department == spec.department]
        if everyone and not teachers:
            problems.append(
                tr(
                    "{roster}: no teacher of department {value}",
                    roster=roster,
                    value=spec.department.value,
                )
            )
    if problems:
        raise ValidationFailed(problems, where=str(spec_path))
    return spec, teachers


def sheet_layouts(spec: TestSpec) -> list[SheetLayout]:
    """The anonymous and the personal answer-sheet layout of ``spec``."""
    return [
        compute_layout(spec.task_count, spec.max_options, spec.id_digits, kind)
        for kind in ("anonymous", "personal")
    ]


def make_manifest(spec: TestSpec, plan: Plan, spec_bytes: bytes) -> Manifest:
    """The manifest of a planned build (pure); its sheets are signed (``identity.key``)."""
    return assemble_manifest(
        spec,
        plan,
        sheet_layouts(spec),
        spec_sha256=hashlib.sha256(spec_bytes).hexdigest(),
        generator=f"testgen {__version__}",
        identity_signed=True,
    )


def identity_key(out_dir: Path) -> bytes:
    """The package's identity key: read from ``identity.key``, or made (32 random bytes) and
    written there on the first build. A rebuild keeps it, so sheets already printed from the
    package stay valid; the key never goes into manifest.json."""
    existing = load_identity_key(out_dir)
    if existing is not None:
        return existing
    key = secrets.token_bytes(32)
    path = out_dir / IDENTITY_KEY_FILE
    path.write_text(key.hex() + "\n", encoding="ascii")
    path.chmod(0o600)
    return key


def manifest_for(
    spec: TestSpec,
    *,
    variants: int = 8,
    seed: int = 0,
    placement: Placement | None = None,
    layouts: bool = True,
    generator: str | None = None,
) -> Manifest:
    """The manifest a build of ``spec`` writes, without writing anything: ``variants`` planned
    with ``seed``, or the variants given by ``placement`` (see :func:`testgen.planner.fixed_plan`);
    with the spec's sheet layouts unless ``layouts`` is false. For tools and tests that need
    a test package's contract without its PDFs."""
    plan = (
        fixed_plan(spec, placement, seed)
        if placement is not None
        else plan_variants(spec, variants, seed)
    )
    text = spec.model_dump_json().encode()
    return assemble_manifest(
        spec,
        plan,
        sheet_layouts(spec) if layouts else [],
        spec_sha256=hashlib.sha256(text).hexdigest(),
        generator=generator or f"testgen {__version__}",
    )


def assemble_manifest(
    spec: TestSpec,
    plan: Plan,
    layouts: Iterable[SheetLayout],
    *,
    spec_sha256: str,
    generator: str,
    identity_signed: bool = False,
) -> Manifest:
    """The manifest of ``spec`` and its ``plan`` with the given sheet ``layouts`` (pure).

    The one place a manifest is put together; builds, tests and benches all call it, so a
    new manifest field is filled in everywhere at once.
    """
    return Manifest(
        generator=generator,
        test=TestInfo(
            id=spec.id,
            department=spec.department,
            year=spec.year,
            stage=spec.stage,
            title=spec.title,
            language=spec.language,
            instructions=spec.instructions,
        ),
        seed=plan.seed,
        spec_sha256=spec_sha256,
        sources={
            version: SourceVersion(groups=source.groups, tasks=source.tasks)
            for version, source in sorted(spec.sources.items())
        },
        variants=[
            Variant(
                number=v + 1,
                items=[
                    VariantItem(
                        position=item.position,
                        version=item.version,
                        source_position=item.source_position,
                        task_id=item.task_id,
                        permutation=list(item.permutation),
                        key=item.key,
                        points=item.points,
                    )
                    for item in items
                ],
            )
            for v, items in enumerate(plan.variants)
        ],
        key_agreement=plan.key_agreement.tolist(),
        layouts={layout.hash: layout for layout in layouts},
        identity_signed=identity_signed,
    )


def assign_variants(teachers: list[Teacher], variants: int) -> list[tuple[Teacher, int]]:
    """Hand variants out in a cycle in roster order, so neighbours get different variants."""
    return [(teacher, index % variants + 1) for index, teacher in enumerate(teachers)]


def _personal_csv(rows: list[tuple[Teacher, int]], pages_per_sheet: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PERSONAL_COLUMNS)
    for index, (teacher, variant) in enumerate(rows):
        first_page = index * pages_per_sheet + 1
        writer.writerow([teacher.id, teacher.name, teacher.school, variant, first_page])
    return out.getvalue()


def build_test(
    spec_path: Path,
    out_dir: Path,
    variants: int = 8,
    seed: int = 2011,
    roster: Path | None = None,
    progress: Progress | None = None,
) -> BuildSummary:
    """Build the test package of ``spec_path`` into ``out_dir``.

    Writes ``manifest.json``, ``keys.csv`` and per variant ``booklet-vNN.pdf``,
    ``sheet-vNN.pdf`` (anonymous answer sheet), ``form-vNN.pdf`` (fillable) and
    ``commentary-vNN.pdf``; with ``roster``, also ``sheets-personal.pdf`` (one sheet per
    teacher of the spec's department) and ``personal-sheets.csv`` (teacher -> variant).
    """
    report = progress or _no_progress
    spec_path = Path(spec_path)
    out_dir = Path(out_dir)
    spec, teachers = validate_inputs(spec_path, variants, roster)
    ensure_writable_folder(out_dir)

    plan = plan_variants(spec, variants, seed)
    manifest = make_manifest(spec, plan, spec_path.read_bytes())
    anonymous = manifest.layout_of_kind("anonymous")
    personal = manifest.layout_of_kind("personal")
    files: list[Path] = []
    try:
        key = identity_key(out_dir)
        write_manifest(manifest, out_dir / "manifest.json")
        write_keys(manifest, out_dir / "keys.csv")
        files += [out_dir / "manifest.json", out_dir / "keys.csv"]
        steps = variants + (1 if teachers else 0)
        for v in range(1, variants + 1):
            report(f"variant {v}", v - 1, steps)
            names = {
                "booklet": out_dir / f"booklet-v{v:02d}.pdf",
                "sheet": out_dir / f"sheet-v{v:02d}.pdf",
                "form": out_dir / f"form-v{v:02d}.pdf",
                "commentary": out_dir / f"commentary-v{v:02d}.pdf",
            }
            render_booklet(names["booklet"], manifest, v, spec_path.parent)
            render_sheets(names["sheet"], anonymous, manifest.test, [(v, None)], key)
            render_esheet(names["form"], manifest, v, anonymous.hash, key)
            render_commentary(names["commentary"], manifest, v)
            files += list(names.values())
        if teachers:
            report("personal sheets", variants, steps)
            rows = assign_variants(teachers, variants)
            sheets = [
                (variant, Respondent(id=t.id, name=t.name, school=t.school)) for t, variant in rows
            ]
            render_sheets(out_dir / "sheets-personal.pdf", personal, manifest.test, sheets, key)
            (out_dir / "personal-sheets.csv").write_text(
                _personal_csv(rows, len(personal.pages)), encoding="utf-8", newline=""
            )
            files += [out_dir / "sheets-personal.pdf", out_dir / "personal-sheets.csv"]
            # each teacher's own fillable sheet: name and ID filled in, locked and signed
            folder = out_dir / PERSONAL_ESHEETS
            folder.mkdir(exist_ok=True)
            for variant, person in sheets:
                assert person is not None
                path = folder / f"{person.id}.pdf"
                render_esheet(path, manifest, variant, anonymous.hash, key, person)
                files.append(path)
        report("done", steps, steps)
    except OSError as error:
        raise OutputError(
            tr("cannot write ({value})", value=error.strerror or error),
            where=str(error.filename or out_dir),
            hint=tr("check free space and permissions"),
        ) from None
    return BuildSummary(
        test_id=spec.id,
        out_dir=out_dir,
        variants=variants,
        seed=seed,
        questions=spec.task_count,
        key_agreement=plan.key_agreement,
        files=files,
        personal_sheets=len(teachers),
        layout_hashes={"anonymous": anonymous.hash, "personal": personal.hash},
    )
