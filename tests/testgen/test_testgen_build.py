"""A real build of a small spec: files, determinism, PDFs (text, bubbles, QR, ArUco), forms."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
import yaml
from click.testing import CliRunner
from pypdf import PdfReader, PdfWriter

from testgen.build import BuildSummary, build_test
from testgen.cli import main
from testgen.manifest import (
    IDENTITY_FIELD,
    RESPONDENT_FIELD,
    Manifest,
    SheetLayout,
    load_identity_key,
    load_manifest,
    parse_qr,
    qr_payload,
    question_field,
)
from testgen.sheet import qr_modules

DPI = 200
SCALE = DPI / 72
VARIANTS = 3
ROSTER = (
    "id,name,department,school,email\n"
    "100001,Ёлкина Анна Сергеевна,mathematics,Лицей № 131,\n"
    "100002,Петров Пётр Петрович,mathematics,Школа № 2,\n"
    "100003,Smith John,english,School 3,\n"
    "100004,Щукина Юлия,mathematics,Гимназия № 7,\n"
    "100005,Яковлев Эдуард,mathematics,Школа № 2,\n"
)


@pytest.fixture(scope="module")
def package(make_spec: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(spec path, package folder) of a 12-task, 5-option test built into 3 variants."""
    root = tmp_path_factory.mktemp("build")
    data = make_spec(12, options=5, groups=((4, 3),), pinned=(0,), last_pinned=(8,), multi=(10,))
    spec = root / "математика.yaml"
    spec.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    roster = root / "roster.csv"
    roster.write_text(ROSTER, "utf-8")
    out = root / "пакет"
    build_test(spec, out, variants=VARIANTS, seed=2011, roster=roster)
    return spec, out


@pytest.fixture(scope="module")
def manifest(package: tuple[Path, Path]) -> Manifest:
    return load_manifest(package[1])


def _page_image(pdf: Path, index: int = 0, dpi: int = DPI) -> np.ndarray:
    """Greyscale page, shape (H, W), uint8."""
    document = pdfium.PdfDocument(str(pdf))
    try:
        bitmap = document[index].render(scale=dpi / 72, grayscale=True)
        return np.array(bitmap.to_numpy()).reshape(bitmap.height, bitmap.width).copy()
    finally:
        document.close()


def _ring_darkness(image: np.ndarray, x: float, y: float, r: float) -> float:
    """Share of 32 directions in which the band r±25% around (x, y) pt holds a dark pixel."""
    hits = 0
    for angle in np.linspace(0, 2 * np.pi, 32, endpoint=False):
        radii = np.linspace(0.75 * r, 1.25 * r, 7) * SCALE
        xs = np.round(x * SCALE + radii * np.cos(angle)).astype(int)
        ys = np.round(y * SCALE + radii * np.sin(angle)).astype(int)
        hits += int(image[ys, xs].min() < 140)
    return hits / 32


def test_package_holds_every_file(package: tuple[Path, Path]) -> None:
    _, out = package
    names = sorted(p.name for p in out.iterdir())
    expected = {
        "manifest.json",
        "keys.csv",
        "identity.key",
        "esheets-personal",
        "sheets-personal.pdf",
        "personal-sheets.csv",
    }
    for v in range(1, VARIANTS + 1):
        expected |= {f"{kind}-v{v:02d}.pdf" for kind in ("booklet", "sheet", "form", "commentary")}
    assert names == sorted(expected)


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(
    package: tuple[Path, Path], tmp_path: Path
) -> None:
    spec, out = package
    # the sheets carry signatures under the package's own random key: same spec, seed and
    # key give the same bytes (a rebuild in the same folder keeps the key)
    (tmp_path / "again").mkdir()
    shutil.copy(out / "identity.key", tmp_path / "again" / "identity.key")
    build_test(spec, tmp_path / "again", variants=VARIANTS, seed=2011)
    build_test(spec, tmp_path / "other", variants=VARIANTS, seed=2012)
    for name in ("manifest.json", "keys.csv", "sheet-v01.pdf", "booklet-v02.pdf"):
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes(), name
    assert (tmp_path / "other" / "keys.csv").read_bytes() != (out / "keys.csv").read_bytes()
    assert (tmp_path / "other" / "identity.key").read_bytes() != (out / "identity.key").read_bytes()
    assert (tmp_path / "other" / "manifest.json").read_text().count("identity.key") == 0


def test_manifest_has_both_layouts_keyed_by_hash(manifest: Manifest) -> None:
    kinds = {layout.kind: digest for digest, layout in manifest.layouts.items()}
    assert set(kinds) == {"anonymous", "personal"}
    for digest, layout in manifest.layouts.items():
        assert layout.hash == digest == layout.geometry_hash()
    assert manifest.layout_of_kind("anonymous").id_digits == 6
    assert manifest.layout_of_kind("personal").id_digits == 0
    assert len(manifest.key_agreement) == VARIANTS
    assert manifest.seed == 2011


def test_keys_csv_matches_the_manifest(package: tuple[Path, Path], manifest: Manifest) -> None:
    with (package[1] / "keys.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == VARIANTS * 12
    for row in rows:
        item = manifest.variant(int(row["variant"])).items[int(row["position"]) - 1]
        assert (row["key"], row["version"], row["task_id"]) == (
            item.key,
            item.version,
            item.task_id,
        )
        assert int(row["source_position"]) == item.source_position


def test_booklet_and_commentary_text_extracts_with_cyrillic(
    package: tuple[Path, Path], manifest: Manifest
) -> None:
    out = package[1]
    variant = manifest.variant(2)
    first = variant.items[0]
    booklet = PdfReader(out / "booklet-v02.pdf")
    text = "\n".join(page.extract_text() for page in booklet.pages)
    for page in booklet.pages:
        assert "Вариант 2 (два)" in page.extract_text()
    assert "Входной контроль: математика" in text
    assert f"Задание {first.source_position} ({first.version})" in text
    assert "Прочитайте текст" in text  # the group's passage is printed
    commentary = "\n".join(p.extract_text() for p in PdfReader(out / "commentary-v02.pdf").pages)
    assert f"Пояснение к заданию {first.source_position}, версия {first.version}." in commentary
    assert "Ключ и комментарии" in commentary


def _assert_numbered_pages(pdf: Path, page_word: str, of_word: str, variant_code: str) -> int:
    """Every page of ``pdf`` says "<page> N <of> M" with M its real page count and carries
    the variant code; returns M."""
    pages = PdfReader(pdf).pages
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        text = page.extract_text()
        assert f"{page_word} {number} {of_word} {total}" in text, (pdf.name, number, text)
        assert variant_code in text, (pdf.name, number)
    return total


def test_every_page_says_page_n_of_m_in_russian(package: tuple[Path, Path]) -> None:
    out = package[1]
    for v in range(1, VARIANTS + 1):
        for kind in ("booklet", "commentary"):
            _assert_numbered_pages(out / f"{kind}-v{v:02d}.pdf", "стр.", "из", f"Вариант {v} (")
    # the page count is that of the PDF, not a constant: the booklet runs over several pages
    assert _assert_numbered_pages(out / "booklet-v02.pdf", "стр.", "из", "Вариант 2 (два)") >= 2


def test_every_page_says_page_n_of_m_in_english(make_spec: Any, tmp_path: Path) -> None:
    data = make_spec(30, language="en")
    spec = tmp_path / "english.yaml"
    spec.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    build_test(spec, tmp_path / "out", variants=2, seed=7)
    totals = {
        kind: _assert_numbered_pages(
            tmp_path / "out" / f"{kind}-v01.pdf", "page", "of", "Variant 1 (one)"
        )
        for kind in ("booklet", "commentary")
    }
    assert totals["booklet"] >= 3


def test_sheet_prints_a_bubble_outline_at_every_manifest_coordinate(
    package: tuple[Path, Path], manifest: Manifest
) -> None:
    layout = manifest.layout_of_kind("anonymous")
    image = _page_image(package[1] / "sheet-v01.pdf")
    assert image.shape == (round(layout.page_height * SCALE), round(layout.page_width * SCALE))
    bubbles = layout.pages[0].bubbles
    assert len(bubbles) == 12 * 5 + 6 * 10
    for b in bubbles:
        assert _ring_darkness(image, b.x, b.y, b.r) >= 0.9, b
    # and nothing bubble-like half a row below each answer bubble: the check can fail
    answers = [b for b in bubbles if b.kind == "answer"]
    misses = [_ring_darkness(image, b.x, b.y + 9.5, b.r) for b in answers]
    assert max(misses) < 0.9


def _decode_qr(image: np.ndarray, layout: SheetLayout) -> str:
    """Decode the QR code in its layout box, padded by less than its quiet zone.

    OpenCV 5.0's plain ``QRCodeDetector`` misses some clean codes at some scales (measured:
    this suite's personalised sheet at 200 dpi, and 4-8 of 150 synthetic payloads at any one
    scale); ``QRCodeDetectorAruco`` read all of them, so it goes first.
    """
    box = layout.pages[0].qr
    pad = 8
    x0, y0 = int((box.x - pad) * SCALE), int((box.y - pad) * SCALE)
    x1, y1 = int((box.x + box.width + pad) * SCALE), int((box.y + box.height + pad) * SCALE)
    crop = image[y0:y1, x0:x1]
    for detector in (cv2.QRCodeDetectorAruco(), cv2.QRCodeDetector()):
        text, _, _ = detector.detectAndDecode(crop)
        if text:
            return text
    return ""


def test_qr_decodes_to_the_manifest_payload(package: tuple[Path, Path], manifest: Manifest) -> None:
    layout = manifest.layout_of_kind("anonymous")
    for v in range(1, VARIANTS + 1):
        image = _page_image(package[1] / f"sheet-v{v:02d}.pdf")
        text = _decode_qr(image, layout)
        key = load_identity_key(package[1])
        assert key is not None
        assert text == qr_payload(manifest.test.id, v, 1, layout.hash, key=key)
        parsed = parse_qr(text)
        assert parsed is not None and parsed.signed_by(key)


def test_qr_has_a_quiet_zone_of_four_modules(
    package: tuple[Path, Path], manifest: Manifest
) -> None:
    layout = manifest.layout_of_kind("anonymous")
    box = layout.pages[0].qr
    # the longest payload we print: a 40-character test id and a 12-digit respondent
    payload = qr_payload("x" * 40, 26, 9, layout.hash, "123456789012", key=b"k" * 32)
    modules = qr_modules(payload)
    quiet = 4 * box.width / modules.shape[0]
    image = _page_image(package[1] / "sheet-v01.pdf")
    ys, xs = np.mgrid[0 : image.shape[0], 0 : image.shape[1]] / SCALE  # pixel -> points

    def inside(margin: float) -> np.ndarray:
        return (
            (xs >= box.x - margin)
            & (xs <= box.x + box.width + margin)
            & (ys >= box.y - margin)
            & (ys <= box.y + box.height + margin)
        )

    # one pixel of anti-aliasing is allowed next to the symbol
    zone = inside(quiet) & ~inside(1.5 / SCALE * 1.0 + 0.5)
    assert image[zone].min() > 200
    assert image[inside(0)].min() < 50  # the symbol itself is there


def test_personal_sheets_carry_the_teacher_in_the_qr_and_the_text(
    package: tuple[Path, Path], manifest: Manifest
) -> None:
    out = package[1]
    layout = manifest.layout_of_kind("personal")
    with (out / "personal-sheets.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["teacher_id"] for r in rows] == ["100001", "100002", "100004", "100005"]
    assert [int(r["variant"]) for r in rows] == [1, 2, 3, 1]
    reader = PdfReader(out / "sheets-personal.pdf")
    assert len(reader.pages) == 4
    assert "Щукина Юлия" in reader.pages[2].extract_text()
    for page, row in enumerate(rows):
        image = _page_image(out / "sheets-personal.pdf", index=page)
        expected = qr_payload(
            manifest.test.id,
            int(row["variant"]),
            1,
            layout.hash,
            row["teacher_id"],
            key=load_identity_key(out),
        )
        assert _decode_qr(image, layout) == expected
    for b in layout.pages[0].bubbles:
        assert b.kind == "answer"
        assert _ring_darkness(image, b.x, b.y, b.r) >= 0.9


def test_four_aruco_markers_are_found_where_the_manifest_says(
    package: tuple[Path, Path], manifest: Manifest
) -> None:
    layout = manifest.layout_of_kind("anonymous")
    image = _page_image(package[1] / "sheet-v01.pdf", dpi=100)
    detector = cv2.aruco.ArucoDetector(
        cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50), cv2.aruco.DetectorParameters()
    )
    corners, ids, _ = detector.detectMarkers(image)
    assert ids is not None
    found = {int(i): c.reshape(4, 2) for i, c in zip(ids.ravel(), corners, strict=True)}
    assert sorted(found) == [0, 1, 2, 3]
    for marker in layout.pages[0].markers:
        top_left = found[marker.id][0] * 72 / 100  # back to points
        assert np.allclose(top_left, [marker.x, marker.y], atol=2.0), marker


def test_fillable_form_has_the_documented_fields(
    package: tuple[Path, Path], manifest: Manifest
) -> None:
    reader = PdfReader(package[1] / "form-v02.pdf")
    fields = reader.get_fields()
    assert fields is not None
    layout_hash = manifest.layout_of_kind("anonymous").hash
    identity = qr_payload(manifest.test.id, 2, 1, layout_hash, key=load_identity_key(package[1]))
    assert fields[IDENTITY_FIELD]["/V"] == identity
    assert reader.metadata is not None and reader.metadata.subject == identity
    assert RESPONDENT_FIELD in fields
    for item in manifest.variant(2).items:
        name = question_field(item.position)
        if len(item.key) == 1:
            assert fields[name]["/_States_"] == ["/A", "/B", "/C", "/D", "/E"]
        else:
            assert {f"{name}_{letter}" for letter in "ABCDE"} <= set(fields)


def test_cli_build_prints_the_key_agreement_matrix(
    package: tuple[Path, Path], tmp_path: Path
) -> None:
    spec, _ = package
    out = tmp_path / "cli"
    result = CliRunner().invoke(
        main, ["build", str(spec), "--variants", "4", "--seed", "7", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Built t-2026: 4 variants x 12 questions, seed 7" in result.output
    assert "key agreement" in result.output
    assert "neighbours (v, v+1): 1-2:" in result.output
    assert load_manifest(out).seed == 7


def test_summary_neighbour_agreement_is_read_cyclically() -> None:
    matrix = np.array([[5, 1, 2], [1, 5, 3], [2, 3, 5]])
    summary = BuildSummary("t", Path("."), 3, 1, 5, matrix)
    assert summary.neighbour_agreement() == [1, 3, 2]


def test_a_form_filled_with_pypdf_reads_back(
    package: tuple[Path, Path], manifest: Manifest, tmp_path: Path
) -> None:
    reader = PdfReader(package[1] / "form-v02.pdf")
    items = manifest.variant(2).items
    single = next(i for i in items if len(i.key) == 1)
    multi = next(i for i in items if len(i.key) > 1)
    values = {
        RESPONDENT_FIELD: "311266",
        question_field(single.position): f"/{single.key}",
        f"{question_field(multi.position)}_{multi.key[0]}": "/Yes",
    }
    writer = PdfWriter(clone_from=reader)
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    filled = tmp_path / "filled.pdf"
    writer.write(filled)
    fields = PdfReader(filled).get_fields()
    assert fields is not None
    assert {name: fields[name].get("/V") for name in values} == values
    other = next(i for i in items if len(i.key) == 1 and i.position != single.position)
    assert fields[question_field(other.position)].get("/V") is None  # blank stays blank
