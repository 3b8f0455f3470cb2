"""School packs: every teacher of the school in the roster across departments, absentees
marked, and a pack even for a school whose teachers took no test; no other school's teacher."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner
from pypdf import PdfReader

from common.roster import Teacher
from common.vocabulary import Department
from scoring.cli import main
from scoring.report.render import school_file_stems
from scoring.store import open_store
from testkit.reports import fill_store


def test_every_school_gets_its_pack_with_absentees_marked(tmp_path: Path) -> None:
    store = tmp_path / "monitoring.db"
    fill_store(store, teachers={"mathematics": 12, "russian": 6}, tasks=8, stages=5, seed=4)
    lonely = Teacher(
        id="777001",
        name="Отсутствова Анна Ивановна",
        department=Department.ENGLISH,
        school="МБОУ «Школа без участников»",
    )
    with open_store(store) as s:
        with s.write() as con:
            s.upsert_teachers(con, [lonely])
        roster = list(s.teachers().values())
        took = {a.teacher_id for t in s.tests() for a in s.attempts(t[0])}
    out = tmp_path / "packs"
    done = CliRunner().invoke(main, ["packs", "--db", str(store), "--out", str(out), "-q"])
    assert done.exit_code == 0, done.output
    schools = sorted({t.school for t in roster})
    stems = school_file_stems(schools)
    assert "1 school(s) without participants" in done.output
    for school in schools:
        rows = list(csv.DictReader((out / f"{stems[school]}.csv").open(encoding="utf-8-sig")))
        members = {t.name for t in roster if t.school == school}
        assert {r["Педагог"] for r in rows} == members  # every teacher, and nobody else
        for r in rows:
            teacher = next(t for t in roster if t.name == r["Педагог"])
            assert r["Кафедра"] in ("Математика", "Русский язык", "Английский язык")
            if teacher.id not in took:
                assert r["Статус"] == "не участвовал(а)" and r["Результат, %"] == ""
        for suffix in (".pdf", ".xlsx"):
            assert (out / f"{stems[school]}{suffix}").stat().st_size > 0
    text = " ".join(p.extract_text() or "" for p in
                    PdfReader(out / f"{stems[lonely.school]}.pdf").pages)  # fmt: skip
    assert "Ни один педагог школы не участвовал" in " ".join(text.split())
