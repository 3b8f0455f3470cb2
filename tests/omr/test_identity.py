"""Signed sheet identity: a real build signs every QR code and e-sheet identity with the
package's own key; a sheet whose identity was made again or edited is refused, never read."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest

from omr.batch import ScanOptions, scan
from omr.results import SheetResult
from omr.results_folder import RESULTS_JSONL
from omr.sim.run import simulate_package
from testgen.build import build_test
from testgen.manifest import (
    IDENTITY_FIELD,
    RESPONDENT_FIELD,
    load_identity_key,
    load_manifest,
    parse_qr,
    qr_payload,
)
from testgen.sheet import Respondent, render_sheets

ROSTER = """id,name,department,school,email
100001,Иванова Анна Петровна,mathematics,СОШ 1,
100002,Петров Борис Ильич,mathematics,СОШ 1,
"""


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("identity")
    roster = root / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    spec = Path(__file__).resolve().parents[2] / "templates/tests/math-2026-acceptance.yaml"
    build_test(spec, root / "build", variants=2, seed=5, roster=roster)
    return root / "build"


def _scan(folder: Path, package: Path, out: Path) -> list[SheetResult]:
    scan(ScanOptions([folder], package, out, workers=1))
    lines = (out / RESULTS_JSONL).read_text(encoding="utf-8").splitlines()
    return [SheetResult.model_validate_json(line) for line in lines]


REFUSED = (
    "the sheet's identity is not signed by this test package (its QR code or e-sheet identity "
    "was made again or edited) (check the paper by hand and settle the sheet in the review)"
)


def test_genuine_personal_sheets_are_read(package: Path, tmp_path: Path) -> None:
    simulate_package(package, 2, "clean", 1, tmp_path / "sim", kind="personal")
    results = _scan(tmp_path / "sim" / "sheets", package, tmp_path / "out")
    assert sorted((r.status, r.respondent) for r in results) == [
        ("ok", "100001"),
        ("ok", "100002"),
    ]


@pytest.mark.parametrize("forger_key", [None, b"not the package key".ljust(32, b".")])
def test_a_sheet_whose_qr_claims_another_teacher_is_refused(
    package: Path, tmp_path: Path, forger_key: bytes | None
) -> None:
    manifest = load_manifest(package)
    folder = tmp_path / "scans"
    folder.mkdir()
    # a personal sheet printed again by someone without the package's key
    render_sheets(
        folder / "forged.pdf",
        manifest.layout_of_kind("personal"),
        manifest.test,
        [(1, Respondent(id="100002", name="Петров Борис Ильич"))],
        forger_key,
    )
    [result] = _scan(folder, package, tmp_path / "out")
    assert (result.status, result.reason) == ("refused", REFUSED)


def _filled(package: Path, path: Path, identity: str | None = None) -> None:
    writer = pypdf.PdfWriter(clone_from=str(package / "form-v02.pdf"))
    values = {RESPONDENT_FIELD: "100001", "q01": "/A"}
    if identity is not None:
        values[IDENTITY_FIELD] = identity
    writer.update_page_form_field_values(writer.pages[0], values, auto_regenerate=False)
    writer.write(str(path))


def test_an_esheet_whose_identity_was_edited_is_refused(package: Path, tmp_path: Path) -> None:
    manifest = load_manifest(package)
    key = load_identity_key(package)
    assert key is not None
    folder = tmp_path / "forms"
    folder.mkdir()
    _filled(package, folder / "genuine.pdf")
    real = qr_payload(manifest.test.id, 2, 1, manifest.layout_of_kind("anonymous").hash, key=key)
    parsed = parse_qr(real)
    assert parsed is not None
    # the variant changed by hand, the signature kept: variant 1 has other keys
    edited = real.replace(f"|{manifest.test.id}|2|", f"|{manifest.test.id}|1|")
    _filled(package, folder / "edited.pdf", edited)
    results = {Path(r.source.file).name: r for r in _scan(folder, package, tmp_path / "out")}
    assert (results["genuine.pdf"].status, results["genuine.pdf"].variant) == ("ok", 2)
    assert (results["edited.pdf"].status, results["edited.pdf"].reason) == ("refused", REFUSED)


def test_a_signed_package_without_its_key_is_refused_before_reading(
    package: Path, tmp_path: Path
) -> None:
    from common.errors import ValidationFailed

    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "manifest.json").write_bytes((package / "manifest.json").read_bytes())
    with pytest.raises(ValidationFailed) as info:
        scan(ScanOptions([package / "sheet-v01.pdf"], copy, tmp_path / "out", workers=1))
    assert str(info.value).startswith(
        f"{copy}: identity.key is missing beside manifest.json: this package's sheets are signed"
    )


def test_a_teachers_own_esheet_names_them_and_an_edited_id_is_flagged(
    package: Path, tmp_path: Path
) -> None:
    own = package / "esheets-personal" / "100002.pdf"
    fields = pypdf.PdfReader(own).get_fields()
    assert fields is not None
    assert fields[RESPONDENT_FIELD]["/V"] == "100002"
    assert fields[RESPONDENT_FIELD].get("/Ff", 0) & 1  # read-only
    assert "Петров Борис Ильич" in pypdf.PdfReader(own).pages[0].extract_text()
    folder = tmp_path / "forms"
    folder.mkdir()
    for name, typed in (("as-sent.pdf", None), ("edited.pdf", "100001")):
        writer = pypdf.PdfWriter(clone_from=str(own))
        values = {"q01": "/A"} | ({RESPONDENT_FIELD: typed} if typed else {})
        writer.update_page_form_field_values(writer.pages[0], values, auto_regenerate=False)
        writer.write(str(folder / name))
    results = {Path(r.source.file).name: r for r in _scan(folder, package, tmp_path / "out")}
    sent, edited = results["as-sent.pdf"], results["edited.pdf"]
    assert (sent.status, sent.respondent, sent.respondent_source) == ("ok", "100002", "qr")
    # the signed identity wins over the field; the edit is shown to a person
    assert (edited.status, edited.respondent) == ("flagged", "100002")
    assert edited.flags[0] == "the ID field says 100001, the sheet was made for 100002"
