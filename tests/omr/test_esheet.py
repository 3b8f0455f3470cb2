"""Filled electronic answer sheets: field values, no image work."""

from __future__ import annotations

from pathlib import Path

from omr_fixtures import _filled_form

from omr.esheet import esheet_fields, read_esheet
from omr.results import SourceRef
from testgen.manifest import Manifest

SOURCE = SourceRef(file="form.pdf", page=1, sha256="0" * 64)


def test_form_answers_and_id_are_read(tmp_path: Path, manifest: Manifest) -> None:
    path = tmp_path / "form.pdf"
    _filled_form(path, manifest, 2, {"q01": "/D", "q12": "/A", "respondent_id": "424242"})
    fields = esheet_fields(path, str(path))
    assert fields is not None
    result = read_esheet(fields, manifest, SOURCE)
    assert (result.status, result.channel, result.variant) == ("ok", "electronic", 2)
    assert (result.respondent, result.respondent_source) == ("424242", "form")
    assert result.answers()[1] == "D" and result.answers()[12] == "A"
    assert result.questions[0].fills == [0.0, 0.0, 0.0, 1.0]
    assert [q.state for q in result.questions].count("blank") == 10


def test_form_without_id_is_flagged(tmp_path: Path, manifest: Manifest) -> None:
    path = tmp_path / "form.pdf"
    _filled_form(path, manifest, 1, {"q01": "/B"})
    fields = esheet_fields(path, str(path))
    assert fields is not None
    result = read_esheet(fields, manifest, SOURCE)
    assert (result.status, result.flags) == ("flagged", ["respondent ID not filled in"])


def test_form_of_another_test_is_refused(tmp_path: Path, manifest: Manifest) -> None:
    path = tmp_path / "form.pdf"
    _filled_form(path, manifest, 1, {"q01": "/B", "respondent_id": "1"})
    fields = esheet_fields(path, str(path))
    assert fields is not None
    other = manifest.model_copy(
        update={"test": manifest.test.model_copy(update={"id": "other-2026"})}
    )
    result = read_esheet(fields, other, SOURCE)
    assert result.status == "refused"
    assert result.reason.startswith("sheet belongs to test 't-2026', not 'other-2026'")


def test_a_pdf_without_our_fields_is_not_a_form(tmp_path: Path) -> None:
    from reportlab.pdfgen.canvas import Canvas

    path = tmp_path / "plain.pdf"
    canvas = Canvas(str(path))
    canvas.drawString(100, 100, "hello")
    canvas.save()
    assert esheet_fields(path, str(path)) is None
