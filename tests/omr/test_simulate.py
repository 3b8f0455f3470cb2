"""The simulator: deterministic per seed, truth matching the drawing, scoring rules, CLI."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import InputNotFound, ValidationFailed
from omr.cli import main
from omr.results import QuestionRead, SheetResult, SourceRef
from omr.sim.accuracy import compare
from omr.sim.capture import BASE_DPI, degrade
from omr.sim.fill import plan_question
from omr.sim.ink import draw_mark
from omr.sim.run import IMAGES_DIR, simulate
from omr.sim.truth import SheetTruth, TruthQuestion, load_truth
from testgen.manifest import Manifest, load_manifest
from testkit.packages import minimal_manifest, write_package

QUESTIONS = 12


@pytest.fixture(scope="module")
def sim_manifest() -> Manifest:
    return minimal_manifest("sim-t", questions=QUESTIONS, options=5, variants=2, id_digits=4)


@pytest.fixture(scope="module")
def sim_package(tmp_path_factory: pytest.TempPathFactory, sim_manifest: Manifest) -> Path:
    return write_package(sim_manifest, tmp_path_factory.mktemp("package"))


def _darkness(image: np.ndarray, x: float, y: float, r: float) -> float:
    """Mean darkness (0 white .. 1 black) inside 0.7 r of a bubble centre, in points."""
    s = BASE_DPI / 72.0
    mask = np.zeros(image.shape, np.uint8)
    cv2.circle(mask, (round(x * s), round(y * s)), round(0.7 * r * s), 1, -1)
    return 1.0 - float(image[mask == 1].mean()) / 255.0


def test_same_seed_gives_identical_files_and_truth(
    tmp_path: Path, sim_manifest: Manifest, sim_package: Path
) -> None:
    runs = []
    for name in ("one", "two"):
        out = tmp_path / name
        simulate(sim_manifest, sim_package, 2, "scan", 11, out)
        files = sorted((out / IMAGES_DIR).iterdir())
        runs.append(([f.read_bytes() for f in files], (out / "truth.jsonl").read_text()))
    assert runs[0] == runs[1]
    other = tmp_path / "other-seed"
    simulate(sim_manifest, sim_package, 2, "scan", 12, other)
    assert sorted(p.read_bytes() for p in (other / IMAGES_DIR).iterdir()) != sorted(runs[0][0])


def test_a_sheet_does_not_depend_on_the_count_or_workers(
    tmp_path: Path, sim_manifest: Manifest, sim_package: Path
) -> None:
    simulate(sim_manifest, sim_package, 1, "clean", 5, tmp_path / "a")
    simulate(sim_manifest, sim_package, 3, "clean", 5, tmp_path / "b", workers=2)
    name = f"{IMAGES_DIR}/clean-0000.png"
    assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_clean_truth_matches_the_drawn_marks(
    tmp_path: Path, sim_manifest: Manifest, sim_package: Path
) -> None:
    simulate(sim_manifest, sim_package, 4, "clean", 3, tmp_path)
    layout = sim_manifest.layout_of_kind("anonymous")
    bubbles = {(b.question, b.option): b for b in layout.pages[0].bubbles if b.kind == "answer"}
    floor = {"pen": 0.5, "pencil_soft": 0.4, "partial": 0.45, "pencil_light": 0.25}
    floor |= {"pencil_half": 0.12, "multiple": 0.4}
    styles = set()
    for truth in load_truth(tmp_path):
        image = cv2.imread(str(tmp_path / truth.file), cv2.IMREAD_GRAYSCALE)
        assert image.shape == (3508, 2481)
        assert truth.expect == "read" and truth.profile == "clean"
        for q in truth.questions:
            styles.add(q.style)
            assert q.must_read, q
            for letter in layout.options:
                b = bubbles[(q.position, letter)]
                dark = _darkness(image, b.x, b.y, b.r)
                if letter in q.letters and q.state in ("marked", "multiple"):
                    assert dark > floor[q.style], (truth.file, q, letter, dark)
                else:
                    assert dark < 0.12, (truth.file, q, letter, dark)
        assert truth.respondent is not None and len(truth.respondent) == 4
        for b in layout.pages[0].bubbles:
            if b.kind == "id" and b.digit is not None:
                dark = _darkness(image, b.x, b.y, b.r)
                chosen = int(truth.respondent[b.digit]) == b.value
                assert (dark > 0.25) if chosen else (dark < 0.12), (b, dark)
    assert {"pen", "blank"} <= styles


def test_profiles_write_their_formats(
    tmp_path: Path, sim_manifest: Manifest, sim_package: Path
) -> None:
    for profile in ("scan", "photo", "harsh"):
        summary = simulate(sim_manifest, sim_package, 2, profile, 8, tmp_path)
        assert summary.pages == 2
    truth = load_truth(tmp_path / "truth.jsonl")
    assert sorted({t.profile for t in truth}) == ["harsh", "photo", "scan"]
    for t in truth:
        image = cv2.imread(str(tmp_path / t.file), cv2.IMREAD_UNCHANGED)
        assert image is not None
        if t.profile == "photo":
            assert t.file.endswith(".jpg") and image.ndim == 3
        if t.profile == "harsh":
            assert t.expect == "refuse_or_flag" and t.degradation["harsh"]
            assert not any(q.must_read for q in t.questions)
    # Simulating a profile again replaces its records; the others stay.
    simulate(sim_manifest, sim_package, 1, "scan", 9, tmp_path)
    again = load_truth(tmp_path)
    assert sum(t.profile == "scan" for t in again) == 1
    assert sum(t.profile == "photo" for t in again) == 2
    assert len(list((tmp_path / IMAGES_DIR).iterdir())) == 5


def test_a_sheet_pdf_of_another_layout_is_refused(tmp_path: Path, sim_manifest: Manifest) -> None:
    stale = minimal_manifest("sim-t", questions=QUESTIONS + 3, options=5, variants=2, id_digits=4)
    write_package(stale, tmp_path / "pkg")
    with pytest.raises(ValidationFailed, match=r"does not match manifest\.json"):
        simulate(sim_manifest, tmp_path / "pkg", 1, "clean", 1, tmp_path / "out")


def test_bad_arguments_are_reported_together(tmp_path: Path, sim_manifest: Manifest) -> None:
    with pytest.raises(ValidationFailed) as error:
        simulate(sim_manifest, tmp_path, 0, "fax", 1, tmp_path / "out")
    assert "profile" in str(error.value) and "count" in str(error.value)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), options=st.integers(2, 6), realistic=st.booleans())
def test_planned_truth_is_consistent_with_the_marks(
    seed: int, options: int, realistic: bool
) -> None:
    letters = "ABCDEF"[:options]
    plan = plan_question(7, letters, np.random.default_rng(seed), realistic=realistic, harsh=False)
    truth = plan.truth
    assert truth.position == 7
    assert all(0 <= index < options for index, _ in plan.marks)
    assert set(truth.letters) <= set(letters)
    if truth.state == "blank":
        assert truth.letters == ""
    if truth.state == "multiple":
        assert len(truth.letters) == 2 and truth.letters == "".join(sorted(truth.letters))
    if truth.state in ("marked", "multiple") and truth.must_read:
        solid = {letters[i] for i, kind in plan.marks if not kind.startswith(("erased", "dot"))}
        assert solid == set(truth.letters)
    if not realistic:
        assert truth.must_read
    if not truth.must_read:
        assert truth.letters in truth.acceptable or truth.state == "ambiguous"


def test_pencil_half_is_half_a_bubble_at_about_forty_percent() -> None:
    r = 25.0
    patch = draw_mark("pencil_half", r, np.random.default_rng(3))
    size = patch.shape[0]
    disc = np.zeros_like(patch, np.uint8)
    cv2.circle(disc, (size // 2, size // 2), int(r), 1, -1)
    inside = patch[disc == 1]
    covered = inside > 0.05
    assert 0.45 <= covered.mean() <= 0.7
    assert 0.33 <= inside[covered].mean() <= 0.55


def test_clean_degradation_is_the_identity() -> None:
    page = np.random.default_rng(0).integers(0, 256, (50, 40), dtype=np.uint8)
    manifest = minimal_manifest(questions=3, variants=1)
    sheet = manifest.layout_of_kind("anonymous").pages[0]
    out = degrade(page, sheet, "clean", np.random.default_rng(1))
    assert out.image is page and out.encoding == "png"


# --- scoring --------------------------------------------------------------------------------


def _truth(questions: list[TruthQuestion], respondent: str | None = "0042") -> SheetTruth:
    return SheetTruth(
        file="sheets/scan-0000.jpg",
        test_id="t",
        variant=1,
        sheet_page=1,
        layout_hash="h",
        respondent=respondent,
        respondent_source="grid" if respondent else None,
        profile="scan",
        seed=1,
        index=0,
        expect="read",
        questions=questions,
    )


def _q(position: int, state: str, letters: str, **kw: object) -> TruthQuestion:
    return TruthQuestion(
        position=position,
        state=state,
        letters=letters,
        style=kw.pop("style", "pen"),  # type: ignore[arg-type]
        must_read=kw.pop("must_read", True),
        acceptable=kw.pop("acceptable", []),  # type: ignore[arg-type]
    )


def _read(position: int, state: str, letters: str, doubtful: str = "") -> QuestionRead:
    return QuestionRead(
        position=position,
        state=state,
        letters=letters,
        fills=[0.0] * 4,
        doubtful=doubtful,  # type: ignore[arg-type]
    )


def _result(
    questions: list[QuestionRead], status: str = "ok", respondent: str | None = "0042"
) -> SheetResult:
    return SheetResult(
        source=SourceRef(file="/somewhere/scan-0000.jpg", sha256="0"),
        status=status,  # type: ignore[arg-type]
        respondent=respondent,
        questions=questions,
    )


def test_compare_counts_each_outcome() -> None:
    truth = _truth(
        [
            _q(1, "marked", "A"),
            _q(2, "blank", ""),
            _q(3, "marked", "C", style="tick", must_read=False, acceptable=["C", ""]),
            _q(4, "multiple", "BD"),
            _q(5, "marked", "B", style="pencil_light"),
            _q(6, "marked", "A"),
        ]
    )
    result = _result(
        [
            _read(1, "marked", "A"),
            _read(2, "blank", ""),
            _read(3, "blank", ""),  # a tick read as blank: accepted
            _read(4, "ambiguous", "", doubtful="D"),  # flagged on a must-read question
            _read(5, "blank", ""),  # silent error
            _read(6, "marked", "A", doubtful="A"),  # flagged
        ],
        status="flagged",
    )
    report = compare([result], [truth])
    f = report.profiles["scan"]
    assert (f.correct, f.accepted, f.flagged, f.flagged_must_read, f.silent_errors) == (
        2,
        1,
        2,
        2,
        1,
    )
    assert f.questions == 6 and f.bubbles_read == 24 and f.exact_sheets == 0
    assert report.errors[0].question == 5 and report.errors[0].got == ""
    assert report.styles["scan"]["pencil_light"] == {"silent_error": 1}


def test_compare_exact_refused_missing_and_wrong_id() -> None:
    good = _truth([_q(1, "marked", "A")])
    exact = compare([_result([_read(1, "marked", "A")])], [good]).total
    assert exact.exact_sheets == 1 and exact.exact_pct == 100.0
    wrong_id = compare([_result([_read(1, "marked", "A")], respondent="0043")], [good]).total
    assert wrong_id.silent_id_errors == 1 and wrong_id.exact_sheets == 0
    flagged_id = compare(
        [_result([_read(1, "marked", "A")], status="flagged", respondent=None)], [good]
    ).total
    assert flagged_id.silent_id_errors == 0
    refused = compare([_result([], status="refused", respondent=None)], [good]).total
    assert refused.refused == 1 and refused.questions == 0
    missing = compare([], [good]).total
    assert missing.missing == 1
    unreported = compare([_result([])], [good]).total
    assert unreported.silent_errors == 1


# --- CLI ------------------------------------------------------------------------------------


def test_cli_simulate_writes_images_and_truth(tmp_path: Path, sim_package: Path) -> None:
    out = tmp_path / "sim"
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            "--test",
            str(sim_package),
            "--count",
            "2",
            "--profile",
            "clean",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 2 clean page(s) of 2 sheet(s)" in result.output
    lines = (out / "truth.jsonl").read_text().splitlines()
    assert [json.loads(line)["file"] for line in lines] == [
        "sheets/clean-0000.png",
        "sheets/clean-0001.png",
    ]


def test_cli_simulate_missing_package_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["simulate", "--test", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"Error: {tmp_path / 'nope'}: test package manifest not found (run `testgen build` first)"
    ]


def test_scan_sheets_are_sometimes_bundled_into_pdf_and_tiff(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    from omr.sim.run import _bundle

    (tmp_path / IMAGES_DIR).mkdir()
    records = []
    for index in (2, 3, 4, 11, 12):
        image = np.full((60 + index, 40), 200 + index, np.uint8)
        name = f"{IMAGES_DIR}/scan-{index:04d}.jpg"
        cv2.imwrite(str(tmp_path / name), image)
        base = _truth([_q(1, "marked", "A")])
        records.append(
            base.model_copy(update={"file": name, "index": index, "degradation": {"dpi": 150}})
        )
    out = {(t.index, t.file, t.page) for t in _bundle(tmp_path, records)}
    assert out == {
        (2, "sheets/scan-0002.jpg", 1),
        (3, "sheets/scan-0003-0004.pdf", 1),
        (4, "sheets/scan-0003-0004.pdf", 2),
        (11, "sheets/scan-0011-0012.tif", 1),
        (12, "sheets/scan-0011-0012.tif", 2),
    }
    pdf = pdfium.PdfDocument(str(tmp_path / "sheets/scan-0003-0004.pdf"))
    assert len(pdf) == 2 and pdf[1].get_size() == pytest.approx((40 * 72 / 150, 64 * 72 / 150))
    pdf.close()
    ok, pages = cv2.imreadmulti(str(tmp_path / "sheets/scan-0011-0012.tif"))
    assert ok and [p.shape[0] for p in pages] == [71, 72]
    assert sorted(p.name for p in (tmp_path / IMAGES_DIR).iterdir()) == [
        "scan-0002.jpg",
        "scan-0003-0004.pdf",
        "scan-0011-0012.tif",
    ]


# --- personalised sheets ----------------------------------------------------------------------

PERSONAL_ROSTER = (
    "id,name,department,school,email\n"
    "100001,Ёлкина Анна Сергеевна,mathematics,Лицей № 131,\n"
    "100002,Петров Пётр Петрович,mathematics,Школа № 2,\n"
    "100003,Smith John,english,School 3,\n"
    "100004,Щукина Юлия,mathematics,Гимназия № 7,\n"
)


@pytest.fixture(scope="module")
def personal_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real `testgen build --roster` of the sample test: 3 mathematics teachers, 2 variants."""
    from demo.paths import SAMPLE_TESTS_DIR
    from testgen.build import build_test

    root = tmp_path_factory.mktemp("personal")
    roster = root / "roster.csv"
    roster.write_text(PERSONAL_ROSTER, encoding="utf-8")
    out = root / "package"
    build_test(SAMPLE_TESTS_DIR / "math-2026-acceptance.yaml", out, variants=2, roster=roster)
    return out


def _personal_rows(package: Path) -> dict[str, dict[str, str]]:
    text = (package / "personal-sheets.csv").read_text(encoding="utf-8")
    return {row["teacher_id"]: row for row in csv.DictReader(io.StringIO(text))}


def test_personal_sheets_are_deterministic_and_name_their_teacher(
    tmp_path: Path, personal_package: Path
) -> None:
    manifest = load_manifest(personal_package)
    teachers = ["100002", "100001"]  # variants 2 and 1 (handed out in roster order)
    runs = []
    for name, workers in (("one", 1), ("two", 2)):
        out = tmp_path / name
        simulate(
            manifest, personal_package, 2, "scan", 7, out,
            respondents=teachers, skills=[0.9, 0.5], kind="personal", workers=workers,
        )  # fmt: skip
        files = sorted((out / IMAGES_DIR).iterdir())
        runs.append(([f.read_bytes() for f in files], (out / "truth.jsonl").read_text()))
    assert runs[0] == runs[1]
    truth = load_truth(tmp_path / "one")
    rows = _personal_rows(personal_package)
    assert [t.file for t in truth] == [
        "sheets/scan-personal-0000.jpg",
        "sheets/scan-personal-0001.jpg",
    ]
    assert [(t.respondent, t.respondent_source, t.kind) for t in truth] == [
        ("100002", "qr", "personal"),
        ("100001", "qr", "personal"),
    ]
    # The variant is the one printed for the teacher, not a random one.
    assert [t.variant for t in truth] == [int(rows[t]["variant"]) for t in teachers] == [2, 1]


def test_personal_sheets_read_back_with_the_teacher_from_the_qr(
    tmp_path: Path, personal_package: Path
) -> None:
    from omr.batch import ScanOptions, scan
    from omr.results_folder import load_results

    manifest = load_manifest(personal_package)
    out = tmp_path / "sim"
    teachers = ["100001", "100002", "100004"]
    simulate(
        manifest, personal_package, 3, "clean", 3, out,
        respondents=teachers, skills=[0.8, 0.6, 0.4], kind="personal",
    )  # fmt: skip
    summary = scan(
        ScanOptions(inputs=[out / IMAGES_DIR], test=personal_package, out=tmp_path / "res")
    )
    assert summary.errors == []
    results = list(load_results(tmp_path / "res").values())
    assert sorted((r.respondent, r.respondent_source, r.status) for r in results) == [
        (t, "qr", "ok") for t in teachers
    ]
    report = compare(results, load_truth(out))
    assert report.total.silent_errors == 0 and report.total.silent_id_errors == 0
    assert report.total.exact_sheets == 3 and report.total.questions == 3 * 30


def test_unknown_teachers_are_listed(tmp_path: Path, personal_package: Path) -> None:
    manifest = load_manifest(personal_package)
    with pytest.raises(ValidationFailed) as error:
        simulate(
            manifest, personal_package, 3, "clean", 1, tmp_path,
            respondents=["100001", "100003", "999"], kind="personal",
        )  # fmt: skip
    assert "not in personal-sheets.csv: 100003, 999" in str(error.value)
    with pytest.raises(ValidationFailed, match="need the teacher IDs"):
        simulate(manifest, personal_package, 1, "clean", 1, tmp_path, kind="personal")


def test_a_package_without_personal_sheets_is_refused(
    tmp_path: Path, sim_manifest: Manifest, sim_package: Path
) -> None:
    with pytest.raises(InputNotFound, match="personalised sheets not found"):
        simulate(
            sim_manifest, sim_package, 1, "clean", 1, tmp_path, respondents=["1"], kind="personal"
        )


def test_a_personal_csv_that_does_not_match_the_pdf_is_refused(
    tmp_path: Path, personal_package: Path
) -> None:
    package = tmp_path / "package"
    shutil.copytree(personal_package, package)
    csv_path = package / "personal-sheets.csv"
    # Swap the pages of two teachers: the QR code of each page names the other one.
    text = csv_path.read_text(encoding="utf-8")
    csv_path.write_text(text.replace(",1,1\n", ",1,X\n").replace(",1,3\n", ",1,1\n").replace(
        ",1,X\n", ",1,3\n"), encoding="utf-8")  # fmt: skip
    with pytest.raises(ValidationFailed, match="teacher 100001"):
        simulate(
            load_manifest(package), package, 1, "clean", 1, tmp_path / "out",
            respondents=["100001"], kind="personal",
        )  # fmt: skip


def test_anonymous_and_personal_sheets_share_a_folder(
    tmp_path: Path, personal_package: Path
) -> None:
    manifest = load_manifest(personal_package)
    simulate(manifest, personal_package, 1, "clean", 1, tmp_path)
    simulate(
        manifest, personal_package, 1, "clean", 1, tmp_path, respondents=["100002"],
        kind="personal",
    )  # fmt: skip
    simulate(manifest, personal_package, 1, "clean", 2, tmp_path)  # again: replaces its own
    truth = load_truth(tmp_path)
    assert sorted((t.file, t.respondent_source, t.seed) for t in truth) == [
        ("sheets/clean-0000.png", "grid", 2),
        ("sheets/clean-personal-0000.png", "qr", 1),
    ]
    assert sorted(p.name for p in (tmp_path / IMAGES_DIR).iterdir()) == [
        "clean-0000.png",
        "clean-personal-0000.png",
    ]


def test_cli_simulates_personal_sheets(tmp_path: Path, personal_package: Path) -> None:
    base = ["simulate", "--test", str(personal_package), "--profile", "clean", "--personal"]
    result = CliRunner().invoke(main, [*base, "--count", "2", "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert "Wrote 2 clean page(s) of 2 personalised sheet(s)" in result.output
    assert [t.respondent for t in load_truth(tmp_path / "a")] == ["100001", "100002"]
    ids = tmp_path / "ids.txt"
    ids.write_text("100004\n\n100002\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, [*base, "--respondents", str(ids), "--out", str(tmp_path / "b")]
    )
    assert result.exit_code == 0, result.output
    assert [t.respondent for t in load_truth(tmp_path / "b")] == ["100004", "100002"]
    result = CliRunner().invoke(main, [*base, "--respondents", "100001,42", "--out", str(tmp_path)])
    assert result.exit_code == 3
    assert "not in personal-sheets.csv: 42" in result.output
