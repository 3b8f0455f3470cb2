"""Every report speaks its test's language: an English test's PDFs, website pages and school
packs carry no Russian label, a Russian test's keep theirs, whatever the interface speaks.

The Russian labels looked for are the Russian catalogue's own sentences, so a label added
later without a translation path is caught too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner
from pypdf import PdfReader

from common.i18n import LOCALE_DIR
from scoring.cli import main
from testkit.reports import fill_store

ENGLISH = "engl-2026-intermediate-1"
MATHS = "math-2026-intermediate-1"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("language") / "monitoring.db"
    fill_store(path, teachers={"mathematics": 6, "english": 6}, tasks=6, stages=2, seed=4,
               languages={"english": "en"})  # fmt: skip
    return path


@pytest.fixture(scope="module")
def russian_labels() -> list[str]:
    """The Russian catalogue's sentences long enough not to occur in data by chance, their
    {fields} cut out: what is left of each is a piece of label text."""
    with (LOCALE_DIR / "ru" / "LC_MESSAGES" / "monitoring.po").open("rb") as handle:
        catalog = read_po(handle, locale="ru")
    pieces = set()
    for message in catalog:
        if not message.id or not isinstance(message.string, str):
            continue
        for piece in re.split(r"\{[^}]*\}", message.string):
            piece = " ".join(piece.split()).strip(" .,:;·")
            if len(piece) >= 12 and re.search("[а-яё]", piece, re.IGNORECASE):
                pieces.add(piece)
    return sorted(pieces)


def _pdf_text(path: Path) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(path).pages)


def _html_text(path: Path) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")).split())


@pytest.fixture(scope="module")
def published(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("published")
    runner = CliRunner()
    for test_id in (ENGLISH, MATHS):
        done = runner.invoke(main, ["report", "--test", test_id, "--db", str(store), "--out",
                                    str(out / "reports"), "-q", "--allow-unresolved",
                                    "--workers", "1"])  # fmt: skip
        assert done.exit_code == 0, done.output
    for args in (["site", "--out", str(out / "site"), "--workers", "1"],
                 ["packs", "--out", str(out / "packs")]):  # fmt: skip
        done = runner.invoke(main, [*args, "--db", str(store), "-q"])
        assert done.exit_code == 0, done.output
    return out


def test_an_english_test_has_english_reports(published: Path, russian_labels: list[str]) -> None:
    folder = published / "reports" / ENGLISH
    files = sorted(folder.rglob("*.pdf")) + sorted((folder / "site").glob("*.html"))
    assert len(files) > 6
    site = published / "site" / "tests"
    files += [site / f"{ENGLISH}.html", *sorted((site / ENGLISH).glob("*.html"))]
    for path in files:
        text = _pdf_text(path) if path.suffix == ".pdf" else _html_text(path)
        found = [label for label in russian_labels if label in text]
        assert found == [], (path.name, found)
    teacher = _pdf_text(next((folder / "teachers").glob("*.pdf")))
    for label in ("Personal report on the test results", "Tasks and mistakes explained",
                  "place in the department", "school year 2026/2027"):  # fmt: skip
        assert label in teacher
    assert "Ranking of the teachers" in _pdf_text(folder / "department-english.pdf")
    page = (site / f"{ENGLISH}.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "Ranking of the teachers" in page
    extract = next((folder / "schools").glob("*.csv")).read_text(encoding="utf-8-sig")
    assert extract.startswith("Participant number,Teacher,School,Department,Test,Form,Mode")
    assert "in person (paper sheet)" in extract or "remotely" in extract


def test_a_russian_test_keeps_russian_reports(published: Path) -> None:
    folder = published / "reports" / MATHS
    teacher = _pdf_text(next((folder / "teachers").glob("*.pdf")))
    assert "Индивидуальный отчёт о результатах тестирования" in teacher
    assert "Personal report" not in teacher
    page = (published / "site" / "tests" / f"{MATHS}.html").read_text(encoding="utf-8")
    assert '<html lang="ru">' in page and "Рейтинг педагогов" in page
    extract = next((folder / "schools").glob("*.csv")).read_text(encoding="utf-8-sig")
    assert extract.startswith("Номер участника,Педагог,Образовательная организация,Кафедра")
    assert "очно (бланк)" in extract or "дистанционно" in extract
    # the cluster's index and packs: half the tests are Russian, so Russian
    index = (published / "site" / "index.html").read_text(encoding="utf-8")
    assert "Таблица 2" in index
    pack = next((published / "packs").glob("*.csv")).read_text(encoding="utf-8-sig")
    assert pack.startswith("Кафедра,Педагог")
