"""Teacher opinion polls: the spec, its checks, the rating sheet's geometry and the build.

A poll spec (YAML, ``kind: poll``) names numbered parameters, some with sub-parameters
(3 -> 3.1 .. 3.7), grouped under section headings, rated on a scale (default 1-10). The build
writes a printable rating sheet (the test sheets' markers, QR code and layout hash; one row of
bubbles per rated parameter; on an anonymous sheet a department row instead of an ID grid; an
optional comment box the reader keeps as a picture), a fillable electronic version and the
poll's ``manifest.json`` (:class:`testgen.manifest.PollManifest`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from reportlab.lib.utils import simpleSplit

from common import __version__
from common.errors import ValidationFailed
from common.files import ensure_writable_folder
from common.fonts import register_fonts
from common.i18n import tr
from common.validation import describe
from common.vocabulary import LETTERS, Department
from testgen.layout import GEOMETRY, PAGE_HEIGHT, PAGE_WIDTH, id_bubbles, markers, qr_box
from testgen.manifest import (
    IDENTITY_KEY_FILE,
    Box,
    Bubble,
    CommentBox,
    PollInfo,
    PollManifest,
    PollRow,
    SheetLayout,
    SheetPage,
    load_identity_key,
    write_poll_manifest,
)

MAX_SCALE_POINTS = 10  # bubbles in one row
MAX_ROWS = 80
ID_DIGITS = 6  # a named poll's ID grid, as on the test sheets
_NUMBER = re.compile(r"^\d+(\.\d+)*$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Scale(_Spec):
    min: int = 1
    max: int = 10


class SubParameter(_Spec):
    number: str
    text: str = Field(min_length=1)


class Parameter(_Spec):
    number: str
    text: str = Field(min_length=1)
    sub: list[SubParameter] = []


class Section(_Spec):
    heading: str = ""
    parameters: list[Parameter] = Field(min_length=1)


class PollSpec(_Spec):
    kind: Literal["poll"]
    id: str
    year: int = Field(ge=2000, le=2100)
    title: str = Field(min_length=1)
    language: Literal["ru", "en"] = "ru"
    instructions: str = ""
    anonymous: bool = True
    scale: Scale = Scale()
    comment: bool = False
    sections: list[Section] = Field(min_length=1)

    def rows(self) -> list[PollRow]:
        """The printed rows in order; rated ones numbered 1..N as sheet questions."""
        out: list[PollRow] = []
        position = 0
        for section in self.sections:
            for p in section.parameters:
                if p.sub:
                    out.append(
                        PollRow(number=p.number, text=p.text, heading=section.heading, rated=False)
                    )
                    for s in p.sub:
                        position += 1
                        out.append(
                            PollRow(
                                number=s.number,
                                text=s.text,
                                heading=section.heading,
                                position=position,
                            )
                        )
                else:
                    position += 1
                    out.append(
                        PollRow(
                            number=p.number, text=p.text, heading=section.heading, position=position
                        )
                    )
        return out


def poll_problems(spec: PollSpec) -> list[str]:
    """Everything wrong with a spec that parsed, all at once."""
    problems: list[str] = []
    if not _ID.match(spec.id):
        problems.append(tr("id: {id!r} must be lower-case letters, digits and hyphens", id=spec.id))
    span = spec.scale.max - spec.scale.min + 1
    if spec.scale.min < 0 or not 2 <= span <= MAX_SCALE_POINTS:
        problems.append(
            tr(
                "scale: {low}..{high} must hold 2 to {most} points from 0 up",
                low=spec.scale.min,
                high=spec.scale.max,
                most=MAX_SCALE_POINTS,
            )
        )
    seen: dict[str, str] = {}
    for s, section in enumerate(spec.sections):
        for k, p in enumerate(section.parameters):
            where = f"sections[{s}].parameters[{k}]"
            numbers = [(where, p.number, None)] + [
                (f"{where}.sub[{j}]", sub.number, p.number) for j, sub in enumerate(p.sub)
            ]
            for place, number, parent in numbers:
                if not _NUMBER.match(number):
                    problems.append(
                        tr(
                            "{place}.number: {number!r} is not like 3 or 3.1",
                            place=place,
                            number=number,
                        )
                    )
                elif parent is not None and not number.startswith(parent + "."):
                    problems.append(
                        tr(
                            "{place}.number: {number!r} must start with {parent}.",
                            place=place,
                            number=number,
                            parent=parent,
                        )
                    )
                if number in seen:
                    problems.append(
                        tr(
                            "{place}.number: {number!r} repeats {first}",
                            place=place,
                            number=number,
                            first=seen[number],
                        )
                    )
                seen.setdefault(number, place)
    rows = spec.rows()
    if len(rows) > MAX_ROWS:
        problems.append(tr("at most {most} rows, got {n}", most=MAX_ROWS, n=len(rows)))
    return problems


def parse_poll(data: object, *, where: str = "poll") -> PollSpec:
    try:
        spec = PollSpec.model_validate(data)
    except ValidationError as error:
        raise ValidationFailed(describe(error), where=where) from None
    problems = poll_problems(spec)
    if problems:
        raise ValidationFailed(problems, where=where)
    return spec


def is_poll(data: object) -> bool:
    return isinstance(data, dict) and data.get("kind") == "poll"


# -- geometry -------------------------------------------------------------------------------

LEFT = 50.0
TEXT_WIDTH = 290.0
TEXT_SIZE = 8.0
LINE = 9.2
FIRST_BUBBLE_X = 362.0
PITCH = 20.0
RADIUS = 6.0
BOTTOM = PAGE_HEIGHT - GEOMETRY.margin - GEOMETRY.marker_size - 14
DEPARTMENT_Y = 178.0
COMMENT_HEIGHT = 72.0


@dataclass
class _Placed:
    """Where the rows went: per row its page and top y, the bubbles of each page."""

    row_pages: list[tuple[int, float, float]] = field(default_factory=list)  # page, y, height
    bubbles: dict[int, list[Bubble]] = field(default_factory=dict)
    comment: CommentBox | None = None


def _lines(text: str, bold: bool = False) -> list[str]:
    fonts = register_fonts()
    return simpleSplit(text, fonts.bold if bold else fonts.regular, TEXT_SIZE, TEXT_WIDTH)


def row_height(row: PollRow) -> float:
    return max(17.5, len(_lines(f"{row.number}. {row.text}", not row.rated)) * LINE + 6.5)


def first_row_y(anonymous: bool) -> float:
    # below the department row, or below the ID grid of a named poll
    return 222.0 if anonymous else GEOMETRY.id_top + 10 * GEOMETRY.id_pitch_y + 28


def place(spec: PollSpec) -> _Placed:
    rows = spec.rows()
    span = spec.scale.max - spec.scale.min + 1
    placed = _Placed()
    page, y = 1, first_row_y(spec.anonymous)
    heading = None
    for row in rows:
        height = row_height(row) + (16.0 if row.heading and row.heading != heading else 0.0)
        if y + height > BOTTOM:
            page, y = page + 1, GEOMETRY.margin + GEOMETRY.marker_size + 40
        top = y + (16.0 if row.heading and row.heading != heading else 0.0)
        heading = row.heading
        placed.row_pages.append((page, top, row_height(row)))
        if row.rated and row.position is not None:
            centre = top + 8.75
            placed.bubbles.setdefault(page, []).extend(
                Bubble(
                    kind="answer",
                    x=round(FIRST_BUBBLE_X + k * PITCH, 3),
                    y=round(centre, 3),
                    r=RADIUS,
                    question=row.position,
                    option=LETTERS[k],
                )
                for k in range(span)
            )
        y = top + row_height(row)
    if spec.comment:
        if y + COMMENT_HEIGHT + 24 > BOTTOM:
            page, y = page + 1, GEOMETRY.margin + GEOMETRY.marker_size + 40
        box = Box(
            x=LEFT, y=round(y + 22, 3), width=round(PAGE_WIDTH - 2 * LEFT, 3), height=COMMENT_HEIGHT
        )
        placed.comment = CommentBox(page=page, box=box)
        placed.bubbles.setdefault(page, [])
    return placed


def department_bubbles(position: int, count: int) -> list[Bubble]:
    pitch = (PAGE_WIDTH - 2 * LEFT - 60) / count
    return [
        Bubble(
            kind="answer",
            x=round(LEFT + 70 + k * pitch, 3),
            y=DEPARTMENT_Y,
            r=RADIUS,
            question=position,
            option=LETTERS[k],
        )
        for k in range(count)
    ]


def poll_layout(spec: PollSpec) -> tuple[SheetLayout, _Placed, int | None]:
    """The rating sheet's layout, where its rows go, and the department row's position."""
    placed = place(spec)
    rated = sum(1 for r in spec.rows() if r.rated)
    department_position = rated + 1 if spec.anonymous else None
    pages = []
    page_count = max([p for p, _, _ in placed.row_pages] + list(placed.bubbles) + [1])
    for number in range(1, page_count + 1):
        bubbles = list(placed.bubbles.get(number, []))
        if number == 1:
            if department_position is not None:
                bubbles = department_bubbles(department_position, len(Department)) + bubbles
            else:
                bubbles = id_bubbles(ID_DIGITS) + bubbles
        pages.append(SheetPage(page=number, markers=markers(), qr=qr_box(), bubbles=bubbles))
    span = spec.scale.max - spec.scale.min + 1
    layout = SheetLayout(
        kind="anonymous",
        page_width=round(PAGE_WIDTH, 4),
        page_height=round(PAGE_HEIGHT, 4),
        bubble_radius=RADIUS,
        options=LETTERS[: max(span, len(Department) if spec.anonymous else 0)],
        questions=rated + (1 if spec.anonymous else 0),
        id_digits=0 if spec.anonymous else ID_DIGITS,
        pages=pages,
    )
    return layout.model_copy(update={"hash": layout.geometry_hash()}), placed, department_position


# -- build ----------------------------------------------------------------------------------

SHEET_FILE = "sheet-v01.pdf"  # the name the simulator and the test sheets use
FORM_FILE = "form-v01.pdf"


@dataclass(frozen=True)
class PollBuild:
    poll_id: str
    out_dir: Path
    rows: int
    rated: int
    files: list[Path]
    layout_hash: str


def poll_manifest(spec: PollSpec, spec_bytes: bytes, signed: bool) -> tuple[PollManifest, _Placed]:
    layout, placed, department_position = poll_layout(spec)
    manifest = PollManifest(
        generator=f"testgen {__version__}",
        poll=PollInfo(
            id=spec.id,
            year=spec.year,
            title=spec.title,
            language=spec.language,
            instructions=spec.instructions,
            anonymous=spec.anonymous,
            scale_min=spec.scale.min,
            scale_max=spec.scale.max,
        ),
        spec_sha256=hashlib.sha256(spec_bytes).hexdigest(),
        rows=spec.rows(),
        departments=list(Department) if spec.anonymous else [],
        department_position=department_position,
        comment=placed.comment,
        layouts={layout.hash: layout},
        identity_signed=signed,
    )
    return manifest, placed


def build_poll(spec: PollSpec, spec_bytes: bytes, out_dir: Path) -> PollBuild:
    """Write the poll's package into ``out_dir``: manifest.json, identity.key, the rating
    sheet (``sheet-v01.pdf``) and its fillable electronic version (``form-v01.pdf``)."""
    from testgen.poll_sheet import render_poll_esheet, render_poll_sheet

    ensure_writable_folder(out_dir)
    key = load_identity_key(out_dir)
    if key is None:
        key = secrets.token_bytes(16)
        (out_dir / IDENTITY_KEY_FILE).write_text(key.hex() + "\n", encoding="ascii")
    manifest, placed = poll_manifest(spec, spec_bytes, signed=True)
    files = [out_dir / "manifest.json", out_dir / SHEET_FILE, out_dir / FORM_FILE]
    write_poll_manifest(manifest, files[0])
    render_poll_sheet(files[1], manifest, placed, key)
    render_poll_esheet(files[2], manifest, key)
    layout = next(iter(manifest.layouts.values()))
    return PollBuild(spec.id, out_dir, len(manifest.rows), len(manifest.rated), files, layout.hash)
