"""The test package's manifest: the contract between testgen, omr and scoring.

``manifest.json`` holds the test's metadata, its source tasks, every variant (printed position
-> source version, task id and option permutation, with the key in printed letters) and the
answer-sheet layouts. Every coordinate is in PDF points measured from the page's **top-left**
corner with y pointing down, so any tool can find a bubble from this file alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from common.errors import InputNotFound, ValidationFailed
from common.i18n import tr
from common.validation import describe
from common.vocabulary import LETTERS, Department, Stage, Version
from testgen.spec import Group, Task  # tasks are part of the contract: sources hold them

MANIFEST_SCHEMA_VERSION = 1
QR_PREFIX = "MON1"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bubble(_Frozen):
    """One printed bubble. ``kind="answer"`` uses question/option, ``kind="id"`` digit/value."""

    kind: Literal["answer", "id"]
    x: float
    y: float
    r: float
    question: int | None = None  # printed position, 1-based
    option: str | None = None  # printed letter
    digit: int | None = None  # ID digit position, 0-based from the left
    value: int | None = None  # 0..9


class Marker(_Frozen):
    """An ArUco marker: ``x, y`` is its top-left corner, ``size`` its side, in points."""

    id: int
    corner: Literal["tl", "tr", "br", "bl"]
    x: float
    y: float
    size: float


class Box(_Frozen):
    x: float
    y: float
    width: float
    height: float


class SheetPage(_Frozen):
    page: int  # 1-based
    markers: list[Marker]
    qr: Box
    bubbles: list[Bubble]


class SheetLayout(_Frozen):
    """Geometry of one kind of answer sheet; the same for every variant of a test."""

    kind: Literal["anonymous", "personal"]
    page_width: float
    page_height: float
    bubble_radius: float
    options: str  # printed letters, e.g. "ABCDE"
    questions: int
    id_digits: int  # 0 on personal sheets: the ID travels in the QR code
    aruco_dictionary: str = "DICT_4X4_50"
    pages: list[SheetPage]
    hash: str = ""

    def geometry_hash(self) -> str:
        """Hash of everything but the hash itself: any change to the geometry changes it."""
        payload = self.model_dump(exclude={"hash"})
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]


class VariantItem(_Frozen):
    """Printed position -> source task. ``permutation[p]`` is the source option index printed
    at letter p; ``key`` is the correct answer in printed letters."""

    position: int
    version: Version
    source_position: int  # 1-based position in the source versions (A and B are parallel)
    task_id: str
    permutation: list[int]
    key: str
    points: float


class Variant(_Frozen):
    number: int  # 1-based
    items: list[VariantItem]

    @property
    def key(self) -> list[str]:
        return [item.key for item in self.items]


class TestInfo(_Frozen):
    id: str
    department: Department
    year: int
    stage: Stage
    title: str
    language: Literal["ru", "en"]
    instructions: str = ""


class SourceVersion(_Frozen):
    groups: list[Group]
    tasks: list[Task]


class Manifest(BaseModel):
    """Everything a reader or scorer needs about a built test."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    generator: str
    test: TestInfo
    seed: int
    spec_sha256: str
    sources: dict[Version, SourceVersion]
    variants: list[Variant]
    key_agreement: list[list[int]] = Field(
        description="key_agreement[i][j]: positions where variants i+1 and j+1 share a key letter"
    )
    layouts: dict[str, SheetLayout]  # by layout hash
    # Sheets and e-sheets carry a signature under the package's identity.key: a reader
    # refuses any sheet of this package whose signature is missing or wrong.
    identity_signed: bool = False

    @model_validator(mode="after")
    def _layout_hashes_hold(self) -> Manifest:
        # A sheet names its layout by hash in the QR code: geometry edited by hand under an
        # old hash would put every bubble somewhere the printed sheet does not have it.
        for key, layout in self.layouts.items():
            actual = layout.geometry_hash()
            if layout.hash != actual or key != layout.hash:
                raise ValueError(
                    tr(
                        "layout {key}: its geometry does not match its hash (computed {actual}); "
                        "the manifest was edited after the build, so rebuild the package with "
                        "testgen build",
                        key=key,
                        actual=actual,
                    )
                )
        return self

    def variant(self, number: int) -> Variant:
        for variant in self.variants:
            if variant.number == number:
                return variant
        raise KeyError(number)

    def layout_of_kind(self, kind: str) -> SheetLayout:
        for layout in self.layouts.values():
            if layout.kind == kind:
                return layout
        raise KeyError(kind)

    def source_task(self, version: Version, source_position: int) -> Task:
        return self.sources[version].tasks[source_position - 1]

    # -- what the reader needs of any package (SheetPackage) --
    @property
    def package_id(self) -> str:
        return self.test.id

    @property
    def language(self) -> str:
        return self.test.language

    def variant_numbers(self) -> list[int]:
        return [v.number for v in self.variants]

    def crop_boxes(self, page: int) -> dict[str, Box]:
        return {}

    @property
    def respondent_expected(self) -> bool:
        return True

    def labelled_questions(self) -> set[int]:
        return set()


class SheetPackage(Protocol):
    """What the reader and the simulator need of a package, a test's (:class:`Manifest`) or a
    poll's (:class:`PollManifest`): its id, signature rule, layouts and variants, and the
    boxes kept as picture crops (a poll's comment box)."""

    identity_signed: bool
    layouts: dict[str, SheetLayout]

    @property
    def package_id(self) -> str: ...

    @property
    def language(self) -> str: ...

    def variant_numbers(self) -> list[int]: ...

    def layout_of_kind(self, kind: str) -> SheetLayout: ...

    def crop_boxes(self, page: int) -> dict[str, Box]: ...

    @property
    def respondent_expected(self) -> bool:
        """Every sheet names its respondent (not so on an anonymous poll)."""
        ...

    def labelled_questions(self) -> set[int]:
        """Questions with printed words beside their bubbles (a poll's department row): no
        check for writing beside them."""
        ...


# -- polls ----------------------------------------------------------------------------------


class PollInfo(_Frozen):
    id: str
    year: int
    title: str
    language: Literal["ru", "en"]
    instructions: str = ""
    anonymous: bool
    scale_min: int
    scale_max: int


class PollRow(_Frozen):
    """A printed row of a rating sheet: a parameter to rate (``rated``), or a parameter that
    only heads its sub-parameters (3. Factors -> 3.1 ... 3.7), under a section heading."""

    number: str  # "3", "3.1"
    text: str
    heading: str = ""
    rated: bool = True
    position: int | None = None  # the sheet question it is read as; None when not rated


class CommentBox(_Frozen):
    page: int
    box: Box


class PollManifest(BaseModel):
    """Everything the reader and the scorer need about a built poll: the rows, the scale
    (option letters A.. stand for scale_min..scale_max), the department row of an anonymous
    sheet (its options are :attr:`departments` in order), the comment box, the layouts."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    kind: Literal["poll"] = "poll"
    generator: str
    poll: PollInfo
    spec_sha256: str
    rows: list[PollRow]
    departments: list[Department]
    department_position: int | None = None
    comment: CommentBox | None = None
    layouts: dict[str, SheetLayout]
    identity_signed: bool = False

    @property
    def package_id(self) -> str:
        return self.poll.id

    @property
    def language(self) -> str:
        return self.poll.language

    @property
    def rated(self) -> list[PollRow]:
        """The rows that are rated, in sheet order (row.position 1..N)."""
        return [r for r in self.rows if r.rated]

    def variant_numbers(self) -> list[int]:
        return [1]  # a poll has one sheet for everybody

    def layout_of_kind(self, kind: str) -> SheetLayout:
        for layout in self.layouts.values():
            if layout.kind == kind:
                return layout
        raise KeyError(kind)

    def crop_boxes(self, page: int) -> dict[str, Box]:
        if self.comment is not None and self.comment.page == page:
            return {"comment": self.comment.box}
        return {}

    @property
    def respondent_expected(self) -> bool:
        return not self.poll.anonymous

    def labelled_questions(self) -> set[int]:
        return {self.department_position} if self.department_position is not None else set()

    def score(self, letter: str) -> int:
        """The scale value a printed option letter stands for."""
        return self.poll.scale_min + LETTERS.index(letter)


IDENTITY_KEY_FILE = "identity.key"  # in the package folder, never in manifest.json
SIGNATURE_CHARS = 8  # base32 of 40 bits of HMAC-SHA256: forging one sheet takes ~10^12 tries


def sign_identity(text: str, key: bytes) -> str:
    """The signature of a sheet's identity text under the package's key."""
    digest = hmac.new(key, text.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:5]).decode()[:SIGNATURE_CHARS]


def qr_payload(
    test_id: str,
    variant: int,
    page: int,
    layout_hash: str,
    respondent: str = "",
    key: bytes | None = None,
) -> str:
    """The text in a sheet's QR code: ``MON1|test|variant|page|layout-hash|respondent``, and
    with the package's ``key`` a last field ``|signature`` (:func:`sign_identity`)."""
    text = "|".join([QR_PREFIX, test_id, str(variant), str(page), layout_hash, respondent])
    return text if key is None else f"{text}|{sign_identity(text, key)}"


class QRData(_Frozen):
    test_id: str
    variant: int
    page: int
    layout_hash: str
    respondent: str
    signature: str = ""  # "" when the sheet was printed without a key
    signed_text: str = ""  # the part of the payload the signature covers

    def signed_by(self, key: bytes) -> bool:
        """The signature is this package's: nothing in the identity was changed."""
        return bool(self.signature) and hmac.compare_digest(
            self.signature, sign_identity(self.signed_text, key)
        )


def parse_qr(text: str) -> QRData | None:
    """Parse a QR payload written by :func:`qr_payload`; ``None`` if it is not one of ours."""
    parts = text.split("|")
    if len(parts) not in (6, 7) or parts[0] != QR_PREFIX:
        return None
    try:
        return QRData(
            test_id=parts[1],
            variant=int(parts[2]),
            page=int(parts[3]),
            layout_hash=parts[4],
            respondent=parts[5],
            signature=parts[6] if len(parts) == 7 else "",
            signed_text="|".join(parts[:6]),
        )
    except ValueError:
        return None


def load_identity_key(package: Path) -> bytes | None:
    """The package's identity key (``identity.key`` beside manifest.json), or ``None``."""
    folder = package if package.is_dir() else package.parent
    path = folder / IDENTITY_KEY_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        raise ValidationFailed(
            [
                tr(
                    "{IDENTITY_KEY_FILE}: not a key written by testgen build",
                    IDENTITY_KEY_FILE=IDENTITY_KEY_FILE,
                )
            ],
            where=str(path),
        ) from None


def write_manifest(manifest: Manifest, path: Path) -> None:
    """Write deterministic JSON (sorted keys, fixed separators) so builds are byte-identical."""
    text = json.dumps(
        manifest.model_dump(mode="json"), ensure_ascii=False, indent=1, sort_keys=True
    )
    path.write_text(text + "\n", encoding="utf-8")


def write_poll_manifest(manifest: PollManifest, path: Path) -> None:
    text = json.dumps(
        manifest.model_dump(mode="json"), ensure_ascii=False, indent=1, sort_keys=True
    )
    path.write_text(text + "\n", encoding="utf-8")


def _manifest_path(path: Path) -> Path:
    if path.is_dir():
        path = path / "manifest.json"
    if not path.is_file():
        raise InputNotFound(
            tr("test package manifest not found"),
            where=str(path),
            hint=tr("run `testgen build` first"),
        )
    return path


def _is_poll(data: bytes) -> bool:
    try:
        head = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    return isinstance(head, dict) and head.get("kind") == "poll"


def load_package(path: Path) -> Manifest | PollManifest:
    """A test's or a poll's manifest (a poll's says ``"kind": "poll"``), from a file or a
    package folder."""
    path = _manifest_path(path)
    data = path.read_bytes()
    try:
        head = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValidationFailed(
            [tr("not a JSON file ({error})", error=error)], where=str(path)
        ) from None
    try:
        if isinstance(head, dict) and head.get("kind") == "poll":
            return PollManifest.model_validate(head)
        return Manifest.model_validate(head)
    except ValidationError as error:
        raise ValidationFailed(describe(error), where=str(path)) from None


def load_poll_manifest(path: Path) -> PollManifest:
    package = load_package(path)
    if not isinstance(package, PollManifest):
        raise ValidationFailed(
            [tr("this package is a test, not a poll")], where=str(_manifest_path(path))
        )
    return package


def load_manifest(path: Path) -> Manifest:
    """Load ``manifest.json`` from a file or from a test package folder."""
    path = _manifest_path(path)
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except ValidationError as error:
        if _is_poll(path.read_bytes()):
            raise ValidationFailed(
                [tr("this package is a poll, not a test")],
                where=str(path),
                hint=tr("use `scoring poll-report` for polls"),
            ) from None
        raise ValidationFailed(describe(error), where=str(path)) from None


# -- fillable electronic sheet ----------------------------------------------------------
# Field names of the fillable answer sheet (form-vNN.pdf): part of the package contract,
# since omr reads the filled sheets back by them.
RESPONDENT_FIELD = "respondent_id"
RESPONDENT_NAME_FIELD = "respondent_name"
IDENTITY_FIELD = "test_identity"  # holds the QR payload of the sheet


def question_field(position: int) -> str:
    """Field name of a printed question: ``q01`` .. ``q99``, then ``q100``."""
    return f"q{position:02d}"
